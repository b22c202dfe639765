import type { EquityPoint } from '../metrics/types.js';
import type { TradeRow as OpenTradeRow } from './trades.js';
import type { DB } from './db.js';

/**
 * The read-only queries behind the chat reports (/pnl, /daily, /trades, /agents, /chart, the
 * daily summary): closed trades by window, symbol or count, realised PnL before a time, equity
 * snapshots and a chart's trade markers. Nothing here writes.
 */

export type ClosedTradeRow = OpenTradeRow & { pnl: number; exit_ts: number; exit_price: number; exit_reason: string };

/** Closed trades with exit time in [from, to), oldest first (id breaks ties, so the order is stable). */
export function closedBetween(db: DB, from: number, to: number): ClosedTradeRow[] {
  return db.prepare(`SELECT * FROM trades WHERE status='closed' AND exit_ts>=? AND exit_ts<? ORDER BY exit_ts, id`).all(from, to) as ClosedTradeRow[];
}

/** The last `n` closed trades (of one symbol when given), newest first. */
export function lastClosed(db: DB, n: number, symbol?: string): ClosedTradeRow[] {
  return (
    symbol
      ? db.prepare(`SELECT * FROM trades WHERE status='closed' AND symbol=? ORDER BY exit_ts DESC, id DESC LIMIT ?`).all(symbol, n)
      : db.prepare(`SELECT * FROM trades WHERE status='closed' ORDER BY exit_ts DESC, id DESC LIMIT ?`).all(n)
  ) as ClosedTradeRow[];
}

/** One symbol's closed trades with exit time at or after `since`, oldest first. */
export function closedOfSymbolSince(db: DB, symbol: string, since: number): ClosedTradeRow[] {
  return db.prepare(`SELECT * FROM trades WHERE status='closed' AND symbol=? AND exit_ts>=? ORDER BY exit_ts`).all(symbol, since) as ClosedTradeRow[];
}

/** Net PnL of every trade closed before `ts` (0 when none): the equity a period starts from. */
export function realisedPnlBefore(db: DB, ts: number): number {
  return (db.prepare(`SELECT COALESCE(SUM(pnl),0) AS p FROM trades WHERE status='closed' AND exit_ts<?`).get(ts) as { p: number }).p;
}

/** Equity snapshots taken in [from, to), oldest first. */
export function equitySnapshots(db: DB, from: number, to: number): EquityPoint[] {
  return db.prepare('SELECT ts, equity FROM equity WHERE ts>=? AND ts<? ORDER BY ts').all(from, to) as EquityPoint[];
}

export interface TradeMarkerRow {
  direction: string;
  entry_price: number;
  entry_candle_ts: number;
  exit_price: number | null;
  exit_ts: number | null;
  status: string;
}

/** A symbol's trades a chart starting at `from` can show: the open ones and those that exited since. */
export function tradesForChart(db: DB, symbol: string, from: number): TradeMarkerRow[] {
  return db
    .prepare(`SELECT direction, entry_price, entry_candle_ts, exit_price, exit_ts, status FROM trades WHERE symbol=? AND (status='open' OR exit_ts>=?) ORDER BY entry_ts`)
    .all(symbol, from) as TradeMarkerRow[];
}
