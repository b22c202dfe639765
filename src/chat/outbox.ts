import type { DB } from '../store/db.js';
import { deliveryOf, markFailed, markRetry, markSent, nextAttemptAt, pendingCountFor, queuedRows } from '../store/outbox.js';
import type { Logger } from '../util/logger.js';
import { PermanentSendError, RetryLaterError, type ChatAdapter, type OutgoingMessage } from './types.js';

/**
 * Every outgoing message is written to the outbox (src/store/outbox.ts) before anything is sent,
 * and sent at least once: after a crash or a platform outage, what was not yet sent goes out when
 * the process (or the platform) is back. Messages to one chat keep their order; a 429 holds that
 * chat for retry_after. This module is the sender (order, retry, backoff, delivery).
 */

// The rows are the store's; re-exported so callers that queue messages keep one import.
export { enqueue, pendingCount, proposalMessageRows, type OutboxItem } from '../store/outbox.js';

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

  async function pass(): Promise<number> {
    const rows = queuedRows(o.db, 200);
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
          const orig = deliveryOf(o.db, row.edit_of);
          if (!orig || orig.status === 'failed') {
            markFailed(o.db, row.id, 'the message to edit was never delivered');
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
        markSent(o.db, row.id, now(), platformId);
        sent++;
      } catch (e) {
        const err = o.scrub(e instanceof Error ? e.message : String(e));
        if (e instanceof PermanentSendError) {
          markFailed(o.db, row.id, err);
          o.log.error({ id: row.id, adapter: row.adapter, kind: row.kind, err }, 'message can never be delivered');
        } else {
          const wait = e instanceof RetryLaterError ? e.retryAfterMs : backoffMs(row.attempts + 1, base, max);
          markRetry(o.db, row.id, now() + wait, err);
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
    const t = nextAttemptAt(o.db);
    const poll = o.pollMs ?? 1000;
    if (t === null) return poll;
    return Math.max(10, Math.min(poll, t - now()));
  }

  running = loop();
  return {
    kick() {
      wake?.();
    },
    async drain(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (pendingCountFor(o.db, o.adapters.map((a) => a.name)) === 0) return true;
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
