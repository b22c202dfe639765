import type { DB } from '../store/db.js';
import {
  deliveryOf,
  markFailed,
  markPartSent,
  markRetry,
  markSent,
  markUncertain,
  pendingCountFor,
  queueHead,
  queueHeads,
  sentParts,
  type OutboxRow,
} from '../store/outbox.js';
import type { Logger } from '../util/logger.js';
import { PermanentSendError, RetryLaterError, UncertainSendError, type ChatAdapter, type OutgoingMessage, type SendProgress } from './types.js';

/**
 * Every outgoing message is written to the outbox (src/store/outbox.ts) before anything is sent,
 * and sent at least once: after a crash or a platform outage, what was not yet sent goes out when
 * the process (or the platform) is back. This module is the sender (order, retry, backoff,
 * delivery). Its rules:
 *
 * - **One queue per chat.** Messages to one chat go out in order, one at a time; different chats
 *   are served at the same time (up to `maxConcurrentChats`), so a slow or failing chat (a held
 *   request, a 429, a chat that is gone) never delays another. A 429's retry_after holds only the
 *   chat it came from, for exactly that long.
 * - **Parts.** One logical message may be several platform messages (a photo, then the text in
 *   chunks). Each part the platform accepted is committed to `outbox_parts` (with its message id)
 *   before the next part is sent, so a retry, or a restart, sends only the parts not yet accepted.
 *   The only way a part goes out twice is a crash (or a lost answer, below) between the
 *   platform's answer and that commit.
 * - **Backoff.** Transient failures (refused connection, DNS, 5xx, the request not fully sent)
 *   are retried with exponential backoff capped at `backoffMaxMs` (3 s by default), so delivery
 *   resumes within a few seconds once the platform is back, however long it was away.
 * - **Ambiguous failures.** A request that was fully sent but got no answer (reset, timeout) may
 *   have been delivered; the adapter says so with UncertainSendError. Telegram has no idempotency
 *   key, so sending that part again may duplicate it. The rule: the part is sent again only once
 *   the platform answers again (the adapter checks with a harmless call first, see
 *   SendProgress.unanswered), so an outage or a storm of resets costs at most one duplicate, not
 *   one per retry; and it is sent again at most `uncertainRetries` times (2 by default) while the
 *   platform answers, then presumed delivered (logged, noted on the row) and the message goes on
 *   with its next part. Worst cases: two duplicates of a part whose every answer was lost, and a
 *   part lost only if three requests reached a platform that answered other calls and processed
 *   none of the three. Discord sends carry an enforced nonce, which makes its retries safe, so
 *   its adapter never reports ambiguity.
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
  /** Base of the exponential backoff for transient failures (default 1 s). */
  backoffBaseMs?: number;
  /** Its cap (default 3 s): how late, at most, delivery resumes after the platform is back. */
  backoffMaxMs?: number;
  /** Idle poll interval (a kick wakes it sooner). */
  pollMs?: number;
  /** How many chats are sent to at the same time (default 8); each chat keeps its order. */
  maxConcurrentChats?: number;
  /** Retries of a part whose request got no answer, before it is presumed delivered (default 2). */
  uncertainRetries?: number;
}

export const DEFAULT_BACKOFF_MAX_MS = 3_000;

export function backoffMs(attempt: number, base: number, max: number, rand: () => number = Math.random): number {
  const exp = Math.min(max, base * 2 ** Math.min(30, Math.max(0, attempt - 1)));
  // Full jitter on half the delay: spreads retries of many messages after an outage.
  return Math.round(exp / 2 + (rand() * exp) / 2);
}

type Outcome = 'next' | 'wait';

export function startSender(o: SenderOptions): OutboxSender {
  const now = o.now ?? Date.now;
  const base = o.backoffBaseMs ?? 1000;
  const max = o.backoffMaxMs ?? DEFAULT_BACKOFF_MAX_MS;
  const poll = o.pollMs ?? 1000;
  const maxChats = Math.max(1, o.maxConcurrentChats ?? 8);
  const uncertainRetries = Math.max(0, o.uncertainRetries ?? 2);
  const byName = new Map(o.adapters.map((a) => [a.name, a]));
  let stopped = false;
  let wake: (() => void) | null = null;
  /** Set by kick() and by workers that end: the loop looks again before it sleeps. */
  let kicked = false;
  /** The chats being sent to right now ("adapter:chat"), each by one worker. */
  const workers = new Map<string, Promise<void>>();
  /** Chats whose last attempt failed: the first failure and the recovery are logged, not every retry. */
  const troubled = new Map<string, { since: number; failures: number }>();

  const poke = () => {
    kicked = true;
    wake?.();
  };

  function failed(chatKey: string, row: OutboxRow, err: string, retryInMs: number, what: string): void {
    const t = troubled.get(chatKey);
    const fields = { id: row.id, adapter: row.adapter, chat: row.chat_id, kind: row.kind, err, retryInMs };
    if (!t) {
      troubled.set(chatKey, { since: now(), failures: 1 });
      o.log.warn(fields, `${what}; this chat waits, other chats go on`);
    } else {
      t.failures++;
      o.log.debug(fields, what);
    }
  }

  function delivered(chatKey: string): void {
    const t = troubled.get(chatKey);
    if (!t) return;
    troubled.delete(chatKey);
    o.log.info({ chat: chatKey, failures: t.failures, downMs: now() - t.since }, 'chat delivery recovered');
  }

  /** One attempt at the head row of a chat. 'next': look at the chat's next row; 'wait': stop for now. */
  async function attempt(adapter: ChatAdapter, row: OutboxRow): Promise<Outcome> {
    const chatKey = `${row.adapter}:${row.chat_id}`;
    let msg: OutgoingMessage;
    try {
      msg = JSON.parse(row.payload_json) as OutgoingMessage;
    } catch (e) {
      markFailed(o.db, row.id, `unreadable payload: ${String(e)}`);
      return 'next';
    }
    if (row.edit_of) {
      const orig = deliveryOf(o.db, row.edit_of);
      if (!orig || orig.status === 'failed') {
        markFailed(o.db, row.id, 'the message to edit was never delivered');
        return 'next';
      }
      if (orig.status !== 'sent') {
        // The original is earlier in the same chat, so this cannot happen; never spin on it anyway.
        markRetry(o.db, row.id, now() + backoffMs(row.attempts + 1, base, max), 'the message to edit is not delivered yet');
        return 'wait';
      }
      if (!orig.platform_message_id) {
        markFailed(o.db, row.id, 'the message to edit has no known platform id (its delivery was presumed)');
        return 'next';
      }
    }
    const done = row.edit_of ? new Map<string, string | null>() : sentParts(o.db, row.id);
    const progress: SendProgress = {
      done,
      key: `o${row.id}.${row.created_at.toString(36)}`,
      unanswered: row.uncertain_part && !done.has(row.uncertain_part) ? row.uncertain_part : undefined,
      accepted(part, platformMessageId) {
        markPartSent(o.db, row.id, part, platformMessageId, now());
        done.set(part, platformMessageId);
      },
    };
    try {
      let platformId: string | null;
      if (row.edit_of) {
        const orig = deliveryOf(o.db, row.edit_of)!;
        await adapter.edit(row.chat_id, orig.platform_message_id!, msg);
        platformId = orig.platform_message_id;
      } else {
        platformId = (await adapter.send(row.chat_id, msg, progress)) || null;
      }
      const unknown = [...done].filter(([, id]) => id === null).map(([p]) => p);
      markSent(o.db, row.id, now(), platformId, unknown.length ? `delivered without a known message id: ${unknown.join(', ')}` : null);
      delivered(chatKey);
      return 'next';
    } catch (e) {
      const err = o.scrub(e instanceof Error ? e.message : String(e));
      if (e instanceof PermanentSendError) {
        markFailed(o.db, row.id, err);
        o.log.error({ id: row.id, adapter: row.adapter, kind: row.kind, err }, 'message can never be delivered');
        return 'next';
      }
      if (e instanceof RetryLaterError) {
        // Exactly what the platform asked for, for this chat only.
        markRetry(o.db, row.id, now() + Math.max(10, e.retryAfterMs), err);
        failed(chatKey, row, err, e.retryAfterMs, 'rate limited');
        return 'wait';
      }
      if (e instanceof UncertainSendError && !done.has(e.part)) {
        const n = (row.uncertain_part === e.part ? row.uncertain_count : 0) + 1;
        if (n > uncertainRetries) {
          // Never loop on it: after this many unanswered attempts the part counts as delivered.
          markUncertain(o.db, row.id, e.part, now(), `presumed delivered after ${n} unanswered attempts: ${err}`);
          progress.accepted(e.part, null);
          o.log.error({ id: row.id, adapter: row.adapter, chat: row.chat_id, kind: row.kind, part: e.part, attempts: n, err }, 'no answer to a send, again; presumed delivered, not sent again');
          return 'next';
        }
        const wait = backoffMs(row.attempts + 1, base, max);
        markUncertain(o.db, row.id, e.part, now() + wait, err);
        failed(chatKey, row, err, wait, 'no answer to a send (it may have been delivered); retrying it a bounded number of times');
        return 'wait';
      }
      const wait = backoffMs(row.attempts + 1, base, max);
      markRetry(o.db, row.id, now() + wait, err);
      failed(chatKey, row, err, wait, 'send failed, will retry');
      return 'wait';
    }
  }

  /** Sends a chat's queue in order until it is empty or its head has to wait. */
  async function work(adapter: ChatAdapter, chatId: string): Promise<void> {
    while (!stopped) {
      const row = queueHead(o.db, adapter.name, chatId);
      if (!row || row.next_attempt_at > now()) return;
      if ((await attempt(adapter, row)) === 'wait') return;
    }
  }

  /** Starts a worker for every chat whose head is due; returns ms until the next head is due. */
  function schedule(): number {
    let next = Infinity;
    for (const head of queueHeads(o.db)) {
      const chatKey = `${head.adapter}:${head.chat_id}`;
      if (workers.has(chatKey)) continue; // its worker looks at the rest when it is done
      const adapter = byName.get(head.adapter);
      if (!adapter) continue; // adapter not running in this process: keep it for a later start
      const dueIn = head.next_attempt_at - now();
      if (dueIn > 0) {
        next = Math.min(next, dueIn);
        continue;
      }
      if (workers.size >= maxChats) continue; // a worker that ends wakes the loop
      const job = work(adapter, head.chat_id)
        .catch((e) => o.log.error({ chat: chatKey, err: o.scrub(String(e)) }, 'outbox worker failed'))
        .finally(() => {
          workers.delete(chatKey);
          poke();
        });
      workers.set(chatKey, job);
    }
    return next;
  }

  async function loop(): Promise<void> {
    while (!stopped) {
      kicked = false;
      let next = Infinity;
      try {
        next = schedule();
      } catch (e) {
        o.log.error({ err: o.scrub(String(e)) }, 'outbox pass failed');
      }
      if (stopped) break;
      if (kicked) continue;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.max(10, Math.min(poll, next)));
        wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      wake = null;
    }
  }

  const running = loop();
  return {
    kick() {
      poke();
    },
    async drain(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (pendingCountFor(o.db, o.adapters.map((a) => a.name)) === 0) return true;
        poke();
        await new Promise((r) => setTimeout(r, 20));
      }
      return false;
    },
    async stop() {
      stopped = true;
      poke();
      await running;
      // A send in flight ends by its answer or the adapter's request timeout.
      await Promise.allSettled([...workers.values()]);
    },
  };
}
