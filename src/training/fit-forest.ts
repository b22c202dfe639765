import { FOREST_EXITS, FOREST_FIT_SHARE, MIN_FOREST_SAMPLES, mlForest, samplesOf, trainForest, type ForestModel } from '../agents/ml-forest.js';
import { newAgentState, type FitChoice } from '../agents/types.js';
import type { Features } from '../indicators/features.js';
import { runEngine, type EngineSettings } from '../kernel/backtest.js';
import type { Series } from '../market/types.js';
import { returnsOf } from '../metrics/series.js';
import { probabilisticSharpe, skewKurtosis } from '../metrics/uncertainty.js';
import { createRng } from '../util/rng.js';
import { FIT_CONFIDENCE, MIN_FIT_CANDLES, MIN_FIT_TRADES, periodSharpe, type Fit } from './select.js';

/** The one configuration the forest trades (its exits are fixed, see FOREST_EXITS). */
export const FOREST_CHOICE: FitChoice = { id: 'ml_forest', strategy: 'ml_forest', exits: FOREST_EXITS };


/**
 * Walk-forward fit of the forest on bars [from, to): a model learns on the first 70% of the window
 * (labels whose trades ended inside that part only), then trades the last 30%, which it never saw,
 * through the kernel with the real rules and costs. The agent trades the next period only when
 * that unseen part shows (a) at least MIN_FIT_TRADES trades, (b) a probabilistic Sharpe (one model,
 * no search to deflate for) reaching `confidence`, and (c) a Sharpe above buying and holding over
 * the same part. Then the forest is retrained on the whole window (the most recent candles matter
 * most) and that model trades. Pure and deterministic for a seed.
 */
export function fitForest(x: {
  series: Series;
  features: Features;
  from: number;
  to: number;
  settings: EngineSettings;
  periodsPerYear: number;
  startingEquity: number;
  seed: number;
  confidence?: number;
}): { fit: Fit; model: ForestModel | null } {
  const candles = x.to - x.from;
  const annual = Math.sqrt(x.periodsPerYear);
  const cut = x.from + Math.floor(candles * FOREST_FIT_SHARE);
  const closes = x.series.close;
  const bh: number[] = [];
  for (let i = cut + 1; i < x.to; i++) bh.push(closes[i] / closes[i - 1] - 1);
  const buyHoldSharpe = periodSharpe(bh) * annual;
  const base = { trials: 1, candles, buyHoldSharpe };
  if (candles < MIN_FIT_CANDLES) return { fit: { ...base, choice: null, reason: 'no_history', best: null }, model: null };
  const learn = samplesOf(x.features, x.from, cut, cut, x.settings.costs);
  if (learn.x.length < MIN_FOREST_SAMPLES) return { fit: { ...base, choice: null, reason: 'no_history', best: null }, model: null };
  const trial = trainForest(learn.x, learn.y, x.seed);
  const run = runEngine({
    series: x.series,
    features: x.features,
    strategy: mlForest,
    state: { ...newAgentState(x.series.symbol, 'ml_forest'), forest: trial },
    settings: x.settings,
    ctx: { learn: false, rng: createRng(1), allowShort: false },
    startingEquity: x.startingEquity,
    from: cut,
    to: x.to,
    idPrefix: 'fitval',
  });
  const r = returnsOf(run.equity);
  const sr = periodSharpe(r);
  const m = skewKurtosis(r);
  const psr = probabilisticSharpe(sr, 0, r.length, m.skew, m.kurtosis);
  const best = { id: 'ml_forest/validation', sharpe: sr * annual, trades: run.trades.length, deflated: Number.isFinite(psr) ? psr : 0 };
  if (best.trades < MIN_FIT_TRADES) return { fit: { ...base, choice: null, reason: 'few_trades', best }, model: null };
  if (!(best.deflated >= (x.confidence ?? FIT_CONFIDENCE))) return { fit: { ...base, choice: null, reason: 'luck', best }, model: null };
  if (!(best.sharpe > buyHoldSharpe)) return { fit: { ...base, choice: null, reason: 'below_buy_hold', best }, model: null };
  const all = samplesOf(x.features, x.from, x.to, x.to, x.settings.costs);
  return { fit: { ...base, choice: FOREST_CHOICE, reason: 'fit', best }, model: trainForest(all.x, all.y, x.seed) };
}
