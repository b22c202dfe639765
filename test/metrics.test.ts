/**
 * Metric definitions checked against series worked out by hand (the arithmetic is in the comments,
 * so a reader can re-derive every expected value without running code).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tradeFixture } from './support/trade-fixture.js';
import {
  dailyCloses,
  maxDrawdown,
  percentile,
  periodsPerYear,
  returnsOf,
  seriesMetrics,
  seriesMetricsOf,
  equitySharpe,
  sharpe,
  sortino,
  totalReturn,
  var95,
} from '../src/metrics/series.js';
import {
  avgPairwiseCorrelation,
  concentration,
  diversificationScore,
  pearson,
  portfolioEquity,
  portfolioMetrics,
  type AgentResult,
} from '../src/metrics/portfolio.js';
import { qualityScore, type QualityInput } from '../src/metrics/quality.js';
import type { DetailedTradeMetric, EquityPoint } from '../src/metrics/types.js';
import { STRATEGIES } from '../src/agents/registry.js';
import { newAgentState } from '../src/agents/types.js';
import { loadConfig } from '../src/config/load.js';
import { computeFeatures } from '../src/indicators/features.js';
import { runEngine } from '../src/kernel/backtest.js';
import { engineSettings } from '../src/kernel/settings.js';
import { generateDemoSeries } from '../src/market/demo.js';
import { createRng } from '../src/util/rng.js';
import path from 'node:path';
import { REPO } from './support/spawn-bot.js';

const TOL = 1e-9;
function near(actual: number, expected: number, what = ''): void {
  assert.ok(
    Number.isFinite(actual) && Math.abs(actual - expected) <= TOL,
    `${what} expected ${expected}, got ${actual}`,
  );
}
function nearAll(actual: number[], expected: number[], what = ''): void {
  assert.equal(actual.length, expected.length, `${what} length`);
  actual.forEach((a, i) => near(a, expected[i], `${what}[${i}]`));
}

const H = 3_600_000;
const T0 = Date.UTC(2024, 0, 1); // 2024-01-01T00:00:00Z
function curve(values: number[], stepMs = H, start = T0): EquityPoint[] {
  return values.map((equity, i) => ({ ts: start + i * stepMs, equity }));
}

const trade = tradeFixture;

// ---------------------------------------------------------------- series

test('returnsOf, totalReturn and maxDrawdown on [100, 110, 99, 120]', () => {
  const eq = [100, 110, 99, 120];
  // r1 = 110/100 - 1 = 0.1; r2 = 99/110 - 1 = -0.1; r3 = 120/99 - 1 = 21/99 = 7/33 = 0.2121...
  nearAll(returnsOf(eq), [0.1, -0.1, 7 / 33], 'returns');
  // 120/100 - 1 = 0.2
  near(totalReturn(eq), 0.2, 'totalReturn');
  // peak 110, trough 99: (110 - 99)/110 = 0.1; the rise to 120 is a new peak, nothing after it.
  near(maxDrawdown(eq), 0.1, 'maxDD');
});

test('maxDrawdown picks the deepest of several drawdowns, not the first or the last', () => {
  // peak 120 -> 90: 30/120 = 0.25; peak 130 -> 65: 65/130 = 0.5; 65 -> 70 is a recovery.
  near(maxDrawdown([100, 120, 90, 130, 65, 70]), 0.5);
  // a curve that only rises has no drawdown
  near(maxDrawdown([1, 2, 3]), 0);
});

test('series edge cases: empty, single point, constant, zero start', () => {
  assert.deepEqual(returnsOf([]), []);
  assert.deepEqual(returnsOf([100]), []);
  nearAll(returnsOf([100, 100, 100]), [0, 0]);
  // a step away from 0 has no defined return: reported as 0, never Infinity/NaN
  nearAll(returnsOf([0, 50]), [0]);
  near(totalReturn([]), 0);
  near(totalReturn([100]), 0);
  near(totalReturn([100, 100, 100]), 0);
  near(totalReturn([0, 50]), 0);
  near(maxDrawdown([]), 0);
  near(maxDrawdown([100]), 0);
  near(maxDrawdown([100, 100, 100]), 0);
  near(sharpe([], 365), 0);
  near(sharpe([0.01], 365), 0);
  near(sortino([0.01], 365), 0);
  // constant returns: stdev 0 -> Sharpe 0 (not Infinity); also for a geometric curve whose
  // returns differ only in floating-point noise (1.1^k is not exact in binary)
  near(sharpe([0.01, 0.01, 0.01], 365), 0);
  near(sharpe(returnsOf([100, 110, 121, 133.1, 146.41]), 365), 0);
  // no losing period: downside deviation 0 -> Sortino 0
  near(sortino([0.01, 0.02, 0.03], 365), 0);
  const empty = seriesMetrics([], [], '1h');
  for (const [k, v] of Object.entries(empty)) near(v, 0, k);
  const single = seriesMetrics(curve([1000]), [], '1h');
  for (const [k, v] of Object.entries(single)) near(v, 0, k);
});

test('sharpe and sortino on [0.01, 0.03, -0.01, 0.05] with 4 periods per year', () => {
  const r = [0.01, 0.03, -0.01, 0.05];
  // mean = 0.08/4 = 0.02; deviations -0.01, 0.01, -0.03, 0.03; squares sum = 0.0020;
  // sample var = 0.0020/3; sd = sqrt(0.002/3) = 0.025819...; sqrt(4) = 2
  // Sharpe = 0.02 / sqrt(0.002/3) * 2 = sqrt(0.0004*3/0.002) * 2 = sqrt(0.6) * 2 = 1.549193...
  near(sharpe(r, 4), 2 * Math.sqrt(0.6), 'sharpe');
  // downside: only -0.01 -> sum min(r,0)^2 = 0.0001, over n = 4 -> 0.000025, DD = 0.005
  // Sortino = 0.02 / 0.005 * 2 = 8
  near(sortino(r, 4), 8, 'sortino');
  // a losing mean gives negative ratios
  assert.ok(sharpe(r.map((x) => -x), 4) < 0);
});

test('periodsPerYear: 365 days / candle length', () => {
  near(periodsPerYear('1d'), 365);
  near(periodsPerYear('1h'), 8760); // 365 * 24
  near(periodsPerYear('4h'), 2190); // 8760 / 4
  near(periodsPerYear('5m'), 105120); // 8760 * 12
  near(periodsPerYear('1m'), 525600); // 8760 * 60
  near(periodsPerYear('1w'), 365 / 7);
  assert.throws(() => periodsPerYear('hourly'), /unknown timeframe "hourly"/);
  assert.throws(() => periodsPerYear('0h'), /unknown timeframe/);
});

test('dailyCloses: last equity of each UTC day, midnight opens a new day', () => {
  const D = 86_400_000;
  const pts: EquityPoint[] = [
    { ts: T0, equity: 100 }, //                 day 0, 00:00
    { ts: T0 + 12 * H, equity: 104 }, //        day 0, 12:00
    { ts: T0 + D - 1, equity: 102 }, //         day 0, 23:59:59.999 -> close of day 0
    { ts: T0 + D, equity: 90 }, //              day 1, exactly 00:00 -> belongs to day 1
    { ts: T0 + D + 5 * H, equity: 95 }, //      day 1 close
    // day 2 has no points: skipped
    { ts: T0 + 3 * D + H, equity: 99 }, //      day 3 close
  ];
  nearAll(dailyCloses(pts), [102, 95, 99]);
  // out-of-order input gives the same answer
  nearAll(dailyCloses([pts[4], pts[0], pts[5], pts[2], pts[1], pts[3]]), [102, 95, 99]);
  assert.deepEqual(dailyCloses([]), []);
});

test('var95 on 20 daily returns: type-7 interpolated 5th percentile', () => {
  // sorted: -0.05, -0.03, -0.02, -0.01, then 16 gains/flat values (given shuffled below)
  const r = [0.01, -0.02, 0.03, 0, 0.02, -0.05, 0.01, 0.04, -0.01, 0.02, 0.005, 0.015, 0.03, -0.03, 0.01, 0.0, 0.02, 0.025, 0.012, 0.008];
  assert.equal(r.length, 20);
  // h = (n - 1) * 0.05 = 19 * 0.05 = 0.95 -> between x0 = -0.05 and x1 = -0.03
  // q = -0.05 + 0.95 * (-0.03 - (-0.05)) = -0.05 + 0.95 * 0.02 = -0.05 + 0.019 = -0.031
  near(percentile(r, 0.05), -0.031, 'p5');
  near(var95(r), 0.031, 'var95');
  // the same interpolation on [1,2,3,4]: p=0.5 -> h = 1.5 -> 2 + 0.5 * (3 - 2) = 2.5 (numpy agrees)
  near(percentile([1, 2, 3, 4], 0.5), 2.5);
  near(percentile([1, 2, 3, 4], 1), 4);
  near(percentile([1, 2, 3, 4], 0), 1);
});

test('var95 edge cases: gain at the 5th percentile, too few returns', () => {
  // every day a gain: the 5th percentile is a gain -> VaR 0 (never negative)
  near(var95([0.01, 0.02, 0.03, 0.04]), 0);
  near(var95([]), 0);
  near(var95([-0.5]), 0);
  // two returns: h = 1 * 0.05 -> q = -0.1 + 0.05 * (0.1 - (-0.1)) = -0.1 + 0.01 = -0.09
  near(var95([0.1, -0.1]), 0.09);
});

test('seriesMetrics on a daily curve [100, 110, 99, 120] with two trades', () => {
  const pts = curve([100, 110, 99, 120], 86_400_000);
  const trades = [
    trade({ pnl: 15, fee: 0.4, durationHours: 10, wasSuccessful: true }),
    trade({ pnl: -4, fee: 0.6, durationHours: 3, wasSuccessful: false }),
  ];
  const m = seriesMetrics(pts, trades, '1d');
  // returns 0.1, -0.1, 7/33; mean = 7/99 (sum 7/33 over 3)
  // deviations: 0.1 - 7/99 = 2.9/99; -0.1 - 7/99 = -16.9/99; 7/33 - 7/99 = 14/99
  // squares sum = (8.41 + 285.61 + 196)/99^2 = 490.02/99^2; sample var = 245.01/99^2; sd = sqrt(245.01)/99
  // Sharpe = (7/99)/(sqrt(245.01)/99) * sqrt(365) = 7/sqrt(245.01) * sqrt(365)
  near(m.sharpe, (7 / Math.sqrt(245.01)) * Math.sqrt(365), 'sharpe');
  // downside: only -0.1 -> DD = sqrt(0.01/3) = 0.1/sqrt(3); Sortino = (7/99)/(0.1/sqrt(3)) * sqrt(365)
  near(m.sortino, ((7 / 99) / (0.1 / Math.sqrt(3))) * Math.sqrt(365), 'sortino');
  near(m.totalReturn, 0.2, 'totalReturn');
  near(m.maxDrawdown, 0.1, 'maxDD');
  // daily closes = the points themselves; returns [0.1, -0.1, 7/33]; sorted [-0.1, 0.1, 0.2121]
  // h = 2 * 0.05 = 0.1 -> q = -0.1 + 0.1 * (0.1 - (-0.1)) = -0.1 + 0.02 = -0.08
  near(m.var95, 0.08, 'var95');
  near(m.winRate, 0.5, 'winRate'); // 1 of 2
  assert.equal(m.trades, 2);
  near(m.avgDurationHours, 6.5, 'avgDuration'); // (10 + 3)/2
  near(m.fees, 1, 'fees'); // 0.4 + 0.6
  near(m.pnl, 11, 'pnl'); // 15 - 4
});

test('seriesMetrics annualises by the timeframe: the same curve on 1h is sqrt(24) times the 1d Sharpe', () => {
  const values = [100, 110, 99, 120];
  const d = seriesMetrics(curve(values, 86_400_000), [], '1d');
  const h = seriesMetrics(curve(values, H), [], '1h');
  // sqrt(8760)/sqrt(365) = sqrt(24)
  near(h.sharpe / d.sharpe, Math.sqrt(24));
  // hourly points all fall on one UTC day -> one daily close -> no daily return -> VaR 0
  near(h.var95, 0);
});

// ---------------------------------------------------------------- portfolio pieces

test('pearson: perfect, anti, independent by construction, hand-computed, degenerate', () => {
  near(pearson([1, 2, 3, 4], [2, 4, 6, 8]), 1, 'perfect');
  near(pearson([1, 2, 3, 4], [8, 6, 4, 2]), -1, 'anti');
  // a = [1,-1,1,-1], b = [1,1,-1,-1]: both means 0; sum a_i b_i = 1 - 1 - 1 + 1 = 0 -> 0
  near(pearson([1, -1, 1, -1], [1, 1, -1, -1]), 0, 'independent');
  // a = [1,2,3], b = [1,3,2]: means 2, 2; dev a = [-1,0,1], dev b = [-1,1,0]
  // cov sum = 1 + 0 + 0 = 1; sxx = 2; syy = 2 -> 1/sqrt(4) = 0.5
  near(pearson([1, 2, 3], [1, 3, 2]), 0.5, 'hand');
  // unequal lengths: only the first min(len) values are paired
  near(pearson([1, 2, 3, 100], [1, 3, 2]), 0.5, 'truncated');
  near(pearson([1, 1, 1], [1, 2, 3]), 0, 'zero variance');
  near(pearson([0.1, 0.1, 0.1], [1, 2, 3]), 0, 'constant with rounding noise');
  near(pearson([1], [2]), 0, 'n<2');
  near(pearson([], []), 0, 'empty');
});

test('avgPairwiseCorrelation: mean over all pairs, truncated to the shortest', () => {
  const a = [0.01, -0.02, 0.03, 0.005];
  const twice = a.map((x) => 2 * x);
  const neg = a.map((x) => -x);
  // pairs: (a, 2a) = 1; (a, -a) = -1; (2a, -a) = -1 -> (1 - 1 - 1)/3 = -1/3
  near(avgPairwiseCorrelation([a, twice, neg]), -1 / 3);
  // [1,2,3] vs [1,3,2,...]: cut to 3 -> 0.5 (see the pearson test)
  near(avgPairwiseCorrelation([[1, 2, 3], [1, 3, 2, 50, -50]]), 0.5);
  near(avgPairwiseCorrelation([a]), 0);
  near(avgPairwiseCorrelation([]), 0);
});

test('diversificationScore = clamp(1 - max(avgCorr, 0), 0, 1)', () => {
  near(diversificationScore(1), 0);
  near(diversificationScore(0.25), 0.75);
  near(diversificationScore(0), 1);
  near(diversificationScore(-0.8), 1);
  near(diversificationScore(NaN), 0);
});

test('concentration: Herfindahl of |PnL| shares', () => {
  // equal: 4 agents of |10| -> 4 * (1/4)^2 = 0.25 (losses count by size)
  near(concentration([10, -10, 10, -10]), 0.25, 'equal');
  // one agent: 50/50 = 1 -> 1^2 = 1
  near(concentration([50, 0, 0]), 1, 'one agent');
  // 30 and -10: shares 30/40 = 0.75, 10/40 = 0.25 -> 0.5625 + 0.0625 = 0.625
  near(concentration([30, -10]), 0.625, 'uneven');
  near(concentration([0, 0]), 0, 'no pnl');
  near(concentration([]), 0, 'no agents');
});

// ---------------------------------------------------------------- portfolio aggregation

/*
 * Two agents on different hours (t1..t5 = T0 + 0..4 h):
 *   A (BTC/USDT): t1 100,          t3 110, t4 121
 *   B (ETH/USDT):         t2 200,  t3 180,          t5 209
 * Aligned on the union t1..t5 (forward fill; before the first point, the first value):
 *   A: 100, 100, 110, 121, 121
 *   B: 200, 200, 180, 180, 209     (t1 takes B's first value 200)
 *   sum: 300, 300, 290, 301, 330
 */
const A: AgentResult = {
  symbol: 'BTC/USDT',
  points: [
    { ts: T0, equity: 100 },
    { ts: T0 + 2 * H, equity: 110 },
    { ts: T0 + 3 * H, equity: 121 },
  ],
  trades: [
    trade({ agentSymbol: 'BTC/USDT', pnl: 10, wasSuccessful: true, qualityScore: 90, confluenceScore: 0.8, fee: 1, durationHours: 2 }),
    trade({ agentSymbol: 'BTC/USDT', pnl: 11, wasSuccessful: true, qualityScore: 80, confluenceScore: 0.7, fee: 1, durationHours: 1 }),
  ],
};
const B: AgentResult = {
  symbol: 'ETH/USDT',
  points: [
    { ts: T0 + H, equity: 200 },
    { ts: T0 + 2 * H, equity: 180 },
    { ts: T0 + 4 * H, equity: 209 },
  ],
  trades: [
    trade({ agentSymbol: 'ETH/USDT', pnl: -20, wasSuccessful: false, qualityScore: 30, confluenceScore: 0.2, fee: 2, durationHours: 1 }),
    trade({ agentSymbol: 'ETH/USDT', pnl: 29, wasSuccessful: true, qualityScore: 85, confluenceScore: 0.6, fee: 2, durationHours: 3 }),
  ],
};

test('portfolioEquity aligns agents on the union of timestamps with forward fill', () => {
  const eq = portfolioEquity([A, B], 1000);
  assert.deepEqual(eq.map((p) => p.ts), [T0, T0 + H, T0 + 2 * H, T0 + 3 * H, T0 + 4 * H]);
  nearAll(eq.map((p) => p.equity), [300, 300, 290, 301, 330]);
  // an agent with no points contributes the starting equity everywhere
  const idle: AgentResult = { symbol: 'SOL/USDT', points: [], trades: [] };
  nearAll(portfolioEquity([A, B, idle], 1000).map((p) => p.equity), [1300, 1300, 1290, 1301, 1330]);
  assert.deepEqual(portfolioEquity([], 1000), []);
});

test('portfolioMetrics of two agents with different timestamps', () => {
  const m = portfolioMetrics([A, B], '1h', 1000);
  // curve 300, 300, 290, 301, 330: total 330/300 - 1 = 0.1; maxDD (300 - 290)/300 = 1/30
  near(m.totalReturn, 0.1, 'totalReturn');
  near(m.maxDrawdown, 1 / 30, 'maxDD');
  // Sharpe on the curve's hourly returns [0, -10/300, 11/290, 29/301], annualised by 8760
  const r = [0, 290 / 300 - 1, 301 / 290 - 1, 330 / 301 - 1];
  near(m.sharpe, sharpe(r, 8760), 'sharpe');
  assert.ok(m.sharpe > 0);
  // all five points fall on 2024-01-01 -> one daily close -> VaR 0
  near(m.var95, 0, 'var95');
  // trades: pnl 10 + 11 - 20 + 29 = 30; fees 1 + 1 + 2 + 2 = 6; wins 3 of 4; hours (2+1+1+3)/4 = 1.75
  near(m.pnl, 30, 'pnl');
  near(m.fees, 6, 'fees');
  assert.equal(m.trades, 4);
  near(m.winRate, 0.75, 'winRate');
  near(m.avgDurationHours, 1.75, 'avgDuration');
  // correlation of the ALIGNED per-hour returns:
  //   A: 100,100,110,121,121 -> [0, 0.1, 0.1, 0];  B: 200,200,180,180,209 -> [0, -0.1, 0, 29/180]
  near(m.avgCorrelation, pearson([0, 0.1, 0.1, 0], [0, -0.1, 0, 29 / 180]), 'avgCorrelation');
  // A moves up when B moves down (or not at all): the correlation is negative -> full diversification
  assert.ok(m.avgCorrelation < 0);
  near(m.diversificationScore, 1, 'diversification');
  // agent PnL: A = 21, B = 9 -> shares 0.7, 0.3 -> 0.49 + 0.09 = 0.58
  near(m.concentration, 0.58, 'concentration');
  assert.equal(m.bestAgent, 'BTC/USDT');
  assert.equal(m.worstAgent, 'ETH/USDT');
  // quality (90 + 80 + 30 + 85)/4 = 71.25; > 80 is strict: 90 and 85 -> 2/4 = 0.5
  near(m.avgQualityScore, 71.25, 'avgQuality');
  near(m.highQualityShare, 0.5, 'highQualityShare');
  // confluence (0.8 + 0.7 + 0.2 + 0.6)/4 = 2.3/4 = 0.575
  near(m.avgConfluence, 0.575, 'avgConfluence');
  // efficiency = winning PnL / sum |PnL| = (10 + 11 + 29)/(10 + 11 + 20 + 29) = 50/70
  near(m.efficiency, 5 / 7, 'efficiency');
  // per agent, on each agent's own points: A 121/100 - 1 = 0.21, B 209/200 - 1 = 0.045
  assert.deepEqual(Object.keys(m.agents), ['BTC/USDT', 'ETH/USDT']);
  near(m.agents['BTC/USDT'].totalReturn, 0.21, 'A totalReturn');
  near(m.agents['ETH/USDT'].totalReturn, 0.045, 'B totalReturn');
  // B: 200 -> 180 = 10% drawdown; A never falls
  near(m.agents['ETH/USDT'].maxDrawdown, 0.1, 'B maxDD');
  near(m.agents['BTC/USDT'].maxDrawdown, 0, 'A maxDD');
  near(m.agents['BTC/USDT'].pnl, 21, 'A pnl');
  near(m.agents['ETH/USDT'].winRate, 0.5, 'B winRate');
});

test('portfolioMetrics edge cases: no agents, one agent, no trades, duplicate symbol', () => {
  const none = portfolioMetrics([], '1h', 1000);
  assert.equal(none.bestAgent, null);
  assert.equal(none.worstAgent, null);
  assert.deepEqual(none.agents, {});
  for (const [k, v] of Object.entries(none)) if (typeof v === 'number') near(v, 0, k);

  const one = portfolioMetrics([A], '1h', 1000);
  // one agent: nothing to correlate with, and not diversified
  near(one.avgCorrelation, 0);
  near(one.diversificationScore, 0);
  near(one.concentration, 1);
  assert.equal(one.bestAgent, 'BTC/USDT');
  assert.equal(one.worstAgent, 'BTC/USDT');
  near(one.totalReturn, 0.21);

  const quiet = portfolioMetrics([{ ...A, trades: [] }, { ...B, trades: [] }], '1h', 1000);
  assert.equal(quiet.bestAgent, null);
  near(quiet.efficiency, 0);
  near(quiet.avgQualityScore, 0);
  near(quiet.concentration, 0);
  near(quiet.totalReturn, 0.1); // the curve still counts

  assert.throws(() => portfolioMetrics([A, { ...A }], '1h', 1000), /duplicate agent symbol "BTC\/USDT"/);
});

// ---------------------------------------------------------------- quality

const base: QualityInput = {
  pnlPct: 0.01,
  riskReward: 1.5,
  confluenceScore: 0.5,
  confidence: 0.7,
  followedPlan: true,
  exitReason: 'TAKE_PROFIT',
  volumeConfirmation: false,
};

test('qualityScore: hand-computed value and the documented anchors', () => {
  // result 0.5 + 0.01/0.04 = 0.75 -> 15; TAKE_PROFIT 10; R:R 1.5/3 = 0.5 -> 10; confluence 0.5 -> 10;
  // confidence 0.7 -> 7; on plan 10; no volume 0 => 62
  near(qualityScore(base), 62);
  // well-planned winning take-profit: +3% (result capped 1 -> 20) + 10 + 3:1 (20) + 0.8 (16)
  // + 0.8 (8) + 10 + 10 = 94
  const good = qualityScore({ pnlPct: 0.03, riskReward: 3, confluenceScore: 0.8, confidence: 0.8, followedPlan: true, exitReason: 'TAKE_PROFIT', volumeConfirmation: true });
  near(good, 94);
  assert.ok(good > 80);
  // stop-out with low confluence: -1% (0.25 -> 5) + 0 + 1.5:1 (10) + 0.3 (6) + 0.5 (5) + 10 + 0 = 36
  const bad = qualityScore({ pnlPct: -0.01, riskReward: 1.5, confluenceScore: 0.3, confidence: 0.5, followedPlan: true, exitReason: 'STOP_LOSS', volumeConfirmation: false });
  near(bad, 36);
  assert.ok(bad < 40);
  // rounded to 0.1: confidence 0.123 -> 1.23 points -> 56.23 -> 56.2
  near(qualityScore({ ...base, confidence: 0.123 }), 56.2);
});

test('qualityScore is non-decreasing in pnl and confluence, and stays in 0..100', () => {
  let prev = -1;
  for (let p = -0.05; p <= 0.05 + 1e-12; p += 0.0025) {
    const s = qualityScore({ ...base, pnlPct: p });
    assert.ok(s >= prev, `pnl ${p}: ${s} < ${prev}`);
    prev = s;
  }
  // and it actually moves: -2% -> 0, +2% -> 20 points for the result
  near(qualityScore({ ...base, pnlPct: 0.02 }) - qualityScore({ ...base, pnlPct: -0.02 }), 20);
  prev = -1;
  for (let c = 0; c <= 1 + 1e-12; c += 0.05) {
    const s = qualityScore({ ...base, confluenceScore: c });
    assert.ok(s >= prev, `confluence ${c}: ${s} < ${prev}`);
    prev = s;
  }
  near(qualityScore({ ...base, confluenceScore: 1 }) - qualityScore({ ...base, confluenceScore: 0 }), 20);
  const best = qualityScore({ pnlPct: 1, riskReward: 99, confluenceScore: 5, confidence: 5, followedPlan: true, exitReason: 'TAKE_PROFIT', volumeConfirmation: true });
  const worst = qualityScore({ pnlPct: -1, riskReward: -2, confluenceScore: -1, confidence: -1, followedPlan: false, exitReason: 'STOP_LOSS', volumeConfirmation: false });
  near(best, 100);
  near(worst, 0);
  // a NaN field scores 0 in its component, the rest still counts: 62 - 10 (confluence) = 52
  near(qualityScore({ ...base, confluenceScore: NaN }), 52);
  // exit reason matters: same trade ended by a stop instead of the target loses 10
  near(qualityScore(base) - qualityScore({ ...base, exitReason: 'STOP_LOSS' }), 10);
});

/** Every figure of seriesMetricsOf composed from the one-job definitions above (seven passes). */
function metricsByDefinition(ts: ArrayLike<number>, equity: ArrayLike<number>, trades: DetailedTradeMetric[], timeframe: string) {
  const ppy = periodsPerYear(timeframe);
  const r = returnsOf(equity);
  const points = Array.from(equity, (v, i) => ({ ts: ts[i], equity: v }));
  const n = trades.length;
  return {
    totalReturn: totalReturn(equity),
    sharpe: sharpe(r, ppy),
    sortino: sortino(r, ppy),
    maxDrawdown: maxDrawdown(equity),
    var95: var95(returnsOf(dailyCloses(points))),
    winRate: n > 0 ? trades.filter((t) => t.wasSuccessful).length / n : 0,
    trades: n,
    avgDurationHours: n > 0 ? trades.reduce((a, t) => a + t.durationHours, 0) / n : 0,
    fees: trades.reduce((a, t) => a + t.fee, 0),
    pnl: trades.reduce((a, t) => a + t.pnl, 0),
  };
}

test('seriesMetricsOf and equitySharpe (fused passes) have the bits of the definitions, on engine curves and edge cases', () => {
  const settings = engineSettings(loadConfig({ env: { TRADECREW_CONFIG: path.join(REPO, 'config', 'default.yaml') } }));
  const cases: Array<{ what: string; ts: ArrayLike<number>; equity: ArrayLike<number>; trades: DetailedTradeMetric[]; tf: string }> = [];
  for (const tf of ['1m', '1h', '1d']) {
    const s = generateDemoSeries({ seed: 11, symbol: 'BTC/USDT', timeframe: tf, startTs: Date.UTC(2024, 0, 1) }, tf === '1m' ? 20_000 : 3_000);
    for (const name of ['trend_following', 'mean_reversion', 'breakout'] as const) {
      const r = runEngine({ series: s, features: computeFeatures(s), strategy: STRATEGIES[name], state: newAgentState(s.symbol, name), settings, ctx: { learn: false, rng: createRng(1), allowShort: true }, startingEquity: 10_000 });
      assert.ok(r.trades.length > 5, `${tf} ${name}: too few trades to test anything`);
      cases.push({ what: `${tf} ${name}`, ts: s.ts, equity: r.equity, trades: r.trades, tf });
    }
  }
  const day = 86_400_000;
  const at = (xs: number[], step = 3_600_000) => xs.map((_, i) => Date.UTC(2024, 0, 1) + i * step);
  const edge: Array<[string, number[], number[]]> = [
    ['empty', [], []],
    ['one point', at([5]), [5]],
    ['two points', at([1, 2]), [100, 101]],
    ['constant', at(Array(50).fill(0)), Array(50).fill(100)],
    ['through zero and below', at(Array(8).fill(0)), [100, 50, 0, -10, 0, 20, 40, 30]],
    ['starting at zero', at(Array(5).fill(0)), [0, 10, 11, 9, 12]],
    ['gaps of days and a midnight point', [0, day - 1, day, 3 * day + 5, 3 * day + 6, 10 * day], [100, 98, 97, 99, 101, 90]],
    ['a NaN time', [0, NaN, 2 * day, 2 * day + 1], [100, 90, 95, 80]],
  ];
  for (const [what, ts, equity] of edge) cases.push({ what, ts, equity, trades: [], tf: '1h' });
  for (const c of cases) {
    const fused = seriesMetricsOf(c.ts, c.equity, c.trades, c.tf);
    const reference = metricsByDefinition(c.ts, c.equity, c.trades, c.tf);
    for (const [k, v] of Object.entries(reference)) assert.ok(Object.is(fused[k as keyof typeof fused], v), `${c.what}: ${k} is ${fused[k as keyof typeof fused]}, the definitions give ${v}`);
    const ppy = periodsPerYear(c.tf);
    assert.ok(Object.is(equitySharpe(c.equity, ppy), sharpe(returnsOf(c.equity), ppy)), `${c.what}: equitySharpe differs from sharpe(returnsOf(equity))`);
  }
});
