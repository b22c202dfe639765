/**
 * Declared features and ranking runs (issue #17): a run computes only the feature columns its
 * strategy reads, and a search ranks on runs that skip the entries' description. Neither may
 * change a single trade:
 *   1. every column computed on demand has the bits of the full computation;
 *   2. every strategy that declares its features trades the same (same trade JSON, same equity)
 *      on the declared columns as on all of them, longs and shorts, on a demo year of hours and,
 *      where ../shared/data is present, on BTC hourly and SPY daily;
 *   3. a ranking run (priceOnly) has the same equity, fills and PnL as the full run, and leaves
 *      the description's columns uncomputed;
 *   4. a walk-forward refit on declared columns and ranking runs chooses exactly what it chose
 *      on every column with full runs;
 *   5. a configuration the risk gate's risk:reward test refuses at every bar of the window is
 *      scored without its run, and that score is the run's.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { featuresFor, STRATEGIES } from '../src/agents/registry.js';
import { newAgentState, type Strategy } from '../src/agents/types.js';
import { loadConfig } from '../src/config/load.js';
import { computeFeatures, FEATURE_NAMES, hasFeature, type Features } from '../src/indicators/features.js';
import { runEngine, type EngineSettings } from '../src/kernel/backtest.js';
import { engineSettings } from '../src/kernel/settings.js';
import { readCandlesCsv } from '../src/market/csv.js';
import { generateDemoSeries } from '../src/market/demo.js';
import { seriesFromCandles, type Series } from '../src/market/types.js';
import { candidateStrategy } from '../src/agents/fitted.js';
import { returnsOf } from '../src/metrics/series.js';
import { skewKurtosis } from '../src/metrics/uncertainty.js';
import { anyEntryPasses, candidatesFor, curveScore, fitAgent, FIT_STRATEGIES, periodSharpe, scoreCandidates, type Candidate, type FitWindow } from '../src/training/select.js';
import { createRng } from '../src/util/rng.js';
import { REPO } from './support/spawn-bot.js';

const MARKET = path.resolve(REPO, '..', 'shared', 'data', 'market');
const cfg = loadConfig({ env: { TRADECREW_CONFIG: path.join(REPO, 'config', 'default.yaml') } });
const longOnly = engineSettings(cfg);
const withShorts: EngineSettings = { ...longOnly, risk: { ...longOnly.risk, allow_short: true } };

const demo = generateDemoSeries({ seed: 7, symbol: 'BTC/USDT', timeframe: '1h', startTs: Date.UTC(2024, 0, 1) }, 8760);
const real: Series[] = [];
for (const [symbol, tf, file] of [['BTC/USD', '1h', 'BTC-USD_1h.csv'], ['SPY', '1d', 'SPY_1d.csv']] as const) {
  const p = path.join(MARKET, file);
  if (fs.existsSync(p)) real.push(seriesFromCandles(symbol, tf, readCandlesCsv(p)));
}
const series = [demo, ...real];

const declared = Object.values(STRATEGIES).filter((s) => s.features !== undefined);

function run(s: Series, f: Features, strategy: Strategy, settings: EngineSettings, priceOnly = false) {
  return runEngine({ series: s, features: f, strategy, state: newAgentState(s.symbol, strategy.name), settings, ctx: { learn: false, rng: createRng(3), allowShort: settings.risk.allow_short }, startingEquity: 10_000, priceOnly });
}

test('every column computed on demand has the bits of the full computation', () => {
  const full = computeFeatures(demo);
  for (const name of FEATURE_NAMES) {
    const one = computeFeatures(demo, 'fast', [name]);
    assert.ok(hasFeature(one, name), name);
    assert.deepEqual(Buffer.from(one[name].buffer, one[name].byteOffset, one[name].byteLength), Buffer.from(full[name].buffer, full[name].byteOffset, full[name].byteLength), `${name} differs`);
  }
  // Asking for one column computes that one (and its computed-together siblings), not the rest.
  const atrOnly = computeFeatures(demo, 'fast', ['atr']);
  assert.equal(hasFeature(atrOnly, 'rsi'), false);
  assert.equal(hasFeature(atrOnly, 'adx'), false);
});

test('the rule, RL and random strategies declare their features; the forest and the ensemble read all', () => {
  assert.deepEqual(declared.map((s) => s.name).sort(), ['breakout', 'mean_reversion', 'rl_qlearning', 'trend_following', 'trend_participation']);
  assert.equal(featuresFor([STRATEGIES.ml_forest]), undefined);
  assert.deepEqual(featuresFor([STRATEGIES.trend_participation]), ['atr']);
});

test(`each declaring strategy trades the same on its declared columns as on all of them (${series.map((s) => s.symbol).join(', ')})`, () => {
  if (!real.length) console.log(`# real series not found at ${MARKET}: the demo year only`);
  let trades = 0;
  for (const s of series) {
    const full = computeFeatures(s);
    for (const settings of [longOnly, withShorts]) {
      for (const st of declared) {
        const a = run(s, full, st, settings);
        const lean = computeFeatures(s, 'fast', featuresFor([st]));
        const b = run(s, lean, st, settings);
        assert.equal(JSON.stringify(b.trades), JSON.stringify(a.trades), `${s.symbol} ${st.name} shorts=${settings.risk.allow_short}: trades differ`);
        assert.deepEqual(b.equity, a.equity, `${s.symbol} ${st.name}: equity differs`);
        trades += a.trades.length;
      }
    }
  }
  assert.ok(trades > 200, `too few trades to compare (${trades})`);
});

test('a ranking run (priceOnly) has the full run\'s equity and fills, and computes no description column', () => {
  for (const s of series) {
    for (const st of declared) {
      const full = run(s, computeFeatures(s), st, withShorts);
      const lean = computeFeatures(s, 'fast', featuresFor([st]));
      const ranked = run(s, lean, st, withShorts, true);
      assert.deepEqual(ranked.equity, full.equity, `${s.symbol} ${st.name}`);
      assert.deepEqual(
        ranked.trades.map((t) => [t.entryTime, t.exitTime, t.entryPrice, t.exitPrice, t.quantity, t.pnl, t.exitReason]),
        full.trades.map((t) => [t.entryTime, t.exitTime, t.entryPrice, t.exitPrice, t.quantity, t.pnl, t.exitReason]),
      );
      // The description's own columns stayed uncomputed where the strategy does not read them.
      if (st.name === 'trend_participation') assert.equal(hasFeature(lean, 'macdHist'), false);
    }
  }
});

test('a walk-forward refit on declared columns and ranking runs chooses what it chose on every column', () => {
  const candidates = candidatesFor(FIT_STRATEGIES);
  const lean = computeFeatures(demo, 'fast', featuresFor(FIT_STRATEGIES.map((n) => STRATEGIES[n])));
  const full = computeFeatures(demo);
  let fits = 0;
  for (let to = 3000; to <= demo.ts.length; to += 1500) {
    const x = { series: demo, from: to - 2160, to, settings: longOnly, candidates, allowShort: false, periodsPerYear: 8760, startingEquity: 10_000 };
    assert.deepEqual(fitAgent({ ...x, features: lean }), fitAgent({ ...x, features: full }), `refit ending at bar ${to}`);
    fits++;
  }
  assert.equal(fits, 4);
});

/** A candidate's score from its own ranking run, with every trade recorded: what scoreCandidates computed before it skipped any run. */
function scoreByRun(x: FitWindow, c: Candidate) {
  const run = runEngine({ series: x.series, features: x.features, strategy: candidateStrategy(c), state: newAgentState(x.series.symbol, c.strategy), settings: x.settings, ctx: { learn: false, rng: createRng(1), allowShort: x.allowShort }, startingEquity: x.startingEquity, from: x.from, to: x.to, idPrefix: 'fit', priceOnly: true });
  const r = returnsOf(run.equity);
  const m = skewKurtosis(r);
  return { sr: periodSharpe(r), trades: run.trades.length, n: r.length, skew: m.skew, kurtosis: m.kurtosis };
}

test('a configuration whose every entry the risk:reward test refuses is scored without its run, and the score is its run\'s', () => {
  // The search bench's grid: 25 stop/target pairs, 11 of them with the target nearer than 1.5
  // stops (the default min_risk_reward), and pairs at exactly 1.5 (3/2, 4.5/3, 6/4) on the edge.
  const candidates = candidatesFor(FIT_STRATEGIES, { stops: [1.5, 2, 3, 4, 5], targets: [2, 3, 4.5, 6, 8], holds: [24] });
  // A market so quiet its ATR is a rounding error: the levels' risk:reward is whatever the last bits say.
  const still = generateDemoSeries({ seed: 9, symbol: 'STILL/USDT', timeframe: '1h', startTs: Date.UTC(2024, 0, 1) }, 3000);
  for (const k of ['open', 'high', 'low', 'close'] as const) still[k].forEach((v, i) => (still[k][i] = 100 + (i % 3) * 1e-12));
  let skipped = 0;
  let ran = 0;
  for (const s of [demo, still, ...real]) {
    const f = computeFeatures(s, 'fast', featuresFor(FIT_STRATEGIES.map((n) => STRATEGIES[n])));
    for (const settings of [longOnly, withShorts]) {
      for (const to of [Math.min(s.ts.length, 2600), s.ts.length]) {
        const x: FitWindow = { series: s, features: f, from: to - 2160 > 250 ? to - 2160 : 250, to, settings, allowShort: settings.risk.allow_short, startingEquity: 10_000 };
        const scores = scoreCandidates({ ...x, candidates });
        candidates.forEach((c, k) => {
          const passes = anyEntryPasses(f, x.from, x.to, { atrStopMult: c.exits!.atrStopMult!, atrTargetMult: c.exits!.atrTargetMult! }, settings.risk);
          if (passes) ran++;
          else skipped++;
          assert.deepEqual(scores[k], scoreByRun(x, c), `${s.symbol} ${c.id}, window ending at ${to}${passes ? '' : ' (scored without its run)'}`);
        });
      }
    }
  }
  assert.ok(skipped > 0 && ran > 0, `both kinds must be compared (${skipped} skipped, ${ran} run)`);
});

test('a curve\'s score in two passes has the bits of returnsOf, periodSharpe and skewKurtosis, edge cases included', () => {
  const byParts = (e: number[]) => {
    const r = returnsOf(e);
    const m = skewKurtosis(r);
    return { sr: periodSharpe(r), n: r.length, skew: m.skew, kurtosis: m.kurtosis };
  };
  const rng = createRng(11);
  const walk = Array.from({ length: 500 }, (_, i) => 10_000 * (1 + 0.01 * Math.sin(i / 7)) + 50 * rng());
  const curves: Array<[string, number[]]> = [
    ['empty', []],
    ['one point', [10_000]],
    ['two points', [10_000, 10_100]],
    ['three points', [10_000, 10_100, 9_950]],
    ['flat', Array(300).fill(10_000)],
    ['flat with one step', [...Array(150).fill(10_000), ...Array(150).fill(10_010)]],
    ['a random walk', walk],
    ['through zero and below', [100, 50, 0, -20, 10, 30, 30, 45]],
  ];
  for (const [what, e] of curves) assert.deepEqual(curveScore(Float64Array.from(e)), byParts(e), what);
});
