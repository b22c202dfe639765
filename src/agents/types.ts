import type { FeatureName, Features } from '../indicators/features.js';
import type { DetailedTradeMetric } from '../metrics/types.js';
import type { ForestModel } from './ml-forest.js';

export type StrategyName = 'trend_following' | 'mean_reversion' | 'breakout' | 'rl_qlearning' | 'ensemble' | 'trend_participation' | 'ml_forest';

/** Signal codes on the hot path (a number per bar, no allocation). */
export const HOLD = 0;
export const OPEN_LONG = 1;
export const OPEN_SHORT = -1;
export const EXIT = 2;
export type Signal = typeof HOLD | typeof OPEN_LONG | typeof OPEN_SHORT | typeof EXIT;

export interface StrategyContext {
  /** Learning (training) or evaluating: RL explores only while learning. */
  learn: boolean;
  rng: () => number;
  allowShort: boolean;
}

/** What an agent has learned, persisted between runs (agent_state table / checkpoints). */
export interface AgentState {
  symbol: string;
  strategy: StrategyName;
  /** rl_qlearning: state key -> [Q(BUY), Q(SELL), Q(HOLD)]. */
  q: Record<string, [number, number, number]>;
  /** rl_qlearning: the step waiting for its reward (set while learning). */
  rlPending: { key: string; action: number } | null;
  /** ensemble: weight per member strategy, from each one's recent out-of-sample results. */
  weights: Record<string, number>;
  /** Trades seen while learning, for the record. */
  episodes: number;
  /** Walk-forward: what the latest fit chose to trade (choice null = standing aside), on past candles only. */
  fit?: AgentFit;
  /** The verdict of the agent's latest walk-forward record against its baselines: may it propose? */
  edge?: AgentEdge;
  /** Setup score -> probability of a win, learned from the agent's closed out-of-sample trades. */
  calibration?: CalibrationState;
  /** ml_forest: the forest trained at the latest refit, on the fit window only (src/agents/ml-forest.ts). */
  forest?: ForestModel;
}

/** One configuration the walk-forward fit can choose (src/training/select.ts). */
export interface FitChoice {
  id: string;
  strategy: StrategyName;
  exits: ExitProfile;
}

export interface AgentFit {
  choice: FitChoice | null;
  /** Why: 'fit' (chosen), 'no_history', 'few_trades', 'luck' (deflated Sharpe too low), 'below_buy_hold'. */
  reason: string;
  /** Open time of the first candle this fit trades (its window ends just before). */
  asOf: number;
  trials: number;
  best: { id: string; sharpe: number; trades: number; deflated: number } | null;
  buyHoldSharpe: number;
}

/** The agent's right to propose, from its stitched out-of-sample record (src/evaluation/honest.ts verdicts). */
export interface AgentEdge {
  edge: boolean;
  code: string;
  params: Record<string, string | number>;
  runId: string;
  from: number;
  to: number;
  trades: number;
  sharpe: number;
  ci: [number, number] | null;
  samples: number;
  buyHoldSharpe: number;
  randomMedian: number;
  percentile: number;
  totalReturn: number;
  /** Refit periods the agent traded / stood aside in the run. */
  periodsTraded: number;
  periodsTotal: number;
  /** Confidence against outcome on the run's trades (null below the calibration minimum). */
  calibration: CalibrationReport | null;
  /** A learning agent (RL, ensemble): the same agent untrained over the same span. */
  untrainedSharpe?: number;
}

/** Counts of wins per setup-score bin (src/evaluation/calibration.ts). */
export interface CalibrationState {
  bins: Array<{ n: number; wins: number }>;
  n: number;
  wins: number;
}

export interface CalibrationReport {
  trades: number;
  brier: number;
  /** 1 - Brier / Brier of always forecasting the observed win rate: > 0 means confidence tells something. */
  skill: number;
  rows: Array<{ lo: number; hi: number; n: number; predicted: number; observed: number }>;
}


/**
 * A strategy's own exit rules where they differ from the configured ones (risk.atr_stop_mult,
 * atr_target_mult, max_hold_candles): a trend that is ridden for weeks needs a wide stop, no near
 * target and no time stop. The kernel applies them in every clock.
 */
export interface ExitProfile {
  atrStopMult?: number;
  atrTargetMult?: number;
  maxHoldCandles?: number;
}

export interface Strategy {
  readonly name: StrategyName;
  readonly exits?: ExitProfile;
  /**
   * The feature columns signal() reads (the candles' own columns are always there). A run computes
   * only these and the kernel's (featuresFor); undefined: it reads any of them, all are computed.
   * test/declared-features.test.ts runs every strategy both ways and requires the same trades.
   */
  readonly features?: readonly FeatureName[];
  /**
   * The decision at the close of bar i, using features 0..i only. `pos` is the open position's
   * direction (1 long, -1 short, 0 flat). Returns a Signal.
   */
  signal(f: Features, i: number, pos: number, state: AgentState, ctx: StrategyContext): Signal;
  /** Learning after a trade closes (RL reward). Called only while learning. */
  onTradeClosed?(state: AgentState, trade: DetailedTradeMetric, f: Features, exitIndex: number, ctx: StrategyContext): void;
}

export function newAgentState(symbol: string, strategy: StrategyName): AgentState {
  return { symbol, strategy, q: {}, rlPending: null, weights: {}, episodes: 0 };
}

export function cloneAgentState(s: AgentState): AgentState {
  return JSON.parse(JSON.stringify(s)) as AgentState;
}
