import type { App } from '../app/context.js';
import type { OutgoingMessage } from '../chat/types.js';
import { str } from '../render/template.js';
import { simpleMessage } from '../render/views.js';
import { probeWritable } from '../store/health.js';

/**
 * A full disk must not kill the bot or leave it silent. Before each scan, watch and exchange check
 * the database is probed: while it cannot be written nothing is decided or sent (an order that
 * could not be recorded first is an order that could be sent twice), the condition is said once
 * in the log and, straight through the adapters (the outbox lives in that same database), in every
 * push chat; when writes work again, that is said too and work resumes.
 */
const state = new WeakMap<App, { full: boolean; since: number }>();

export function storageFull(app: App): boolean {
  return state.get(app)?.full ?? false;
}

/** True when the database takes writes; announces the changes of state. */
export async function storageWritable(app: App): Promise<boolean> {
  const s = state.get(app) ?? { full: false, since: 0 };
  state.set(app, s);
  const probe = probeWritable(app.db);
  if (!probe.ok && !s.full) {
    s.full = true;
    s.since = app.now();
    app.log.error({ code: probe.code, err: app.scrub(probe.message) }, 'storage: the database cannot be written; scans and orders wait');
    await tellDirectly(app, simpleMessage('🚨', str(app.cfg.language, 'storage_full', { code: probe.code })));
  } else if (probe.ok && s.full) {
    s.full = false;
    app.log.info({ forMs: app.now() - s.since }, 'storage: the database takes writes again');
    await tellDirectly(app, simpleMessage('✅', str(app.cfg.language, 'storage_ok')));
  }
  return probe.ok;
}

/** Every push chat of every adapter, not through the outbox; best effort. */
export async function tellDirectly(app: App, msg: OutgoingMessage): Promise<void> {
  for (const a of app.adapters) {
    for (const chatId of a.pushChatIds) {
      await a.send(chatId, msg).catch((e) => app.log.warn({ adapter: a.name, err: app.scrub(String(e)) }, 'storage notice not delivered'));
    }
  }
}
