import type { TopicStore } from '../chat/types.js';
import type { DB } from './db.js';
import { getKv, setKv } from './kv.js';

/**
 * The forum topics an adapter created (Telegram: one per agent when the push chat is a forum),
 * table `chat_topics`. The creation is claimed here (a row without a thread id) before the
 * platform is asked, and the thread id recorded as soon as it answered; see TopicStore.
 */
export function topicStore(db: DB, adapter: string, now: () => number = Date.now): TopicStore {
  const noRightsKey = (chatId: string) => `topics.no_rights_told.${adapter}.${chatId}`;
  return {
    thread(chatId, topic) {
      const r = db.prepare(`SELECT thread_id FROM chat_topics WHERE adapter=? AND chat_id=? AND topic=?`).get(adapter, chatId, topic) as { thread_id: string | null } | undefined;
      return r?.thread_id ?? undefined;
    },
    claim(chatId, topic) {
      return db.transaction(() => {
        const r = db.prepare(`SELECT thread_id, attempts FROM chat_topics WHERE adapter=? AND chat_id=? AND topic=?`).get(adapter, chatId, topic) as
          | { thread_id: string | null; attempts: number }
          | undefined;
        if (r?.thread_id) return { thread: r.thread_id, unanswered: 0 };
        db.prepare(
          `INSERT INTO chat_topics (adapter, chat_id, topic, thread_id, attempts, updated_at) VALUES (?,?,?,NULL,1,?)
           ON CONFLICT(adapter, chat_id, topic) DO UPDATE SET attempts=attempts+1, updated_at=excluded.updated_at`,
        ).run(adapter, chatId, topic, now());
        return { thread: undefined, unanswered: r?.attempts ?? 0 };
      })();
    },
    record(chatId, topic, threadId) {
      db.transaction(() => {
        db.prepare(`UPDATE chat_topics SET thread_id=?, attempts=0, updated_at=? WHERE adapter=? AND chat_id=? AND topic=?`).run(threadId, now(), adapter, chatId, topic);
        // Topics can be created here again: a later refusal is told again.
        setKv(db, noRightsKey(chatId), false);
      })();
    },
    release(chatId, topic) {
      db.prepare(`DELETE FROM chat_topics WHERE adapter=? AND chat_id=? AND topic=? AND thread_id IS NULL`).run(adapter, chatId, topic);
    },
    forget(chatId, topic, threadId) {
      return db.prepare(`DELETE FROM chat_topics WHERE adapter=? AND chat_id=? AND topic=? AND thread_id=?`).run(adapter, chatId, topic, threadId).changes > 0;
    },
    firstRefusal(chatId) {
      return db.transaction(() => {
        if (getKv(db, noRightsKey(chatId), false)) return false;
        setKv(db, noRightsKey(chatId), true);
        return true;
      })();
    },
  };
}
