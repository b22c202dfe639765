import type { DB } from '../store/db.js';
import type { Logger } from '../util/logger.js';
import { PermanentSendError, RetryLaterError, type AdapterName, type ChatAdapter, type OutgoingMessage } from './types.js';

/**
 * Every outgoing message is written here before anything is sent, and sent at least once: after
 * a crash or a platform outage, what was not yet sent goes out when the process (or the platform)
 * is back. Messages to one chat keep their order; a 429 holds that chat for retry_after.
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

interface Row {
  id: number;
  adapter: AdapterName;
  chat_id: string;
  kind: string;
  payload_json: string;
  edit_of: number | null;
  attempts: number;
  next_attempt_at: number;
}

export interface OutboxSender {
  /** Wake the sender now (something was enqueued). */
  kick(): void;
  /** Resolves when nothing sendable is left (failed-for-good rows do not count). */
  drain(timeoutMs?: number): Promise<boolean>;
  stop(): Promise<void>;
}

export interface SenderOptions {
  db: DB;
  adapters: ChatAdapter[];
  log: Logger;
  scrub: (s: string) => string;
  now?: () => number;
  /** Base of the exponential backoff for transient failures. */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Idle poll interval (a kick wakes it sooner). */
  pollMs?: number;
}

export function backoffMs(attempt: number, base: number, max: number, rand: () => number = Math.random): number {
  const exp = Math.min(max, base * 2 ** Math.max(0, attempt - 1));
  // Full jitter on half the delay: spreads retries of many messages after an outage.
  return Math.round(exp / 2 + (rand() * exp) / 2);
}

export function startSender(o: SenderOptions): OutboxSender {
  const now = o.now ?? Date.now;
  const base = o.backoffBaseMs ?? 1000;
  const max = o.backoffMaxMs ?? 5 * 60_000;
  const byName = new Map(o.adapters.map((a) => [a.name, a]));
  let stopped = false;
  let wake: (() => void) | null = null;
  let running: Promise<void> = Promise.resolve();

  const due = o.db.prepare(`SELECT id, adapter, chat_id, kind, payload_json, edit_of, attempts, next_attempt_at FROM outbox WHERE status='queued' ORDER BY id LIMIT 200`);
  const markSent = o.db.prepare(`UPDATE outbox SET status='sent', sent_at=?, platform_message_id=?, attempts=attempts+1, error=NULL WHERE id=?`);
  const markRetry = o.db.prepare(`UPDATE outbox SET attempts=attempts+1, next_attempt_at=?, error=? WHERE id=?`);
  const markFailed = o.db.prepare(`UPDATE outbox SET status='failed', attempts=attempts+1, error=? WHERE id=?`);
  const originalOf = o.db.prepare(`SELECT status, platform_message_id FROM outbox WHERE id=?`);

  async function pass(): Promise<number> {
    const rows = due.all() as Row[];
    const blocked = new Set<string>();
    let sent = 0;
    for (const row of rows) {
      if (stopped) break;
      const chatKey = `${row.adapter}:${row.chat_id}`;
      if (blocked.has(chatKey)) continue;
      if (row.next_attempt_at > now()) {
        blocked.add(chatKey); // keep the chat's order: nothing overtakes a waiting message
        continue;
      }
      const adapter = byName.get(row.adapter);
      if (!adapter) {
        blocked.add(chatKey);
        continue; // adapter not running in this process: keep it for a later start
      }
      const msg = JSON.parse(row.payload_json) as OutgoingMessage;
      try {
        let platformId: string | null = null;
        if (row.edit_of) {
          const orig = originalOf.get(row.edit_of) as { status: string; platform_message_id: string | null } | undefined;
          if (!orig || orig.status === 'failed') {
            markFailed.run('the message to edit was never delivered', row.id);
            continue;
          }
          if (orig.status !== 'sent' || !orig.platform_message_id) {
            blocked.add(chatKey);
            continue;
          }
          await adapter.edit(row.chat_id, orig.platform_message_id, msg);
          platformId = orig.platform_message_id;
        } else {
          platformId = await adapter.send(row.chat_id, msg);
        }
        markSent.run(now(), platformId, row.id);
        sent++;
      } catch (e) {
        const err = o.scrub(e instanceof Error ? e.message : String(e));
        if (e instanceof PermanentSendError) {
          markFailed.run(err, row.id);
          o.log.error({ id: row.id, adapter: row.adapter, kind: row.kind, err }, 'message can never be delivered');
        } else {
          const wait = e instanceof RetryLaterError ? e.retryAfterMs : backoffMs(row.attempts + 1, base, max);
          markRetry.run(now() + wait, err, row.id);
          blocked.add(chatKey);
          o.log.warn({ id: row.id, adapter: row.adapter, kind: row.kind, err, retryInMs: wait }, 'send failed, will retry');
        }
      }
    }
    return sent;
  }

  async function loop(): Promise<void> {
    while (!stopped) {
      try {
        await pass();
      } catch (e) {
        o.log.error({ err: o.scrub(String(e)) }, 'outbox pass failed');
      }
      if (stopped) break;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, nextWakeIn());
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      wake = null;
    }
  }

  function nextWakeIn(): number {
    const r = o.db.prepare(`SELECT MIN(next_attempt_at) AS t FROM outbox WHERE status='queued'`).get() as { t: number | null };
    const poll = o.pollMs ?? 1000;
    if (r.t === null) return poll;
    return Math.max(10, Math.min(poll, r.t - now()));
  }

  running = loop();
  return {
    kick() {
      wake?.();
    },
    async drain(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const open = o.db.prepare(`SELECT COUNT(*) AS n FROM outbox WHERE status='queued' AND adapter IN (${o.adapters.map(() => '?').join(',') || "''"})`).get(...o.adapters.map((a) => a.name)) as { n: number };
        if (open.n === 0) return true;
        wake?.();
        await new Promise((r) => setTimeout(r, 20));
      }
      return false;
    },
    async stop() {
      stopped = true;
      wake?.();
      await running;
    },
  };
}
