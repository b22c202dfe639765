import type { Features } from '../indicators/features.js';
import type { DetailedTradeMetric } from '../metrics/types.js';

export type StrategyName = 'trend_following' | 'mean_reversion' | 'breakout' | 'rl_qlearning' | 'ensemble' | 'trend_participation';

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
  memory: { successful: MemoryItem[]; opportunities: MemoryItem[] };
  /** Trades seen while learning, for the record. */
  episodes: number;
}

/** The seed's "successful strategies" (win rate > 50%) and "learning opportunities" (the rest). */
export interface MemoryItem {
  cycleId: number;
  strategy: string;
  regime: string;
  trades: number;
  winRate: number;
  pnl: number;
  note: string;
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
   * The decision at the close of bar i, using features 0..i only. `pos` is the open position's
   * direction (1 long, -1 short, 0 flat). Returns a Signal.
   */
  signal(f: Features, i: number, pos: number, state: AgentState, ctx: StrategyContext): Signal;
  /** Learning after a trade closes (RL reward). Called only while learning. */
  onTradeClosed?(state: AgentState, trade: DetailedTradeMetric, f: Features, exitIndex: number, ctx: StrategyContext): void;
}

export function newAgentState(symbol: string, strategy: StrategyName): AgentState {
  return { symbol, strategy, q: {}, rlPending: null, weights: {}, memory: { successful: [], opportunities: [] }, episodes: 0 };
}

export function cloneAgentState(s: AgentState): AgentState {
  return JSON.parse(JSON.stringify(s)) as AgentState;
}
