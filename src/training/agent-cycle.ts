import { prepareAgent, rememberCycle } from '../agents/learn.js';
import { strategyByName } from '../agents/registry.js';
import type { AgentState, StrategyName } from '../agents/types.js';
import { computeFeatures } from '../indicators/features.js';
import Database from 'better-sqlite3';
import { sliceSeries, type Series } from '../market/types.js';
import { loadSeries } from '../store/candles.js';
import type { DB } from '../store/db.js';
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

/**
 * One agent through a segment of consecutive cycles: one worker task, so the per-task overhead is
 * paid once per segment, not once per cycle. The task reads its own candles from SQLite (a
 * read-only connection per thread; WAL lets readers run beside the writer), so loading is spread
 * over the workers too. Each cycle gets exactly the candles [from - warm-up, to) with its first
 * traded candle at `from`, whatever the segmenting, so results do not depend on it.
 */
export interface AgentSegmentInput {
  symbol: string;
  strategy: StrategyName;
  timeframe: string;
  dbFile: string;
  warmupMs: number;
  cycles: Array<{ cycleId: number; from: number; to: number }>;
  state: AgentState;
  equity: number;
  settings: EngineSettings;
  seed: number;
  sampleEvery: number;
}

export interface AgentSegmentOutput {
  symbol: string;
  /** Per cycle, in order; null where the agent had fewer than 2 candles to trade. */
  cycles: Array<Omit<AgentCycleOutput, 'state'> | null>;
  state: AgentState;
}

const readers = new Map<string, DB>();
function reader(file: string): DB {
  let db = readers.get(file);
  if (!db) {
    db = new Database(file, { readonly: true, fileMustExist: true });
    readers.set(file, db);
  }
  return db;
}

/** Closes this thread's read-only connections (the in-process runner calls it at the end). */
export function closeReaders(): void {
  for (const db of readers.values()) db.close();
  readers.clear();
}

function lowerBound(tss: Float64Array, ts: number): number {
  let lo = 0;
  let hi = tss.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (tss[mid] < ts) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function runAgentSegment(input: AgentSegmentInput): AgentSegmentOutput {
  const first = input.cycles[0];
  const last = input.cycles[input.cycles.length - 1];
  const series = loadSeries(reader(input.dbFile), input.symbol, input.timeframe, first.from - input.warmupMs, last.to);
  let state = input.state;
  let equity = input.equity;
  const cycles: AgentSegmentOutput['cycles'] = [];
  for (const c of input.cycles) {
    const lo = lowerBound(series.ts, c.from - input.warmupMs);
    const start = lowerBound(series.ts, c.from);
    const hi = lowerBound(series.ts, c.to);
    if (hi - start < 2) {
      cycles.push(null);
      continue;
    }
    const out = runAgentCycle({
      symbol: input.symbol,
      strategy: input.strategy,
      series: sliceSeries(series, lo, hi),
      start: start - lo,
      state,
      equity,
      settings: input.settings,
      seed: input.seed,
      cycleId: c.cycleId,
      sampleEvery: input.sampleEvery,
    });
    state = out.state;
    equity = out.finalEquity;
    const { state: _s, ...rest } = out;
    cycles.push(rest);
  }
  return { symbol: input.symbol, cycles, state };
}
