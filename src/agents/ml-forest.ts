import { predictForest, trainForestModel, type Forest } from './forest.js';
import type { Features } from '../indicators/features.js';
import type { Costs } from '../kernel/position.js';
import { HOLD, OPEN_LONG, type AgentState, type ExitProfile, type Signal, type Strategy } from './types.js';

/**
 * ml_forest: the seeds' ML path (seed 001's AutoTrainer), held to the same standard as every other
 * agent. A random forest of regression trees (src/agents/forest.ts) learns, from the candles of
 * the walk-forward fit window only, what a long entry with FOREST_EXITS earned after costs, in
 * units of the risk taken (R), from scale-free features of the bar. It enters when the forest
 * expects more than ENTRY_EDGE_R; its stop, target and time stop are the kernel's as for any agent.
 *
 * It is retrained on a sliding window at every walk-forward refit (src/training/run.ts), and it
 * only trades a refit period when the model trained on the first part of the window picked
 * entries on the window's last part (unseen by that model) that earned more than entering on
 * every bar there: "random entries with the same exits" inside the window. Out of sample, its
 * record must then beat buy-and-hold and random entries with the same exits, like every agent's.
 * An untrained forest has no information: it is exactly random entries with the same exits, the
 * baseline the verdict already holds it to.
 */

/** Exits the labels assume and the agent trades (fixed a priori, not tuned: 2 ATR risk, 2:1 target, two days at 1h). */
export const FOREST_EXITS: Required<ExitProfile> = { atrStopMult: 2, atrTargetMult: 4, maxHoldCandles: 48 };
/** Expected R (after costs) the forest must see before it enters. */
export const ENTRY_EDGE_R = 0.1;
/** Share of the fit window the validation model learns on; the rest checks it. */
export const FOREST_FIT_SHARE = 0.7;
/** Forest size: small on purpose (a few thousand noisy, overlapping samples; deep trees only memorise). */
const FOREST_OPTIONS = { trees: 30, maxDepth: 4, minLeaf: 40, featureShare: 0.5 } as const;
/** Fewer labelled candles than this and a forest learns noise: it does not trade. */
export const MIN_FOREST_SAMPLES = 200;
/** Candles of the slow average one feature compares the close with. */
const SLOW = 240;

/** The learned model as stored in the agent's state (plain JSON). */
export interface ForestModel {
  forest: Forest;
  /** Features it reads (names, for the record) and how many samples it learned on. */
  features: string[];
  samples: number;
}

export const FOREST_FEATURES = [
  'close_ema12_vol',
  'close_ema26_vol',
  'close_sma50_vol',
  'close_sma240_vol',
  'ema12_ema26_vol',
  'rsi',
  'adx',
  'di_spread',
  'macd_hist_vol',
  'bollinger_position',
  'volatility',
  'volatility_vs_avg',
  'volume_vs_avg',
  'momentum10_vol',
  'return1_vol',
  'return24_vol',
  'donchian_position',
] as const;

const slowCache = new WeakMap<Features, Float64Array>();
function slowAverage(f: Features): Float64Array {
  let a = slowCache.get(f);
  if (!a) {
    a = new Float64Array(f.n).fill(NaN);
    let sum = 0;
    for (let i = 0; i < f.n; i++) {
      sum += f.close[i];
      if (i >= SLOW) sum -= f.close[i - SLOW];
      if (i >= SLOW - 1) a[i] = sum / SLOW;
    }
    slowCache.set(f, a);
  }
  return a;
}

/**
 * The feature vector of bar i (candles 0..i only), or null while any input is warming up. Price
 * distances are divided by the bar's volatility (ATR / close) so a calm and a wild month read alike.
 */
export function forestRow(f: Features, i: number): number[] | null {
  if (i < 24) return null;
  const c = f.close[i];
  const vol = f.volatility[i];
  const slow = slowAverage(f)[i];
  const range = f.bbUpper[i] - f.bbLower[i];
  const donch = f.donchianHigh[i] - f.donchianLow[i];
  const row = [
    (c / f.emaFast[i] - 1) / vol,
    (c / f.emaSlow[i] - 1) / vol,
    (c / f.sma50[i] - 1) / vol,
    (c / slow - 1) / vol,
    (f.emaFast[i] / f.emaSlow[i] - 1) / vol,
    f.rsi[i] / 100,
    f.adx[i] / 100,
    (f.pdi[i] - f.mdi[i]) / 100,
    f.macdHist[i] / c / vol,
    range > 0 ? (c - f.bbMiddle[i]) / range : 0,
    vol,
    vol / f.volatilityAvg[i],
    f.volSma[i] > 0 ? f.volume[i] / f.volSma[i] : 1,
    f.momentum[i] / vol,
    (c / f.close[i - 1] - 1) / vol,
    (c / f.close[i - 24] - 1) / vol,
    donch > 0 ? (c - f.donchianLow[i]) / donch : 0.5,
  ];
  for (const x of row) if (!Number.isFinite(x)) return null;
  return row;
}

/**
 * What a long entry at the close of bar i earned, in R after costs: the stop (2 ATR below) or the
 * target (4 ATR above), whichever the candles touch first (the stop when one candle touches both:
 * the pessimistic reading), else the close after maxHold candles. Null when the trade would not
 * have ended before bar `end` (its outcome is not known yet at the end of the window).
 */
export function labelAt(f: Features, i: number, end: number, costs: Costs, exits: Required<ExitProfile> = FOREST_EXITS): number | null {
  const atr = f.atr[i];
  const c = f.close[i];
  if (!(atr > 0)) return null;
  const entry = c * (1 + costs.slippage);
  const stop = c - exits.atrStopMult * atr;
  const target = c + exits.atrTargetMult * atr;
  for (let j = i + 1; j < end; j++) {
    let exit = NaN;
    if (f.low[j] <= stop) exit = stop;
    else if (f.high[j] >= target) exit = target;
    else if (j - i >= exits.maxHoldCandles) exit = f.close[j];
    if (Number.isNaN(exit)) continue;
    const r = (exit * (1 - costs.slippage)) / entry - 1 - 2 * costs.fee;
    return r / ((exits.atrStopMult * atr) / c);
  }
  return null;
}

/** Rows and labels of bars [from, to) whose outcome is known before `end`. */
export function samplesOf(f: Features, from: number, to: number, end: number, costs: Costs): { x: number[][]; y: number[]; at: number[] } {
  const x: number[][] = [];
  const y: number[] = [];
  const at: number[] = [];
  for (let i = from; i < to; i++) {
    const row = forestRow(f, i);
    if (!row) continue;
    const label = labelAt(f, i, end, costs);
    if (label === null) continue;
    x.push(row);
    y.push(label);
    at.push(i);
  }
  return { x, y, at };
}

export function trainForest(x: number[][], y: number[], seed: number): ForestModel {
  return { forest: trainForestModel(x, y, { ...FOREST_OPTIONS, seed }), features: [...FOREST_FEATURES], samples: x.length };
}

/** The forest's expected R of a long entry at bar i (null while features warm up). */
export function expectedR(m: ForestModel, f: Features, i: number): number | null {
  const row = forestRow(f, i);
  return row ? predictForest(m.forest, row) : null;
}

export const mlForest: Strategy = {
  name: 'ml_forest',
  exits: FOREST_EXITS,
  signal(f, i, pos, state: AgentState): Signal {
    // Long only: the labels are long trades; exits are the kernel's stop, target and time stop.
    if (pos !== 0 || !state.forest) return HOLD;
    const r = expectedR(state.forest, f, i);
    return r !== null && r > ENTRY_EDGE_R ? OPEN_LONG : HOLD;
  },
};
