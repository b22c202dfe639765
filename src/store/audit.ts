import type { DB } from './db.js';

export function audit(db: DB, e: { adapter: string; userId: string; userName?: string; action: string; allowed: boolean; detail?: string; ts?: number }): void {
  db.prepare('INSERT INTO audit_log (ts, adapter, user_id, user_name, action, allowed, detail) VALUES (?,?,?,?,?,?,?)').run(
    e.ts ?? Date.now(),
    e.adapter,
    e.userId,
    e.userName ?? null,
    e.action,
    e.allowed ? 1 : 0,
    e.detail ?? null,
  );
}

/** A refusal: its English words, and (risk-gate refusals) its key and figures as JSON for the chat's language. */
export function recordRefusal(db: DB, symbol: string, reason: string, ts = Date.now(), coded?: { code: string; params: Record<string, number> }): void {
  db.prepare('INSERT INTO refusals (ts, symbol, reason, reason_json) VALUES (?,?,?,?)').run(ts, symbol, reason, coded ? JSON.stringify(coded) : null);
}

export function recentRefusals(db: DB, n: number): Array<{ ts: number; symbol: string; reason: string; reason_json: string | null }> {
  return db.prepare('SELECT ts, symbol, reason, reason_json FROM refusals ORDER BY id DESC LIMIT ?').all(n) as Array<{ ts: number; symbol: string; reason: string; reason_json: string | null }>;
}
