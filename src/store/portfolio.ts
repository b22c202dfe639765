import type { Decision } from '../agents/decision.js';
import { dayOf, equityOf, type Portfolio } from '../kernel/portfolio.js';
import type { OpenPosition } from '../kernel/position.js';
import { openTrades, type TradeRow as OpenTradeRow } from './trades.js';
import type { DB } from './db.js';
import { getKv, setKv } from './kv.js';
import { lastExits } from './locks.js';

/**
 * The kernel's portfolio as SQLite holds it for the live clock (paper or exchange): open trades,
 * the cash, the account-level figures (peak, day start, last mark) and what the gate must count
 * (entries of the day, last exits, proposals waiting). Built before a scan decides, saved after it
 * marks, so the kill switch and the daily limits see every candle, not only the ones with signals.
 */

/** Account-level figures, per account: a paper peak must never trip a live kill switch. */
interface AccountFigures {
  key: string;
  peak: number;
  day: number;
  dayStart: number;
  lastMark: number;
}

export function positionOfRow(t: OpenTradeRow, tfMs: number): OpenPosition {
  return {
    id: t.id,
    symbol: t.symbol,
    dir: t.direction === 'LONG' ? 1 : -1,
    quantity: t.quantity,
    entryPrice: t.entry_price,
    entryTs: t.entry_ts,
    entryCandle: Math.round(t.entry_candle_ts / tfMs),
    entryFee: t.entry_fee,
    entrySlippage: t.entry_slippage,
    stop: t.stop,
    target: t.target,
    leverage: t.leverage,
    decision: JSON.parse(t.decision_json) as Decision,
    cycleId: 0,
  };
}

export interface LoadPortfolioInput {
  /** Which account: 'paper' or 'live:<exchange>'. */
  accountKey: string;
  /** Paper: the balance. Live: the exchange's quote total (cash = it + entry value of positions). */
  quoteCash: number;
  live: boolean;
  prices: Record<string, number>;
  tfMs: number;
  /** Open time of the latest closed candle (the day the gate counts entries in). */
  lastTs: number;
}

export function loadPortfolio(db: DB, x: LoadPortfolioInput): Portfolio {
  const rows = openTrades(db);
  const positions: Record<string, OpenPosition> = {};
  let cash = x.quoteCash;
  for (const t of rows) {
    positions[t.symbol] = positionOfRow(t, x.tfMs);
    // Live: a long's coins were bought with quote that left the balance; a short's sale added it.
    if (x.live) cash += (t.direction === 'LONG' ? 1 : -1) * t.entry_price * t.quantity;
  }
  const day = dayOf(x.lastTs);
  const entries = (db.prepare(`SELECT COUNT(*) AS n FROM trades WHERE entry_candle_ts>=? AND entry_candle_ts<?`).get(day * 86_400_000, (day + 1) * 86_400_000) as { n: number }).n;
  const lastExit: Record<string, number> = {};
  for (const r of lastExits(db)) {
    // A trader's /unlock released the cooldown of this exit (src/store/locks.ts).
    if (r.released !== null && r.released >= r.t) continue;
    lastExit[r.symbol] = Math.round(r.t / x.tfMs);
  }
  const waiting = db.prepare(`SELECT COUNT(*) AS n, COALESCE(SUM(entry * quantity), 0) AS x FROM proposals WHERE status IN ('pending','approved')`).get() as { n: number; x: number };
  const pf: Portfolio = {
    cash,
    positions,
    marks: { ...x.prices },
    peak: 0,
    day: -1,
    dayStart: 0,
    lastMark: 0,
    entries: { day, count: entries },
    lastExit,
    reserved: { positions: waiting.n, exposure: waiting.x },
  };
  const eq = equityOf(pf);
  const fig = getKv<AccountFigures | null>(db, 'kernel.account', null);
  if (fig && fig.key === x.accountKey) {
    pf.peak = fig.peak;
    pf.day = fig.day;
    pf.dayStart = fig.dayStart;
    pf.lastMark = fig.lastMark;
  } else {
    // First scan on this account (or switched from paper to live): peak and day start from here.
    pf.peak = eq;
    pf.dayStart = eq;
    pf.lastMark = eq;
  }
  return pf;
}

/** Saves the account-level figures after the scan marked the closed candles. */
export function saveAccountFigures(db: DB, accountKey: string, pf: Portfolio): void {
  setKv(db, 'kernel.account', { key: accountKey, peak: pf.peak, day: pf.day, dayStart: pf.dayStart, lastMark: pf.lastMark });
}
