/**
 * Trade statistics of one run: growth rate, time in the market, profit factor, expectancy,
 * turnover and the share of the edge that costs took. Pure functions, no I/O. Same conventions as
 * series.ts: plain fractions, UTC epoch ms, and 0 rather than NaN/Infinity for a figure that cannot
 * be computed; the two figures where "none" differs from 0 (profitFactor, costShare) are null.
 */
import type { Calendar } from './series.js';
import type { DetailedTradeMetric, ExitReason } from './types.js';

export interface TradeStats {
  /** Compound annual growth rate: (last equity / startingEquity)^(1 / years) - 1. */
  cagr: number;
  /** Share of candles (0..1) during which at least one position was open. */
  exposure: number;
  /** Sum of winning trades' pnl / |sum of losing trades' pnl|; null without a losing trade. */
  profitFactor: number | null;
  /** Mean trade pnl after costs, quote currency (0 without trades). */
  expectancy: number;
  /** Mean trade pnlPct (fraction of the capital used; 0 without trades). */
  expectancyPct: number;
  /** Traded notional (entry + exit) per year, in multiples of the mean equity. */
  turnover: number;
  /** (fees + slippage) / profit before costs; null when the profit before costs is <= 0. */
  costShare: number | null;
  /** Calendar years covered: (last ts - first ts + timeframe) / 365.25 days. */
  years: number;
}

export interface TradeStatsInput {
  trades: DetailedTradeMetric[];
  /** Account equity at the close of each candle in `ts`. */
  equity: ArrayLike<number>;
  /** Equity before the first candle (at the open of ts[0]). */
  startingEquity: number;
  /** Open time of the candle behind each equity point, ascending, UTC epoch ms. */
  ts: ArrayLike<number>;
  timeframeMs: number;
  /** The market's calendar. Every figure here is per calendar year, so it does not change them. */
  calendar: Calendar;
}

const YEAR_MS = 365.25 * 86_400_000;

/** Exits that happen inside (or at the close of) the candle opening at exitTime, which is held too. */
const INSIDE_EXITS: ReadonlySet<ExitReason> = new Set<ExitReason>(['STOP_LOSS', 'TAKE_PROFIT', 'END_OF_DATA']);

/** First index i with a[i] > x (a ascending); a.length when none. */
function firstAbove(a: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] > x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** First index i with a[i] >= x (a ascending); a.length when none. */
function firstAtLeast(a: ArrayLike<number>, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] >= x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * Candles of `ts` (each [ts_i, ts_i + timeframeMs)) during which some trade was open, counted once
 * however many trades overlap. A trade holds candle i when it entered before the candle ended,
 * entryTime < ts_i + timeframeMs, and left after it opened, exitTime > ts_i; an exit inside a candle
 * (STOP_LOSS, TAKE_PROFIT, END_OF_DATA, stamped with that candle's open time by the kernel) also
 * holds the candle it happened in, exitTime >= ts_i. This is the kernel's heldCandles rule: a fill at
 * a candle's open holds that candle, an exit at a candle's open (SIGNAL, TIMEOUT, ...) does not.
 */
export function exposedCandles(trades: DetailedTradeMetric[], ts: ArrayLike<number>, timeframeMs: number): number {
  const n = ts.length;
  if (n === 0) return 0;
  const diff = new Int32Array(n + 1);
  for (const t of trades) {
    const from = firstAbove(ts, t.entryTime - timeframeMs); // ts_i > entry - tf  <=>  entry < ts_i + tf
    const to = INSIDE_EXITS.has(t.exitReason) ? firstAbove(ts, t.exitTime) : firstAtLeast(ts, t.exitTime); // one past the last held
    if (to > from) {
      diff[from]++;
      diff[to]--;
    }
  }
  let open = 0;
  let count = 0;
  for (let i = 0; i < n; i++) {
    open += diff[i];
    if (open > 0) count++;
  }
  return count;
}

/**
 * The trade statistics of one run (an agent or the whole account):
 * - years = (last ts - first ts + timeframeMs) / 365.25 days, from the open of the first candle to
 *   the close of the last, the same for every calendar (0 without points);
 * - cagr = (last equity / startingEquity)^(1 / years) - 1: startingEquity is the equity at the open
 *   of ts[0] and equity[last] at the close of the last candle, which is the span `years` measures.
 *   -1 when the last equity is <= 0; 0 without points, when startingEquity <= 0, or when the power
 *   overflows (a large gain over a few candles has no meaningful annual rate; check `years`);
 * - exposure = exposedCandles(trades, ts) / number of candles (0 without candles);
 * - profitFactor = sum(pnl > 0) / |sum(pnl < 0)|, null when no trade lost money (0 when trades
 *   only lost);
 * - expectancy = mean pnl (quote, after fees; slippage is in the fill prices) and
 *   expectancyPct = mean pnlPct, both 0 without trades;
 * - turnover = sum over trades of (entryPrice + exitPrice) x quantity, divided by the mean of
 *   `equity` and by years (a turnover of 12 = the account's size traded about once a month each
 *   way); 0 when years or the mean equity is not positive;
 * - costShare = sum(fee + slippage) / sum(pnl + fee + slippage): the part of the profit the trades
 *   made before costs that the costs took (0.25 = a quarter; above 1 = costs turned a gross profit
 *   into a loss); null when the profit before costs is <= 0.
 * Throws when equity and ts differ in length or ts is not ascending.
 */
export function tradeStats(x: TradeStatsInput): TradeStats {
  const { trades, equity, ts, startingEquity, timeframeMs } = x;
  const n = ts.length;
  if (equity.length !== n) throw new Error(`tradeStats: ${equity.length} equity points but ${n} candle times`);
  for (let i = 1; i < n; i++) if (!(ts[i] >= ts[i - 1])) throw new Error(`tradeStats: candle times are not ascending at ${i}`);

  const years = n > 0 ? (ts[n - 1] - ts[0] + timeframeMs) / YEAR_MS : 0;
  let cagr = 0;
  if (n > 0 && years > 0 && startingEquity > 0) {
    const last = equity[n - 1];
    cagr = last > 0 ? (last / startingEquity) ** (1 / years) - 1 : -1;
    if (!Number.isFinite(cagr)) cagr = 0;
  }

  let grossWin = 0;
  let grossLoss = 0;
  let losers = 0;
  let pnl = 0;
  let pnlPct = 0;
  let costs = 0;
  let notional = 0;
  for (const t of trades) {
    if (t.pnl > 0) grossWin += t.pnl;
    else if (t.pnl < 0) {
      grossLoss -= t.pnl;
      losers++;
    }
    pnl += t.pnl;
    pnlPct += t.pnlPct;
    costs += t.fee + t.slippage;
    notional += (t.entryPrice + t.exitPrice) * t.quantity;
  }
  const k = trades.length;
  const beforeCosts = pnl + costs;

  let meanEquity = 0;
  for (let i = 0; i < n; i++) meanEquity += equity[i];
  meanEquity = n > 0 ? meanEquity / n : 0;

  return {
    cagr,
    exposure: n > 0 ? exposedCandles(trades, ts, timeframeMs) / n : 0,
    profitFactor: losers > 0 ? grossWin / grossLoss : null,
    expectancy: k > 0 ? pnl / k : 0,
    expectancyPct: k > 0 ? pnlPct / k : 0,
    turnover: years > 0 && meanEquity > 0 ? notional / meanEquity / years : 0,
    costShare: beforeCosts > 0 ? costs / beforeCosts : null,
    years,
  };
}
