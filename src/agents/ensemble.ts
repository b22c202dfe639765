import type { Features } from '../indicators/features.js';
import { breakout, meanReversion, trendFollowing } from './rules.js';
import { rlQLearning } from './rl-qlearning.js';
import { EXIT, HOLD, OPEN_LONG, OPEN_SHORT, type AgentState, type Signal, type Strategy, type StrategyContext } from './types.js';

export const ENSEMBLE_MEMBERS: Strategy[] = [trendFollowing, meanReversion, breakout, rlQLearning];

/** Weight of a member with no out-of-sample record yet. */
export const DEFAULT_WEIGHT = 1;

/**
 * ensemble: a confluence vote of the other strategies, each weighted by its recent out-of-sample
 * results (state.weights, updated by the trainer from each member's results on data it had not
 * learned from). Opens when the weighted vote for a side exceeds half of all weight; exits when
 * the weighted exit votes (plus votes for the other side) exceed half.
 */
export const ensemble: Strategy = {
  name: 'ensemble',
  signal(f: Features, i: number, pos: number, state: AgentState, ctx: StrategyContext): Signal {
    let total = 0;
    let longVotes = 0;
    let shortVotes = 0;
    let exitVotes = 0;
    // Members vote without learning and without exploring: the ensemble is evaluated as one.
    const memberCtx: StrategyContext = { learn: false, rng: ctx.rng, allowShort: ctx.allowShort };
    for (const m of ENSEMBLE_MEMBERS) {
      const w = state.weights[m.name] ?? DEFAULT_WEIGHT;
      if (w <= 0) continue;
      total += w;
      const s = m.signal(f, i, pos, state, memberCtx);
      if (s === OPEN_LONG) longVotes += w;
      else if (s === OPEN_SHORT) shortVotes += w;
      else if (s === EXIT) exitVotes += w;
    }
    if (total === 0) return HOLD;
    if (pos === 0) {
      if (longVotes > total / 2) return OPEN_LONG;
      if (shortVotes > total / 2) return OPEN_SHORT;
      // Confluence with fewer voters: two members agreeing and nobody against.
      if (longVotes >= 0.34 * total && shortVotes === 0) return OPEN_LONG;
      if (shortVotes >= 0.34 * total && longVotes === 0) return OPEN_SHORT;
      return HOLD;
    }
    return exitVotes > total / 2 ? EXIT : HOLD;
  },
};

/** New weight from a member's out-of-sample return: exponential moving average of a clamped score. */
export function updatedWeight(old: number | undefined, oosReturn: number, trades: number): number {
  const score = trades === 0 ? 0.5 : Math.max(0, Math.min(2, 1 + oosReturn * 20));
  return 0.7 * (old ?? DEFAULT_WEIGHT) + 0.3 * score;
}
