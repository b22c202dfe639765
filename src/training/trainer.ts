import { fitExecutorFor, type FitProgress } from '../distributed/fits.js';
import type { FitBatch } from './fit-task.js';
import type { App } from '../app/context.js';
import type { Config } from '../config/schema.js';
import { track } from '../app/context.js';
import type { OutgoingMessage } from '../chat/types.js';
import type { StrategyName } from '../agents/types.js';
import { engineSettings } from '../kernel/settings.js';
import { getKv } from '../store/kv.js';
import { timeframeMs } from '../market/timeframe.js';
import { FIT_STRATEGIES } from './select.js';
import { interruptedRun, latestRun, markRunFailed, runConfigJson, runProgress, saveAgentStates } from '../store/training.js';
import { cycleChart } from '../render/chart-files.js';
import { plural, renderTemplate, str } from '../render/template.js';
import { agentName, alertMessage, cycleSummaryMessage, edgeLine, progressBar, simpleMessage } from '../render/views.js';
import { createRun, finalStates, newRunId, runTraining, TrainingStopped, type CycleReport, type TrainingAlert, type TrainingParams, type TrainingResult } from './run.js';

/** Where a run's messages go: the chat that asked, or every push chat for scheduled runs. */
export interface Reporter {
  send(msg: OutgoingMessage): number | null;
  edit(id: number, msg: OutgoingMessage): void;
}

export interface RunRequest {
  days: number;
  symbols: string[];
  cycleHours: number;
  timeframe?: string;
}

export interface Trainer {
  /** One line for /status. */
  describe(): string;
  current(): { runId: string; done: number; total: number; startedAt: number; refits: FitProgress | null } | null;
  start(req: RunRequest, reporter: Reporter): { runId: string; cycles: number };
  resume(runId: string, reporter: Reporter): void;
  /** Asks the running run to checkpoint and stop after its current cycle. */
  stop(): boolean;
  /** The run interrupted by a crash, if any (status 'running' in SQLite but not in this process). */
  interrupted(): string | null;
  /** The newest run, for /train status. */
  latest(): { id: string; status: string; done: number; total: number; result: TrainingResult | null } | null;
}

const PROGRESS_EVERY_MS = 3000;
/**
 * Intermediate cycle summaries (each a photo) at most this often: a 150-day run that takes 4 s
 * sent 15 of them, which on Telegram is a wall of photos and 429s. The final one always comes.
 */
export const SUMMARY_MIN_GAP_MS = 60_000;

export function paramsFor(app: App, req: RunRequest): TrainingParams {
  return paramsFromConfig(app.cfg, req, getKv<Partial<Config['risk']>>(app.db, 'risk.overrides', {}));
}

/** The run's parameters: the request plus the config's training, risk and cost settings. */
/**
 * `strategy` absent: the live default (the config's strategy, with the crew voting when
 * crew.enabled). `crew`: the config's strategy with the crew. A strategy name: that agent alone.
 */
export function paramsFromConfig(cfg: Config, req: RunRequest & { strategy?: StrategyName | 'crew'; seed?: number }, overrides: Partial<Config['risk']> = {}): TrainingParams {
  const withCrew = req.strategy === 'crew' || (req.strategy === undefined && cfg.crew.enabled);
  const strategy = req.strategy === undefined || req.strategy === 'crew' ? (cfg.strategy as StrategyName) : req.strategy;
  const settings = engineSettings(cfg, { overrides });
  const r = settings.risk;
  return {
    symbols: req.symbols,
    timeframe: req.timeframe ?? cfg.timeframe,
    days: req.days,
    cycleHours: req.cycleHours,
    strategy,
    crew: withCrew ? cfg.crew : null,
    seed: req.seed ?? cfg.training.seed,
    startingEquity: cfg.starting_balance,
    settings,
    checkpointInterval: cfg.training.checkpoint_interval,
    summaryEvery: cfg.training.summary_every,
    memoryCleanupInterval: cfg.training.memory_cleanup_interval,
    maxMemoryMb: cfg.training.max_memory_usage_mb,
    alertDrawdown: r.max_drawdown / 2,
    alertLosingCycles: 3,
    walkForward: walkForwardFor(cfg, strategy, req.timeframe ?? cfg.timeframe, req.cycleHours, req.strategy === undefined || req.strategy === 'crew'),
  };
}

/** Candles a fit looks back at most (a 1-minute fit over 90 days would be 130k candles per try). */
export const MAX_FIT_CANDLES = 20_000;
/** Candles a fit looks back at least. */
export const MIN_FIT_WINDOW = 500;

/**
 * The walk-forward settings of a run: on for the rule strategies when training.walk_forward is.
 * The live default (no strategy named) chooses among every rule strategy; a named rule strategy
 * fits only its own exit rules; RL and the ensemble learn by themselves and are not fitted.
 */
function walkForwardFor(cfg: Config, strategy: StrategyName, timeframe: string, cycleHours: number, anyRule: boolean): TrainingParams['walkForward'] {
  // The forest learns only walk-forward (a model needs a window to learn on): on whatever walk_forward says.
  if (strategy !== 'ml_forest' && (!cfg.training.walk_forward || !FIT_STRATEGIES.includes(strategy))) return null;
  const tfMs = timeframeMs(timeframe);
  return {
    // Daily candles: 90 days is 62 candles, too few to tell anything; look back 500 candles at least.
    fitCandles: Math.min(MAX_FIT_CANDLES, Math.max(MIN_FIT_WINDOW, Math.round((cfg.training.fit_days * 86_400_000) / tfMs))),
    refitCycles: Math.max(1, Math.round((cfg.training.refit_days * 24) / cycleHours)),
    strategies: strategy === 'ml_forest' ? ['ml_forest'] : anyRule ? FIT_STRATEGIES : [strategy],
    confidence: cfg.training.fit_confidence,
  };
}

export function createTrainer(app: App): Trainer {
  let running: { runId: string; done: number; total: number; startedAt: number; stop: boolean; refits: FitProgress | null } | null = null;

  const launch = (runId: string, total: number, reporter: Reporter) => {
    running = { runId, done: 0, total, startedAt: app.now(), stop: false, refits: null };
    const run = running;
    const progressId = reporter.send(progressMessage(app, run, str(app.cfg.language, 'train_state_starting'), 0, 0));
    let lastEdit = 0;
    let lastSummary = Date.now();
    let trades = 0;
    // Each alert once per run (an agent that keeps losing is said once, not every cycle).
    const alerted = new Set<string>();
    let pnl = 0;
    const onCycle = async (r: CycleReport) => {
      run.done = r.cycle;
      trades += r.summary.trades;
      pnl = r.summary.equity - app.cfg.starting_balance;
      const t = Date.now();
      if (progressId !== null && (t - lastEdit >= PROGRESS_EVERY_MS || r.final)) {
        lastEdit = t;
        reporter.edit(progressId, progressMessage(app, run, str(app.cfg.language, r.final ? 'train_state_done' : 'train_state_running'), trades, pnl));
      }
      // Summaries: every summary_every cycles, but not more often than SUMMARY_MIN_GAP_MS.
      if (r.portfolio && (r.final || t - lastSummary >= SUMMARY_MIN_GAP_MS)) {
        lastSummary = t;
        const image = await cycleChart(app.chartsDir, app.log, { runId: r.runId, cycle: r.cycle, points: r.points, bars: r.agentPnl }, app.cfg.language);
        const span = `${new Date(JSON.parse(runConfigJson(app.db, r.runId)).plan[0].from).toISOString().slice(0, 10)} → ${r.summary.to.slice(0, 10)}`;
        reporter.send(cycleSummaryMessage(app.fmt, { runId: r.runId, cycle: r.cycle, done: r.cycle, total: r.total, completedAt: app.now(), span, final: r.final, portfolio: r.portfolio, agents: r.portfolio.agents, sharpeCI: r.sharpeCI ?? undefined }, image));
      }
    };
    // With a Redis URL the refits go to BullMQ workers first; the message says how they advance.
    const remoteReady = fitExecutorFor(app.cfg, {
      runId,
      onJobTimed: (ms, where) => app.metrics?.fitSeconds.observe({ where }, ms / 1000),
      onProgress: (p) => {
        run.refits = p;
        const t = Date.now();
        if (progressId !== null && (t - lastEdit >= PROGRESS_EVERY_MS || p.done === p.total)) {
          lastEdit = t;
          reporter.edit(progressId, progressMessage(app, run, plural(app.cfg.language, p.where === 'threads' ? 'train_state_threads' : 'train_state_refits', p.workers, { done: p.done, total: p.total }), 0, 0));
        }
      },
    });
    const work = (async () => {
      try {
        const queue = await remoteReady;
        await runTraining(app.db, runId, {
          ...(queue ? { fitMany: (x: FitBatch) => queue.fitMany(x) } : {}),
          onCycle,
          onFitTimed: (ms) => app.metrics?.fitSeconds.observe({ where: 'main' }, ms / 1000),
          summaryEvery: app.cfg.training.summary_every,
          onAlert: (a) => {
            if (alerted.has(a.key)) return;
            alerted.add(a.key);
            reporter.send(alertMessage(app.fmt, trainingAlertText(app, a)));
          },
          shouldStop: () => run.stop,
        });
        // The live crew continues from what was learned.
        const states = finalStates(app.db, runId);
        saveAgentStates(app.db, Object.entries(states).map(([symbol, s]) => ({ agent: `${symbol}:${s.strategy}`, state: s })), () => app.now());
        for (const [symbol, s] of Object.entries(states)) if (app.cfg.symbols.includes(symbol)) app.agents.set(symbol, s);
        // Which agents earned the right to propose, with the figures it rests on.
        const lines = Object.entries(states).map(([symbol, s]) => `• ${agentName(symbol)}: ${edgeLine(app.fmt, s.edge, app.cfg.training.require_edge, true)}`);
        reporter.send(simpleMessage('🎓', [str(app.cfg.language, 'train_verdicts', { runId }), ...lines].join('\n')));
      } catch (e) {
        if (e instanceof TrainingStopped) {
          if (progressId !== null) reporter.edit(progressId, progressMessage(app, run, str(app.cfg.language, 'train_state_stopped', { cycle: e.cycle }), trades, pnl));
          reporter.send(simpleMessage('⏹️', str(app.cfg.language, 'train_stopped', { runId, cycle: e.cycle, total: run.total })));
        } else {
          markRunFailed(app.db, runId, app.scrub(String(e)));
          reporter.send(alertMessage(app.fmt, { severity: 'CRITICAL', title: str(app.cfg.language, 'train_failed', { runId }), body: app.scrub((e as Error).message ?? String(e)) }));
          throw e;
        }
      } finally {
        running = null;
        await (await remoteReady.catch(() => null))?.close();
      }
    })();
    track(app, work);
  };

  return {
    describe() {
      if (running) return `running ${running.runId}: cycle ${running.done}/${running.total}`;
      const l = this.latest();
      return l ? `last run ${l.id}: ${l.status} (${l.done}/${l.total} cycles)` : 'no run yet';
    },
    current: () => (running ? { runId: running.runId, done: running.done, total: running.total, startedAt: running.startedAt, refits: running.refits } : null),
    start(req, reporter) {
      if (running) throw new Error(`training ${running.runId} is already running`);
      const runId = newRunId();
      const { plan } = createRun(app.db, runId, paramsFor(app, req));
      launch(runId, plan.length, reporter);
      return { runId, cycles: plan.length };
    },
    resume(runId, reporter) {
      if (running) throw new Error(`training ${running.runId} is already running`);
      const row = runProgress(app.db, runId);
      launch(runId, row.cycles_total, reporter);
      running!.done = row.cycles_done;
    },
    stop() {
      if (!running) return false;
      running.stop = true;
      return true;
    },
    interrupted() {
      const r = interruptedRun(app.db);
      if (!r || (running && running.runId === r.id)) return null;
      return r.id;
    },
    latest() {
      const r = latestRun(app.db);
      return r ? { id: r.id, status: r.status, done: r.cycles_done, total: r.cycles_total, result: r.result_json ? JSON.parse(r.result_json) : null } : null;
    },
  };
}

/** A training alert in the chat's language and number format. */
function trainingAlertText(app: App, a: TrainingAlert): { severity: 'WARNING' | 'CRITICAL'; title: string; body: string } {
  const L = app.cfg.language;
  const f = app.fmt;
  const p = { symbol: a.params.symbol ?? '', cycles: a.params.cycles ?? 0, cycle: a.params.cycle, pnl: f.signed(a.params.pnl ?? 0), equity: f.num(a.params.equity ?? 0, 2), drawdown: f.pct(a.params.drawdown ?? 0, 1), threshold: f.pct(a.params.threshold ?? 0, 1) };
  return { severity: a.severity, title: str(L, `train_alert_${a.kind}_title`, p), body: `${str(L, `train_alert_${a.kind}_body`, p)} ${str(L, 'train_alert_once')}` };
}

function progressMessage(app: App, run: { runId: string; done: number; total: number; startedAt: number }, state: string, trades: number, pnl: number): OutgoingMessage {
  const frac = run.total ? run.done / run.total : 0;
  const elapsed = app.now() - run.startedAt;
  // Too early for an ETA worth reading: "0s" at 1% was a guess dressed as a figure.
  const eta = run.done >= run.total ? '0s' : run.done > 0 && (frac >= 0.05 || elapsed >= 10_000) ? app.fmt.duration((elapsed / run.done) * (run.total - run.done)) : '…';
  return {
    rich: renderTemplate(app.cfg.language, 'training_progress', {
      runId: run.runId,
      state,
      bar: progressBar(frac),
      pct: app.fmt.pct(frac, 0),
      done: run.done,
      total: run.total,
      eta,
      trades,
      pnl: app.fmt.signed(pnl),
    }),
  };
}
