import type { RiskState } from '../risk/gate.js';
import { unrealised, type OpenPosition } from './position.js';

const DAY_MS = 86_400_000;

/**
 * One account shared by every agent, as the risk gate sees it in every clock. The backtest keeps it
 * in memory; the live clock loads it from SQLite before a scan and saves its account-level figures
 * after (src/store/portfolio.ts). Either way the same functions below move it, so the kill switch,
 * the daily loss limit and the exposure caps mean the same thing in a backtest, a training run,
 * paper and live.
 *
 * `cash` is chosen so that equity = cash + unrealised PnL of the open positions at their marks:
 * paper and backtest: the balance (entry fees already deducted); live: the exchange's quote total
 * plus the entry value of the bot's positions (see src/store/portfolio.ts).
 */
export interface Portfolio {
  cash: number;
  /** Open positions by symbol (one agent per symbol). */
  positions: Record<string, OpenPosition>;
  /** Last close seen per symbol. */
  marks: Record<string, number>;
  /** Highest equity at any candle close so far (kill switch). */
  peak: number;
  /** UTC day number of the last mark. */
  day: number;
  /** Equity at the last close of the previous UTC day (daily loss limit). */
  dayStart: number;
  /** Equity at the last mark. */
  lastMark: number;
  /** Entries filled on one UTC day (daily trade limit). */
  entries: { day: number; count: number };
  /** Candle number of each symbol's last exit (cooldown). */
  lastExit: Record<string, number>;
  /** Notional and count of entries approved or proposed but not filled yet (live only). */
  reserved: { positions: number; exposure: number };
}

export function newPortfolio(startingEquity: number): Portfolio {
  return {
    cash: startingEquity,
    positions: {},
    marks: {},
    peak: startingEquity,
    day: -1,
    dayStart: startingEquity,
    lastMark: startingEquity,
    entries: { day: -1, count: 0 },
    lastExit: {},
    reserved: { positions: 0, exposure: 0 },
  };
}

export const dayOf = (ts: number): number => Math.floor(ts / DAY_MS);

// Called on every candle of every agent: plain for-in loops, no arrays allocated per call.
export function equityOf(p: Portfolio): number {
  let eq = p.cash;
  for (const sym in p.positions) {
    const pos = p.positions[sym];
    eq += unrealised(pos, p.marks[sym] ?? pos.entryPrice);
  }
  return eq;
}

export function exposureOf(p: Portfolio): number {
  let x = p.reserved.exposure;
  for (const sym in p.positions) x += p.positions[sym].entryPrice * p.positions[sym].quantity;
  return x;
}

/**
 * A candle of `symbol` closed at `close`: the position is marked, a new UTC day takes the last
 * equity of the previous day as its start, and the peak moves. Called on every candle of every
 * symbol (not only when a signal comes), so highs reached while holding count for the kill switch.
 * Returns the equity at this close.
 */
export function markCandle(p: Portfolio, symbol: string, candleTs: number, close: number): number {
  p.marks[symbol] = close;
  return markAccount(p, candleTs);
}

/**
 * markCandle's account part, on the marks as they stand: the day, the peak, the last mark.
 * Returns the equity. The historical clock (backtest.ts) calls it directly: it keeps each
 * symbol's mark itself and writes it to `marks` only while the symbol is held, the only time
 * equityOf reads it.
 */
export function markAccount(p: Portfolio, candleTs: number): number {
  return markAccountAt(p, candleTs, equityOf(p));
}

/** markAccount with the equity the caller worked out (it must be equityOf(p)). */
export function markAccountAt(p: Portfolio, candleTs: number, eq: number): number {
  // A candle of the day of the last mark (all but one a day) needs no division: the historical
  // clock marks every candle. Exact for millisecond timestamps: one inside [from, from + day)
  // divides to less than a day number plus one by far more than a rounding step.
  const from = p.day * DAY_MS;
  const d = candleTs >= from && candleTs < from + DAY_MS ? p.day : dayOf(candleTs);
  if (d !== p.day) {
    if (p.day !== -1) p.dayStart = p.lastMark;
    p.day = d;
  }
  if (eq > p.peak) p.peak = eq;
  p.lastMark = eq;
  return eq;
}

/** How many keys an object has, without Object.keys's array (riskView runs at every entry signal). */
function countOf(o: object): number {
  let n = 0;
  for (const _ in o) n++;
  return n;
}

/** Is the kill switch tripped (equity past max_drawdown below the peak)? `equity`: when the caller has it. */
export function killSwitchTripped(p: Portfolio, maxDrawdown: number, equity = equityOf(p)): boolean {
  return p.peak > 0 && equity < p.peak * (1 - maxDrawdown);
}

/** What the gate sees for a decision on `symbol` at the close of candle number `candle`. */
export function riskView(p: Portfolio, symbol: string, candleTs: number, candle: number, paused: boolean): RiskState {
  const last = p.lastExit[symbol];
  return {
    equity: equityOf(p),
    peakEquity: p.peak,
    dayStartEquity: p.dayStart,
    openPositions: countOf(p.positions) + p.reserved.positions,
    exposure: exposureOf(p),
    tradesToday: p.entries.day === dayOf(candleTs) ? p.entries.count : 0,
    candlesSinceExit: last === undefined ? Infinity : candle - last,
    paused,
  };
}

/** An entry filled: the position opens, its fee leaves the cash, the day's entry count moves. */
export function applyEntry(p: Portfolio, pos: OpenPosition, fillTs: number): void {
  p.positions[pos.symbol] = pos;
  p.cash -= pos.entryFee;
  const d = dayOf(fillTs);
  p.entries = p.entries.day === d ? { day: d, count: p.entries.count + 1 } : { day: d, count: 1 };
}

/** An exit filled: the position's PnL (which includes the entry fee already paid) settles into cash. */
export function applyExit(p: Portfolio, symbol: string, pnl: number, exitCandle: number): void {
  const pos = p.positions[symbol];
  if (!pos) return;
  p.cash += pnl + pos.entryFee;
  // A new object without the symbol rather than `delete`: a deleted key turns the object into a
  // hash table, and then every equityOf (each candle of each agent) enumerates it slowly.
  const rest: Record<string, OpenPosition> = {};
  for (const sym in p.positions) if (sym !== symbol) rest[sym] = p.positions[sym];
  p.positions = rest;
  p.lastExit[symbol] = exitCandle;
}
