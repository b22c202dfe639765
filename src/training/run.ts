import crypto from 'node:crypto';
import type { AgentState, StrategyName } from '../agents/types.js';
import { newAgentState } from '../agents/types.js';
import { timeframeMs } from '../market/timeframe.js';
import { seriesFromCandles } from '../market/types.js';
import { portfolioEquity, portfolioMetrics, type AgentResult, type PortfolioMetrics } from '../metrics/portfolio.js';
import type { SeriesMetrics } from '../metrics/series.js';
import type { DetailedTradeMetric, EquityPoint } from '../metrics/types.js';
import { loadCandles, lastCandleTs } from '../store/candles.js';
import type { DB } from '../store/db.js';
import type { EngineSettings } from '../trading/engine.js';
import type { AgentCycleOutput } from './agent-cycle.js';
import { planCycles, type CyclePlan } from './plan.js';
import type { CycleRunner } from './pool.js';

/** The seed's TrainingConfig, resolved for one run. */
export interface TrainingParams {
  symbols: string[];
  timeframe: string;
  days: number;
  cycleHours: number;
  strategy: StrategyName;
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
  final: { portfolio: Omit<PortfolioMetrics, 'agents'>; agents: Record<string, SeriesMetrics> };
}

export interface CycleReport {
  runId: string;
  cycle: number;
  total: number;
  summary: CycleSummary;
  portfolio: PortfolioMetrics;
  points: EquityPoint[];
  agentPnl: Array<{ label: string; value: number }>;
  final: boolean;
}

export interface TrainingHooks {
  /** After every cycle (the caller decides which to show: summary_every, final). */
  onCycle?(r: CycleReport): Promise<void> | void;
  onAlert?(a: { severity: 'WARNING' | 'CRITICAL'; title: string; body: string }): Promise<void> | void;
  /** Asked between cycles; true = checkpoint and stop. */
  shouldStop?(): boolean;
}

interface Checkpoint {
  nextCycle: number; // index into the plan
  states: Record<string, AgentState>;
  equities: Record<string, number>;
  points: Record<string, EquityPoint[]>;
  cycles: CycleSummary[];
  losingStreak: Record<string, number>;
}

/** Candles before a cycle used only to warm the indicators up (EMAs settle to ~1e-15). */
export const WARMUP_CANDLES = 400;

export function newRunId(): string {
  return 'r' + Date.now().toString(36) + crypto.randomBytes(2).toString('hex');
}

export class TrainingStopped extends Error {
  constructor(public readonly cycle: number) {
    super(`training stopped after cycle ${cycle}`);
  }
}

/** Creates the run's row; the plan is fixed here so a resume cuts the same cycles. */
export function createRun(db: DB, runId: string, params: TrainingParams): { plan: CyclePlan[] } {
  const tfMs = timeframeMs(params.timeframe);
  const lasts = params.symbols.map((s) => lastCandleTs(db, s, params.timeframe));
  const missing = params.symbols.filter((_, k) => lasts[k] === null);
  if (missing.length) throw new Error(`no candles for ${missing.join(', ')} (${params.timeframe}) in the cache`);
  const lastTs = Math.min(...(lasts as number[]));
  const plan = planCycles(lastTs, params.days, params.cycleHours, tfMs);
  db.prepare(`INSERT INTO training_runs (id, status, config_json, started_at, cycles_total) VALUES (?,?,?,?,?)`).run(
    runId,
    'running',
    JSON.stringify({ params, plan }),
    Date.now(),
    plan.length,
  );
  return { plan };
}

/**
 * Runs (or resumes) a training run. Every agent trades each cycle with what it learned so far,
 * then learns from it; cycles are stored as they finish and the whole state is checkpointed every
 * checkpoint_interval cycles, so a run killed at any point resumes to identical final numbers.
 */
export async function runTraining(db: DB, runId: string, runner: CycleRunner, hooks: TrainingHooks = {}): Promise<TrainingResult> {
  const row = db.prepare('SELECT config_json, checkpoint_json, status FROM training_runs WHERE id=?').get(runId) as { config_json: string; checkpoint_json: string | null; status: string } | undefined;
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
        equities: Object.fromEntries(params.symbols.map((s) => [s, perAgent])),
        points: Object.fromEntries(params.symbols.map((s) => [s, [] as EquityPoint[]])),
        cycles: [],
        losingStreak: Object.fromEntries(params.symbols.map((s) => [s, 0])),
      };
  // Whatever was stored after the checkpoint is redone, identically.
  db.prepare('DELETE FROM training_trades WHERE run_id=? AND cycle>?').run(runId, cp.nextCycle);
  db.prepare('DELETE FROM training_cycles WHERE run_id=? AND cycle>?').run(runId, cp.nextCycle);
  db.prepare(`UPDATE training_runs SET status='running', cycles_done=? WHERE id=?`).run(cp.nextCycle, runId);
  const trades: Record<string, DetailedTradeMetric[]> = Object.fromEntries(params.symbols.map((s) => [s, [] as DetailedTradeMetric[]]));
  for (const r of db.prepare('SELECT symbol, metric_json FROM training_trades WHERE run_id=? ORDER BY rowid').iterate(runId) as Iterable<{ symbol: string; metric_json: string }>) {
    trades[r.symbol].push(JSON.parse(r.metric_json));
  }

  const insertTrade = db.prepare('INSERT INTO training_trades (run_id, cycle, symbol, metric_json) VALUES (?,?,?,?)');
  const insertCycle = db.prepare('INSERT OR REPLACE INTO training_cycles (run_id, cycle, summary_json) VALUES (?,?,?)');
  const saveCheckpoint = db.prepare('UPDATE training_runs SET checkpoint_json=?, cycles_done=? WHERE id=?');

  let portfolio: PortfolioMetrics | null = null;
  for (let k = cp.nextCycle; k < plan.length; k++) {
    if (hooks.shouldStop?.()) {
      saveCheckpoint.run(JSON.stringify(cp), cp.nextCycle, runId);
      db.prepare(`UPDATE training_runs SET status='stopped' WHERE id=?`).run(runId);
      throw new TrainingStopped(cp.nextCycle);
    }
    const c = plan[k];
    // Load this cycle's candles (plus warm-up) only: memory stays bounded on long 1-minute runs.
    const outputs = await Promise.all(
      params.symbols.map(async (symbol): Promise<AgentCycleOutput | null> => {
        const warm = db
          .prepare('SELECT COUNT(*) AS n FROM candles WHERE symbol=? AND timeframe=? AND ts>=? AND ts<?')
          .get(symbol, params.timeframe, c.from - WARMUP_CANDLES * tfMs, c.from) as { n: number };
        const candles = loadCandles(db, symbol, params.timeframe, c.from - WARMUP_CANDLES * tfMs, c.to);
        if (candles.length - warm.n < 2) return null;
        return runner.run({
          symbol,
          strategy: params.strategy,
          series: seriesFromCandles(symbol, params.timeframe, candles),
          start: warm.n,
          state: cp.states[symbol],
          equity: cp.equities[symbol],
          settings: params.settings,
          seed: params.seed,
          cycleId: c.index,
          sampleEvery,
        });
      }),
    );
    let cycleTrades = 0;
    let cyclePnl = 0;
    const alerts: Array<{ severity: 'WARNING' | 'CRITICAL'; title: string; body: string }> = [];
    db.transaction(() => {
      for (const out of outputs) {
        if (!out) continue;
        const s = out.symbol;
        for (const t of out.trades) insertTrade.run(runId, c.index, s, JSON.stringify(t));
        trades[s].push(...out.trades);
        cp.points[s].push(...out.points);
        const pnl = out.finalEquity - cp.equities[s];
        cycleTrades += out.trades.length;
        cyclePnl += pnl;
        cp.losingStreak[s] = pnl < 0 ? cp.losingStreak[s] + 1 : 0;
        if (cp.losingStreak[s] === params.alertLosingCycles) {
          alerts.push({ severity: 'WARNING', title: `${s} lost ${params.alertLosingCycles} cycles in a row`, body: `Last cycle #${c.index}: ${pnl.toFixed(2)}; equity ${out.finalEquity.toFixed(2)}.` });
        }
        cp.equities[s] = out.finalEquity;
        cp.states[s] = out.state;
      }
      const agents: AgentResult[] = params.symbols.map((s) => ({ symbol: s, points: cp.points[s], trades: trades[s] }));
      portfolio = portfolioMetrics(agents, metricTf, perAgent);
      const total = Object.values(cp.equities).reduce((a, b) => a + b, 0);
      const summary: CycleSummary = {
        cycle: c.index,
        from: new Date(c.from).toISOString(),
        to: new Date(c.to).toISOString(),
        trades: cycleTrades,
        pnl: cyclePnl,
        totalReturn: total / params.startingEquity - 1,
        sharpe: portfolio.sharpe,
        maxDrawdown: portfolio.maxDrawdown,
        winRate: portfolio.winRate,
        equity: total,
      };
      cp.cycles.push(summary);
      insertCycle.run(runId, c.index, JSON.stringify(summary));
      cp.nextCycle = k + 1;
      if (portfolio.maxDrawdown >= params.alertDrawdown && !cp.cycles.slice(0, -1).some((x) => x.maxDrawdown >= params.alertDrawdown)) {
        alerts.push({ severity: 'CRITICAL', title: `portfolio drawdown ${(portfolio.maxDrawdown * 100).toFixed(1)}%`, body: `Past the alert threshold of ${(params.alertDrawdown * 100).toFixed(1)}% in cycle #${c.index}.` });
      }
      if (cp.nextCycle % params.checkpointInterval === 0 || cp.nextCycle === plan.length) saveCheckpoint.run(JSON.stringify(cp), cp.nextCycle, runId);
      else db.prepare('UPDATE training_runs SET cycles_done=? WHERE id=?').run(cp.nextCycle, runId);
    })();
    for (const a of alerts) await hooks.onAlert?.(a);
    const p = portfolio!;
    await hooks.onCycle?.({
      runId,
      cycle: c.index,
      total: plan.length,
      summary: cp.cycles[cp.cycles.length - 1],
      portfolio: p,
      points: portfolioEquity(
        params.symbols.map((s) => ({ symbol: s, points: cp.points[s], trades: [] })),
        perAgent,
      ),
      agentPnl: params.symbols.map((s) => ({ label: s.replace('/', ''), value: cp.equities[s] - perAgent })),
      final: cp.nextCycle === plan.length,
    });
  }
  const agents: AgentResult[] = params.symbols.map((s) => ({ symbol: s, points: cp.points[s], trades: trades[s] }));
  const final = portfolio ?? portfolioMetrics(agents, metricTf, perAgent);
  const { agents: perAgentMetrics, ...portfolioOnly } = final;
  const result: TrainingResult = { runId, cycles: cp.cycles, final: { portfolio: portfolioOnly, agents: perAgentMetrics } };
  db.prepare(`UPDATE training_runs SET status='done', finished_at=?, result_json=? WHERE id=?`).run(Date.now(), JSON.stringify(result), runId);
  return result;
}

/** The agents' learned state at the end of a run (for the live crew). */
export function finalStates(db: DB, runId: string): Record<string, AgentState> {
  const row = db.prepare('SELECT checkpoint_json FROM training_runs WHERE id=?').get(runId) as { checkpoint_json: string | null } | undefined;
  return row?.checkpoint_json ? (JSON.parse(row.checkpoint_json) as Checkpoint).states : {};
}
