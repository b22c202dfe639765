import type { AdapterName, OutgoingMessage } from '../chat/types.js';
import type { DB } from './db.js';

/**
 * The outbox table: every outgoing message is written here before anything is sent, so what was
 * not yet sent survives a crash or a platform outage. The sender's rules (order per chat, retry,
 * backoff) live in src/chat/outbox.ts; this module only reads and writes the rows.
 */
export interface OutboxItem {
  adapter: AdapterName;
  chatId: string;
  kind: string;
  message: OutgoingMessage;
  proposalId?: string;
  /** Edit the message sent by this earlier outbox row instead of sending a new one. */
  editOf?: number;
}

/** A queued row as the sender reads it (payload still JSON: a bad one fails at send time, not here). */
export interface OutboxRow {
  id: number;
  adapter: AdapterName;
  chat_id: string;
  kind: string;
  payload_json: string;
  edit_of: number | null;
  attempts: number;
  next_attempt_at: number;
}

export function enqueue(db: DB, item: OutboxItem, now = Date.now()): number {
  const r = db
    .prepare('INSERT INTO outbox (adapter, chat_id, kind, payload_json, edit_of, proposal_id, created_at) VALUES (?,?,?,?,?,?,?)')
    .run(item.adapter, item.chatId, item.kind, JSON.stringify(item.message), item.editOf ?? null, item.proposalId ?? null, now);
  return Number(r.lastInsertRowid);
}

/** Rows of a proposal's original messages (one per adapter/chat), to edit them all. */
export function proposalMessageRows(db: DB, proposalId: string): Array<{ id: number; adapter: AdapterName; chat_id: string }> {
  return db.prepare(`SELECT id, adapter, chat_id FROM outbox WHERE proposal_id=? AND kind='proposal' AND edit_of IS NULL ORDER BY id`).all(proposalId) as Array<{
    id: number;
    adapter: AdapterName;
    chat_id: string;
  }>;
}

export function pendingCount(db: DB): number {
  return (db.prepare(`SELECT COUNT(*) AS n FROM outbox WHERE status='queued'`).get() as { n: number }).n;
}

/** Queued rows for the given adapters only: what this process can still deliver. */
export function pendingCountFor(db: DB, adapters: readonly string[]): number {
  // IN ('') when no adapter runs: the query stays valid and matches nothing.
  const r = db.prepare(`SELECT COUNT(*) AS n FROM outbox WHERE status='queued' AND adapter IN (${adapters.map(() => '?').join(',') || "''"})`).get(...adapters) as { n: number };
  return r.n;
}

/** The oldest queued rows in id order, waiting or not: the sender decides what is due per chat. */
export function queuedRows(db: DB, limit = 200): OutboxRow[] {
  return db.prepare(`SELECT id, adapter, chat_id, kind, payload_json, edit_of, attempts, next_attempt_at FROM outbox WHERE status='queued' ORDER BY id LIMIT ?`).all(limit) as OutboxRow[];
}

/** When the earliest queued row may be tried again (null: nothing queued). */
export function nextAttemptAt(db: DB): number | null {
  return (db.prepare(`SELECT MIN(next_attempt_at) AS t FROM outbox WHERE status='queued'`).get() as { t: number | null }).t;
}

/** Status and platform id of an earlier row (an edit needs the original delivered first). */
export function deliveryOf(db: DB, id: number): { status: string; platform_message_id: string | null } | undefined {
  return db.prepare(`SELECT status, platform_message_id FROM outbox WHERE id=?`).get(id) as { status: string; platform_message_id: string | null } | undefined;
}

export function markSent(db: DB, id: number, sentAt: number, platformMessageId: string | null): void {
  db.prepare(`UPDATE outbox SET status='sent', sent_at=?, platform_message_id=?, attempts=attempts+1, error=NULL WHERE id=?`).run(sentAt, platformMessageId, id);
}

/** A transient failure: counted, and the row waits until `nextAttemptAt`. */
export function markRetry(db: DB, id: number, nextAttemptAt: number, error: string): void {
  db.prepare(`UPDATE outbox SET attempts=attempts+1, next_attempt_at=?, error=? WHERE id=?`).run(nextAttemptAt, error, id);
}

/** Never deliverable: the row leaves the queue for good, with the reason. */
export function markFailed(db: DB, id: number, error: string): void {
  db.prepare(`UPDATE outbox SET status='failed', attempts=attempts+1, error=? WHERE id=?`).run(error, id);
}
