import crypto from 'node:crypto';
import type { DB } from './db.js';

/**
 * The dashboard's sign-in links and sessions (src/dashboard). Tokens are random; only their
 * SHA-256 is stored, so reading the database opens nothing.
 */
export const hashToken = (token: string): string => crypto.createHash('sha256').update(token).digest('hex');

export interface DashboardIdentity {
  adapter: string;
  userId: string;
  userName: string;
}

export interface DashboardSession extends DashboardIdentity {
  role: string;
  csrf: string;
  expiresAt: number;
}

export function insertLink(db: DB, token: string, who: DashboardIdentity, now: number, expiresAt: number): void {
  db.prepare('INSERT INTO dashboard_links (token_hash, adapter, user_id, user_name, created_at, expires_at) VALUES (?,?,?,?,?,?)').run(hashToken(token), who.adapter, who.userId, who.userName, now, expiresAt);
  // Links nobody used are forgotten a day after they expired.
  db.prepare('DELETE FROM dashboard_links WHERE expires_at < ?').run(now - 86_400_000);
}

/** Is this link still good (known, unused, in time)? Reads only. */
export function linkState(db: DB, token: string, now: number): 'ok' | 'unknown' | 'used' | 'expired' {
  const r = db.prepare('SELECT expires_at, used_at FROM dashboard_links WHERE token_hash=?').get(hashToken(token)) as { expires_at: number; used_at: number | null } | undefined;
  return !r ? 'unknown' : r.used_at !== null ? 'used' : r.expires_at <= now ? 'expired' : 'ok';
}

/**
 * Uses a link: the one conditional UPDATE that marks it used wins, so a link opens one session
 * even when opened twice at once. Returns who it was for, or why not.
 */
export function consumeLink(db: DB, token: string, now: number): { ok: true; who: DashboardIdentity } | { ok: false; why: 'unknown' | 'used' | 'expired' } {
  const h = hashToken(token);
  return db.transaction(() => {
    const r = db.prepare('SELECT adapter, user_id, user_name, expires_at, used_at FROM dashboard_links WHERE token_hash=?').get(h) as { adapter: string; user_id: string; user_name: string; expires_at: number; used_at: number | null } | undefined;
    if (!r) return { ok: false as const, why: 'unknown' as const };
    if (r.used_at !== null) return { ok: false as const, why: 'used' as const };
    if (r.expires_at <= now) return { ok: false as const, why: 'expired' as const };
    db.prepare('UPDATE dashboard_links SET used_at=? WHERE token_hash=? AND used_at IS NULL').run(now, h);
    return { ok: true as const, who: { adapter: r.adapter, userId: r.user_id, userName: r.user_name } };
  })();
}

export function insertSession(db: DB, id: string, s: DashboardSession, now: number): void {
  db.prepare('INSERT INTO dashboard_sessions (id_hash, adapter, user_id, user_name, role, csrf, created_at, expires_at) VALUES (?,?,?,?,?,?,?,?)').run(hashToken(id), s.adapter, s.userId, s.userName, s.role, s.csrf, now, s.expiresAt);
  db.prepare('DELETE FROM dashboard_sessions WHERE expires_at < ?').run(now);
}

export function getSession(db: DB, id: string, now: number): DashboardSession | null {
  const r = db.prepare('SELECT adapter, user_id, user_name, role, csrf, expires_at FROM dashboard_sessions WHERE id_hash=? AND expires_at > ?').get(hashToken(id), now) as { adapter: string; user_id: string; user_name: string; role: string; csrf: string; expires_at: number } | undefined;
  return r ? { adapter: r.adapter, userId: r.user_id, userName: r.user_name, role: r.role, csrf: r.csrf, expiresAt: r.expires_at } : null;
}

export function deleteSession(db: DB, id: string): void {
  db.prepare('DELETE FROM dashboard_sessions WHERE id_hash=?').run(hashToken(id));
}
