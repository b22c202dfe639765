import { prepareAgent } from '../src/agents/learn.js';
import { isStrategyName, STRATEGIES } from '../src/agents/registry.js';
import { cloneAgentState, type StrategyName } from '../src/agents/types.js';
import type { Command } from '../src/chat/command.js';
import { STRATEGY_NAMES } from '../src/config/schema.js';
import { computeFeatures, WARMUP } from '../src/indicators/features.js';
import { timeframeMs } from '../src/market/timeframe.js';
import { seriesFromCandles, sliceSeries } from '../src/market/types.js';
import { seriesMetrics } from '../src/metrics/series.js';
import type { EquityPoint } from '../src/metrics/types.js';
import { equityImage } from '../src/reports/charts.js';
import { backtestMessage, simpleMessage } from '../src/render/views.js';
import { loadCandles } from '../src/store/candles.js';
import { runEngine } from '../src/kernel/backtest.js';
import { honestFigures } from '../src/evaluation/honest.js';
import { buyAndHold } from '../src/cli/backtest.js';
import { calendarOf, periodsPerYear } from '../src/metrics/series.js';
import { appEngineSettings } from '../src/risk/settings.js';
import { createRng } from '../src/util/rng.js';
import { intArg, maxArgs, symbolArg, t, usage } from './args.js';

/** Share of the window the agent learns on; the rest is the unseen test. */
export const BACKTEST_TRAIN_SHARE = 0.7;
/** Enough candles for the indicators to settle in both parts and leave something to trade. */
export const BACKTEST_MIN_CANDLES = 2 * (WARMUP + 50);


/**
 * The one engine over cached candles: the agent learns on the first 70% (prepareAgent: RL
 * episodes, ensemble weights; rule strategies learn nothing) and is then evaluated, without
 * learning, on the last 30% it has not seen. The features of the test part are computed over the
 * whole window (they only look back), so the test starts with settled indicators.
 */
export const backtest: Command = {
  name: 'backtest',
  description: 'Test a strategy on cached candles: learn on 70%, trade the unseen 30%',
  usage: '/backtest <symbol> [strategy] [days]',
  details: `strategy: ${STRATEGY_NAMES.join(', ')} (default: the configured one); days: how much history, 1-3650 (default: all cached). Uses the risk settings in force.`,
  role: 'viewer',
  options: [
    { name: 'symbol', description: 'e.g. BTC/USDT', type: 'string', required: true },
    { name: 'strategy', description: 'default: the configured strategy', type: 'string', choices: [...STRATEGY_NAMES] },
    { name: 'days', description: 'days of history, 1-3650 (default: all cached)', type: 'integer' },
  ],
  async run(ctx) {
    maxArgs(ctx, 3);
    const { app } = ctx;
    const symbol = symbolArg(app, ctx.args[0]);
    // [strategy] and [days] may come in either order (or alone): one is a name, the other a number.
    let strategy: StrategyName = app.cfg.strategy as StrategyName;
    let days: number | undefined;
    for (const a of ctx.args.slice(1)) {
      if (/^\d+$/.test(a) && days === undefined) days = intArg(app, a, 'days', 1, 3650);
      else if (isStrategyName(a.toLowerCase())) strategy = a.toLowerCase() as StrategyName;
      else throw usage(app, 'err_strategy', { value: a, strategies: STRATEGY_NAMES.join(', ') });
    }
    const tf = app.cfg.timeframe;
    const tfMs = timeframeMs(tf);
    let candles = loadCandles(app.db, symbol, tf);
    if (days !== undefined) candles = candles.slice(-Math.ceil((days * 86_400_000) / tfMs));
    if (candles.length < BACKTEST_MIN_CANDLES) {
      ctx.reply(simpleMessage('', t(app, 'backtest_no_data', { symbol, have: candles.length, need: BACKTEST_MIN_CANDLES })));
      return;
    }
    const series = seriesFromCandles(symbol, tf, candles);
    const n = candles.length;
    const cut = Math.floor(n * BACKTEST_TRAIN_SHARE);
    const settings = appEngineSettings(app);
    const start = app.cfg.starting_balance;
    const trainSeries = sliceSeries(series, 0, cut);
    const state = prepareAgent({
      strategy,
      symbol,
      train: { series: trainSeries, features: computeFeatures(trainSeries) },
      settings,
      seed: app.cfg.training.seed,
      startingEquity: start,
    });
    const features = computeFeatures(series);
    const res = runEngine({
      series,
      features,
      strategy: STRATEGIES[strategy],
      state: cloneAgentState(state),
      settings,
      ctx: { learn: false, rng: createRng(app.cfg.training.seed), allowShort: settings.risk.allow_short },
      startingEquity: start,
      from: cut,
      to: n,
      idPrefix: `bt-${symbol.replace('/', '')}`,
    });
    const points: EquityPoint[] = Array.from(res.equity, (equity, k) => ({ ts: series.ts[cut + k], equity }));
    const calendar = calendarOf(series.ts);
    const m = seriesMetrics(points, res.trades, tf, calendar);
    // The same window and costs for every baseline: holding from the test's first open, cash, and
    // random entries with the same exits and sizing.
    const testSeries = sliceSeries(series, cut, n);
    const bh = buyAndHold(testSeries, calendar);
    const h = honestFigures({ series, features, settings, startingEquity: start, run: res, exits: STRATEGIES[strategy].exits, sharpe: m.sharpe, buyHoldSharpe: bh.sharpe, calendar, seed: app.cfg.training.seed, from: cut, to: n });
    const image = await equityImage(app, `backtest-${symbol}-${strategy}`, t(app, 'backtest_chart_title', { symbol, strategy }), points);
    ctx.reply(
      backtestMessage(
        app.fmt,
        {
          symbol,
          strategy,
          timeframe: tf,
          trainCandles: cut,
          trainFrom: series.ts[0],
          trainTo: series.ts[cut - 1],
          testCandles: n - cut,
          testFrom: series.ts[cut],
          testTo: series.ts[n - 1],
          totalReturn: res.finalEquity / start - 1,
          pnl: res.finalEquity - start,
          buyHold: bh.totalReturn,
          buyHoldSharpe: bh.sharpe,
          buyHoldDrawdown: bh.maxDrawdown,
          sharpeCI: h.ci ? [h.ci.lo, h.ci.hi] : null,
          samples: h.returns.length,
          periodsPerYear: periodsPerYear(tf, calendar),
          randomRuns: h.random.runs,
          randomSharpe: h.random.sharpeMedian,
          randomReturn: h.random.returnMedian,
          percentile: h.percentile,
          verdict: h.verdict,
          trades: m.trades,
          winRate: m.winRate,
          avgHours: m.avgDurationHours,
          sharpe: m.sharpe,
          sortino: m.sortino,
          maxDrawdown: m.maxDrawdown,
          fees: m.fees,
          refusals: res.refusals,
        },
        image,
      ),
    );
  },
};
