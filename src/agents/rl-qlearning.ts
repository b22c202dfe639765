import type { Features } from '../indicators/features.js';
import type { DetailedTradeMetric } from '../metrics/types.js';
import { EXIT, HOLD, OPEN_LONG, OPEN_SHORT, type AgentState, type Signal, type Strategy, type StrategyContext } from './types.js';

/**
 * rl_qlearning, as the seed describes it. State = discretised RSI, SMA ratio (close / SMA50),
 * volatility (vs its own average) and momentum, plus the position. Actions BUY / SELL / HOLD
 * (index 0 / 1 / 2): BUY opens a long or closes a short, SELL opens a short or closes a long.
 * Reward = realised return minus costs, normalised to [-1, 1] (±5% maps to ±1); holding earns 0.
 * Learning rate 0.1, discount 0.95, epsilon 0.1 while learning and 0 while evaluated.
 */
export const RL = { alpha: 0.1, gamma: 0.95, epsilonLearn: 0.1, rewardScale: 0.05 } as const;
const BUY = 0;
const SELL = 1;
const HOLD_A = 2;

function bucket(v: number, edges: readonly number[]): number {
  let k = 0;
  while (k < edges.length && v >= edges[k]) k++;
  return k;
}

const RSI_EDGES = [30, 45, 55, 70];
const SMA_EDGES = [0.97, 0.99, 1.01, 1.03];
const VOL_EDGES = [0.8, 1.25];
const MOM_EDGES = [-0.02, -0.005, 0.005, 0.02];

/** The discrete state at bar i, or null during warm-up. */
export function rlStateKey(f: Features, i: number, pos: number): string | null {
  const rsi = f.rsi[i];
  const ratio = f.close[i] / f.sma50[i];
  const vol = f.volatility[i] / f.volatilityAvg[i];
  const mom = f.momentum[i];
  if (Number.isNaN(rsi) || Number.isNaN(ratio) || Number.isNaN(vol) || Number.isNaN(mom)) return null;
  return `${bucket(rsi, RSI_EDGES)}${bucket(ratio, SMA_EDGES)}${bucket(vol, VOL_EDGES)}${bucket(mom, MOM_EDGES)}${pos + 1}`;
}

function qOf(state: AgentState, key: string): [number, number, number] {
  let q = state.q[key];
  if (!q) {
    q = [0, 0, 0];
    state.q[key] = q;
  }
  return q;
}

function greedy(q: readonly number[] | undefined): number {
  if (!q) return HOLD_A;
  // Ties go to HOLD: an untrained agent does nothing rather than trade at random.
  let best = HOLD_A;
  if (q[BUY] > q[best]) best = BUY;
  if (q[SELL] > q[best]) best = SELL;
  return best;
}

function update(state: AgentState, key: string, action: number, reward: number, nextKey: string | null): void {
  const q = qOf(state, key);
  const next = nextKey ? state.q[nextKey] : undefined;
  const maxNext = next ? Math.max(next[0], next[1], next[2]) : 0;
  q[action] += RL.alpha * (reward + RL.gamma * maxNext - q[action]);
}

export function rewardOf(pnlPct: number): number {
  return Math.max(-1, Math.min(1, pnlPct / RL.rewardScale));
}

export const rlQLearning: Strategy = {
  name: 'rl_qlearning',
  features: ['rsi', 'sma50', 'volatility', 'volatilityAvg', 'momentum'],
  signal(f: Features, i: number, pos: number, state: AgentState, ctx: StrategyContext): Signal {
    const key = rlStateKey(f, i, pos);
    if (!key) return HOLD;
    if (ctx.learn && state.rlPending) {
      // A HOLD step: zero reward, bootstrap from the state we are in now.
      update(state, state.rlPending.key, state.rlPending.action, 0, key);
      state.rlPending = null;
    }
    let action: number;
    if (ctx.learn && ctx.rng() < RL.epsilonLearn) action = Math.floor(ctx.rng() * 3);
    else action = greedy(state.q[key]);
    if (ctx.learn) {
      if (action === HOLD_A || (pos === 0 && action === SELL && !ctx.allowShort)) state.rlPending = { key, action: HOLD_A };
      else if (pos === 0) state.rlPending = null; // an entry: rewarded when the trade closes
      else state.rlPending = { key, action }; // an exit signal: rewarded by onTradeClosed too
      if (pos === 0 && action !== HOLD_A) entryKeys.set(state, { key, action });
    }
    if (action === HOLD_A) return HOLD;
    if (pos === 0) {
      if (action === BUY) return OPEN_LONG;
      return ctx.allowShort ? OPEN_SHORT : HOLD;
    }
    if ((pos > 0 && action === SELL) || (pos < 0 && action === BUY)) return EXIT;
    return HOLD;
  },
  onTradeClosed(state: AgentState, trade: DetailedTradeMetric, f: Features, exitIndex: number): void {
    const entry = entryKeys.get(state);
    entryKeys.delete(state);
    state.rlPending = null;
    state.episodes++;
    if (!entry) return;
    update(state, entry.key, entry.action, rewardOf(trade.pnlPct), rlStateKey(f, exitIndex, 0));
  },
};

// The entry step of the open trade, per agent state. Not persisted: a trade open at a checkpoint
// boundary is closed at the cycle's end (END_OF_DATA) before the state is saved.
const entryKeys = new WeakMap<AgentState, { key: string; action: number }>();
