import { prepareAgent, rememberCycle } from '../agents/learn.js';
import { strategyByName } from '../agents/registry.js';
import type { AgentState, StrategyName } from '../agents/types.js';
import { computeFeatures } from '../indicators/features.js';
import type { Series } from '../market/types.js';
import type { DetailedTradeMetric } from '../metrics/types.js';
import { runEngine, type EngineSettings } from '../trading/engine.js';
import { createRng, hashString } from '../util/rng.js';

/**
 * One agent through one training cycle. Pure and structured-cloneable both ways, so it runs the
 * same in the main thread or on a worker thread: parallel and serial runs give identical results.
 */
export interface AgentCycleInput {
  symbol: string;
  strategy: StrategyName;
  /** Warm-up candles followed by the cycle's candles. */
  series: Series;
  /** Index in `series` of the cycle's first candle. */
  start: number;
  state: AgentState;
  equity: number;
  settings: EngineSettings;
  seed: number;
  cycleId: number;
  /** Equity is sampled every `sampleEvery` candles to bound memory on small timeframes. */
  sampleEvery: number;
}

export interface AgentCycleOutput {
  symbol: string;
  state: AgentState;
  trades: DetailedTradeMetric[];
  /** Sampled equity at candle closes within the cycle. */
  points: Array<{ ts: number; equity: number }>;
  finalEquity: number;
  candles: number;
}

export function runAgentCycle(input: AgentCycleInput): AgentCycleOutput {
  const { series, start } = input;
  const n = series.close.length;
  const strategy = strategyByName(input.strategy);
  const features = computeFeatures(series);
  const seed = (input.seed ^ hashString(`${input.symbol}|${input.cycleId}`)) >>> 0;
  // 1. Trade the cycle with what was learned so far: out-of-sample, no learning, no exploring.
  const res = runEngine({
    series,
    features,
    strategy,
    state: input.state,
    settings: input.settings,
    ctx: { learn: false, rng: createRng(seed), allowShort: input.settings.risk.allow_short },
    startingEquity: input.equity,
    from: start,
    to: n,
    cycleId: input.cycleId,
    idPrefix: `${input.symbol.replace('/', '')}-c${input.cycleId}`,
  });
  const points: Array<{ ts: number; equity: number }> = [];
  for (let k = 0; k < res.equity.length; k++) {
    if (k % input.sampleEvery === input.sampleEvery - 1 || k === res.equity.length - 1) points.push({ ts: series.ts[start + k], equity: res.equity[k] });
  }
  // 2. Then learn from the cycle (RL updates, ensemble weights) and remember how it went.
  const state = prepareAgent({
    strategy: input.strategy,
    symbol: input.symbol,
    train: { series, features },
    settings: input.settings,
    seed: seed + 1,
    startingEquity: input.equity,
    state: input.state,
  });
  const wins = res.trades.filter((t) => t.wasSuccessful).length;
  if (res.trades.length > 0) {
    const regimes = new Map<string, number>();
    for (const t of res.trades) regimes.set(t.marketRegime, (regimes.get(t.marketRegime) ?? 0) + 1);
    const regime = [...regimes].sort((a, b) => b[1] - a[1])[0][0];
    const pnl = res.finalEquity - input.equity;
    rememberCycle(state, {
      cycleId: input.cycleId,
      strategy: input.strategy,
      regime,
      trades: res.trades.length,
      winRate: wins / res.trades.length,
      pnl,
      note: `${res.trades.length} trades, ${wins} won, PnL ${pnl.toFixed(2)} in ${regime.toLowerCase()}`,
    });
  }
  return { symbol: input.symbol, state, trades: res.trades, points, finalEquity: res.finalEquity, candles: n - start };
}
