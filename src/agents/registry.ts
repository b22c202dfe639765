import { ensemble } from './ensemble.js';
import { mlForest } from './ml-forest.js';
import { rlQLearning } from './rl-qlearning.js';
import { breakout, meanReversion, trendFollowing, trendParticipation } from './rules.js';
import type { FeatureName } from '../indicators/features.js';
import type { Strategy, StrategyName } from './types.js';

export const STRATEGIES: Record<StrategyName, Strategy> = {
  trend_following: trendFollowing,
  mean_reversion: meanReversion,
  breakout,
  rl_qlearning: rlQLearning,
  ensemble,
  trend_participation: trendParticipation,
  ml_forest: mlForest,
};

export function isStrategyName(s: string): s is StrategyName {
  return Object.hasOwn(STRATEGIES, s);
}

export function strategyByName(name: string): Strategy {
  if (!isStrategyName(name)) throw new Error(`unknown strategy "${name}" (choose one of: ${Object.keys(STRATEGIES).join(', ')})`);
  return STRATEGIES[name];
}

/**
 * The feature columns a run of these strategies reads: their declared ones and the kernel's own
 * (ATR: stop distance and trailing stop). undefined (compute all) when any of them does not declare.
 * An entry's description reads more (DESCRIBE_FEATURES); those are computed at the first entry.
 */
export function featuresFor(strategies: readonly Strategy[]): FeatureName[] | undefined {
  const out = new Set<FeatureName>(['atr']);
  for (const s of strategies) {
    if (!s.features) return undefined;
    for (const f of s.features) out.add(f);
  }
  return [...out];
}
