import type { Config } from '../config/schema.js';
import type { AdapterName, Role } from './types.js';

/**
 * Who may do what. The console is the person at the keyboard: trader. On Telegram and Discord,
 * ids in allowed_users are traders, ids in viewers may only read; everyone else is refused.
 */
export function roleOf(cfg: Config, adapter: AdapterName, userId: string): Role | null {
  if (adapter === 'console') return 'trader';
  const c = adapter === 'telegram' ? cfg.telegram : cfg.discord;
  if (c.allowed_users.includes(userId)) return 'trader';
  if (c.viewers.includes(userId)) return 'viewer';
  return null;
}

export function allows(role: Role | null, needed: Role): boolean {
  if (!role) return false;
  return needed === 'viewer' || role === 'trader';
}

export function envHintFor(adapter: AdapterName): string {
  return adapter === 'telegram' ? 'TELEGRAM_ALLOWED_USERS or TELEGRAM_VIEWERS' : 'DISCORD_ALLOWED_USERS or DISCORD_VIEWERS';
}
