import crypto from 'node:crypto';
import type { AdapterName, OutgoingMessage } from '../chat/types.js';
import type { DB } from './db.js';

/**
 * The outbox table: every outgoing message is written here before anything is sent, so what was
 * not yet sent survives a crash or a platform outage. The sender's rules (order per chat, retry,
 * backoff) live in src/chat/outbox.ts; this module only reads and writes the rows.
 *
 * One row is one logical message; the parts of it the platform accepted (photo, text chunks) are
 * rows of `outbox_parts`, each committed before the next part is sent.
 */
export interface OutboxItem {
  adapter: AdapterName;
  chatId: string;
  kind: string;
  message: OutgoingMessage;
  proposalId?: string;
  /** Edit the message sent by this earlier outbox row instead of sending a new one. */
  editOf?: number;
  /**
   * Messages with the same key to the same chat within `dedupeWindowMs` are queued once (the
   * later ones return the earlier row's id). Without a key, see DEDUPE_BY_TEXT_KINDS.
   */
  dedupeKey?: string;
  /** Window of `dedupeKey` (and of the default de-duplication); default DEDUPE_WINDOW_MS. */
  dedupeWindowMs?: number;
}

export const DEDUPE_WINDOW_MS = 10 * 60_000;

/**
 * Kinds de-duplicated by their content when no `dedupeKey` is given: warnings whose repetition
 * with the very same text says nothing new (an exit refused again at the next scan, the same
 * findings after a restart loop, an overrun...). Replies are never in it (a user who asks twice
 * gets two answers), nor proposals, fills, summaries or anything with buttons or an edit.
 */
export const DEDUPE_BY_TEXT_KINDS: ReadonlySet<string> = new Set(['alert', 'order_rejected']);

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
  created_at: number;
  uncertain_part: string | null;
  uncertain_count: number;
}

const ROW_COLUMNS = 'id, adapter, chat_id, kind, payload_json, edit_of, attempts, next_attempt_at, created_at, uncertain_part, uncertain_count';

/** The key stored for de-duplication, or null when this message is never de-duplicated. */
export function dedupeKeyOf(item: OutboxItem, payloadJson: string): string | null {
  if (item.editOf !== undefined) return null;
  if (item.dedupeKey !== undefined) return `k:${item.dedupeKey}`;
  if (!DEDUPE_BY_TEXT_KINDS.has(item.kind) || item.message.buttons?.length) return null;
  return `h:${crypto.createHash('sha256').update(item.kind).update('\0').update(payloadJson).digest('hex')}`;
}

/**
 * Queues a message and returns its row id. A message with a de-duplication key (see dedupeKeyOf)
 * that matches a row of the same chat created within the window (and not failed for good) is not
 * queued again: the earlier row's id is returned.
 */
export function enqueue(db: DB, item: OutboxItem, now = Date.now()): number {
  const payload = JSON.stringify(item.message);
  const key = dedupeKeyOf(item, payload);
  return db.transaction(() => {
    if (key) {
      const window = item.dedupeWindowMs ?? DEDUPE_WINDOW_MS;
      const prev = db
        .prepare(`SELECT id FROM outbox WHERE adapter=? AND chat_id=? AND dedupe_key=? AND created_at>? AND status!='failed' ORDER BY id DESC LIMIT 1`)
        .get(item.adapter, item.chatId, key, now - window) as { id: number } | undefined;
      if (prev) return prev.id;
    }
    const r = db
      .prepare('INSERT INTO outbox (adapter, chat_id, kind, payload_json, edit_of, proposal_id, created_at, dedupe_key) VALUES (?,?,?,?,?,?,?,?)')
      .run(item.adapter, item.chatId, item.kind, payload, item.editOf ?? null, item.proposalId ?? null, now, key);
    return Number(r.lastInsertRowid);
  })();
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

/** The first queued row of every chat (the only one of that chat that may be sent now). */
export function queueHeads(db: DB): OutboxRow[] {
  return db
    .prepare(
      `SELECT ${ROW_COLUMNS} FROM outbox WHERE id IN (SELECT MIN(id) FROM outbox WHERE status='queued' GROUP BY adapter, chat_id) ORDER BY id`,
    )
    .all() as OutboxRow[];
}

/** The first queued row of one chat. */
export function queueHead(db: DB, adapter: string, chatId: string): OutboxRow | undefined {
  return db.prepare(`SELECT ${ROW_COLUMNS} FROM outbox WHERE status='queued' AND adapter=? AND chat_id=? ORDER BY id LIMIT 1`).get(adapter, chatId) as
    | OutboxRow
    | undefined;
}

/** Status and platform id of an earlier row (an edit needs the original delivered first). */
export function deliveryOf(db: DB, id: number): { status: string; platform_message_id: string | null } | undefined {
  return db.prepare(`SELECT status, platform_message_id FROM outbox WHERE id=?`).get(id) as { status: string; platform_message_id: string | null } | undefined;
}

/** The parts of a message the platform already accepted: part key -> platform message id. */
export function sentParts(db: DB, id: number): Map<string, string | null> {
  const rows = db.prepare(`SELECT part, platform_message_id FROM outbox_parts WHERE outbox_id=?`).all(id) as Array<{ part: string; platform_message_id: string | null }>;
  return new Map(rows.map((r) => [r.part, r.platform_message_id]));
}

/** Records (and commits) one accepted part; recording it twice keeps the first record. */
export function markPartSent(db: DB, id: number, part: string, platformMessageId: string | null, sentAt: number): void {
  db.prepare(`INSERT OR IGNORE INTO outbox_parts (outbox_id, part, platform_message_id, sent_at) VALUES (?,?,?,?)`).run(id, part, platformMessageId, sentAt);
}

/** `note` keeps a remark on a delivered row (e.g. that a part's delivery was presumed). */
export function markSent(db: DB, id: number, sentAt: number, platformMessageId: string | null, note: string | null = null): void {
  db.prepare(`UPDATE outbox SET status='sent', sent_at=?, platform_message_id=?, attempts=attempts+1, error=? WHERE id=?`).run(sentAt, platformMessageId, note, id);
}

/** A transient failure: counted, and the row waits until `nextAttemptAt`. */
export function markRetry(db: DB, id: number, nextAttemptAt: number, error: string): void {
  db.prepare(`UPDATE outbox SET attempts=attempts+1, next_attempt_at=?, error=? WHERE id=?`).run(nextAttemptAt, error, id);
}

/**
 * An ambiguous failure of `part` (sent, no answer): counted per part, and the row waits until
 * `nextAttemptAt`. Returns how many ambiguous failures that part has had in a row.
 */
export function markUncertain(db: DB, id: number, part: string, nextAttemptAt: number, error: string): number {
  return db.transaction(() => {
    db.prepare(
      `UPDATE outbox SET attempts=attempts+1, next_attempt_at=?, error=?,
         uncertain_count=CASE WHEN uncertain_part IS ? THEN uncertain_count+1 ELSE 1 END, uncertain_part=? WHERE id=?`,
    ).run(nextAttemptAt, error, part, part, id);
    return (db.prepare(`SELECT uncertain_count AS n FROM outbox WHERE id=?`).get(id) as { n: number }).n;
  })();
}

/** Never deliverable: the row leaves the queue for good, with the reason. */
export function markFailed(db: DB, id: number, error: string): void {
  db.prepare(`UPDATE outbox SET status='failed', attempts=attempts+1, error=? WHERE id=?`).run(error, id);
}

/**
 * Delivery latency (sent_at - created_at, ms) of the messages delivered since `since`, sorted: the
 * operators' view of how long a message waits (the metrics endpoint reads quantiles from it).
 */
export function deliveryLatencies(db: DB, since: number): number[] {
  return (db.prepare(`SELECT sent_at - created_at AS ms FROM outbox WHERE status='sent' AND sent_at >= ? ORDER BY ms`).all(since) as Array<{ ms: number }>).map((r) => r.ms);
}

/** Queued messages per adapter (the backlog). */
export function backlogByAdapter(db: DB): Array<{ adapter: string; n: number }> {
  return db.prepare(`SELECT adapter, COUNT(*) AS n FROM outbox WHERE status='queued' GROUP BY adapter`).all() as Array<{ adapter: string; n: number }>;
}
