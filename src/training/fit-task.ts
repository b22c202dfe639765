import type { ForestModel } from '../agents/ml-forest.js';
import type { StrategyName } from '../agents/types.js';
import { featuresFor, strategyByName } from '../agents/registry.js';
import { computeFeatures } from '../indicators/features.js';
import type { EngineSettings } from '../kernel/backtest.js';
import { timeframeMs } from '../market/timeframe.js';
import { emptySeries, type Series } from '../market/types.js';
import { fitForest } from './fit-forest.js';
import { buyHoldSharpe, candidatesFor, fitAgent, scoreCandidates, selectFit, type CandidateScore, type ExitGrid, type Fit } from './select.js';

/**
 * One walk-forward refit of one agent as a self-contained task: everything it reads travels with
 * it (the candles of its window and the warm-up before it, the settings), so it gives the same
 * answer in this process or in a worker on another machine (src/distributed/). A fit depends only
 * on candles before its refit, never on how the run traded, so every refit of a run can be
 * computed at once, in any order. A refit of many configurations can also be split into chunks
 * (src/training/fit-chunks.ts): each scores a slice of the candidates, and the refit's fit is
 * selected from all the scores, the same fit as the whole refit gives.
 */

/** Candles before a window used only to warm the indicators up (EMA-26 and Wilder-14 settle to ~1e-7). */
export const WARMUP_CANDLES = 250;

export interface FitTask {
  symbol: string;
  timeframe: string;
  /** The cycle the fit trades from (its index in the run's plan) and that cycle's open time. */
  cycle: number;
  asOf: number;
  /** Seed of the forest's bagging (rule fits are seedless). */
  seed: number;
}

/** Candle columns as plain arrays (JSON for a queue). */
export interface CandleColumns {
  ts: number[];
  open: number[];
  high: number[];
  low: number[];
  close: number[];
  volume: number[];
}

export interface FitInput {
  task: FitTask;
  candles: CandleColumns;
  settings: EngineSettings;
  strategies: StrategyName[];
  fitCandles: number;
  confidence: number;
  periodsPerYear: number;
  startingEquity: number;
  /** The exit rules searched (absent: DEFAULT_GRID, what training searches). */
  grid?: ExitGrid;
}

/** Candidates [from, to) of a refit's candidates (candidatesFor order). */
export interface CandidateSlice {
  from: number;
  to: number;
}

/** A chunk of a refit: the refit's input and the slice of its candidates this job scores. */
export interface FitChunkInput extends FitInput {
  chunk: CandidateSlice;
}

/** What a thread or a queue worker is given: a whole refit, or a chunk of one. */
export type FitJob = FitInput | FitChunkInput;

/** A chunk's result: the scores of its slice, in candidate order. */
export interface FitScores {
  scores: CandidateScore[];
}

export interface FitOutput {
  fit: Fit;
  /** ml_forest: the model to trade until the next refit (null: none, or a rule fit). */
  model: ForestModel | null;
}

/**
 * Where to look for a fit's candles: twice the window and its warm-up in calendar time (markets
 * with weekends and holidays have fewer candles than hours or days); fitColumns trims it.
 */
export function fitSpan(task: Pick<FitTask, 'asOf' | 'timeframe'>, fitCandles: number): { from: number; to: number } {
  const tfMs = timeframeMs(task.timeframe);
  return { from: task.asOf - 2 * (fitCandles + WARMUP_CANDLES) * tfMs, to: task.asOf };
}

/**
 * The candles a fit reads, from those of fitSpan: its window (the `fitCandles` candle-times
 * before asOf) and WARMUP_CANDLES candles before the window, fewer only when history is shorter.
 */
export function fitColumns(s: Series, task: Pick<FitTask, 'asOf' | 'timeframe'>, fitCandles: number): CandleColumns {
  const start = Math.max(0, lowerBound(s.ts, task.asOf - fitCandles * timeframeMs(task.timeframe)) - WARMUP_CANDLES);
  const end = lowerBound(s.ts, task.asOf);
  const col = (a: Float64Array) => Array.from(a.subarray(start, end));
  return { ts: col(s.ts), open: col(s.open), high: col(s.high), low: col(s.low), close: col(s.close), volume: col(s.volume) };
}

/** Open time where a refit's window starts (`fitCandles` candle-times before asOf). */
export function fitWindowStart(task: Pick<FitTask, 'asOf' | 'timeframe'>, fitCandles: number): number {
  return task.asOf - fitCandles * timeframeMs(task.timeframe);
}

/**
 * fitColumns from candles already in memory (a training segment), or null when they may not be
 * the ones the cache gives: `s` must be every cached candle of a contiguous range that reaches
 * past asOf, with the WARMUP_CANDLES candles before the window in it and inside fitSpan.
 */
export function fitColumnsWithin(s: Series, task: Pick<FitTask, 'asOf' | 'timeframe'>, fitCandles: number): CandleColumns | null {
  const n = s.ts.length;
  const w = lowerBound(s.ts, fitWindowStart(task, fitCandles));
  if (n === 0 || s.ts[n - 1] < task.asOf || w < WARMUP_CANDLES || s.ts[w - WARMUP_CANDLES] < fitSpan(task, fitCandles).from) return null;
  return fitColumns(s, task, fitCandles);
}

function seriesOf(symbol: string, timeframe: string, c: CandleColumns): Series {
  const s = emptySeries(symbol, timeframe, c.ts.length);
  s.ts.set(c.ts);
  s.open.set(c.open);
  s.high.set(c.high);
  s.low.set(c.low);
  s.close.set(c.close);
  s.volume.set(c.volume);
  return s;
}

/** Index of the first open time at or after ts (binary search over a sorted column). */
export function lowerBound(tss: Float64Array, ts: number): number {
  let lo = 0;
  let hi = tss.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (tss[mid] < ts) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Refits to compute, each input built when it is needed: built all at once, a year of 1-minute
 * candles for 8 agents holds ~100 MB of windows before the first refit runs. An executor that
 * sends them elsewhere (threads, a queue) takes them all; one that computes them here streams.
 */
export interface FitBatch {
  readonly length: number;
  /** Configurations refit n scores (configurationsOf its input), known without building it. */
  configurations(n: number): number;
  at(n: number): FitInput;
}

/** A batch of inputs already built. */
export function batchOf(inputs: readonly FitInput[]): FitBatch {
  return { length: inputs.length, configurations: (n) => configurationsOf(inputs[n]), at: (n) => inputs[n] };
}

/** Backtests a whole batch runs (its configurations over every refit). */
export function backtestsOf(batch: FitBatch): number {
  let n = 0;
  for (let i = 0; i < batch.length; i++) n += batch.configurations(i);
  return n;
}

/** Every input of a batch, built now (for an executor that sends them away). */
export function inputsOf(batch: FitBatch): FitInput[] {
  return Array.from({ length: batch.length }, (_, n) => batch.at(n));
}

/** Configurations one refit tries (the forest: one model). */
export function configurationsOf(x: Pick<FitInput, 'strategies' | 'grid'>): number {
  return x.strategies.includes('ml_forest') ? 1 : candidatesFor(x.strategies, x.grid).length;
}

/** The fit window of a refit: its candles as a series and the bars [from, to) it fits on. */
function windowOf(x: FitInput): { series: Series; from: number; to: number } {
  const { task } = x;
  const series = seriesOf(task.symbol, task.timeframe, x.candles);
  const to = series.ts.length;
  const from = Math.min(to, Math.max(WARMUP_CANDLES, lowerBound(series.ts, task.asOf - x.fitCandles * timeframeMs(task.timeframe))));
  return { series, from, to };
}

/**
 * The columns these strategies read, computed once and shared by all their candidates (ml_forest:
 * all). A column is the same bits whichever others are computed beside it.
 */
function featuresOf(series: Series, strategies: StrategyName[]) {
  return computeFeatures(series, 'fast', strategies.includes('ml_forest') ? undefined : featuresFor(strategies.map(strategyByName)));
}

/** Runs one refit. Pure: the same input gives the same output, byte for byte, wherever it runs. */
export function runFitTask(x: FitInput): FitOutput {
  const { series, from, to } = windowOf(x);
  const common = { series, features: featuresOf(series, x.strategies), from, to, settings: x.settings, periodsPerYear: x.periodsPerYear, startingEquity: x.startingEquity, confidence: x.confidence };
  if (x.strategies.includes('ml_forest')) return fitForest({ ...common, seed: x.task.seed });
  return { fit: fitAgent({ ...common, candidates: candidatesFor(x.strategies, x.grid), allowShort: x.settings.risk.allow_short }), model: null };
}

/** Scores one chunk of a rule refit (ml_forest refits are one model: never chunked). Pure, like runFitTask. */
export function runFitChunk(x: FitChunkInput): FitScores {
  const { series, from, to } = windowOf(x);
  const candidates = candidatesFor(x.strategies, x.grid).slice(x.chunk.from, x.chunk.to);
  // Only the columns of the strategies in this slice (a chunk often holds one strategy's exits).
  const features = featuresOf(series, [...new Set(candidates.map((c) => c.strategy))]);
  return { scores: scoreCandidates({ series, features, from, to, settings: x.settings, allowShort: x.settings.risk.allow_short, startingEquity: x.startingEquity, candidates }) };
}

/** Runs a job as threads and queue workers get it: a chunk's scores, or a whole refit's fit. */
export function runFitJob(x: FitJob): FitOutput | FitScores {
  return 'chunk' in x ? runFitChunk(x) : runFitTask(x);
}

/**
 * The fit of a refit from the scores of all its candidates (its chunks' scores, concatenated in
 * candidate order): what runFitTask on the whole refit gives, without running a candidate here.
 */
export function selectFromScores(x: FitInput, scores: CandidateScore[]): FitOutput {
  const { series, from, to } = windowOf(x);
  const candidates = candidatesFor(x.strategies, x.grid);
  return { fit: selectFit({ candidates, scores, candles: to - from, buyHoldSharpe: buyHoldSharpe(series.close, from, to, x.periodsPerYear), periodsPerYear: x.periodsPerYear, confidence: x.confidence }), model: null };
}
