import { prepareAgent } from '../agents/learn.js';
import { featuresFor, isStrategyName, STRATEGIES } from '../agents/registry.js';
import { cloneAgentState, type AgentState, type Strategy, type StrategyName } from '../agents/types.js';
import { loadConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { computeFeatures, type Features } from '../indicators/features.js';
import { candlesProblem, readCandlesCsv, symbolFromFileName } from '../market/csv.js';
import { isTimeframe, timeframeMs } from '../market/timeframe.js';
import { seriesFromCandles, type Series } from '../market/types.js';
import { calendarOf, maxDrawdown, periodsPerYear, returnsOf, seriesMetricsOf, sharpe, type Calendar } from '../metrics/series.js';
import { honestFigures } from '../evaluation/honest.js';
import { str } from '../render/template.js';
export { EDGE_RULE, edgeVerdict } from '../evaluation/honest.js';
import type { EquityPoint } from '../metrics/types.js';
import { tradeJson, type TradeJson } from '../metrics/trade-json.js';
import { runEngine, type EngineSettings, type RunResult } from '../kernel/backtest.js';
import { engineSettings } from '../kernel/settings.js';
import { crewReview } from '../crew/review.js';
import type { EntryReview } from '../kernel/backtest.js';
import { createRng } from '../util/rng.js';
import { dbFile, openDb } from '../store/db.js';
import { BACKTEST_OPTIONS, InputError, intFlag, numberFlag, parseFlags, UsageError } from './args.js';
import { recordBacktest } from './backtest-runs.js';
import { configOrInputError } from './train.js';

export const BACKTEST_USAGE = `backtest --data <csv> [--symbol BASE/QUOTE] [--timeframe 1h|1d|...] [--strategy crew|<name>]
           [--train-data <csv>] [--fee <fraction>] [--seed <n>] [--json]
    Replays one strategy over a candle file with the live engine's rules (decision on a close, fill
    at the next open, stops, fees, slippage, the risk gate) and compares it with buy-and-hold.
    --data         candles, header ts,open,high,low,close,volume (e.g. ../shared/data/market/BTC-USD_1h.csv)
    --symbol       default from the file name (BTC-USD_1h.csv -> BTC/USD, SPY_1d.csv -> SPY/USD)
    --timeframe    default from the file name (BTC-USD_1h.csv -> 1h)
    --strategy     crew | ${Object.keys(STRATEGIES).join(' | ')} (default crew: the live default, the config's
                   strategy with the rule analysts voting on every entry, deterministic)
    --train-data   candles the agent learns on first (RL, ensemble weights); --data is never learned from
    --fee          fee per side as a fraction, 0 <= fee < 0.05 (default costs.fee from the config)
    --seed         default 42
    --json         one JSON object on stdout: runId, summary, buyHold, baselines, trades
    Every backtest is recorded in the data folder (TRADECREW_DATA_DIR) with its manifest: replay
    it with \`npm run cli -- replay <runId>\`.`;

/** Everything a backtest (and the lookahead check) needs, read and validated. */
export interface BacktestArgs {
  data: string;
  symbol: string;
  timeframe: string;
  strategy: CliStrategy;
  trainData?: string;
  fee?: number;
  seed: number;
  json: boolean;
}

/** A registered strategy, or `crew`: the config's strategy with the analyst crew voting on entries. */
export type CliStrategy = StrategyName | 'crew';
export const DEFAULT_STRATEGY: CliStrategy = 'crew';
export const isCliStrategy = (s: string): s is CliStrategy => s === 'crew' || isStrategyName(s);
export const DEFAULT_SEED = 42;
/** The CLI validates the fee itself: a value at or above 5% per side is surely a typo (5 vs 0.05). */
export const MAX_FEE = 0.05;

/** Flags -> validated arguments; null when --help was asked for. */
export function backtestArgs(command: string, argv: string[]): BacktestArgs | null {
  const v = parseFlags(command, argv, BACKTEST_OPTIONS);
  if (v.help) return null;
  if (!v.data) throw new UsageError(`${command}: --data <csv> is required (see: ${command} --help)`);
  const fromName = symbolFromFileName(v.data);

  const symbol = v.symbol ?? fromName.symbol;
  if (!/^[A-Za-z0-9._-]+\/[A-Za-z0-9._-]+$/.test(symbol)) {
    throw new InputError(`--symbol must look like BASE/QUOTE (e.g. BTC/USDT), got "${symbol}"`);
  }
  const timeframe = v.timeframe ?? fromName.timeframe;
  if (timeframe === undefined) {
    throw new InputError(`${v.data}: cannot tell the timeframe from the file name; pass --timeframe (e.g. 1h, 1d)`);
  }
  if (!isTimeframe(timeframe) || !(timeframeMs(timeframe) > 0)) {
    const where = v.timeframe === undefined ? ` (taken from the file name ${v.data}; pass --timeframe)` : '';
    throw new InputError(`bad timeframe "${timeframe}"${where}: use e.g. 1m, 5m, 15m, 1h, 4h, 1d`);
  }
  const strategy = v.strategy ?? DEFAULT_STRATEGY;
  if (!isCliStrategy(strategy)) {
    throw new InputError(`unknown strategy "${strategy}" (choose one of: crew, ${Object.keys(STRATEGIES).join(', ')})`);
  }
  let fee: number | undefined;
  if (v.fee !== undefined) {
    fee = numberFlag('fee', v.fee);
    if (!(fee >= 0 && fee < MAX_FEE)) throw new InputError(`--fee must be a fraction with 0 <= fee < ${MAX_FEE} (0.001 = 0.1% per side), got ${v.fee}`);
  }
  const seed = v.seed === undefined ? DEFAULT_SEED : intFlag('seed', v.seed);
  return { data: v.data, symbol: symbol.toUpperCase(), timeframe, strategy, trainData: v['train-data'], fee, seed, json: v.json ?? false };
}



/**
 * Reads a candle file as a series. Besides the CSV rules (readCandlesCsv), the candles must be one
 * timeframe apart at the closest: annualised ratios and the time stop count candles, so a 1h file
 * run as 1d would report numbers 24x off without any error. Gaps (weekends, outages) are allowed.
 */
export function loadSeries(file: string, symbol: string, timeframe: string): Series {
  const candles = readCandlesCsv(file);
  const problem = candlesProblem(candles, timeframe, timeframeMs(timeframe), Date.now());
  if (problem) throw new InputError(`${file}: ${problem}`);
  return seriesFromCandles(symbol, timeframe, candles);
}

/** A backtest ready to run: evaluation data, the agent as prepared on the training data. */
export interface PreparedBacktest {
  args: BacktestArgs;
  series: Series;
  features: Features;
  strategy: Strategy;
  /** What the summary calls it: the strategy's name, or `crew`. */
  name: CliStrategy;
  /** The crew's vote on entries (`--strategy crew`). */
  review?: EntryReview;
  settings: EngineSettings;
  startingEquity: number;
  /** The agent after learning on --train-data (never mutated: every run gets a clone). */
  state: AgentState;
  trained: boolean;
  /** Candles in --train-data (0 without). */
  trainCandles: number;
  /** The --train-data series (null without), for the run's manifest. */
  train: Series | null;
  warnings: string[];
}

export function prepareBacktest(args: BacktestArgs, cfg: Config = loadConfig()): PreparedBacktest {
  const series = loadSeries(args.data, args.symbol, args.timeframe);
  const base: StrategyName = args.strategy === 'crew' ? (cfg.strategy as StrategyName) : args.strategy;
  // The columns the strategy reads (the crew's analysts read any: all of them); the entries'
  // description computes its own at the first entry.
  const features = computeFeatures(series, 'fast', args.strategy === 'crew' ? undefined : featuresFor([STRATEGIES[base]]));
  const settings = engineSettings(cfg, { fee: args.fee });
  const startingEquity = cfg.starting_balance;
  const warnings: string[] = [];
  let train: { series: Series; features: Features } | null = null;
  if (args.trainData) {
    const ts = loadSeries(args.trainData, args.symbol, args.timeframe);
    const lastTrain = ts.ts[ts.ts.length - 1];
    if (lastTrain >= series.ts[0]) {
      warnings.push(
        `warning: --train-data runs to ${new Date(lastTrain).toISOString()}, past the start of --data (${new Date(series.ts[0]).toISOString()}): the result is not out-of-sample`,
      );
    }
    train = { series: ts, features: computeFeatures(ts, 'fast') };
  }
  const state = prepareAgent({ strategy: base, symbol: args.symbol, train, settings, seed: args.seed, startingEquity });
  return {
    args,
    series,
    features,
    strategy: STRATEGIES[base],
    name: args.strategy,
    review: args.strategy === 'crew' ? crewReview(cfg.crew, { timeframe: args.timeframe, tfMs: timeframeMs(args.timeframe), settings }) : undefined,
    settings,
    startingEquity,
    state,
    trained: train !== null,
    trainCandles: train ? train.series.ts.length : 0,
    train: train?.series ?? null,
    warnings,
  };
}

/**
 * One evaluation run: learning off, a clone of the prepared state (so repeated runs start alike),
 * a fresh rng from the seed. `series`/`features` default to the prepared ones; the lookahead check
 * passes cut copies.
 */
export function evaluate(
  p: Pick<PreparedBacktest, 'series' | 'features' | 'strategy' | 'settings' | 'startingEquity' | 'state' | 'review'> & { args: Pick<BacktestArgs, 'seed'> },
  opts: { series?: Series; features?: Features; recordSignals?: boolean; rng?: () => number; state?: AgentState } = {},
): RunResult {
  return runEngine({
    series: opts.series ?? p.series,
    features: opts.features ?? p.features,
    strategy: p.strategy,
    state: opts.state ?? cloneAgentState(p.state),
    settings: p.settings,
    ctx: { learn: false, rng: opts.rng ?? createRng(p.args.seed), allowShort: p.settings.risk.allow_short },
    startingEquity: p.startingEquity,
    recordSignals: opts.recordSignals,
    review: p.review,
  });
}

const iso = (ms: number) => new Date(ms).toISOString();

export { tradeJson, type TradeJson } from '../metrics/trade-json.js';

/** What a result is worth beside its baselines (same window, same costs). */
export interface Baselines {
  buyHold: BacktestReport['buyHold'];
  /** Doing nothing. */
  cash: { totalReturn: 0; sharpe: 0; maxDrawdown: 0 };
  /** Random entries with the same exits and sizing, as many as the agent made; seeded runs. */
  randomEntry: { runs: number; entries: number; sharpeMedian: number; returnMedian: number; tradesMedian: number; percentile: number };
}

export interface BacktestReport {
  summary: {
    symbol: string;
    timeframe: string;
    strategy: CliStrategy;
    candles: number;
    from: string;
    to: string;
    trades: number;
    winRate: number;
    totalReturn: number;
    sharpe: number;
    sortino: number;
    maxDrawdown: number;
    var95: number;
    fees: number;
    /** 95% bootstrap interval of the Sharpe ratio; null below MIN_SAMPLES returns ("not enough data"). */
    sharpeCI: [number, number] | null;
    /** Returns the Sharpe ratio rests on. */
    samples: number;
    /** 'crypto' (365 days a year) or 'exchange' (252 trading days), from the candles' weekdays. */
    calendar: Calendar;
    periodsPerYear: number;
    cagr: number;
    /** Share of candles with a position open. */
    exposure: number;
    profitFactor: number | null;
    /** Mean trade PnL after costs, quote currency. */
    expectancy: number;
    /** Traded notional per year over mean equity. */
    turnover: number;
    /** Fees and slippage as a share of the profit before costs (null when there was none). */
    costShare: number | null;
    /** The agent's own verdict: does it beat its baselines? (See EDGE_RULE.) */
    edge: boolean;
    edgeReason: string;
  };
  buyHold: { totalReturn: number; sharpe: number; maxDrawdown: number };
  baselines: Baselines;
  trades: TradeJson[];
}



/**
 * Buy-and-hold over the evaluated candles, no fees: bought at the first open, valued at every
 * close. Sharpe and max drawdown use that value path (first open, then each close).
 */
export function buyAndHold(s: Series, calendar: Calendar = calendarOf(s.ts)): BacktestReport['buyHold'] {
  const n = s.close.length;
  const path = new Float64Array(n + 1);
  path[0] = s.open[0];
  path.set(s.close, 1);
  return {
    totalReturn: s.close[n - 1] / s.open[0] - 1,
    sharpe: sharpe(returnsOf(path), periodsPerYear(s.timeframe, calendar)),
    maxDrawdown: maxDrawdown(path),
  };
}

/** The engine's equity (one value per candle close) as points stamped with the candle's ts. */
export function equityPoints(s: Series, equity: Float64Array, from = 0): EquityPoint[] {
  const out: EquityPoint[] = new Array(equity.length);
  for (let i = 0; i < equity.length; i++) out[i] = { ts: s.ts[from + i], equity: equity[i] };
  return out;
}

export function backtestReport(p: PreparedBacktest, run: RunResult, o: { baselineRuns?: number } = {}): BacktestReport {
  const s = p.series;
  const calendar = calendarOf(s.ts);
  const ppy = periodsPerYear(s.timeframe, calendar);
  const m = seriesMetricsOf(s.ts.subarray(0, run.equity.length), run.equity, run.trades, s.timeframe, calendar);
  const bh = buyAndHold(s, calendar);
  const h = honestFigures({ series: s, features: p.features, settings: p.settings, startingEquity: p.startingEquity, run, exits: p.strategy.exits, sharpe: m.sharpe, buyHoldSharpe: bh.sharpe, calendar, seed: p.args.seed, runs: o.baselineRuns });
  const { ci, stats, random, percentile, verdict, returns } = h;
  return {
    summary: {
      symbol: s.symbol,
      timeframe: s.timeframe,
      strategy: p.name,
      candles: s.ts.length,
      from: iso(s.ts[0]),
      to: iso(s.ts[s.ts.length - 1]),
      trades: m.trades,
      winRate: m.winRate,
      totalReturn: m.totalReturn,
      sharpe: m.sharpe,
      sortino: m.sortino,
      maxDrawdown: m.maxDrawdown,
      var95: m.var95,
      fees: m.fees,
      sharpeCI: ci ? [ci.lo, ci.hi] : null,
      samples: returns.length,
      calendar,
      periodsPerYear: ppy,
      cagr: stats.cagr,
      exposure: stats.exposure,
      profitFactor: stats.profitFactor,
      expectancy: stats.expectancy,
      turnover: stats.turnover,
      costShare: stats.costShare,
      edge: verdict.edge,
      edgeReason: str('en', verdict.code, verdict.params),
    },
    buyHold: bh,
    baselines: {
      buyHold: bh,
      cash: { totalReturn: 0, sharpe: 0, maxDrawdown: 0 },
      randomEntry: { runs: random.runs, entries: run.trades.length, sharpeMedian: random.sharpeMedian, returnMedian: random.returnMedian, tradesMedian: random.tradesMedian, percentile },
    },
    trades: run.trades.map(tradeJson),
  };
}

const pct = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(2)}%`;
const num = (x: number) => x.toFixed(2);

function agentLine(p: PreparedBacktest): string {
  if (p.review) return `agent: crew — ${p.strategy.name} proposes, the rule analysts vote on every entry (an entry only when they back its side)`;
  const name = p.strategy.name;
  const learns = name === 'rl_qlearning' || name === 'ensemble';
  if (!learns) return `agent: ${name}, a rule strategy with fixed parameters: nothing to learn${p.trained ? ' (--train-data not used)' : ''}`;
  if (p.trained) return `agent: ${name}, prepared on --train-data (${p.trainCandles} candles); --data was only evaluated, never learned from`;
  return `agent: ${name}, untrained (no --train-data): the RL policy is empty and holds${name === 'ensemble' ? '; member weights are equal' : ''}`;
}

/** The human summary: a two-column table (strategy vs buy-and-hold) and a few lines of context. */
export function formatReport(p: PreparedBacktest, r: BacktestReport, run: RunResult): string {
  const s = r.summary;
  const b = r.buyHold;
  const rows: Array<[string, string, string]> = [
    ['total return', pct(s.totalReturn), pct(b.totalReturn)],
    ['sharpe', num(s.sharpe), num(b.sharpe)],
    ['sortino', num(s.sortino), ''],
    ['max drawdown', pct(-s.maxDrawdown), pct(-b.maxDrawdown)],
    ['VaR 95% (1 day)', pct(-s.var95), ''],
    ['trades', String(s.trades), '1'],
    ['win rate', s.trades ? `${(100 * s.winRate).toFixed(1)}%` : 'n/a', ''],
    ['fees paid', `${s.fees.toFixed(2)}`, '0'],
    ['final equity', run.finalEquity.toFixed(2), (p.startingEquity * (1 + b.totalReturn)).toFixed(2)],
  ];
  const w0 = Math.max(...rows.map((x) => x[0].length));
  const w1 = Math.max(s.strategy.length, ...rows.map((x) => x[1].length));
  const lines = [
    `backtest ${s.symbol} ${s.timeframe}: ${s.candles} candles, ${s.from} .. ${s.to}`,
    agentLine(p),
    `costs: fee ${(100 * p.settings.costs.fee).toFixed(3)}% per side, slippage ${(100 * p.settings.costs.slippage).toFixed(3)}%; starting equity ${p.startingEquity}`,
    '',
    `${''.padEnd(w0)}  ${s.strategy.padStart(w1)}  ${'buy & hold'.padStart(10)}`,
    ...rows.map(([k, a, c]) => `${k.padEnd(w0)}  ${a.padStart(w1)}  ${c.padStart(10)}`),
  ];
  const ci = s.sharpeCI ? `[${num(s.sharpeCI[0])}, ${num(s.sharpeCI[1])}]` : 'not enough data';
  const re = r.baselines.randomEntry;
  lines.push(
    '',
    `sharpe ${num(s.sharpe)}, 95% interval ${ci}, from ${s.samples} ${s.timeframe} returns (${s.calendar} market: ${s.periodsPerYear} periods a year)`,
    `cash: return +0.00%, sharpe 0.00`,
    `random entries with the same exits and sizing (${re.runs} runs, ~${Math.round(re.tradesMedian)} trades each): median sharpe ${num(re.sharpeMedian)}, median return ${pct(re.returnMedian)}; this agent beats ${(100 * re.percentile).toFixed(0)}% of them`,
    `CAGR ${pct(s.cagr)}, time in market ${(100 * s.exposure).toFixed(1)}%, profit factor ${s.profitFactor === null ? 'n/a' : num(s.profitFactor)}, expectancy ${s.expectancy.toFixed(2)} per trade, turnover ${s.turnover.toFixed(1)}x a year, costs ${s.costShare === null ? 'n/a (no profit before costs)' : `${(100 * s.costShare).toFixed(0)}% of the profit before costs`}`,
    `verdict: ${s.edgeReason}`,
  );
  const refusals = Object.entries(run.refusals).sort((a, c) => c[1] - a[1]);
  if (refusals.length) {
    lines.push('', 'entries refused by the risk gate:');
    for (const [reason, count] of refusals.slice(0, 5)) lines.push(`  ${String(count).padStart(6)}  ${reason}`);
  }
  return lines.join('\n');
}

export async function backtestCommand(argv: string[]): Promise<number> {
  const args = backtestArgs('backtest', argv);
  if (!args) {
    process.stdout.write(`usage: npm run cli -- ${BACKTEST_USAGE}\n`);
    return 0;
  }
  const cfg = configOrInputError();
  const p = prepareBacktest(args, cfg);
  for (const w of p.warnings) process.stderr.write(w + '\n');
  const run = evaluate(p);
  const report = backtestReport(p, run);
  // Recorded in the data folder, so it can be replayed. The report is out either way: a data
  // folder that cannot take the record costs only the replay.
  let id: string | null = null;
  try {
    const db = openDb(dbFile(cfg.data_dir));
    try {
      id = recordBacktest(db, cfg, p, report, p.train, Date.now());
    } finally {
      db.close();
    }
  } catch (e) {
    process.stderr.write(`warning: backtest not recorded in ${cfg.data_dir} (no replay of it): ${(e as Error).message}\n`);
  }
  if (args.json) process.stdout.write(JSON.stringify({ runId: id, ...report }) + '\n');
  else process.stdout.write(formatReport(p, report, run) + '\n' + (id ? `Recorded as ${id}; run it again with: npm run cli -- replay ${id}\n` : ''));
  return 0;
}
