/**
 * The seeds' ML path, held to the same standard as every agent: a forest that learns a real
 * relation, is fitted on past candles only, trades only the periods whose unseen validation part
 * earned its keep, and is judged on its stitched out-of-sample record. On real data where it exists.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { predictForest, trainForestModel } from '../src/agents/forest.js';
import { FOREST_EXITS, labelAt, samplesOf } from '../src/agents/ml-forest.js';
import { loadConfig } from '../src/config/load.js';
import { computeFeatures } from '../src/indicators/features.js';
import { engineSettings } from '../src/kernel/settings.js';
import { readCandlesCsv } from '../src/market/csv.js';
import { seriesFromCandles } from '../src/market/types.js';
import { periodsPerYear } from '../src/metrics/series.js';
import { fitForest } from '../src/training/fit-forest.js';
import { createRng } from '../src/util/rng.js';
import { REPO, tempDataDir } from './support/spawn-bot.js';

const MARKET = path.resolve(REPO, '..', 'shared', 'data', 'market');
const BTC = path.join(MARKET, 'BTC-USD_1h.csv');
const SKIP = fs.existsSync(BTC) ? false : `real market data not found at ${MARKET}`;

test('the forest learns a planted relation from noisy rows and predicts it on rows it never saw; same seed, same forest', () => {
  const rng = createRng(7);
  const rows = (n: number) => Array.from({ length: n }, () => [rng() * 2 - 1, rng(), rng() * 10, rng() - 0.5]);
  // Only feature 0 matters: above 0.2 a trade earns +1 R, below it loses 1 R; 30% of labels are flipped.
  const truth = (r: number[]) => (r[0] > 0.2 ? 1 : -1);
  const x = rows(2_000);
  const y = x.map((r) => (rng() < 0.3 ? -truth(r) : truth(r)));
  const o = { trees: 30, maxDepth: 4, minLeaf: 40, featureShare: 0.5, seed: 11 };
  const forest = trainForestModel(x, y, o);
  const fresh = rows(1_000);
  const right = fresh.filter((r) => Math.sign(predictForest(forest, r)) === truth(r)).length;
  assert.ok(right >= 900, `${right} of 1000 fresh rows on the right side`);
  assert.deepEqual(trainForestModel(x, y, o), forest, 'same rows and seed, same forest');
  assert.notDeepEqual(trainForestModel(x, y, { ...o, seed: 12 }), forest, 'the seed matters (bagging, feature subsets)');
  // Pure noise: nothing to learn, predictions stay near the labels' mean.
  const noise = x.map(() => (rng() < 0.5 ? 1 : -1));
  const mean = noise.reduce((a, b) => a + b, 0) / noise.length;
  const flat = trainForestModel(x, noise, o);
  for (const r of fresh.slice(0, 200)) assert.ok(Math.abs(predictForest(flat, r) - mean) < 0.35, 'a forest of noise invents no strong opinion');
});

test('labels: a long entry’s R after costs, the stop first when a candle touches both, unknown until the trade ended', { skip: SKIP }, () => {
  const s = seriesFromCandles('BTC/USD', '1h', readCandlesCsv(BTC).slice(0, 3_000));
  const f = computeFeatures(s);
  const costs = { fee: 0.001, slippage: 0.0005 };
  const i = 1_000;
  const r = labelAt(f, i, f.n, costs)!;
  // Best and worst possible: the target (4 ATR = 2 R) less costs, the stop (-1 R) less costs.
  assert.ok(r <= FOREST_EXITS.atrTargetMult / FOREST_EXITS.atrStopMult && r >= -1.5, `R ${r}`);
  assert.equal(labelAt(f, i, i + 1, costs), null, 'nothing known one candle later');
  // Every label of the learning part ended before the cut: the validation part is unseen.
  const cut = 2_000;
  const a = samplesOf(f, 1_000, cut, cut, costs);
  const changed = computeFeatures(seriesFromCandles('BTC/USD', '1h', readCandlesCsv(BTC).slice(0, 3_000).map((c, k) => (k < cut ? c : { ...c, high: c.high * 2, low: c.low * 0.5, close: c.close * 0.6 }))));
  assert.deepEqual(samplesOf(changed, 1_000, cut, cut, costs), a, 'a label read a candle at or after the cut');
  assert.ok(a.x.length > 800, `${a.x.length} labelled candles`);
});

test('a forest fit reads only its window, and stands aside unless its unseen validation part beat holding', { skip: SKIP }, () => {
  const candles = readCandlesCsv(BTC);
  const cfg = loadConfig({ env: {} });
  const settings = engineSettings(cfg, { simulated: true });
  const from = 1_000;
  const to = 3_160;
  const fit = (cs: typeof candles) => {
    const s = seriesFromCandles('BTC/USD', '1h', cs);
    return fitForest({ series: s, features: computeFeatures(s), from, to, settings, periodsPerYear: periodsPerYear('1h'), startingEquity: 10_000, seed: 5, confidence: 0 });
  };
  const real = fit(candles);
  assert.equal(real.fit.trials, 1);
  assert.ok(real.fit.best && real.fit.best.trades > 0, 'the validation model traded its unseen part');
  const rewritten = candles.map((c, i) => (i < to ? c : { ...c, high: c.high * 0.5, low: c.low * 0.4, close: c.close * 0.45, open: c.open * 0.5 }));
  assert.deepEqual(fit(rewritten), real, 'the fit saw candles after its window');
  // The three gates, each with its reason.
  if (real.fit.choice) {
    assert.ok(real.fit.best!.trades >= 8 && real.fit.best!.sharpe > real.fit.buyHoldSharpe);
    assert.ok(real.model && real.model.samples > 1_500, 'the traded model learned on the whole window');
  } else {
    assert.ok(['few_trades', 'luck', 'below_buy_hold'].includes(real.fit.reason), real.fit.reason);
    assert.equal(real.model, null, 'no model to trade when it stands aside');
  }
});

type TrainJ = { trades: Array<{ tradeId: string; entryTime: string; strategyName: string }>; cycles: Array<{ from: string; to: string }>; fits: Record<string, Array<{ cycle: number; choice: string | null; reason: string }>>; verdicts: Record<string, { trades: number; periodsTraded: number; periodsTotal: number; code: string; randomMedian: number; buyHoldSharpe: number }> };

function train(days: number): TrainJ {
  const out = execFileSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'train', '--data', `BTC/USD=${BTC}`, '--strategy', 'ml_forest', '--days', String(days), '--cycle-size', '24', '--seed', '3', '--json'], {
    cwd: REPO,
    // A low bar so that some periods trade and the mechanics are exercised (the default is 0.5).
    env: { ...process.env, TRADECREW_DATA_DIR: tempDataDir(), TRADECREW_TRAINING__REFIT_DAYS: '20', TRADECREW_TRAINING__FIT_CONFIDENCE: '0.2' },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 300_000,
  });
  return JSON.parse(out) as TrainJ;
}

test('ml_forest training: a refit every period from the past only, entries only in periods its fit traded, a verdict with baselines, same seed same JSON', { skip: SKIP }, () => {
  const r = train(200);
  const fits = r.fits['BTC/USD'];
  assert.ok(r.trades.length > 0, 'some period traded');
  assert.deepEqual(fits.map((f) => f.cycle), Array.from({ length: 10 }, (_, k) => 1 + 20 * k));
  for (const f of fits) assert.ok(f.choice === 'ml_forest' || ['luck', 'below_buy_hold', 'few_trades', 'no_history'].includes(f.reason), `${f.choice} ${f.reason}`);
  const periodOf = (iso: string) => Math.floor(r.cycles.findIndex((c) => iso >= c.from && iso < c.to) / 20);
  for (const t of r.trades) {
    const p = periodOf(t.entryTime);
    assert.ok(p >= 0 && fits[p].choice === 'ml_forest', `trade ${t.tradeId} entered in period ${p}, which stood aside (${fits[p]?.reason})`);
    assert.equal(t.strategyName, 'ml_forest');
  }
  const v = r.verdicts['BTC/USD'];
  assert.equal(v.trades, r.trades.length);
  assert.equal(v.periodsTraded, fits.filter((f) => f.choice).length);
  assert.ok(Number.isFinite(v.buyHoldSharpe) && Number.isFinite(v.randomMedian));
  const again = train(200);
  assert.deepEqual(again.trades, r.trades, 'same seed, same trades');
  assert.deepEqual(again.fits, r.fits, 'same seed, same fits');
});
