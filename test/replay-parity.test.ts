import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { newAgentState, type StrategyName } from '../src/agents/types.js';
import { strategyByName } from '../src/agents/registry.js';
import { createApp } from '../src/app/create.js';
import { loadConfig } from '../src/config/load.js';
import { crewReview } from '../src/crew/review.js';
import { computeFeatures } from '../src/indicators/features.js';
import { runEngine } from '../src/kernel/backtest.js';
import { engineSettings } from '../src/kernel/settings.js';
import { readCandlesCsv } from '../src/market/csv.js';
import { createReplayMarket } from '../src/market/demo-market.js';
import { backfill, refreshCandles } from '../src/market/refresh.js';
import { timeframeMs } from '../src/market/timeframe.js';
import { seriesFromCandles, sliceSeries, type Series } from '../src/market/types.js';
import type { DetailedTradeMetric } from '../src/metrics/types.js';
import { rejectProposal } from '../src/trading/proposals.js';
import { scanAll } from '../src/trading/live.js';
import { createRng } from '../src/util/rng.js';
import { silentLogger } from '../src/util/logger.js';
import { REPO, tempDataDir } from './support/spawn-bot.js';

/**
 * Replay parity (one kernel for every clock): a real series fed candle by candle through the paper
 * path - scan, proposal, auto-approval, paper fill, watch, close, all through SQLite - makes the
 * same trades as a backtest over the same candles with the same settings: entry and exit time,
 * price, quantity and exit reason, for every strategy and for the crew.
 */

const MARKET = path.resolve(REPO, '..', 'shared', 'data', 'market');
const SKIP = fs.existsSync(path.join(MARKET, 'BTC-USD_1h.csv')) ? false : `real market data not found at ${MARKET}`;

/** History the bot starts with (features need ~250 candles to settle), then candles replayed one by one. */
const HISTORY = 400;

function load(file: string, symbol: string, timeframe: string, candles: number): Series {
  const s = seriesFromCandles(symbol, timeframe, readCandlesCsv(path.join(MARKET, file)));
  return sliceSeries(s, 0, Math.min(candles, s.close.length));
}

interface Leg {
  entryTime: number;
  exitTime: number;
  entryPrice: number;
  exitPrice: number;
  quantity: number;
  direction: string;
  exitReason: string;
}
const leg = (t: DetailedTradeMetric): Leg => ({ entryTime: t.entryTime, exitTime: t.exitTime, entryPrice: t.entryPrice, exitPrice: t.exitPrice, quantity: t.quantity, direction: t.direction, exitReason: t.exitReason });

async function replay(series: Series, strategy: StrategyName, crew: boolean): Promise<{ live: Leg[]; backtest: Leg[] }> {
  const env: Record<string, string> = {
    TRADECREW_DATA_DIR: tempDataDir(),
    TRADECREW_SYMBOLS: series.symbol,
    TRADECREW_TIMEFRAME: series.timeframe,
    TRADECREW_STRATEGY: strategy,
    TRADECREW_APPROVAL__AUTO_APPROVE: 'true',
    TRADECREW_APPROVAL__AUTO_MIN_CONFIDENCE: '0',
    TRADECREW_CREW__ENABLED: String(crew),
    TRADECREW_CREW__LEARN_WEIGHTS: 'false',
  };
  const cfg = loadConfig({ env });
  const app = createApp(cfg, { adapters: [], log: silentLogger(), market: createReplayMarket([series], HISTORY) });
  try {
    await backfill(app);
    const n = series.close.length;
    for (let closed = HISTORY; closed <= n - 1; closed++) {
      await scanAll(app);
      // A split crew's proposal waits for a human; here the human says no (the backtest cannot ask).
      for (const p of app.db.prepare(`SELECT id FROM proposals WHERE status='pending'`).all() as Array<{ id: string }>) rejectProposal(app, p.id, 'test');
      if (closed < n - 1) await refreshCandles(app);
    }
    const live = (app.db.prepare(`SELECT metric_json FROM trades WHERE status='closed' ORDER BY exit_ts, entry_ts`).all() as Array<{ metric_json: string }>).map((r) => leg(JSON.parse(r.metric_json)));

    const settings = engineSettings(cfg);
    const tfMs = timeframeMs(series.timeframe);
    const run = runEngine({
      series,
      features: computeFeatures(series, 'fast'),
      strategy: strategyByName(strategy),
      state: newAgentState(series.symbol, strategy),
      settings,
      ctx: { learn: false, rng: createRng(1), allowShort: settings.risk.allow_short },
      startingEquity: cfg.starting_balance,
      // The bot's first decision is on the last history candle.
      from: HISTORY - 1,
      review: crew ? crewReview(cfg.crew, { timeframe: series.timeframe, tfMs, settings }) : undefined,
    });
    // The bot has not seen the last candle (it would fill at the open after it); the backtest
    // closes what is open there. Trades are compared up to the candle before.
    const end = series.ts[n - 1];
    const backtest = run.trades.filter((t) => t.exitTime < end).map(leg);
    return { live, backtest };
  } finally {
    await app.outbox.stop();
    app.db.close();
  }
}

function assertSameTrades(what: string, r: { live: Leg[]; backtest: Leg[] }): void {
  const n = Math.max(r.live.length, r.backtest.length);
  for (let k = 0; k < n; k++) {
    const a = r.live[k];
    const b = r.backtest[k];
    const same =
      a && b && a.entryTime === b.entryTime && a.exitTime === b.exitTime && a.direction === b.direction && a.exitReason === b.exitReason &&
      Math.abs(a.entryPrice - b.entryPrice) <= 1e-9 * b.entryPrice && Math.abs(a.exitPrice - b.exitPrice) <= 1e-9 * b.exitPrice && Math.abs(a.quantity - b.quantity) <= 1e-9 * b.quantity;
    if (!same) {
      const show = (x?: Leg) => (x ? { ...x, entryTime: new Date(x.entryTime).toISOString(), exitTime: new Date(x.exitTime).toISOString() } : 'none');
      assert.fail(`${what}: trade #${k + 1} of ${r.live.length} live / ${r.backtest.length} backtest differs:\n  live     ${JSON.stringify(show(a))}\n  backtest ${JSON.stringify(show(b))}`);
    }
  }
}

const CASES: Array<{ file: string; symbol: string; tf: string; candles: number }> = [
  { file: 'BTC-USD_1h.csv', symbol: 'BTC/USD', tf: '1h', candles: 2400 },
  { file: 'SPY_1d.csv', symbol: 'SPY/USD', tf: '1d', candles: 1900 },
];
const STRATEGIES: StrategyName[] = ['trend_following', 'mean_reversion', 'breakout', 'rl_qlearning', 'ensemble', 'trend_participation'];

for (const c of CASES) {
  test(`replay parity on ${c.file}: the paper path and the backtest make the same trades`, { skip: SKIP }, async (t) => {
    const series = load(c.file, c.symbol, c.tf, c.candles);
    let total = 0;
    for (const strategy of STRATEGIES) {
      await t.test(strategy, async () => {
        const r = await replay(series, strategy, false);
        assertSameTrades(`${c.file} ${strategy}`, r);
        total += r.live.length;
      });
    }
    await t.test('the crew (trend_following agent, rule analysts)', async () => {
      const r = await replay(series, 'trend_following', true);
      assertSameTrades(`${c.file} crew`, r);
      total += r.live.length;
    });
    // Parity over no trades would prove nothing.
    assert.ok(total >= 20, `only ${total} trades compared on ${c.file}`);
  });
}
