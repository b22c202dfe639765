import { isStrategyName, STRATEGIES } from '../agents/registry.js';
import type { StrategyName } from '../agents/types.js';
import { ConfigError, loadConfig } from '../config/load.js';
import { candlesProblem, readCandlesCsv, symbolFromFileName } from '../market/csv.js';
import { generateDemoSeries } from '../market/demo.js';
import { isTimeframe, timeframeMs } from '../market/timeframe.js';
import { candlesFromSeries } from '../market/types.js';
import { candleCount, saveCandles } from '../store/candles.js';
import { dbFile, openDb, type DB } from '../store/db.js';
import { interruptedRun, saveAgentStates } from '../store/training.js';
import { createRun, finalStates, newRunId, runTraining, TrainingStopped, WARMUP_CANDLES, type CycleReport } from '../training/run.js';
import { paramsFromConfig } from '../training/trainer.js';
import { fitExecutorFor, redisLabel } from '../distributed/fits.js';
import { progressBar } from '../render/views.js';
import { str } from '../render/template.js';
import { InputError, parseFlags, UsageError } from './args.js';

export const TRAIN_USAGE = `train [--days <n>] [--cycle-size <hours>] [--max-agents <n>] [--data <csv> | --data <BASE/QUOTE>=<csv>]...
        [--strategy crew|<name>] [--seed <n>] [--resume] [--json]
  Trains the crew in cycles over history in the data folder (TRADECREW_DATA_DIR). --data imports
  CSVs (symbol from the file name, BTC-USD_1h.csv -> BTC/USD, or given as SYM=path); without
  --data the seeded demo market supplies the history. --days counts back from the last candle.
  --resume continues the interrupted run in that data folder from its last checkpoint.
  --json prints exactly one JSON object: {"runId","cycles":[...],"final":{"portfolio","agents"},"trades":[...]}.`;

const OPTIONS = {
  days: { type: 'string' },
  'cycle-size': { type: 'string' },
  'max-agents': { type: 'string' },
  data: { type: 'string', multiple: true },
  strategy: { type: 'string' },
  seed: { type: 'string' },
  resume: { type: 'boolean' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

function intFlag(name: string, v: string | undefined, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) throw new InputError(`--${name} must be a whole number from ${min} to ${max} (got "${v}")`);
  return Number(v);
}

/** The config, with a config problem reported like any other bad input (one line, exit 1). */
export function configOrInputError() {
  try {
    return loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) throw new InputError(e.message);
    throw e;
  }
}

/** The demo history is anchored at a fixed date, so the same seed gives the same candles any day. */
export const DEMO_ANCHOR = Date.UTC(2024, 0, 1);

function importData(db: DB, specs: string[]): { symbols: string[]; timeframe: string } {
  const symbols: string[] = [];
  let timeframe: string | undefined;
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    const file = eq > 0 && spec.slice(0, eq).includes('/') ? spec.slice(eq + 1) : spec;
    const named = eq > 0 && spec.slice(0, eq).includes('/') ? spec.slice(0, eq).toUpperCase() : undefined;
    const fromName = symbolFromFileName(file);
    const symbol = named ?? fromName.symbol;
    const tf = fromName.timeframe;
    if (!tf || !isTimeframe(tf)) throw new InputError(`${file}: cannot tell the timeframe from the file name (expected e.g. BTC-USD_1h.csv)`);
    if (timeframe && tf !== timeframe) throw new InputError(`${file}: timeframe ${tf} differs from ${timeframe}; one run trains on one timeframe`);
    timeframe = tf;
    if (symbols.includes(symbol)) throw new InputError(`${file}: ${symbol} is given twice`);
    const candles = readCandlesCsv(file);
    const problem = candlesProblem(candles, tf, timeframeMs(tf), Date.now());
    if (problem) throw new InputError(`${file}: ${problem}`);
    saveCandles(db, symbol, tf, candles);
    symbols.push(symbol);
  }
  return { symbols, timeframe: timeframe! };
}

function demoData(db: DB, symbols: string[], timeframe: string, days: number, seed: number, fitDays: number): void {
  // The run's days, the walk-forward fit window before them, and the indicators' warm-up.
  const need = Math.ceil(((days + fitDays) * 86_400_000) / timeframeMs(timeframe)) + WARMUP_CANDLES;
  for (const symbol of symbols) {
    if (candleCount(db, symbol, timeframe) >= need) continue;
    const s = generateDemoSeries({ seed, symbol, timeframe, startTs: DEMO_ANCHOR }, need);
    // Save in chunks: a year of 1-minute candles is half a million rows per symbol.
    for (let k = 0; k < need; k += 50_000) saveCandles(db, symbol, timeframe, candlesFromSeries(s, k, Math.min(need, k + 50_000)));
  }
}

export async function trainCommand(argv: string[]): Promise<number> {
  const f = parseFlags('train', argv, OPTIONS);
  const data = f.data;
  if (f.help) {
    process.stdout.write(TRAIN_USAGE + '\n');
    return 0;
  }
  const cfg = configOrInputError();
  const days = intFlag('days', f.days, 1, 3650) ?? cfg.training.days_back;
  const cycleHours = intFlag('cycle-size', f['cycle-size'], 1, 24 * 365) ?? cfg.training.cycle_size_hours;
  const maxAgents = intFlag('max-agents', f['max-agents'], 1, 64) ?? cfg.training.max_concurrent_agents;
  const seed = intFlag('seed', f.seed, 0, 2 ** 31) ?? cfg.training.seed;
  if (f.strategy !== undefined && f.strategy !== 'crew' && !isStrategyName(f.strategy)) throw new InputError(`unknown strategy "${f.strategy}" (choose one of: crew, ${Object.keys(STRATEGIES).join(', ')})`);
  // Default: crew, the live default (the config's strategy with the analysts voting on entries).
  const strategy = (f.strategy ?? 'crew') as StrategyName | 'crew';
  const db = openDb(dbFile(cfg.data_dir));
  try {
    let runId: string;
    let symbols: string[];
    if (f.resume) {
      if (data) throw new UsageError('--resume continues a run as it was started; give no --data');
      const row = interruptedRun(db);
      if (!row) throw new InputError(`no interrupted training run in ${cfg.data_dir} to resume`);
      runId = row.id;
      symbols = JSON.parse(row.config_json).params.symbols;
    } else {
      let timeframe = cfg.timeframe;
      if (data && data.length) ({ symbols, timeframe } = importData(db, data));
      else {
        symbols = cfg.symbols;
        // --seed seeds the demo market too: a fresh data folder + the same seed = the same run.
        demoData(db, symbols, timeframe, days, f.seed !== undefined ? seed : cfg.demo.seed, cfg.training.walk_forward ? cfg.training.fit_days : 0);
      }
      runId = newRunId();
      createRun(db, runId, paramsFromConfig(cfg, { days, symbols, cycleHours, timeframe, strategy, seed }));
    }
    if (symbols.length > maxAgents) throw new InputError(`${symbols.length} agents (one per symbol) is more than --max-agents / training.max_concurrent_agents (${maxAgents})`);
    const started = Date.now();
    let lastDraw = 0;
    let totalTrades = 0;
    const tty = process.stderr.isTTY;
    const onCycle = (r: CycleReport) => {
      totalTrades += r.summary.trades;
      const now = Date.now();
      if (!r.final && now - lastDraw < (tty ? 200 : 2000)) return;
      lastDraw = now;
      const frac = r.cycle / r.total;
      const eta = r.cycle < r.total ? `${Math.round(((now - started) / Math.max(1, r.cycle)) * (r.total - r.cycle) / 1000)}s` : 'done';
      const line = `${progressBar(frac, 24)} ${(frac * 100).toFixed(0).padStart(3)}%  cycle ${r.cycle}/${r.total}  trades ${totalTrades}  return ${(r.summary.totalReturn * 100).toFixed(2)}%  ETA ${eta}`;
      process.stderr.write(tty ? `\r${line}` : `${line}\n`);
    };
    // SIGTERM / Ctrl-C: finish the cycle, checkpoint, say where it stopped (resume with --resume).
    let stop = false;
    const onSignal = () => (stop = true);
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
    // With a Redis URL, the refits go to BullMQ workers (npm run worker); else they run here.
    const remote = await fitExecutorFor(cfg, {
      runId,
      onProgress: (p) => {
        // Refits split into chunks: how many jobs they make (progress counts whole refits).
        const jobs = p.jobs > p.total ? ` · ${p.jobs} jobs` : '';
        process.stderr.write(
          p.where === 'threads'
            ? `refits ${p.done}/${p.total} on ${p.workers} threads${jobs}\n`
            : `refits ${p.done}/${p.total} on ${p.workers} worker${p.workers === 1 ? '' : 's'} (${redisLabel(cfg.redis_url)})${jobs} · largest job ${((p.largestJob ?? 0) / 1024).toFixed(0)} KB${p.workers === 0 ? ' · start one with: npm run worker' : ''}\n`,
        );
      },
    });
    try {
      const result = await runTraining(db, runId, { onCycle, shouldStop: () => stop, ...(remote ? { fitMany: (x) => remote.fitMany(x) } : {}) }).catch((e) => {
        if (e instanceof TrainingStopped) {
          if (tty) process.stderr.write('\n');
          process.stderr.write(`training ${runId} stopped after cycle ${e.cycle}; checkpoint saved. Continue with: npm run cli -- train --resume\n`);
          return null;
        }
        throw e;
      });
      if (!result) return 130;
      if (tty) process.stderr.write('\n');
      // The live crew of this data folder continues from what was learned (as /train does).
      const states = finalStates(db, runId);
      saveAgentStates(db, Object.entries(states).map(([symbol, s]) => ({ agent: `${symbol}:${s.strategy}`, state: s })), Date.now);
      if (f.json) process.stdout.write(JSON.stringify(result) + '\n');
      else {
        const p = result.final.portfolio;
        const pct = (v: number) => `${(v * 100).toFixed(2)}%`;
        process.stdout.write(
          [
            `training ${result.runId}: ${result.cycles.length} cycles, ${symbols.length} agents on one account, ${((Date.now() - started) / 1000).toFixed(1)}s`,
            `portfolio: return ${pct(p.totalReturn)}  sharpe ${p.sharpe.toFixed(2)} (95% ${p.sharpeCI ? `${p.sharpeCI[0].toFixed(2)} to ${p.sharpeCI[1].toFixed(2)}` : 'n/a: not enough data'}, ${p.samples} returns)  max DD ${pct(p.maxDrawdown)}  trades ${p.trades}  win rate ${pct(p.winRate)}`,
            ...Object.entries(result.final.agents).map(([s, m]) => `  ${s.padEnd(10)} return ${pct(m.totalReturn).padStart(8)}  trades ${String(m.trades).padStart(4)}  win ${pct(m.winRate).padStart(7)}  DD ${pct(m.maxDrawdown)}`),
            'may they propose? (out-of-sample record vs buy-and-hold, cash and random entries with the same exits)',
            ...Object.entries(result.verdicts).map(([s, v]) => {
              const ci = v.ci ? `[${v.ci[0].toFixed(2)}, ${v.ci[1].toFixed(2)}]` : '[n/a]';
              return `  ${s.padEnd(10)} ${v.edge ? 'YES' : 'no '}  ${str('en', v.code, v.params)}\n             sharpe ${v.sharpe.toFixed(2)} ${ci} from ${v.samples} returns, ${v.trades} trades · buy-and-hold ${v.buyHoldSharpe.toFixed(2)} · random median ${v.randomMedian.toFixed(2)} (beats ${(v.percentile * 100).toFixed(0)}%) · traded ${v.periodsTraded}/${v.periodsTotal} refit periods${v.untrainedSharpe !== undefined ? ` · untrained ${v.untrainedSharpe.toFixed(2)}` : ''}`;
            }),
          ].join('\n') + '\n',
        );
      }
      return 0;
    } finally {
      await remote?.close();
    }
  } finally {
    db.close();
  }
}

export const IMPORT_USAGE = `import-csv --data <csv> [--symbol <BASE/QUOTE>] [--timeframe <tf>]
  Imports candles from a CSV (header ts,open,high,low,close,volume) into the SQLite candle cache
  of the data folder (TRADECREW_DATA_DIR). Symbol and timeframe default from the file name.`;

export async function importCommand(argv: string[]): Promise<number> {
  const f = parseFlags('import-csv', argv, { data: { type: 'string' }, symbol: { type: 'string' }, timeframe: { type: 'string' }, help: { type: 'boolean', short: 'h' } } as const);
  if (f.help) {
    process.stdout.write(IMPORT_USAGE + '\n');
    return 0;
  }
  if (!f.data) throw new UsageError('import-csv needs --data <csv>');
  const fromName = symbolFromFileName(f.data);
  const symbol = (f.symbol ?? fromName.symbol).toUpperCase();
  const timeframe = f.timeframe ?? fromName.timeframe;
  if (!/^[A-Z0-9.\-]+\/[A-Z0-9.\-]+$/.test(symbol)) throw new InputError(`--symbol must look like BASE/QUOTE (got "${symbol}")`);
  if (!timeframe || !isTimeframe(timeframe)) throw new InputError(`cannot tell the timeframe of ${f.data}; give --timeframe (e.g. 1h)`);
  const candles = readCandlesCsv(f.data);
  // The same checks as backtest: spacing that matches the timeframe, nothing from the future.
  const problem = candlesProblem(candles, timeframe, timeframeMs(timeframe), Date.now());
  if (problem) throw new InputError(`${f.data}: ${problem}`);
  const cfg = configOrInputError();
  const db = openDb(dbFile(cfg.data_dir));
  try {
    saveCandles(db, symbol, timeframe, candles);
    process.stdout.write(`imported ${candles.length} ${timeframe} candles of ${symbol} (${new Date(candles[0].ts).toISOString()} .. ${new Date(candles[candles.length - 1].ts).toISOString()}) into ${dbFile(cfg.data_dir)}\n`);
  } finally {
    db.close();
  }
  return 0;
}
