/**
 * Metrics of one equity curve and its trades. Pure functions, no I/O.
 *
 * Conventions: every ratio is a plain fraction (0.12 = 12%), timestamps are UTC epoch ms, and a
 * metric that cannot be computed (too few points, zero spread) is 0 rather than NaN/Infinity, so
 * reports and charts never have to special-case it. The README section "Metrics" repeats these
 * definitions; change both together.
 */
import type { DetailedTradeMetric, EquityPoint, TradeTally } from './types.js';

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
const WEEK_MS = 7 * DAY_MS;
const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: DAY_MS, w: WEEK_MS };

/**
 * A spread this small (relative to the mean's size, at least 1e-12 absolute) is floating-point
 * noise: a constant-growth equity curve gives returns that differ only in the last bit, and
 * dividing by that "spread" would report an absurd ratio of ~1e15 instead of "undefined" (0).
 */
const ZERO_SPREAD = 1e-12;
function isZeroSpread(sd: number, m: number): boolean {
  return !(sd > ZERO_SPREAD * Math.max(1, Math.abs(m)));
}

export const newTally = (): TradeTally => ({ count: 0, wins: 0, hours: 0, fees: 0, pnl: 0 });

/** One closed trade into a tally (`won`: its wasSuccessful, pnl > 0 for every trade the kernel closes). */
export function addToTally(t: TradeTally, pnl: number, durationHours: number, fee: number, won: boolean): void {
  t.count++;
  if (won) t.wins++;
  t.hours += durationHours;
  t.fees += fee;
  t.pnl += pnl;
}

/** The tally of closed trades, in their order. */
export function tallyOf(trades: readonly DetailedTradeMetric[]): TradeTally {
  const t = newTally();
  for (const x of trades) addToTally(t, x.pnl, x.durationHours, x.fee, x.wasSuccessful);
  return t;
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
 * Which trading calendar a market keeps, for annualising per-candle ratios:
 * - 'crypto': trades around the clock every day, 365 days of 24 h a year;
 * - 'exchange': a stock-exchange session, 252 trading days a year of 6.5 h each (NYSE/Nasdaq
 *   regular hours), 52 trading weeks.
 */
export type Calendar = 'crypto' | 'exchange';

/** Trading days, weeks and session length of the 'exchange' calendar. */
const EXCHANGE_DAYS = 252;
const EXCHANGE_WEEKS = 52;
const SESSION_MS = 6.5 * 3_600_000;

/**
 * Candles in a year for a ccxt-style timeframe (`1m`, `5m`, `15m`, `1h`, `4h`, `1d`, `1w`; also
 * seconds, `30s`). Used to annualise per-candle Sharpe/Sortino.
 * - 'crypto' (the default): 365 days / candle length (crypto trades every day, hence 365, not 252);
 *   1h = 8760, 1d = 365, 1w = 365 / 7.
 * - 'exchange': candles of a day or longer count trading days or weeks, 252 / days per candle
 *   (1d = 252) below a week, 52 / weeks per candle from a week up (1w = 52); intraday candles count
 *   session time, 252 x 6.5 h / candle length (1h = 1638, 5m = 19 656). The intraday rule is
 *   proportional: a 1h or 4h candle that does not divide the 6.5 h session counts fractionally.
 * Throws on an unknown timeframe, which config validation should have caught long before a metric
 * is computed.
 */
export function periodsPerYear(timeframe: string, calendar: Calendar = 'crypto'): number {
  const m = /^(\d+)([smhdw])$/.exec(timeframe);
  const n = m ? Number(m[1]) : 0;
  if (!m || n <= 0) throw new Error(`unknown timeframe "${timeframe}" (use e.g. 1m, 5m, 15m, 1h, 4h, 1d)`);
  const ms = n * UNIT_MS[m[2]];
  if (calendar === 'crypto') return YEAR_MS / ms;
  if (calendar !== 'exchange') throw new Error(`unknown calendar "${String(calendar)}" (use crypto or exchange)`);
  if (ms < DAY_MS) return (EXCHANGE_DAYS * SESSION_MS) / ms;
  if (ms < WEEK_MS) return (EXCHANGE_DAYS * DAY_MS) / ms;
  return (EXCHANGE_WEEKS * WEEK_MS) / ms;
}

/** Data must span at least this long before calendarOf trusts the absence of weekend candles. */
const CALENDAR_MIN_SPAN_MS = 2 * WEEK_MS;

/**
 * The calendar a series of candle open times (UTC epoch ms, any order) was traded on: 'exchange'
 * when no candle opens on a Saturday or Sunday UTC and the data spans at least 2 weeks
 * (max ts - min ts >= 14 days); otherwise 'crypto'. Shorter data is 'crypto', the default, since a
 * few days without a weekend prove nothing. Non-finite times are ignored. A market that opens on a
 * weekend day in UTC (e.g. a Sunday-evening futures session, or a Sunday-Thursday exchange)
 * reads as 'crypto'; weekly crypto candles (all opening on Monday) read as 'exchange', which
 * annualises them by 52 instead of 365 / 7 = 52.14.
 */
export function calendarOf(ts: ArrayLike<number>): Calendar {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < ts.length; i++) {
    const t = ts[i];
    if (!Number.isFinite(t)) continue;
    // Day 0 (1970-01-01) was a Thursday: (day + 4) mod 7 is 0 on Sunday, 6 on Saturday.
    const dow = (((Math.floor(t / DAY_MS) + 4) % 7) + 7) % 7;
    if (dow === 0 || dow === 6) return 'crypto';
    if (t < lo) lo = t;
    if (t > hi) hi = t;
  }
  return hi - lo >= CALENDAR_MIN_SPAN_MS ? 'exchange' : 'crypto';
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
export function sharpe(returns: ArrayLike<number>, periodsPerYear: number): number {
  if (returns.length < 2) return 0;
  const m = mean(returns);
  const sd = sampleStdev(returns);
  if (isZeroSpread(sd, m)) return 0;
  return (m / sd) * Math.sqrt(periodsPerYear);
}

/**
 * sharpe(returnsOf(equity), periodsPerYear) in two passes over the curve, without the list of
 * returns: the same operations in the same order, so the same bits. Baselines score dozens of
 * runs over a year of minutes each, where building 525,600 returns per run cost more than the
 * ratio itself.
 */
export function equitySharpe(equity: ArrayLike<number>, periodsPerYear: number): number {
  let sum = 0;
  for (let i = 1; i < equity.length; i++) {
    const prev = equity[i - 1];
    sum += prev > 0 ? equity[i] / prev - 1 : 0;
  }
  return sharpeOfCurve(equity, sum, periodsPerYear);
}

/**
 * The Sharpe of an equity curve's returns given their sum (a first pass the caller made): the
 * second pass of the two-pass stdev, over the returns worked out again, and the ratio.
 */
function sharpeOfCurve(equity: ArrayLike<number>, sum: number, periodsPerYear: number): number {
  const n = equity.length - 1;
  if (n < 2) return 0;
  const m = sum / n;
  let ss = 0;
  for (let i = 1; i <= n; i++) {
    const prev = equity[i - 1];
    ss += ((prev > 0 ? equity[i] / prev - 1 : 0) - m) ** 2;
  }
  const sd = Math.sqrt(ss / (n - 1));
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
export function sortino(returns: ArrayLike<number>, periodsPerYear: number): number {
  const n = returns.length;
  if (n < 2) return 0;
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const r = returns[i];
    if (r < 0) ss += r * r;
  }
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
  const sorted = sortedByTs(points);
  return dailyClosesOf(
    sorted.map((p) => p.ts),
    sorted.map((p) => p.equity),
  );
}

/** dailyCloses of parallel arrays already in time order. */
function dailyClosesOf(ts: ArrayLike<number>, equity: ArrayLike<number>): number[] {
  const out: number[] = [];
  let day = NaN;
  for (let i = 0; i < equity.length; i++) {
    const d = Math.floor(ts[i] / DAY_MS);
    if (d === day) out[out.length - 1] = equity[i];
    else {
      out.push(equity[i]);
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
 * - sharpe, sortino: on per-candle returns, annualised by periodsPerYear(timeframe, calendar):
 *   365 days a year for crypto, 252 trading days for exchange-traded data;
 * - var95: on the returns between consecutive daily closes;
 * - winRate = trades with wasSuccessful / trades (0 when none); trades = count;
 * - avgDurationHours = mean durationHours (0 when none); fees = sum fee; pnl = sum pnl (net).
 */
export function seriesMetrics(points: EquityPoint[], trades: DetailedTradeMetric[], timeframe: string, calendar: Calendar = 'crypto'): SeriesMetrics {
  const sorted = sortedByTs(points);
  const ts = new Float64Array(sorted.length);
  const equity = new Float64Array(sorted.length);
  for (let i = 0; i < sorted.length; i++) {
    ts[i] = sorted[i].ts;
    equity[i] = sorted[i].equity;
  }
  return seriesMetricsOf(ts, equity, trades, timeframe, calendar);
}

/**
 * seriesMetrics of the engine's own output: candle open times (in time order) and the equity at
 * each close, as typed arrays. The same operations in the same order as the definitions above, so
 * the figures are bit-identical, fused into two passes over the curve with no list of returns or
 * object per point: the first sums the returns (mean), their squared losses (Sortino), the
 * drawdown and the daily closes; the second the squared deviations from the mean (the stdev needs
 * the mean first). A year of 1-minute candles is 525,600 points: seven passes and a 4 MB list of
 * returns were a fifth of a ranking run (test/metrics.test.ts holds the two equal).
 */
export function seriesMetricsOf(ts: ArrayLike<number>, equity: ArrayLike<number>, trades: readonly DetailedTradeMetric[] | TradeTally, timeframe: string, calendar: Calendar = 'crypto'): SeriesMetrics {
  const ppy = periodsPerYear(timeframe, calendar);
  const n = equity.length;
  const nr = Math.max(0, n - 1);
  let sum = 0;
  let down = 0;
  let peak = -Infinity;
  let worst = 0;
  const closes: number[] = [];
  // The UTC day of the last point as [dayStart, dayEnd) in ms: the same day as floor(ts / DAY_MS)
  // without a division per point.
  let dayStart = NaN;
  let dayEnd = NaN;
  for (let i = 0; i < n; i++) {
    const v = equity[i];
    if (i > 0) {
      const prev = equity[i - 1];
      const r = prev > 0 ? v / prev - 1 : 0;
      sum += r;
      if (r < 0) down += r * r;
    }
    if (v > peak) peak = v;
    else if (peak > 0) {
      const dd = (peak - v) / peak;
      if (dd > worst) worst = dd;
    }
    const t = ts[i];
    if (t >= dayStart && t < dayEnd) closes[closes.length - 1] = v;
    else {
      closes.push(v);
      dayStart = Math.floor(t / DAY_MS) * DAY_MS;
      dayEnd = dayStart + DAY_MS;
    }
  }
  let sortinoRatio = 0;
  if (nr >= 2) {
    const m = sum / nr;
    const dd = Math.sqrt(down / nr);
    if (!isZeroSpread(dd, m)) sortinoRatio = (m / dd) * Math.sqrt(ppy);
  }
  // A ranking run brings its trades' tally (RunInput.tallyOnly), any other caller the records.
  const { count: k, wins, hours, fees, pnl } = Array.isArray(trades) ? tallyOf(trades) : (trades as TradeTally);
  return {
    totalReturn: totalReturn(equity),
    sharpe: sharpeOfCurve(equity, sum, ppy),
    sortino: sortinoRatio,
    maxDrawdown: worst,
    var95: var95(returnsOf(closes)),
    winRate: k > 0 ? wins / k : 0,
    trades: k,
    avgDurationHours: k > 0 ? hours / k : 0,
    fees,
    pnl,
  };
}
