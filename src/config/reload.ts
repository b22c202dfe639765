import type { Config } from './schema.js';
import { SECRET_KEYS } from './schema.js';

/**
 * /reload_config: which settings can change under a running bot. A key is live when every reader
 * reads it from app.cfg at the moment of use (the risk gate, the cost model, approval expiry and
 * auto-approval, who is a trader or a viewer, the log level). Everything else was read once at
 * start to build something (the market, the broker, the chat adapters and their push chats, the
 * schedules, the formatter's language and timezone, the agents' strategy and timeframe) and needs a
 * restart; it is left as it is until then, so the running bot never mixes the two.
 */
const LIVE_PREFIXES = ['risk.', 'costs.', 'approval.', 'log_level', 'telegram.allowed_users', 'telegram.viewers', 'discord.allowed_users', 'discord.viewers'];

export function isLiveKey(key: string): boolean {
  return LIVE_PREFIXES.some((p) => (p.endsWith('.') ? key.startsWith(p) : key === p));
}

export function isSecretKey(key: string): boolean {
  return SECRET_KEYS.includes(key);
}

type Tree = Record<string, unknown>;

function leaves(t: Tree, prefix = ''): Array<[string, unknown]> {
  return Object.entries(t).flatMap(([k, v]) => (v && typeof v === 'object' && !Array.isArray(v) ? leaves(v as Tree, `${prefix}${k}.`) : [[`${prefix}${k}`, v] as [string, unknown]]));
}

export interface ConfigChange {
  key: string;
  before: unknown;
  after: unknown;
  live: boolean;
}

/** Every leaf whose value differs between the running config and the one read again, in config order. */
export function configChanges(running: Config, next: Config): ConfigChange[] {
  const now = new Map(leaves(running as unknown as Tree));
  return leaves(next as unknown as Tree)
    .filter(([k, v]) => JSON.stringify(now.get(k)) !== JSON.stringify(v))
    .map(([key, after]) => ({ key, before: now.get(key), after, live: isLiveKey(key) }));
}

/**
 * Writes the live changes into the running config, leaf by leaf in place: objects handed out at
 * start (the paper broker keeps `costs`) see the new values too.
 */
export function applyLive(running: Config, changes: readonly ConfigChange[]): void {
  for (const c of changes) {
    if (!c.live) continue;
    const parts = c.key.split('.');
    let t = running as unknown as Tree;
    for (const p of parts.slice(0, -1)) t = t[p] as Tree;
    t[parts[parts.length - 1]] = c.after;
  }
}
