import crypto from 'node:crypto';
import type { Config } from '../config/schema.js';
import { crewReview } from '../crew/review.js';
import type { AgentEdge, AgentFit, AgentState, StrategyName } from '../agents/types.js';
import { newAgentState } from '../agents/types.js';
import { tradedStrategy } from '../agents/fitted.js';
import { newCalibration, observe } from '../evaluation/calibration.js';
import { candidatesFor } from './select.js';
import { FOREST_CHOICE } from './fit-forest.js';
import { fitColumns, fitColumnsWithin, fitSpan, fitWindowStart, lowerBound, runFitTask, WARMUP_CANDLES, type FitBatch, type FitInput, type FitOutput } from './fit-task.js';
import { agentVerdict } from './verdict.js';
import { timeframeMs } from '../market/timeframe.js';
import { portfolioMetrics, type AgentResult, type PortfolioMetrics } from '../metrics/portfolio.js';
import { calendarOf, equitySharpe, periodsPerYear, returnsOf, sharpe, type SeriesMetrics } from '../metrics/series.js';
import { bootstrapSharpeCI } from '../metrics/uncertainty.js';
import type { DetailedTradeMetric, EquityPoint } from '../metrics/types.js';
import { lastCandleTs } from '../store/candles.js';
import type { DB } from '../store/db.js';
import { prepareAgent } from '../agents/learn.js';
import { featuresFor, strategyByName } from '../agents/registry.js';
import { randomEntryStrategy } from '../kernel/baselines.js';
import { computeFeatures, type Features } from '../indicators/features.js';
import { runEngine, runPortfolio, type AgentRun, type EngineSettings, type EntryReview } from '../kernel/backtest.js';
import { equityOf, newPortfolio, type Portfolio } from '../kernel/portfolio.js';
import { unrealised } from '../kernel/position.js';
import { sliceSeries, type Series } from '../market/types.js';
import { loadSeries, loadWindowSeries } from '../store/candles.js';
import { checkpointJsonOf, insertRun, loadRun, markRunDone, markRunStopped, rewindRun, runWriter, trainingCyclesOf, trainingTradesOf } from '../store/training.js';
import { createRng, hashString } from '../util/rng.js';
import { planCycles, type CyclePlan } from './plan.js';
import { buildManifest, type RunManifest } from './manifest.js';
import { forceGc, rssMb } from '../util/memory.js';
import { tradeJson, type TradeJson } from '../metrics/trade-json.js';

/** The seed's TrainingConfig, resolved for one run. */
export interface TrainingParams {
  symbols: string[];
  timeframe: string;
  days: number;
  cycleHours: number;
  strategy: StrategyName;
  /** The analyst crew's settings when it votes on every entry (the live default), else null. */
  crew?: Config['crew'] | null;
  seed: number;
  startingEquity: number;
  settings: EngineSettings;
  checkpointInterval: number;
  summaryEvery: number;
  memoryCleanupInterval: number;
  maxMemoryMb: number;
  /** Drawdown of the portfolio that raises a performance alert. */
  alertDrawdown: number;
  /** Cycles in a row an agent may lose before an alert. */
  alertLosingCycles: number;
  /**
   * Walk-forward fitting (src/training/select.ts): every `refitCycles` cycles each agent picks the
   * configuration to trade next among `strategies` x exit rules, on the `fitCandles` candles before
   * the cycle only, or stands aside. Null (or absent in older runs): the agents trade `strategy`.
   */
  walkForward?: { fitCandles: number; refitCycles: number; strategies: StrategyName[]; confidence: number } | null;
}

export interface CycleSummary {
  cycle: number;
  from: string;
  to: string;
  trades: number;
  pnl: number;
  /** Cumulative over the run so far (the contract's field names). */
  totalReturn: number;
  sharpe: number;
  maxDrawdown: number;
  winRate: number;
  equity: number;
}

export interface TrainingResult {
  runId: string;
  cycles: CycleSummary[];
  /** `sharpeCI`: 95% bootstrap interval of the portfolio Sharpe (null below 30 returns); `samples`: returns it rests on. */
  final: { portfolio: Omit<PortfolioMetrics, 'agents'> & { sharpeCI: [number, number] | null; samples: number }; agents: Record<string, SeriesMetrics> };
  trades: TradeJson[];
  /** Per agent: its out-of-sample record against its baselines, and whether it earned the right to propose. */
  verdicts: Record<string, Omit<AgentEdge, 'runId'>>;
  /** Per agent: each refit's choice ("strategy/s<stop>/t<target>") or null (stood aside), with the reason. */
  fits: Record<string, FitLog[]>;
}

/** One refit of one agent: what it chose (null: stood aside), why, and the best it saw. */
export interface FitLog {
  cycle: number;
  choice: string | null;
  reason: string;
  best: AgentFit['best'];
  buyHoldSharpe: number;
}

export interface CycleReport {
  runId: string;
  cycle: number;
  total: number;
  summary: CycleSummary;
  /** Full metrics of the run so far: on summary cycles (hooks.summaryEvery) and the final one; else null. */
  portfolio: PortfolioMetrics | null;
  /** With `portfolio`: its Sharpe's 95% bootstrap interval (null below the minimum) and the returns it rests on. */
  sharpeCI: { ci: [number, number] | null; samples: number } | null;
  points: EquityPoint[];
  agentPnl: Array<{ label: string; value: number }>;
  final: boolean;
}

/**
 * A performance alert as data: the kernel of training knows no language. `kind` names the
 * strings (train_alert_<kind>_title / _body); `key` identifies it (one alert per key per run).
 */
export interface TrainingAlert {
  severity: 'WARNING' | 'CRITICAL';
  kind: 'losing_streak' | 'drawdown';
  key: string;
  params: { symbol?: string; cycles?: number; cycle: number; pnl?: number; equity?: number; drawdown?: number; threshold?: number };
}

export interface TrainingHooks {
  /** After every cycle (the caller decides which to show: summary_every, final). */
  onCycle?(r: CycleReport): Promise<void> | void;
  onAlert?(a: TrainingAlert): Promise<void> | void;
  /** A refit computed in this thread, and how long it took (the operators' job durations). */
  onFitTimed?(ms: number): void;
  /** Cycles whose report carries full portfolio metrics (besides the final one). */
  summaryEvery?: number;
  /** Asked between cycles; true = checkpoint and stop. */
  shouldStop?(): boolean;
  /**
   * Computes many walk-forward refits at once, elsewhere (BullMQ workers, src/distributed/). The
   * outputs come back in the inputs' order and equal runFitTask's. Absent: each refit is computed
   * here, when its cycle comes.
   */
  fitMany?(batch: FitBatch): Promise<FitOutput[]>;
}

/** What is saved every checkpoint_interval cycles: small, whatever the run's length. */
interface Checkpoint {
  nextCycle: number; // index into the plan
  states: Record<string, AgentState>;
  /** The one account of the run, open positions included: cycles are not fresh accounts. */
  portfolio: Portfolio;
  /** Each agent's attributed share of the account (realised PnL, fees). */
  agentCash: Record<string, number>;
  /** Trade sequence per agent (unique trade ids across cycles). */
  seq: Record<string, number>;
  losingStreak: Record<string, number>;
  /** Running figures of the portfolio curve, so a cycle's summary costs O(cycle), not O(run). */
  acc: RunningStats;
  /** Walk-forward: each refit's outcome per agent (small: one entry per refit). */
  fits?: Record<string, FitLog[]>;
}

/** The growing part of a run, kept per cycle in training_cycles and rebuilt on resume. */
interface History {
  cycles: CycleSummary[];
  points: Record<string, EquityPoint[]>;
  portfolioPoints: EquityPoint[];
}

interface CycleRow {
  summary: CycleSummary;
  points: Record<string, EquityPoint[]>;
  portfolio: EquityPoint[];
}

/** Running Sharpe / drawdown / win rate over the portfolio curve, same definitions as src/metrics. */
interface RunningStats {
  peak: number;
  maxDrawdown: number;
  last: number;
  n: number;
  sum: number;
  sumSq: number;
  wins: number;
  trades: number;
}

function pushEquity(a: RunningStats, equity: number): void {
  if (a.last > 0) {
    const r = equity / a.last - 1;
    a.n++;
    a.sum += r;
    a.sumSq += r * r;
  }
  a.last = equity;
  if (equity > a.peak) a.peak = equity;
  else if (a.peak > 0) a.maxDrawdown = Math.max(a.maxDrawdown, 1 - equity / a.peak);
}

function runningSharpe(a: RunningStats, ppy: number): number {
  if (a.n < 2) return 0;
  const mean = a.sum / a.n;
  const variance = (a.sumSq - a.n * mean * mean) / (a.n - 1);
  const sd = Math.sqrt(Math.max(0, variance));
  return sd < 1e-12 * Math.max(1, Math.abs(mean)) ? 0 : (mean / sd) * Math.sqrt(ppy);
}

/**
 * One cycle of the run on its one account. A cycle is a report boundary, not an account boundary:
 * a decision on its last close fills at the next open (the segment holds that candle), positions
 * stay open into the next cycle, and only the run's last cycle closes what is open (END_OF_DATA).
 */
function runPortfolioCycle(runs: AgentRun[], settings: EngineSettings, cp: Checkpoint, cycleId: number, final: boolean, review?: EntryReview) {
  return runPortfolio({ agents: runs, settings, portfolio: cp.portfolio, agentCash: cp.agentCash, cycleId, closeAtEnd: final, decideLastBar: !final, seq: cp.seq, review });
}


export { WARMUP_CANDLES };
/** The strategies prepareAgent teaches anything (the others come back as they went in). */
const LEARNERS = new Set<StrategyName>(['rl_qlearning', 'ensemble']);
/** Candles one agent's task loads at most (bounds memory whatever checkpoint_interval is). */
export const SEGMENT_CANDLES = 50_000;


export function newRunId(): string {
  return 'r' + Date.now().toString(36) + crypto.randomBytes(2).toString('hex');
}

export class TrainingStopped extends Error {
  constructor(public readonly cycle: number) {
    super(`training stopped after cycle ${cycle}`);
  }
}

/** Creates the run's row; the plan is fixed here so a resume cuts the same cycles. */
export function createRun(db: DB, runId: string, params: TrainingParams, replay?: { plan: CyclePlan[]; of: string }): { plan: CyclePlan[]; manifest: RunManifest } {
  const tfMs = timeframeMs(params.timeframe);
  const lasts = params.symbols.map((s) => lastCandleTs(db, s, params.timeframe));
  const missing = params.symbols.filter((_, k) => lasts[k] === null);
  if (missing.length) throw new Error(`no candles for ${missing.join(', ')} (${params.timeframe}) in the cache`);
  const lastTs = Math.min(...(lasts as number[]));
  // A replay cuts the cycles its original cut (candles may have been added since).
  const plan = replay?.plan ?? planCycles(lastTs, params.days, params.cycleHours, tfMs);
  const now = Date.now();
  // The manifest: code version, data digests, search size (src/training/manifest.ts).
  const manifest: RunManifest = { ...buildManifest(db, params, plan, now), ...(replay ? { replayOf: replay.of } : {}) };
  insertRun(db, runId, JSON.stringify({ params, plan, manifest }), now, plan.length);
  return { plan, manifest };
}

/**
 * Runs (or resumes) a training run. Every agent trades each cycle with what it learned so far,
 * then learns from it; cycles are stored as they finish and the whole state is checkpointed every
 * checkpoint_interval cycles, so a run killed at any point resumes to identical final numbers.
 */
export async function runTraining(db: DB, runId: string, hooks: TrainingHooks = {}): Promise<TrainingResult> {
  const row = loadRun(db, runId);
  if (!row) throw new Error(`no training run ${runId}`);
  const { params, plan } = JSON.parse(row.config_json) as { params: TrainingParams; plan: CyclePlan[] };
  const tfMs = timeframeMs(params.timeframe);
  const perAgent = params.startingEquity / params.symbols.length;
  const sampleEvery = Math.max(1, Math.round(3_600_000 / tfMs));
  const metricTf = sampleEvery > 1 ? '1h' : params.timeframe;

  let cp: Checkpoint = row.checkpoint_json
    ? (JSON.parse(row.checkpoint_json) as Checkpoint)
    : {
        nextCycle: 0,
        states: Object.fromEntries(params.symbols.map((s) => [s, newAgentState(s, params.strategy)])),
        portfolio: newPortfolio(params.startingEquity),
        agentCash: Object.fromEntries(params.symbols.map((s) => [s, perAgent])),
        seq: Object.fromEntries(params.symbols.map((s) => [s, 0])),
        losingStreak: Object.fromEntries(params.symbols.map((s) => [s, 0])),
        acc: { peak: params.startingEquity, maxDrawdown: 0, last: params.startingEquity, n: 0, sum: 0, sumSq: 0, wins: 0, trades: 0 },
      };
  // Whatever was stored after the checkpoint is redone, identically.
  rewindRun(db, runId, cp.nextCycle);
  const hist: History = { cycles: [], points: Object.fromEntries(params.symbols.map((s) => [s, [] as EquityPoint[]])), portfolioPoints: [] };
  for (const r of trainingCyclesOf(db, runId)) {
    const row = JSON.parse(r.summary_json) as CycleRow;
    hist.cycles.push(row.summary);
    for (const [s, pts] of Object.entries(row.points)) hist.points[s].push(...pts);
    hist.portfolioPoints.push(...row.portfolio);
  }
  const trades: Record<string, DetailedTradeMetric[]> = Object.fromEntries(params.symbols.map((s) => [s, [] as DetailedTradeMetric[]]));
  for (const r of trainingTradesOf(db, runId)) {
    trades[r.symbol].push(JSON.parse(r.metric_json));
  }

  const store = runWriter(db, runId);

  const wf = params.walkForward ?? null;
  const fitCandles = wf ? wf.fitCandles : 0;
  // The forest is one configuration, retrained at every refit; the rule strategies are a grid to choose from.
  const forest = wf !== null && wf.strategies.includes('ml_forest');
  const candidates = wf ? (forest ? [FOREST_CHOICE] : candidatesFor(wf.strategies)) : [];
  // One refit of one agent as a self-contained task: its own candles (window + warm-up), so it
  // gives the same answer here or in a worker elsewhere. A refit computed in its cycle (no
  // executor: fit_threads 1, or one core) takes them from the agent's segment when it holds the
  // window and its whole warm-up (the segment reaches fitCandles + warm-up back); otherwise just
  // those rows are read from the cache. The same rows either way (test/candle-reads.test.ts).
  const fitInput = (symbol: string, c: CyclePlan, loaded?: Series): FitInput => {
    const task = { symbol, timeframe: params.timeframe, cycle: c.index, asOf: c.from, seed: (params.seed ^ hashString(`${symbol}|fit|${c.index}`)) >>> 0 };
    const span = fitSpan(task, wf!.fitCandles);
    const candles = (loaded && fitColumnsWithin(loaded, task, wf!.fitCandles)) ?? fitColumns(loadWindowSeries(db, symbol, params.timeframe, span.from, fitWindowStart(task, wf!.fitCandles), span.to, WARMUP_CANDLES), task, wf!.fitCandles);
    return { task, candles, settings: params.settings, strategies: wf!.strategies, fitCandles: wf!.fitCandles, confidence: wf!.confidence, periodsPerYear: candlePpy, startingEquity: perAgent };
  };
  const timedFit = (x: FitInput): FitOutput => {
    const t0 = performance.now();
    const out = runFitTask(x);
    hooks.onFitTimed?.(performance.now() - t0);
    return out;
  };
  // Refits depend only on the candles before them, never on how the run traded: with a place to
  // send them (hooks.fitMany), every refit still ahead is computed at once, in any order.
  const ahead = new Map<string, FitOutput>();
  cp.fits ??= {};
  // Stock data keeps an exchange calendar (252 days a year), crypto trades every day.
  const calendar = calendarOf(loadSeries(db, params.symbols[0], params.timeframe, plan[0].from, plan[Math.min(plan.length - 1, 5)].to).ts);
  const candlePpy = periodsPerYear(params.timeframe, calendar);
  const ppy = periodsPerYear(metricTf, calendar);
  // The crew votes on entries as it does live (rule analysts: deterministic, offline).
  const review = params.crew ? crewReview(params.crew, { timeframe: params.timeframe, tfMs, settings: params.settings }) : undefined;
  let portfolio: PortfolioMetrics | null = null;
  // Candles and features are loaded per segment of cycles. Segment boundaries are fixed by the
  // plan (not by where a run resumed), so a resumed run computes exactly the same features.
  const cyclesPerSegment = Math.max(1, Math.floor(SEGMENT_CANDLES / Math.max(1, (params.cycleHours * 3_600_000) / tfMs)));
  let segment: { index: number; agents: Array<{ symbol: string; series: Series; features: Features }> } | null = null;
  if (wf && hooks.fitMany) {
    const refits: Array<{ symbol: string; cycle: CyclePlan }> = [];
    for (let k = cp.nextCycle; k < plan.length; k++) if (k % wf.refitCycles === 0) for (const s of params.symbols) refits.push({ symbol: s, cycle: plan[k] });
    if (refits.length) {
      // Each input is read from the cache when the executor asks for it (see FitBatch).
      const perRefit = forest ? 1 : candidates.length;
      const outputs = await hooks.fitMany({ length: refits.length, configurations: () => perRefit, at: (n) => fitInput(refits[n].symbol, refits[n].cycle) });
      refits.forEach((r, n) => ahead.set(`${r.symbol}|${r.cycle.index}`, outputs[n]));
    }
  }
  for (let k = cp.nextCycle; k < plan.length; k++) {
    if (hooks.shouldStop?.()) {
      store.saveCheckpoint(JSON.stringify(cp), cp.nextCycle);
      markRunStopped(db, runId);
      throw new TrainingStopped(cp.nextCycle);
    }
    // Let the event loop breathe between cycles: signals, chat commands (/status,
    // /stop_training) and the outbox keep working while a long run trains in this thread.
    await new Promise((r) => setImmediate(r));
    const segIndex = Math.floor(k / cyclesPerSegment);
    if (!segment || segment.index !== segIndex) {
      const first = plan[segIndex * cyclesPerSegment];
      const last = plan[Math.min(plan.length, (segIndex + 1) * cyclesPerSegment) - 1];
      segment = {
        index: segIndex,
        agents: params.symbols.map((symbol) => {
          const series = loadSeries(db, symbol, params.timeframe, first.from - (WARMUP_CANDLES + fitCandles) * tfMs, last.to + tfMs);
          return { symbol, series, features: computeFeatures(series) };
        }),
      };
    }
    const c = plan[k];
    const final = k === plan.length - 1;
    const equityBefore = equityOf(cp.portfolio);
    const agentBefore = { ...cp.agentCash };
    for (const [s, pos] of Object.entries(cp.portfolio.positions)) agentBefore[s] += unrealised(pos, cp.portfolio.marks[s] ?? pos.entryPrice);
    // 0. Walk-forward: on refit cycles each agent fits what it trades next on the candles before
    //    the cycle only (or stands aside); between refits it keeps its choice.
    if (wf && k % wf.refitCycles === 0) {
      for (const a of segment.agents) {
        const { fit, model } = ahead.get(`${a.symbol}|${c.index}`) ?? timedFit(fitInput(a.symbol, c, a.series));
        if (model) cp.states[a.symbol].forest = model;
        else delete cp.states[a.symbol].forest;
        cp.states[a.symbol].fit = { ...fit, asOf: c.from };
        (cp.fits![a.symbol] ??= []).push({ cycle: c.index, choice: fit.choice?.id ?? null, reason: fit.reason, best: fit.best, buyHoldSharpe: fit.buyHoldSharpe });
      }
    }
    // 1. Trade the cycle on the one account with what was learned so far: no learning, no exploring.
    const runs: AgentRun[] = [];
    for (const a of segment.agents) {
      const from = lowerBound(a.series.ts, c.from);
      const to = lowerBound(a.series.ts, c.to);
      if (to - from < 1) continue;
      const seed = (params.seed ^ hashString(`${a.symbol}|${c.index}`)) >>> 0;
      runs.push({
        symbol: a.symbol,
        strategy: wf ? tradedStrategy(cp.states[a.symbol], params.strategy, false).strategy : strategyByName(params.strategy),
        state: cp.states[a.symbol],
        features: a.features,
        ctx: { learn: false, rng: createRng(seed), allowShort: params.settings.risk.allow_short },
        series: a.series,
        from,
        to,
        idPrefix: `${a.symbol.replace('/', '')}-c${c.index}`,
      });
    }
    const res = runPortfolioCycle(runs, params.settings, cp, c.index, final, review);
    // 2. Then each agent learns from the cycle (RL updates, ensemble weights) and remembers it.
    for (const run of runs) {
      const lo = lowerBound(run.series.ts, c.from - WARMUP_CANDLES * tfMs);
      const hi = lowerBound(run.series.ts, c.to);
      const slice = sliceSeries(run.series, lo, hi);
      const seed = (params.seed ^ hashString(`${run.symbol}|${c.index}`)) >>> 0;
      cp.states[run.symbol] = prepareAgent({
        strategy: params.strategy,
        symbol: run.symbol,
        // Rule strategies learn nothing: no features to compute for them.
        train: LEARNERS.has(params.strategy) ? { series: slice, features: computeFeatures(slice) } : null,
        settings: params.settings,
        seed: seed + 1,
        startingEquity: perAgent,
        state: cp.states[run.symbol],
      });
      const ts = res.agentTrades[run.symbol] ?? [];
      // Confidence learns from closed trades only, so every later entry's probability is out of sample.
      const cal = (cp.states[run.symbol].calibration ??= newCalibration());
      for (const t of ts) observe(cal, t.setupScore, t.wasSuccessful);
    }
    // Sampled points of the cycle (portfolio and each agent), candles of this cycle only.
    const cyclePoints: EquityPoint[] = [];
    const agentPoints: Record<string, EquityPoint[]> = Object.fromEntries(params.symbols.map((s) => [s, [] as EquityPoint[]]));
    let inCycle = 0;
    for (let n = 0; n < res.ts.length; n++) if (res.ts[n] < c.to) inCycle = n + 1;
    for (let n = 0; n < inCycle; n++) {
      if (n % sampleEvery !== sampleEvery - 1 && n !== inCycle - 1) continue;
      const point = { ts: res.ts[n], equity: res.equity[n] };
      cyclePoints.push(point);
      for (const s of params.symbols) if (res.agentEquity[s]) agentPoints[s].push({ ts: res.ts[n], equity: res.agentEquity[s][n] });
    }
    let cycleTrades = 0;
    const alerts: TrainingAlert[] = [];
    db.transaction(() => {
      for (const s of params.symbols) {
        const ts = res.agentTrades[s] ?? [];
        for (const t of ts) store.appendTrade(c.index, s, JSON.stringify(t));
        trades[s].push(...ts);
        hist.points[s].push(...agentPoints[s]);
        cycleTrades += ts.length;
        const after = agentPoints[s].length ? agentPoints[s][agentPoints[s].length - 1].equity : agentBefore[s];
        const pnl = after - agentBefore[s];
        cp.losingStreak[s] = pnl < 0 ? cp.losingStreak[s] + 1 : 0;
        if (cp.losingStreak[s] === params.alertLosingCycles) {
          alerts.push({ severity: 'WARNING', kind: 'losing_streak', key: `losing_streak:${s}`, params: { symbol: s, cycles: params.alertLosingCycles, cycle: c.index, pnl, equity: after } });
        }
      }
      for (const p of cyclePoints) pushEquity(cp.acc, p.equity);
      hist.portfolioPoints.push(...cyclePoints);
      for (const s of params.symbols) for (const t of res.agentTrades[s] ?? []) (cp.acc.trades++, t.wasSuccessful && cp.acc.wins++);
      const total = cyclePoints.length ? cyclePoints[cyclePoints.length - 1].equity : equityBefore;
      const summary: CycleSummary = {
        cycle: c.index,
        from: new Date(c.from).toISOString(),
        to: new Date(c.to).toISOString(),
        trades: cycleTrades,
        pnl: total - equityBefore,
        totalReturn: total / params.startingEquity - 1,
        sharpe: runningSharpe(cp.acc, ppy),
        maxDrawdown: cp.acc.maxDrawdown,
        winRate: cp.acc.trades ? cp.acc.wins / cp.acc.trades : 0,
        equity: total,
      };
      hist.cycles.push(summary);
      const row: CycleRow = { summary, points: agentPoints, portfolio: cyclePoints };
      store.putCycle(c.index, JSON.stringify(row));
      cp.nextCycle = k + 1;
      if (summary.maxDrawdown >= params.alertDrawdown && !hist.cycles.slice(0, -1).some((x) => x.maxDrawdown >= params.alertDrawdown)) {
        alerts.push({ severity: 'CRITICAL', kind: 'drawdown', key: 'drawdown', params: { cycle: c.index, drawdown: summary.maxDrawdown, threshold: params.alertDrawdown } });
      }
      if (cp.nextCycle % params.checkpointInterval === 0 || cp.nextCycle === plan.length) store.saveCheckpoint(JSON.stringify(cp), cp.nextCycle);
      else store.setCyclesDone(cp.nextCycle);
    })();
    for (const a of alerts) await hooks.onAlert?.(a);
    // Full portfolio metrics cost O(run so far): only for the cycles that report them.
    const full = final || (hooks.summaryEvery !== undefined && c.index % hooks.summaryEvery === 0);
    let sharpeCI: CycleReport['sharpeCI'] = null;
    if (full) {
      portfolio = portfolioMetrics(params.symbols.map((s) => ({ symbol: s, points: hist.points[s], trades: trades[s] })), metricTf, perAgent);
      const r = returnsOf(hist.portfolioPoints.map((p) => p.equity));
      const b = bootstrapSharpeCI(r, ppy, { seed: params.seed });
      sharpeCI = { ci: b ? [b.lo, b.hi] : null, samples: r.length };
    }
    await hooks.onCycle?.({
      runId,
      cycle: c.index,
      total: plan.length,
      summary: hist.cycles[hist.cycles.length - 1],
      portfolio: full ? portfolio : null,
      sharpeCI,
      points: hist.portfolioPoints,
      agentPnl: params.symbols.map((s) => ({ label: s.replace('/', ''), value: (agentPoints[s].length ? agentPoints[s][agentPoints[s].length - 1].equity : agentBefore[s]) - perAgent })),
      final,
    });
    // Memory in check (the seed's memory_cleanup_interval / max_memory_usage_mb): collect garbage
    // when the process nears its budget.
    if ((k + 1) % params.memoryCleanupInterval === 0 && rssMb() > params.maxMemoryMb * 0.6) forceGc();
  }
  const agents: AgentResult[] = params.symbols.map((s) => ({ symbol: s, points: hist.points[s], trades: trades[s] }));
  const final = portfolio ?? portfolioMetrics(agents, metricTf, perAgent);
  const { agents: perAgentMetrics, ...portfolioOnly } = final;
  // Every trade of the run, in the order they closed, with the same fields as `backtest --json`.
  const all = params.symbols.flatMap((s) => trades[s]).sort((a, b) => a.exitTime - b.exitTime || a.entryTime - b.entryTime || (a.agentSymbol < b.agentSymbol ? -1 : 1));
  // The Sharpe's uncertainty, on the same returns and annualisation as the Sharpe itself.
  const returns = returnsOf(hist.portfolioPoints.map((p) => p.equity));
  const ci = bootstrapSharpeCI(returns, ppy, { seed: params.seed });
  // 3. Each agent's out-of-sample record against its baselines: may it propose live?
  const verdicts: Record<string, AgentEdge> = {};
  const span = { from: plan[0].from, to: plan[plan.length - 1].to };
  for (const s of params.symbols) {
    const series = loadSeries(db, s, params.timeframe, span.from - WARMUP_CANDLES * tfMs, span.to);
    const fits = cp.fits[s] ?? [];
    const used = new Map<string, number>();
    for (const f of fits) if (f.choice) used.set(f.choice, (used.get(f.choice) ?? 0) + 1);
    const top = [...used].sort((a, b) => b[1] - a[1])[0];
    const exits = top ? candidates.find((c) => c.id === top[0])?.exits : strategyByName(params.strategy).exits;
    // The columns the random entries and an untrained learner read (the rest on demand).
    const features = computeFeatures(series, 'fast', featuresFor([randomEntryStrategy(0, false), ...(LEARNERS.has(params.strategy) ? [strategyByName(params.strategy)] : [])]));
    const from = lowerBound(series.ts, span.from);
    // A learner (RL, the ensemble) must beat itself untrained on the same candles to be credited.
    let untrainedSharpe: number | undefined;
    if (LEARNERS.has(params.strategy)) {
      const u = runEngine({ series, features, strategy: strategyByName(params.strategy), state: newAgentState(s, params.strategy), settings: params.settings, ctx: { learn: false, rng: createRng(params.seed), allowShort: params.settings.risk.allow_short }, startingEquity: perAgent, from, idPrefix: 'untrained' });
      untrainedSharpe = equitySharpe(u.equity, candlePpy);
    }
    verdicts[s] = agentVerdict({
      runId,
      series,
      features,
      from,
      settings: params.settings,
      startingEquity: perAgent,
      points: hist.points[s],
      trades: trades[s],
      pointsPerYear: ppy,
      candlesPerYear: candlePpy,
      exits,
      periodsTraded: wf ? fits.filter((f) => f.choice).length : 1,
      periodsTotal: wf ? fits.length : 1,
      seed: params.seed,
      untrainedSharpe,
    });
    cp.states[s].edge = verdicts[s];
  }
  store.saveCheckpoint(JSON.stringify(cp), cp.nextCycle);
  const result: TrainingResult = {
    runId,
    cycles: hist.cycles,
    final: { portfolio: { ...portfolioOnly, sharpeCI: ci ? [ci.lo, ci.hi] : null, samples: returns.length }, agents: perAgentMetrics },
    trades: all.map(tradeJson),
    // The run id is the result's own (same seed, same JSON but for it).
    verdicts: Object.fromEntries(Object.entries(verdicts).map(([s, { runId: _, ...v }]) => [s, v])),
    fits: cp.fits,
  };
  markRunDone(db, runId, Date.now(), JSON.stringify(result));
  return result;
}

/** The agents' learned state at the end of a run (for the live crew). */
export function finalStates(db: DB, runId: string): Record<string, AgentState> {
  const json = checkpointJsonOf(db, runId);
  return json ? (JSON.parse(json) as Checkpoint).states : {};
}
