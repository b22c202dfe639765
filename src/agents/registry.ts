import { ensemble } from './ensemble.js';
import { mlForest } from './ml-forest.js';
import { rlQLearning } from './rl-qlearning.js';
import { breakout, meanReversion, trendFollowing, trendParticipation } from './rules.js';
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
