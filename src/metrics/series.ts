/**
 * Metrics of one equity curve and its trades. Pure functions, no I/O.
 *
 * Conventions: every ratio is a plain fraction (0.12 = 12%), timestamps are UTC epoch ms, and a
 * metric that cannot be computed (too few points, zero spread) is 0 rather than NaN/Infinity, so
 * reports and charts never have to special-case it. The README section "Metrics" repeats these
 * definitions; change both together.
 */
import type { DetailedTradeMetric, EquityPoint } from './types.js';

export interface SeriesMetrics {
  totalReturn: number;
  sharpe: number;
  sortino: number;
  maxDrawdown: number;
  var95: number;
  winRate: number;
  trades: number;
  avgDurationHours: number;
  fees: number;
  pnl: number;
}

const DAY_MS = 86_400_000;
const YEAR_MS = 365 * DAY_MS;
const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: DAY_MS, w: 7 * DAY_MS };

/**
 * A spread this small (relative to the mean's size, at least 1e-12 absolute) is floating-point
 * noise: a constant-growth equity curve gives returns that differ only in the last bit, and
 * dividing by that "spread" would report an absurd ratio of ~1e15 instead of "undefined" (0).
 */
const ZERO_SPREAD = 1e-12;
function isZeroSpread(sd: number, m: number): boolean {
  return !(sd > ZERO_SPREAD * Math.max(1, Math.abs(m)));
}

/** Arithmetic mean; 0 for an empty list. */
export function mean(xs: ArrayLike<number>): number {
  if (xs.length === 0) return 0;
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return s / xs.length;
}

/** Sample standard deviation (divides by n - 1), two-pass for accuracy; 0 for fewer than 2 values. */
export function sampleStdev(xs: ArrayLike<number>): number {
  const n = xs.length;
  if (n < 2) return 0;
  const m = mean(xs);
  let ss = 0;
  for (let i = 0; i < n; i++) ss += (xs[i] - m) ** 2;
  return Math.sqrt(ss / (n - 1));
}

/**
 * Candles in a 365-day year for a ccxt-style timeframe (`1m`, `5m`, `15m`, `1h`, `4h`, `1d`, `1w`;
 * also seconds, `30s`): 365 days / candle length. Used to annualise per-candle Sharpe/Sortino.
 * Crypto trades every day, hence 365 (not 252 trading days). Throws on an unknown timeframe, which
 * config validation should have caught long before a metric is computed.
 */
export function periodsPerYear(timeframe: string): number {
  const m = /^(\d+)([smhdw])$/.exec(timeframe);
  const n = m ? Number(m[1]) : 0;
  if (!m || n <= 0) throw new Error(`unknown timeframe "${timeframe}" (use e.g. 1m, 5m, 15m, 1h, 4h, 1d)`);
  return YEAR_MS / (n * UNIT_MS[m[2]]);
}

/**
 * Simple returns of a value series: r_i = v_i / v_{i-1} - 1, one fewer than the values.
 * A step from a value of 0 (or below) has no meaningful return and counts as 0.
 */
export function returnsOf(values: ArrayLike<number>): number[] {
  const out: number[] = [];
  for (let i = 1; i < values.length; i++) {
    const prev = values[i - 1];
    out.push(prev > 0 ? values[i] / prev - 1 : 0);
  }
  return out;
}

/** Total return: last / first - 1. 0 for fewer than 2 points or a non-positive first value. */
export function totalReturn(equity: ArrayLike<number>): number {
  if (equity.length < 2 || !(equity[0] > 0)) return 0;
  return equity[equity.length - 1] / equity[0] - 1;
}

/**
 * Annualised Sharpe ratio, risk-free rate 0:
 *   mean(r) / sampleStdev(r) * sqrt(periodsPerYear), sample stdev divides by n - 1.
 * 0 for fewer than 2 returns or a (numerically) zero stdev.
 */
export function sharpe(returns: number[], periodsPerYear: number): number {
  if (returns.length < 2) return 0;
  const m = mean(returns);
  const sd = sampleStdev(returns);
  if (isZeroSpread(sd, m)) return 0;
  return (m / sd) * Math.sqrt(periodsPerYear);
}

/**
 * Annualised Sortino ratio, target return 0:
 *   mean(r) / DD * sqrt(periodsPerYear), DD = sqrt( sum(min(r_i, 0)^2) / n ),
 * i.e. the downside deviation divides by ALL n returns (gains count as 0 deviation), not just the
 * losing ones. 0 for fewer than 2 returns or when there is no downside at all (DD = 0): the ratio
 * is then unbounded and we report "not measurable" rather than Infinity.
 */
export function sortino(returns: number[], periodsPerYear: number): number {
  const n = returns.length;
  if (n < 2) return 0;
  let ss = 0;
  for (const r of returns) if (r < 0) ss += r * r;
  const dd = Math.sqrt(ss / n);
  const m = mean(returns);
  if (isZeroSpread(dd, m)) return 0;
  return (m / dd) * Math.sqrt(periodsPerYear);
}

/**
 * Maximum drawdown: the largest fall from a running peak to a later trough, as a positive
 * fraction of the peak: max over i of (peak_i - v_i) / peak_i. 0.25 = fell 25% from a peak.
 * 0 for an empty, constant or never-falling series; non-positive peaks are ignored.
 */
export function maxDrawdown(equity: ArrayLike<number>): number {
  let peak = -Infinity;
  let worst = 0;
  for (let i = 0; i < equity.length; i++) {
    const v = equity[i];
    if (v > peak) peak = v;
    else if (peak > 0) {
      const dd = (peak - v) / peak;
      if (dd > worst) worst = dd;
    }
  }
  return worst;
}

/** Points in time order; returns the input itself when already sorted (the usual case). */
export function sortedByTs(points: EquityPoint[]): EquityPoint[] {
  for (let i = 1; i < points.length; i++) {
    if (points[i].ts < points[i - 1].ts) return [...points].sort((a, b) => a.ts - b.ts);
  }
  return points;
}

/**
 * Daily closes: the equity of the last point of each UTC calendar day (day = floor(ts / 86 400 000)),
 * one value per day that has points, in time order. A point at exactly 00:00:00Z opens its day.
 * Days without points are skipped, so a return between two closes may span a gap.
 */
export function dailyCloses(points: EquityPoint[]): number[] {
  const out: number[] = [];
  let day = NaN;
  for (const p of sortedByTs(points)) {
    const d = Math.floor(p.ts / DAY_MS);
    if (d === day) out[out.length - 1] = p.equity;
    else {
      out.push(p.equity);
      day = d;
    }
  }
  return out;
}

/**
 * Percentile of a sample by linear interpolation between order statistics (Hyndman-Fan type 7,
 * numpy's and Excel PERCENTILE.INC's default): sort ascending x_0..x_{n-1}, h = (n - 1) * p,
 * q = x_floor(h) + (h - floor(h)) * (x_floor(h)+1 - x_floor(h)). p in [0, 1]; NaN for an empty list.
 */
export function percentile(values: number[], p: number): number {
  const n = values.length;
  if (n === 0) return NaN;
  const x = [...values].sort((a, b) => a - b);
  const h = (n - 1) * Math.min(1, Math.max(0, p));
  const lo = Math.floor(h);
  if (lo >= n - 1) return x[n - 1];
  return x[lo] + (h - lo) * (x[lo + 1] - x[lo]);
}

/**
 * Historical 1-day Value at Risk at 95%: q = the 5th percentile (type 7, see `percentile`) of the
 * daily returns; VaR = -q as a positive fraction (0.031 = on the worst 5% of days we lose at least
 * about 3.1%). 0 when that percentile is a gain (q >= 0) or there are fewer than 2 returns.
 */
export function var95(dailyReturns: number[]): number {
  if (dailyReturns.length < 2) return 0;
  const q = percentile(dailyReturns, 0.05);
  return q < 0 ? -q : 0;
}

/**
 * Every metric of one equity curve (sampled at each candle close) and its closed trades:
 * - totalReturn, maxDrawdown: on the curve (see the functions above);
 * - sharpe, sortino: on per-candle returns, annualised by periodsPerYear(timeframe);
 * - var95: on the returns between consecutive daily closes;
 * - winRate = trades with wasSuccessful / trades (0 when none); trades = count;
 * - avgDurationHours = mean durationHours (0 when none); fees = sum fee; pnl = sum pnl (net).
 */
export function seriesMetrics(points: EquityPoint[], trades: DetailedTradeMetric[], timeframe: string): SeriesMetrics {
  const ppy = periodsPerYear(timeframe);
  const sorted = sortedByTs(points);
  const equity = sorted.map((p) => p.equity);
  const returns = returnsOf(equity);
  let wins = 0;
  let hours = 0;
  let fees = 0;
  let pnl = 0;
  for (const t of trades) {
    if (t.wasSuccessful) wins++;
    hours += t.durationHours;
    fees += t.fee;
    pnl += t.pnl;
  }
  const n = trades.length;
  return {
    totalReturn: totalReturn(equity),
    sharpe: sharpe(returns, ppy),
    sortino: sortino(returns, ppy),
    maxDrawdown: maxDrawdown(equity),
    var95: var95(returnsOf(dailyCloses(sorted))),
    winRate: n > 0 ? wins / n : 0,
    trades: n,
    avgDurationHours: n > 0 ? hours / n : 0,
    fees,
    pnl,
  };
}
