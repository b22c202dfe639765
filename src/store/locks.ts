import type { DB } from './db.js';

/**
 * What the cooldown counts from: each symbol's last exit (open time of the exit candle), and the
 * exit a trader's /unlock released, if any. A release covers exits up to its candle only.
 */
export function lastExits(db: DB): Array<{ symbol: string; t: number; released: number | null }> {
  return db
    .prepare(
      `SELECT t.symbol, MAX(t.exit_candle_ts) AS t, r.exit_candle_ts AS released
       FROM trades t LEFT JOIN cooldown_releases r ON r.symbol = t.symbol
       WHERE t.status='closed' AND t.exit_candle_ts IS NOT NULL GROUP BY t.symbol`,
    )
    .all() as Array<{ symbol: string; t: number; released: number | null }>;
}

/** Ends the cooldown of `symbol`'s exit at `exitCandleTs` (and any before it). */
export function releaseCooldown(db: DB, symbol: string, exitCandleTs: number, by: string, at: number): void {
  db.prepare(
    `INSERT INTO cooldown_releases (symbol, exit_candle_ts, released_by, released_at) VALUES (?,?,?,?)
     ON CONFLICT(symbol) DO UPDATE SET exit_candle_ts=excluded.exit_candle_ts, released_by=excluded.released_by, released_at=excluded.released_at`,
  ).run(symbol, exitCandleTs, by, at);
}
