/**
 * The "honest figures" metrics: uncertainty (bootstrap Sharpe interval, ranks, deflated Sharpe and
 * the normal distribution), annualisation by market calendar, and trade statistics. Expected values
 * are worked out by hand in the comments, or computed independently (Python's math.erfc and
 * statistics.NormalDist, the published example of the deflated Sharpe paper, a naive reference
 * bootstrap, the asymptotic standard error of a Sharpe estimate). The last tests check properties on
 * the real market data in ../shared/data/market and skip when it is absent.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tradeFixture } from './support/trade-fixture.js';
import fs from 'node:fs';
import path from 'node:path';
import { calendarOf, percentile, periodsPerYear, returnsOf, sharpe } from '../src/metrics/series.js';
import {
  bootstrapSharpeCI,
  defaultBlock,
  deflatedSharpe,
  expectedMaxSharpe,
  median,
  MIN_SAMPLES,
  normalCdf,
  normalInv,
  percentileRank,
  probabilisticSharpe,
  skewKurtosis,
} from '../src/metrics/uncertainty.js';
import { exposedCandles, tradeStats } from '../src/metrics/trade-stats.js';
import type { DetailedTradeMetric } from '../src/metrics/types.js';
import { createRng, gaussian } from '../src/util/rng.js';
import { REPO } from './support/spawn-bot.js';

function near(actual: number | null, expected: number, tol = 1e-9, what = ''): void {
  assert.ok(
    actual !== null && Number.isFinite(actual) && Math.abs(actual - expected) <= tol,
    `${what} expected ${expected} (±${tol}), got ${actual}`,
  );
}
function relNear(actual: number, expected: number, rel: number, what = ''): void {
  assert.ok(Math.abs(actual - expected) <= rel * Math.abs(expected), `${what} expected ${expected} (±${rel * 100}%), got ${actual}`);
}

const H = 3_600_000;
const D = 86_400_000;
const YEAR = 365.25 * D;
const MON = Date.UTC(2024, 0, 1); // 2024-01-01 was a Monday

// ---------------------------------------------------------------- annualisation by calendar

test('periodsPerYear: crypto is the old 365-day rule and stays the default', () => {
  for (const tf of ['30s', '1m', '5m', '15m', '1h', '4h', '1d', '1w']) {
    assert.equal(periodsPerYear(tf), periodsPerYear(tf, 'crypto'), tf);
  }
  near(periodsPerYear('1h', 'crypto'), 8760); // 365 * 24
  near(periodsPerYear('1d', 'crypto'), 365);
  near(periodsPerYear('1w', 'crypto'), 365 / 7);
});

test('periodsPerYear: exchange = 252 days, 52 weeks, 6.5 h sessions', () => {
  near(periodsPerYear('1d', 'exchange'), 252);
  near(periodsPerYear('2d', 'exchange'), 126); // 252 / 2
  near(periodsPerYear('1w', 'exchange'), 52);
  near(periodsPerYear('2w', 'exchange'), 26); // 52 / 2
  near(periodsPerYear('1h', 'exchange'), 1638); // 252 * 6.5
  near(periodsPerYear('30m', 'exchange'), 3276); // 252 * 13
  near(periodsPerYear('5m', 'exchange'), 19656); // 252 * 78
  near(periodsPerYear('1m', 'exchange'), 98280); // 252 * 390
  near(periodsPerYear('4h', 'exchange'), 409.5); // 252 * 6.5 / 4
  near(periodsPerYear('24h', 'exchange'), 252); // a day, however it is written
  assert.throws(() => periodsPerYear('hourly', 'exchange'), /unknown timeframe "hourly"/);
  assert.throws(() => periodsPerYear('1h', 'nyse' as never), /unknown calendar "nyse"/);
});

/** Candle open times from `start`, every `step`, keeping only those `keep` accepts. */
function times(start: number, count: number, step: number, keep: (t: number) => boolean = () => true): number[] {
  const out: number[] = [];
  for (let i = 0; i < count; i++) if (keep(start + i * step)) out.push(start + i * step);
  return out;
}
const weekday = (t: number) => {
  const d = new Date(t).getUTCDay();
  return d !== 0 && d !== 6;
};

test('calendarOf: weekday-only data over 2+ weeks is an exchange, anything with a weekend is crypto', () => {
  // 21 days from Monday, weekdays only: 15 candles, span 18 days (Mon .. Fri of week 3)
  assert.equal(calendarOf(times(MON, 21, D, weekday)), 'exchange');
  // every day, weekends included
  assert.equal(calendarOf(times(MON, 21, D)), 'crypto');
  // the same weekday data plus one candle on Saturday 2024-01-13
  assert.equal(calendarOf([...times(MON, 21, D, weekday), Date.UTC(2024, 0, 13, 15)]), 'crypto');
  // and one on Sunday 2024-01-07 23:00Z
  assert.equal(calendarOf([Date.UTC(2024, 0, 7, 23), ...times(MON, 21, D, weekday)]), 'crypto');
  // too short to tell: Mon 1 Jan .. Fri 12 Jan spans 11 days < 14 -> crypto (the default)
  assert.equal(calendarOf(times(MON, 12, D, weekday)), 'crypto');
  // Mon 1 Jan .. Mon 15 Jan spans exactly 14 days -> enough
  assert.equal(calendarOf(times(MON, 15, D, weekday)), 'exchange');
  // US session hours in UTC (14:30 .. 20:30 starts), weekdays, 3 weeks, in reverse order
  const session = times(MON, 21 * 48, H / 2, (t) => weekday(t) && (t % D) >= 14.5 * H && (t % D) <= 20.5 * H);
  assert.equal(calendarOf(session.reverse()), 'exchange');
  assert.equal(calendarOf([]), 'crypto');
  assert.equal(calendarOf(Float64Array.from(times(MON, 21, D, weekday))), 'exchange');
});

// ---------------------------------------------------------------- normal distribution

test('normalCdf at known points (references: 0.5 * erfc(-x / sqrt 2) in Python)', () => {
  near(normalCdf(0), 0.5, 1e-15);
  near(normalCdf(1), 0.8413447460685429, 1e-15);
  near(normalCdf(-1), 0.15865525393145707, 1e-15);
  near(normalCdf(1.96), 0.9750021048517795, 1e-15);
  near(normalCdf(0.5), 0.6914624612740131, 1e-15);
  near(normalCdf(-3), 0.0013498980316300957, 1e-16);
  near(normalCdf(6), 0.9999999990134123, 1e-15);
  // tails keep relative precision
  relNear(normalCdf(-5), 2.866515718791946e-7, 1e-9);
  relNear(normalCdf(-8), 6.220960574271819e-16, 1e-8);
  relNear(normalCdf(-10), 7.619853024160593e-24, 1e-8);
  assert.equal(normalCdf(-40), 0);
  assert.equal(normalCdf(40), 1);
  assert.ok(Number.isNaN(normalCdf(NaN)));
  for (const x of [-6, -2.5, -0.3, 0.7, 2.2, 4]) near(normalCdf(x) + normalCdf(-x), 1, 1e-15, `symmetry at ${x}`);
});

test('normalInv at known points (references: statistics.NormalDist().inv_cdf) and round trips', () => {
  near(normalInv(0.5), 0, 1e-15);
  near(normalInv(0.975), 1.9599639845400536, 1e-12);
  near(normalInv(0.025), -1.9599639845400538, 1e-12);
  near(normalInv(0.99), 2.3263478740408408, 1e-12);
  near(normalInv(0.9), 1.2815515655446008, 1e-12);
  near(normalInv(0.3), -0.5244005127080407, 1e-12);
  near(normalInv(0.02425), -1.9729610513118845, 1e-12); // Acklam's region boundary
  near(normalInv(1e-10), -6.361340902404056, 1e-8);
  near(normalInv(1 - 1e-10), 6.361340889697421, 1e-8); // 1 - 1e-10 is not exact in binary; so is the reference
  assert.equal(normalInv(0), -Infinity);
  assert.equal(normalInv(1), Infinity);
  assert.ok(Number.isNaN(normalInv(-0.1)) && Number.isNaN(normalInv(1.1)) && Number.isNaN(normalInv(NaN)));
  for (let k = 1; k < 200; k++) {
    const p = k / 200;
    near(normalCdf(normalInv(p)), p, 1e-14, `round trip at ${p}`);
  }
});

// ---------------------------------------------------------------- ranks

test('median and percentileRank on hand-made samples', () => {
  near(median([3, 1, 2]), 2);
  near(median([4, 1, 3, 2]), 2.5); // (2 + 3) / 2
  near(median(Float64Array.from([10, -2, 7, 7, 1])), 7);
  near(median([5, NaN, 1]), 3); // NaN ignored
  assert.ok(Number.isNaN(median([])));

  const s = [1, 2, 3, 3, 5];
  near(percentileRank(3, s), 0.6); // 2 below + half of 2 ties = 3, / 5
  near(percentileRank(2.5, s), 0.4); // 2 below
  near(percentileRank(0, s), 0);
  near(percentileRank(6, s), 1);
  near(percentileRank(5, s), 0.9); // 4 below + 0.5
  near(percentileRank(7, [7, 7, 7]), 0.5); // all ties
  near(percentileRank(3, [1, NaN, 5]), 0.5); // NaN ignored: 1 below of 2
  assert.ok(Number.isNaN(percentileRank(1, [])));
  assert.ok(Number.isNaN(percentileRank(NaN, s)));
});

test('skewKurtosis on [0, 0, 0, 4]', () => {
  // mean 1; deviations -1, -1, -1, 3; m2 = 12/4 = 3; m3 = 24/4 = 6; m4 = 84/4 = 21
  // skew = 6 / 3^1.5 = 2 / sqrt 3; kurtosis = 21 / 9 = 7 / 3
  const m = skewKurtosis([0, 0, 0, 4]);
  near(m.skew, 2 / Math.sqrt(3));
  near(m.kurtosis, 7 / 3);
  assert.deepEqual(skewKurtosis([2, 2, 2]), { skew: 0, kurtosis: 3 });
  assert.deepEqual(skewKurtosis([1]), { skew: 0, kurtosis: 3 });
});

// ---------------------------------------------------------------- deflated Sharpe

test('expectedMaxSharpe: (1 - g) Phi^-1(1 - 1/N) + g Phi^-1(1 - 1/(N e)) (references from Python)', () => {
  near(expectedMaxSharpe(100, 1), 2.5306028932016846, 1e-12);
  near(expectedMaxSharpe(10, 1), 1.57459830134575, 1e-12);
  near(expectedMaxSharpe(2, 1), 0.5197553442805939, 1e-12); // exact E[max of 2] = 1/sqrt(pi) = 0.564
  near(expectedMaxSharpe(100, 0.5), 2.5306028932016846 / 2, 1e-12);
  near(expectedMaxSharpe(1, 1), 0);
  near(expectedMaxSharpe(1.0001, 1), 0); // the approximation dives below 0 here; kept at 0
  assert.ok(Number.isNaN(expectedMaxSharpe(0.5, 1)));
});

test('deflatedSharpe reproduces the example of Bailey & Lopez de Prado (2014): 0.9004', () => {
  // annualised SR 2.5 over 1250 daily returns, 100 trials whose annualised Sharpes vary by 0.5,
  // skew -3, kurtosis 10. Paper: SR0 = 0.1132 (per day), DSR = 0.9004; Python gives 0.900397.
  const srDaily = 2.5 / Math.sqrt(250);
  const sd = Math.sqrt(0.5 / 250);
  near(expectedMaxSharpe(100, sd), 0.11317200186513214, 1e-12);
  near(deflatedSharpe(srDaily, 1250, 100, -3, 10, sd), 0.9003968344493904, 1e-10);
});

test('deflatedSharpe: one trial is the PSR against 0; more trials deflate; default sharpeStd = 1/sqrt(n-1)', () => {
  // SR 0.1 from 101 returns, normal: Phi(0.1 * 10 / sqrt(1 + 2/4 * 0.01)) = Phi(1/sqrt 1.005)
  near(deflatedSharpe(0.1, 101, 1), 0.8407413278013518, 1e-12);
  near(probabilisticSharpe(0.1, 0, 101), 0.8407413278013518, 1e-12);
  // 100 trials, default sharpeStd 1/10: SR0 = 0.25306, Phi((0.1 - 0.25306) * 10 / sqrt 1.005)
  near(deflatedSharpe(0.1, 101, 100), 0.06340653545429065, 1e-12);
  let prev = 1;
  for (const trials of [1, 2, 10, 100, 1000]) {
    const p = deflatedSharpe(0.1, 101, trials);
    assert.ok(p < prev, `DSR falls with trials: ${trials} -> ${p}`);
    prev = p;
  }
  // negative skew and fat tails widen the Sharpe's error: lower confidence for a positive Sharpe
  assert.ok(deflatedSharpe(0.1, 101, 1, -1, 6) < deflatedSharpe(0.1, 101, 1));
  assert.ok(Number.isNaN(deflatedSharpe(0.1, 1, 10)));
  assert.ok(Number.isNaN(deflatedSharpe(0.1, 100, 0)));
  assert.ok(Number.isNaN(deflatedSharpe(1, 100, 1, 5, 3))); // 1 - 5 + 0.5 < 0: impossible moments
});

// ---------------------------------------------------------------- bootstrap

/** i.i.d. normal returns with the given mean and sd. */
function normalReturns(n: number, mu: number, sd: number, seed: number): Float64Array {
  const rng = createRng(seed);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = mu + sd * gaussian(rng);
  return out;
}

/** The bootstrap as documented, written the slow obvious way (arrays, series.ts sharpe and percentile). */
function naiveCI(r: number[], ppy: number, samples: number, seed: number, level: number, block: number): { lo: number; hi: number } {
  const rng = createRng(seed);
  const n = r.length;
  const stats: number[] = [];
  for (let s = 0; s < samples; s++) {
    const x: number[] = [];
    while (x.length < n) {
      const start = Math.floor(rng() * n);
      for (let t = 0; t < block && x.length < n; t++) x.push(r[(start + t) % n]);
    }
    stats.push(sharpe(x, ppy));
  }
  return { lo: percentile(stats, (1 - level) / 2), hi: percentile(stats, (1 + level) / 2) };
}

test('bootstrapSharpeCI: null below MIN_SAMPLES, n reported', () => {
  assert.equal(MIN_SAMPLES, 30);
  const r = Array.from(normalReturns(30, 0.001, 0.01, 7));
  assert.equal(bootstrapSharpeCI(r.slice(0, 29), 8760), null);
  assert.equal(bootstrapSharpeCI([], 8760), null);
  const ci = bootstrapSharpeCI(r, 8760);
  assert.ok(ci && ci.n === 30 && ci.lo < ci.hi);
});

test('bootstrapSharpeCI matches a naive implementation of the documented resampling', () => {
  // n = 31 with blocks of 3: 11 blocks, the last cut to 1, blocks wrapping past the end
  const r = Array.from(normalReturns(31, 0.002, 0.01, 3));
  for (const [block, level] of [[3, 0.95], [1, 0.9], [31, 0.8], [7, 0.5]] as const) {
    const got = bootstrapSharpeCI(r, 365, { samples: 300, seed: 42, level, block });
    const want = naiveCI(r, 365, 300, 42, level, block);
    assert.ok(got);
    near(got.lo, want.lo, 1e-12, `lo block ${block}`);
    near(got.hi, want.hi, 1e-12, `hi block ${block}`);
  }
});

test('bootstrapSharpeCI: one block of the whole series only rotates it, so lo = hi = sharpe()', () => {
  const r = Array.from(normalReturns(200, 0.0005, 0.01, 11));
  const point = sharpe(r, 8760);
  const ci = bootstrapSharpeCI(r, 8760, { block: 200, samples: 50 });
  assert.ok(ci);
  near(ci.lo, point, 1e-9 * Math.abs(point));
  near(ci.hi, point, 1e-9 * Math.abs(point));
  // a constant series has Sharpe 0 in every resample (zero spread), as series.ts sharpe says
  const flat = bootstrapSharpeCI(new Array(50).fill(0.001), 365);
  assert.deepEqual(flat, { lo: 0, hi: 0, n: 50 });
});

test('bootstrapSharpeCI is deterministic for a seed, and the seed matters', () => {
  const r = normalReturns(500, 0.0003, 0.01, 5);
  const a = bootstrapSharpeCI(r, 8760, { seed: 9 });
  assert.deepEqual(bootstrapSharpeCI(r, 8760, { seed: 9 }), a);
  assert.notDeepEqual(bootstrapSharpeCI(r, 8760, { seed: 10 }), a);
  // the default seed is fixed too
  assert.deepEqual(bootstrapSharpeCI(r, 8760), bootstrapSharpeCI(r, 8760));
});

test('bootstrapSharpeCI default block: round(sqrt n) within [1, 50]', () => {
  assert.equal(defaultBlock(30), 5);
  assert.equal(defaultBlock(100), 10);
  assert.equal(defaultBlock(2000), 45);
  assert.equal(defaultBlock(2600), 50); // sqrt = 50.99 -> 51 -> capped
  assert.equal(defaultBlock(1), 1);
  const r = normalReturns(100, 0.001, 0.01, 8);
  assert.deepEqual(bootstrapSharpeCI(r, 365), bootstrapSharpeCI(r, 365, { block: 10 }));
  assert.notDeepEqual(bootstrapSharpeCI(r, 365), bootstrapSharpeCI(r, 365, { block: 9 }));
  const long = normalReturns(5000, 0.001, 0.01, 8);
  assert.deepEqual(bootstrapSharpeCI(long, 365, { samples: 100 }), bootstrapSharpeCI(long, 365, { samples: 100, block: 50 }));
});

test('bootstrapSharpeCI width on i.i.d. normal returns matches the asymptotic standard error', () => {
  // Per-period Sharpe SR from n i.i.d. normal returns has SE = sqrt((1 + SR^2 / 2) / n) (Lo 2002);
  // the 95% interval is about 2 * 1.96 * SE wide, times sqrt(periodsPerYear) annualised.
  const n = 2000;
  const r = normalReturns(n, 0.05, 1, 21);
  const point = sharpe(Array.from(r), 1);
  const se = Math.sqrt((1 + (point * point) / 2) / n);
  const iid = bootstrapSharpeCI(r, 1, { block: 1 });
  assert.ok(iid);
  relNear(iid.hi - iid.lo, 2 * 1.959964 * se, 0.12, 'iid width');
  assert.ok(iid.lo < point && point < iid.hi);
  near((iid.lo + iid.hi) / 2, point, 0.3 * se, 'centred');
  // annualised: everything scales by sqrt(ppy)
  const ann = bootstrapSharpeCI(r, 8760, { block: 1 });
  assert.ok(ann);
  near(ann.lo, iid.lo * Math.sqrt(8760), 1e-9);
  // the default block (45) on independent data: about the same width
  const blocked = bootstrapSharpeCI(r, 1);
  assert.ok(blocked);
  relNear(blocked.hi - blocked.lo, 2 * 1.959964 * se, 0.25, 'blocked width');
  // a narrower level gives a nested, narrower interval
  const half = bootstrapSharpeCI(r, 1, { block: 1, level: 0.5 });
  assert.ok(half && half.lo > iid.lo && half.hi < iid.hi);
});

test('bootstrapSharpeCI: blocks widen the interval on serially correlated returns', () => {
  // AR(1) with phi = 0.5: the variance of the mean is (1 + phi)/(1 - phi) = 3 times the i.i.d.
  // one, so an honest interval is about sqrt 3 = 1.73 times wider than an i.i.d. bootstrap's.
  const n = 5000;
  const rng = createRng(77);
  const r = new Float64Array(n);
  let prev = 0;
  for (let i = 0; i < n; i++) {
    prev = 0.5 * prev + gaussian(rng);
    r[i] = 0.05 + prev;
  }
  const iid = bootstrapSharpeCI(r, 1, { block: 1 });
  const blocked = bootstrapSharpeCI(r, 1, { block: 20 });
  assert.ok(iid && blocked);
  const ratio = (blocked.hi - blocked.lo) / (iid.hi - iid.lo);
  assert.ok(ratio > 1.4 && ratio < 2.1, `width ratio ${ratio}`);
});

test('bootstrapSharpeCI rejects bad input', () => {
  const r = Array.from(normalReturns(40, 0, 0.01, 1));
  assert.throws(() => bootstrapSharpeCI([...r, NaN], 365), /not finite/);
  assert.throws(() => bootstrapSharpeCI(r, 0), /periodsPerYear/);
  assert.throws(() => bootstrapSharpeCI(r, 365, { level: 1 }), /level/);
  assert.throws(() => bootstrapSharpeCI(r, 365, { samples: 0 }), /samples/);
  assert.throws(() => bootstrapSharpeCI(r, 365, { block: 0 }), /block/);
});

test('bootstrapSharpeCI: 1000 resamples of 10 000 returns well under a second', (t) => {
  const r = normalReturns(10_000, 0.0001, 0.01, 99);
  bootstrapSharpeCI(r, 8760, { samples: 50 }); // warm up the JIT
  const t0 = performance.now();
  const ci = bootstrapSharpeCI(r, 8760);
  const ms = performance.now() - t0;
  t.diagnostic(`bootstrapSharpeCI 1000 x 10000: ${ms.toFixed(1)} ms`);
  assert.ok(ci);
  assert.ok(ms < 1000, `took ${ms} ms`);
});

// ---------------------------------------------------------------- trade statistics

/** Trades flat by default here (exit at the entry price); MON is the fixture's T0. */
const trade = (over: Partial<DetailedTradeMetric>): DetailedTradeMetric => tradeFixture({ exitPrice: 100, ...over });

test('exposedCandles follows the kernel: a fill at an open holds that candle, a stop holds its candle', () => {
  const ts = times(MON, 10, H); // candles 0..9
  const at = (i: number) => MON + i * H;
  const trades = [
    // filled at the open of 1, signal exit at the open of 4: holds 1, 2, 3
    trade({ entryTime: at(1), exitTime: at(4), exitReason: 'SIGNAL' }),
    // filled at 3, stopped inside candle 5 (stamped with 5's open): holds 3, 4, 5 (3 overlaps)
    trade({ entryTime: at(3), exitTime: at(5), exitReason: 'STOP_LOSS' }),
    // filled at 7 and hit its target inside candle 7: holds 7
    trade({ entryTime: at(7), exitTime: at(7), exitReason: 'TAKE_PROFIT' }),
    // filled at 9, closed at the end of the data: holds 9
    trade({ entryTime: at(9), exitTime: at(9), exitReason: 'END_OF_DATA' }),
    // entirely before the data: nothing
    trade({ entryTime: at(-5), exitTime: at(-2), exitReason: 'SIGNAL' }),
  ];
  // held: 1, 2, 3, 4, 5, 7, 9 = 7 candles
  assert.equal(exposedCandles(trades, ts, H), 7);
  // a live trade with wall-clock times inside candle 8 (10 to 30 minutes in) adds candle 8
  assert.equal(exposedCandles([...trades, trade({ entryTime: at(8) + 10 * 60_000, exitTime: at(8) + 30 * 60_000 })], ts, H), 8);
  // a signal exit at the very open it was filled at holds nothing
  assert.equal(exposedCandles([trade({ entryTime: at(2), exitTime: at(2), exitReason: 'SIGNAL' })], ts, H), 0);
  assert.equal(exposedCandles(trades, [], H), 0);

  const s = tradeStats({ trades, equity: new Array(10).fill(1000), startingEquity: 1000, ts, timeframeMs: H, calendar: 'crypto' });
  near(s.exposure, 0.7);
});

test('tradeStats on three hand-made trades over two calendar years', () => {
  const trades = [
    trade({ pnl: 18, pnlPct: 0.09, fee: 1, slippage: 1, entryPrice: 100, exitPrice: 110, quantity: 2 }),
    trade({ pnl: -6, pnlPct: -0.06, fee: 0.5, slippage: 0.5, entryPrice: 50, exitPrice: 45, quantity: 1 }),
    trade({ pnl: -4, pnlPct: -0.02, fee: 1, slippage: 0, entryPrice: 200, exitPrice: 198, quantity: 1 }),
  ];
  // daily candles; the last opens 2 * 365.25 - 1 days after the first, so the run spans 2 years
  const ts = [MON, MON + D, MON + 2 * D, MON + 2 * YEAR - D];
  const equity = [990, 1010, 1000, 1210]; // mean = 4210 / 4 = 1052.5
  for (const calendar of ['crypto', 'exchange'] as const) {
    const s = tradeStats({ trades, equity, startingEquity: 1000, ts, timeframeMs: D, calendar });
    near(s.years, 2, 1e-12);
    near(s.cagr, 0.1, 1e-12); // 1210 / 1000 = 1.21 = 1.1^2
    near(s.profitFactor, 1.8); // 18 / (6 + 4)
    near(s.expectancy, 8 / 3); // (18 - 6 - 4) / 3
    near(s.expectancyPct, 0.01 / 3); // (0.09 - 0.06 - 0.02) / 3
    // notional (100 + 110) * 2 + (50 + 45) + (200 + 198) = 420 + 95 + 398 = 913; / 1052.5 / 2
    near(s.turnover, 913 / 1052.5 / 2);
    // costs 2 + 1 + 1 = 4; before costs 8 + 4 = 12 -> 1/3
    near(s.costShare, 1 / 3);
    near(s.exposure, 0.25); // every trade lies in the first hour: candle 0 of 4
  }
});

test('tradeStats: nulls, zeros and edge cases', () => {
  const ts = [MON, MON + 4 * YEAR - D]; // daily candles over 4 years
  const base = { ts, timeframeMs: D, calendar: 'exchange' as const, startingEquity: 1000 };
  // doubling over 4 years: 2^(1/4) - 1 = 0.189207115...
  near(tradeStats({ ...base, trades: [], equity: [1000, 2000] }).cagr, 0.18920711500272103, 1e-12);
  // ruined: -1; no starting equity: 0
  near(tradeStats({ ...base, trades: [], equity: [500, 0] }).cagr, -1);
  near(tradeStats({ ...base, startingEquity: 0, trades: [], equity: [500, 600] }).cagr, 0);
  // only winners: no profit factor; only losers: 0
  const win = trade({ pnl: 5, fee: 1 });
  const loss = trade({ pnl: -5, fee: 1 });
  assert.equal(tradeStats({ ...base, trades: [win], equity: [1000, 1005] }).profitFactor, null);
  near(tradeStats({ ...base, trades: [loss], equity: [1000, 995] }).profitFactor, 0);
  // losing before costs (-5 + 1 = -4): no cost share; costs larger than the edge: above 1
  assert.equal(tradeStats({ ...base, trades: [loss], equity: [1000, 995] }).costShare, null);
  near(tradeStats({ ...base, trades: [trade({ pnl: -1, fee: 2, slippage: 1 })], equity: [1000, 999] }).costShare, 1.5); // 3 / 2
  // nothing at all
  const empty = tradeStats({ trades: [], equity: [], ts: [], startingEquity: 1000, timeframeMs: H, calendar: 'crypto' });
  assert.deepEqual(empty, { cagr: 0, exposure: 0, profitFactor: null, expectancy: 0, expectancyPct: 0, turnover: 0, costShare: null, years: 0 });
  // a huge gain in one hour overflows the annual rate: reported as 0, years tells why
  const burst = tradeStats({ trades: [], equity: [2000], ts: [MON], startingEquity: 1000, timeframeMs: H, calendar: 'crypto' });
  near(burst.cagr, 0);
  near(burst.years, 1 / (365.25 * 24), 1e-15);
  assert.throws(() => tradeStats({ ...base, trades: [], equity: [1] }), /1 equity points but 2/);
  assert.throws(() => tradeStats({ ...base, ts: [MON + D, MON], trades: [], equity: [1, 2] }), /not ascending/);
});

// ---------------------------------------------------------------- properties on real market data

const MARKET = path.resolve(REPO, '..', 'shared', 'data', 'market');

/** ts (epoch ms) and close columns of a market CSV, or null when the file is absent. */
function loadCsv(name: string): { ts: Float64Array; close: Float64Array } | null {
  const file = path.join(MARKET, name);
  if (!fs.existsSync(file)) return null;
  const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
  const head = lines[0].split(',');
  const ti = head.indexOf('ts');
  const ci = head.indexOf('close');
  const ts = new Float64Array(lines.length - 1);
  const close = new Float64Array(lines.length - 1);
  for (let i = 1; i < lines.length; i++) {
    const f = lines[i].split(',');
    ts[i - 1] = Date.parse(f[ti]);
    close[i - 1] = Number(f[ci]);
  }
  return { ts, close };
}

test('real data: stocks read as exchange, coins as crypto; candle counts per year match periodsPerYear', (t) => {
  if (!fs.existsSync(MARKET)) {
    t.skip(`no market data at ${MARKET}`);
    return;
  }
  let checked = 0;
  for (const [file, calendar, tf] of [
    ['SPY_1d.csv', 'exchange', '1d'],
    ['AAPL_1d.csv', 'exchange', '1d'],
    ['MSFT_1d.csv', 'exchange', '1d'],
    ['BTC-USD_1h.csv', 'crypto', '1h'],
    ['ETH-USD_1h.csv', 'crypto', '1h'],
    ['LTC-USD_1h.csv', 'crypto', '1h'],
  ] as const) {
    const d = loadCsv(file);
    if (!d) continue;
    checked++;
    assert.equal(calendarOf(d.ts), calendar, file);
    // every complete calendar year holds about periodsPerYear(tf, calendar) candles (SPY: 248 in
    // 2001, when the exchange shut after 9/11; 250 in 2012, hurricane Sandy; 253 in 2008)
    const byYear = new Map<number, number>();
    for (const x of d.ts) byYear.set(new Date(x).getUTCFullYear(), (byYear.get(new Date(x).getUTCFullYear()) ?? 0) + 1);
    const first = new Date(d.ts[0]).getUTCFullYear();
    const last = new Date(d.ts[d.ts.length - 1]).getUTCFullYear();
    for (let y = first + 1; y < last; y++) relNear(byYear.get(y) ?? 0, periodsPerYear(tf, calendar), 0.02, `${file} ${y}`);
  }
  if (checked === 0) t.skip(`no expected CSVs in ${MARKET}`);
});

test('real data: bootstrap intervals hold the point Sharpe; buy-and-hold trade statistics', (t) => {
  const spy = loadCsv('SPY_1d.csv');
  const btc = loadCsv('BTC-USD_1h.csv');
  if (!spy || !btc) {
    t.skip(`no SPY_1d.csv / BTC-USD_1h.csv in ${MARKET}`);
    return;
  }
  for (const [d, tf] of [
    [spy, '1d'],
    [btc, '1h'],
  ] as const) {
    const close = Array.from(d.close.slice(-10_001));
    const r = returnsOf(close);
    const ppy = periodsPerYear(tf, calendarOf(d.ts));
    const point = sharpe(r, ppy);
    const ci = bootstrapSharpeCI(r, ppy, { seed: 3 });
    assert.ok(ci && ci.n === r.length);
    assert.ok(ci.lo < point && point < ci.hi, `${tf}: ${ci.lo} < ${point} < ${ci.hi}`);
    assert.deepEqual(bootstrapSharpeCI(r, ppy, { seed: 3 }), ci);
    // the interval is about as wide as the asymptotic one, 2 * 1.96 * sqrt((1 + SR^2/2) / n) * sqrt(ppy),
    // allowing for fat tails and serial correlation
    const srp = point / Math.sqrt(ppy);
    const asym = 2 * 1.96 * Math.sqrt((1 + (srp * srp) / 2) / r.length) * Math.sqrt(ppy);
    const w = ci.hi - ci.lo;
    assert.ok(w > 0.6 * asym && w < 2 * asym, `${tf}: width ${w} vs asymptotic ${asym}`);
    t.diagnostic(`${tf}: Sharpe ${point.toFixed(3)} [${ci.lo.toFixed(3)}, ${ci.hi.toFixed(3)}] (ppy ${ppy})`);
  }

  // Buy and hold SPY: one unit bought at the first candle, held to the end of the data.
  const n = spy.ts.length;
  const hold = trade({ entryTime: spy.ts[0], exitTime: spy.ts[n - 1], exitReason: 'END_OF_DATA', entryPrice: spy.close[0], exitPrice: spy.close[n - 1] });
  const s = tradeStats({ trades: [hold], equity: spy.close, startingEquity: spy.close[0], ts: spy.ts, timeframeMs: D, calendar: 'exchange' });
  near(s.exposure, 1);
  near((1 + s.cagr) ** s.years, spy.close[n - 1] / spy.close[0], 1e-9 * (spy.close[n - 1] / spy.close[0]));
  // calendar years vs trading days: the data's candle count / 252 is about the calendar span
  relNear(n / periodsPerYear('1d', 'exchange'), s.years, 0.02, 'years');
});
