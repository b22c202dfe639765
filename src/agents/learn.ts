import type { Features } from '../indicators/features.js';
import type { Series } from '../market/types.js';
import { runEngine, type EngineSettings } from '../kernel/backtest.js';
import { createRng } from '../util/rng.js';
import { ENSEMBLE_MEMBERS, updatedWeight } from './ensemble.js';
import { MIN_FOREST_SAMPLES, samplesOf, trainForest } from './ml-forest.js';
import { rlQLearning } from './rl-qlearning.js';
import { newAgentState, type AgentState, type StrategyName } from './types.js';

/**
 * What an agent learns from history before it is evaluated or goes live.
 *
 * - Rule strategies (trend_following, mean_reversion, breakout) have fixed parameters: nothing
 *   is learned, the state comes back as it went in.
 * - rl_qlearning: RL_EPISODES passes of the engine over the training series with ctx.learn = true
 *   (epsilon-greedy exploration from one seeded rng), the Q-table accumulating in state.q.
 * - ensemble: its RL member learns as above, but on the FIRST ENSEMBLE_FIT_SHARE (70%) of the
 *   training series only; then every member is evaluated (learn = false) on the LAST 30%, data
 *   the RL member has not learned from, and its weight moves by updatedWeight(). The members share
 *   the ensemble's state object, so state.q is the RL member's Q-table.
 *
 * Nothing here reads the evaluation data: the caller passes only the training series.
 */

/** Passes over the training series for rl_qlearning: enough for the Q-values of common states to
 * settle at alpha 0.1, few enough that preparing an agent on a year of hourly candles takes well
 * under a second. */
export const RL_EPISODES = 3;

/** Share of the training series the ensemble's RL member learns on; the rest scores the members. */
export const ENSEMBLE_FIT_SHARE = 0.7;

export interface PrepareInput {
  strategy: StrategyName;
  symbol: string;
  /** Training data (features computed on this series alone); null = nothing to learn from. */
  train: { series: Series; features: Features } | null;
  settings: EngineSettings;
  seed: number;
  startingEquity: number;
  /** Continue from this state (mutated and returned); a fresh one when omitted. */
  state?: AgentState;
}

/**
 * Risk settings while LEARNING: the kill switch and the daily loss limit are off. They protect
 * money, and a learning pass has none at stake; left on, an exploring agent trips the kill switch
 * in the first weeks and then learns nothing from the rest of the series (entries refused, never
 * rewarded). Sizing, cooldown, costs and stops stay as configured, so what is learned is learned
 * under the real trading rules.
 */
function learningSettings(s: EngineSettings): EngineSettings {
  return { ...s, risk: { ...s.risk, max_drawdown: 1, daily_loss_limit: 1 } };
}

function trainRl(state: AgentState, series: Series, features: Features, to: number, p: PrepareInput, rng: () => number): void {
  const settings = learningSettings(p.settings);
  for (let ep = 0; ep < RL_EPISODES; ep++) {
    runEngine({
      series,
      features,
      strategy: rlQLearning,
      state,
      settings,
      ctx: { learn: true, rng, allowShort: p.settings.risk.allow_short },
      startingEquity: p.startingEquity,
      to,
      cycleId: ep,
      idPrefix: `learn-${ep}`,
    });
  }
  state.rlPending = null;
}

export function prepareAgent(p: PrepareInput): AgentState {
  const state = p.state ?? newAgentState(p.symbol, p.strategy);
  if (!p.train) return state;
  const { series, features } = p.train;
  const n = series.close.length;
  if (n < 2) return state;
  const rng = createRng(p.seed);

  if (p.strategy === 'rl_qlearning') {
    trainRl(state, series, features, n, p, rng);
  } else if (p.strategy === 'ensemble') {
    const cut = Math.floor(n * ENSEMBLE_FIT_SHARE);
    trainRl(state, series, features, cut, p, rng);
    if (n - cut >= 2) {
      for (const m of ENSEMBLE_MEMBERS) {
        const r = runEngine({
          series,
          features,
          strategy: m,
          state,
          settings: p.settings,
          ctx: { learn: false, rng, allowShort: p.settings.risk.allow_short },
          startingEquity: p.startingEquity,
          from: cut,
          to: n,
          idPrefix: `weigh-${m.name}`,
        });
        const ret = r.finalEquity / p.startingEquity - 1;
        // A state carried over from an earlier run keeps its history: the weight is an EMA.
        state.weights[m.name] = updatedWeight(state.weights[m.name], ret, r.trades.length);
      }
    }
  } else if (p.strategy === 'ml_forest') {
    // The backtest's --train-data (or /backtest's learning part): one forest on all of it, every
    // label ending inside it. Training runs refit it walk-forward instead (src/training/fit-forest.ts).
    const s = samplesOf(features, 0, n, n, p.settings.costs);
    if (s.x.length >= MIN_FOREST_SAMPLES) state.forest = trainForest(s.x, s.y, p.seed);
  }
  // Rule strategies: fixed parameters, nothing to learn.
  return state;
}

