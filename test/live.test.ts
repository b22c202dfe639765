/**
 * The live path of the whole app, in-process: config -> createApp -> the REAL ccxt binance client
 * over real HTTP -> a local binance-spot stand-in; messages through the console adapter into an
 * in-memory stream. The app's clock is injected, so "which candle is still open" is exact.
 */
import assert from 'node:assert/strict';
import { PassThrough, Writable } from 'node:stream';
import { after, describe, test } from 'node:test';
import { COMMANDS } from '../commands/index.js';
import type { Decision } from '../src/agents/decision.js';
import { strategyByName } from '../src/agents/registry.js';
import { newAgentState, OPEN_LONG } from '../src/agents/types.js';
import type { App } from '../src/app/context.js';
import { catchUp } from '../src/app/catch-up.js';
import { createApp } from '../src/app/create.js';
import { createConsoleAdapter } from '../src/chat/console.js';
import { createRouter } from '../src/chat/router.js';
import { loadConfig } from '../src/config/load.js';
import { computeFeatures } from '../src/indicators/features.js';
import { backfill, refreshCandles } from '../src/market/refresh.js';
import { seriesFromCandles, type Candle } from '../src/market/types.js';
import { gate, type RiskSettings, type RiskState } from '../src/risk/gate.js';
import { candleCount, lastCandleTs } from '../src/store/candles.js';
import { setKv } from '../src/store/kv.js';
import { liveBalance, openTrades } from '../src/trading/account.js';
import { isCcxtBroker } from '../src/trading/ccxt-broker.js';
import { currentEquity, exitOrderId, riskState, scanAll, watchPositions } from '../src/trading/live.js';
import { decisionNotice } from '../src/notify/notices.js';
import { approveProposal, clientOrderId, getProposal, type ProposalRow } from '../src/trading/proposals.js';
import { createRng } from '../src/util/rng.js';
import { silentLogger } from '../src/util/logger.js';
import { makeCandles, startExchangeStandin, type ExchangeStandin, liveEnv } from './support/exchange-standin.js';
import { tempDataDir } from './support/spawn-bot.js';
import { loadExchange } from '../src/market/ccxt-exchange.js';

// The bot loads only its configured exchange's ccxt module, before building the app (src/main.ts).
await loadExchange('binance');

const TF = 60_000;
const T0 = Date.UTC(2024, 0, 1);
const SYMBOL = 'BTC/USDT';

/** A seeded walk and the first candle (after enough history) where trend_following opens a long. */
function signalSeries(seed = 7): { candles: Candle[]; k: number } {
  const candles = makeCandles(T0, TF, 400, seed, 30_000);
  const f = computeFeatures(seriesFromCandles(SYMBOL, '1m', candles));
  const st = strategyByName('trend_following');
  for (let k = 200; k < 390; k++) {
    const ctx = { learn: false, rng: createRng(1), allowShort: true };
    if (st.signal(f, k, 0, newAgentState(SYMBOL, 'trend_following'), ctx) === OPEN_LONG) return { candles, k };
  }
  throw new Error('no long signal in the series');
}

/** Would the strategy open a long on the last of these candles? */
function longSignalOn(candles: Candle[]): boolean {
  const f = computeFeatures(seriesFromCandles(SYMBOL, '1m', candles));
  return strategyByName('trend_following').signal(f, candles.length - 1, 0, newAgentState(SYMBOL, 'trend_following'), { learn: false, rng: createRng(1), allowShort: true }) === OPEN_LONG;
}

interface LiveApp {
  app: App;
  standin: ExchangeStandin;
  chat(): string;
  waitChat(re: RegExp, timeoutMs?: number): Promise<void>;
  command(line: string): void;
  setClock(ms: number): void;
  close(): Promise<void>;
}

const opened: LiveApp[] = [];
after(async () => {
  for (const l of opened) await l.close();
});

/** A live-mode bot against a fresh stand-in, started like main.ts does (the chat first, then the catch-up: backfill, recovery, the exchange check). */
async function startLive(o: { candles: Candle[]; clock: number; env?: Record<string, string>; usdt?: number }): Promise<LiveApp> {
  const standin = await startExchangeStandin();
  standin.setCandles(SYMBOL, o.candles);
  standin.setBalance('USDT', o.usdt ?? 10_000);
  let clock = o.clock;
  const dataDir = tempDataDir('tc-live-');
  const cfg = loadConfig({
    env: {
      ...liveEnv(standin, dataDir, [SYMBOL]),
      TRADECREW_EXCHANGE__CACHE_TTL_SECONDS: '0',
      TRADECREW_EXCHANGE__RETRY_BASE_MS: '10',
      TRADECREW_EXCHANGE__TIMEOUT_SECONDS: '2',
      ...o.env,
    },
  });
  let text = '';
  const output = new Writable({
    write(chunk, _enc, cb) {
      text += String(chunk);
      cb();
    },
  });
  const input = new PassThrough();
  const con = createConsoleAdapter({ input, output, userName: 'alice' });
  const app = createApp(cfg, { adapters: [con], log: silentLogger(), now: () => clock, outbox: { backoffBaseMs: 20, pollMs: 20 }, starting: true });
  await con.start(createRouter(app, COMMANDS), []);
  await catchUp(app);
  const l: LiveApp = {
    app,
    standin,
    chat: () => text,
    async waitChat(re, timeoutMs = 8_000) {
      const end = Date.now() + timeoutMs;
      while (!re.test(text)) {
        if (Date.now() > end) throw new Error(`chat never showed ${re}; it has:\n${text.slice(-2500)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    command(line) {
      input.write(line + '\n');
    },
    setClock(ms) {
      clock = ms;
    },
    async close() {
      await app.outbox.drain(2_000);
      await app.outbox.stop();
      await con.stop();
      app.db.close();
      await standin.close();
    },
  };
  opened.push(l);
  return l;
}

const klines = (s: ExchangeStandin, from = 0) => s.requests.slice(from).filter((r) => r.path === '/api/v3/klines');
const posts = (s: ExchangeStandin, from = 0) => s.requests.slice(from).filter((r) => r.method === 'POST' && r.path === '/api/v3/order');
const trades = (app: App) => app.db.prepare('SELECT * FROM trades').all() as Array<{ id: string; proposal_id: string; quantity: number; stop: number; status: string; exit_reason: string | null; entry_price: number }>;
const floorTo = (x: number, step: number) => Math.floor(x / step + 1e-9) * step;

describe('live: market data, a scan, an approved order, a stop', () => {
  const { candles, k } = signalSeries();
  // The candle after the signal is still forming, and it is a crash: if it reached the decision,
  // there would be no long.
  const forming: Candle = { ...candles[k + 1], open: candles[k].close, high: candles[k].close, low: candles[k].close * 0.9, close: candles[k].close * 0.9 };
  let l: LiveApp;
  let proposal: ProposalRow;

  test('backfill stores closed candles only; an incremental fetch asks only for what is new', async () => {
    assert.ok(longSignalOn(candles.slice(0, k + 1)), 'precondition: long signal on candle k');
    assert.ok(!longSignalOn([...candles.slice(0, k + 1), forming]), 'precondition: the forming candle would change the decision');
    // At start, candle k-3 is the last closed one and k-2 is forming.
    l = await startLive({ candles: candles.slice(0, k - 1), clock: candles[k - 2].ts + 30_000, usdt: 2_000 });
    const { app, standin } = l;
    assert.equal(candleCount(app.db, SYMBOL, '1m'), k - 2, 'every closed candle, not the forming one');
    assert.equal(lastCandleTs(app.db, SYMBOL, '1m'), candles[k - 3].ts);
    assert.equal(klines(standin).length, 1, 'one page');

    // Three minutes later: candles up to k are closed, the crash candle k+1 is forming.
    standin.setCandles(SYMBOL, [...candles.slice(0, k + 1), forming]);
    standin.setPrice(SYMBOL, candles[k].close);
    l.setClock(forming.ts + 5_000);
    const mark = standin.requests.length;
    await refreshCandles(app);
    const asked = klines(standin, mark);
    assert.equal(asked.length, 1, 'one request for the new candles');
    assert.equal(Number(asked[0].params.startTime), candles[k - 2].ts, 'starting right after the last cached candle');
    assert.equal(lastCandleTs(app.db, SYMBOL, '1m'), candles[k].ts, 'the forming candle is not stored');
    // The same candles sent again change nothing (upsert by time).
    await refreshCandles(app);
    assert.equal(candleCount(app.db, SYMBOL, '1m'), k + 1);
  });

  test('a scan decides on the last closed candle and, auto-approved, places exactly one live order with the rounded amount', async () => {
    const { app, standin } = l;
    setKv(app.db, 'autoapprove', { on: true, min: 0 });
    const mark = standin.requests.length;
    const out = await scanAll(app);
    assert.equal(out[0].action, 'proposal', JSON.stringify(out));
    proposal = getProposal(app, out[0].detail!)!;
    const d = JSON.parse(proposal.decision_json) as Decision;
    assert.equal(proposal.candle_ts, candles[k].ts, 'decided on candle k, not the forming one');
    assert.equal(d.price, candles[k].close);
    assert.equal(proposal.status, 'executed');

    // Sized on the exchange's equity (2 000 USDT): at most 25% of it, not 25% of the paper 10 000.
    assert.ok(proposal.quantity * d.price <= 0.25 * 2_000 + 1e-6, `notional ${proposal.quantity * d.price}`);
    assert.ok(proposal.quantity * d.price > 400, 'the position cap is what bound it');

    const sent = posts(standin, mark);
    assert.equal(sent.length, 1, 'one order request');
    assert.equal(sent[0].params.newClientOrderId, clientOrderId(proposal.id));
    assert.equal(sent[0].params.type, 'MARKET');
    const rounded = floorTo(proposal.quantity, 0.00001);
    assert.ok(Math.abs(Number(sent[0].params.quantity) - rounded) < 1e-12, `sent ${sent[0].params.quantity}, expected ${rounded}`);
    assert.ok(/^\d+\.\d{1,5}$/.test(sent[0].params.quantity), 'no more decimals than the step allows');
    assert.equal(standin.orders.length, 1);

    const ts = trades(app);
    assert.equal(ts.length, 1);
    // binance took the commission in BTC: the position holds what arrived.
    assert.ok(Math.abs(ts[0].quantity - rounded * 0.999) < 1e-12, `held ${ts[0].quantity}`);
    assert.ok(Math.abs(standin.balance('BTC').free - ts[0].quantity) < 1e-12);
    await l.waitChat(new RegExp(`ORDER FILLED[\\s\\S]*${proposal.id}`));

    // Equity is the exchange's quote balance plus the position's value.
    const bal = liveBalance(app.db)!;
    assert.ok(Math.abs(bal.total - standin.balance('USDT').free) < 1e-9, 'balance refreshed after the fill');
    assert.ok(Math.abs(currentEquity(app) - (bal.total + ts[0].quantity * candles[k].close)) < 1e-6);
  });

  test('a stop hit on the next closed candle closes the position with a live market sell', async () => {
    const { app, standin } = l;
    const t = openTrades(app.db)[0];
    const exitPrice = Math.floor(t.stop) - 80;
    const crash: Candle = { ...candles[k + 1], open: candles[k].close, high: candles[k].close, low: exitPrice - 20, close: exitPrice };
    const next: Candle = { ...candles[k + 2], open: crash.close, high: crash.close, low: crash.close, close: crash.close };
    standin.setCandles(SYMBOL, [...candles.slice(0, k + 1), crash, next]);
    standin.setPrice(SYMBOL, exitPrice);
    l.setClock(next.ts + 5_000);
    const mark = standin.requests.length;
    await refreshCandles(app);
    await scanAll(app);

    const sells = posts(standin, mark);
    assert.equal(sells.length, 1);
    assert.equal(sells[0].params.side, 'SELL');
    assert.equal(sells[0].params.newClientOrderId, exitOrderId(t.id));
    assert.ok(Math.abs(Number(sells[0].params.quantity) - floorTo(t.quantity, 0.00001)) < 1e-12, 'sells what it holds, rounded down');
    const closed = trades(app)[0];
    assert.equal(closed.status, 'closed');
    assert.equal(closed.exit_reason, 'STOP_LOSS');
    const exitRow = app.db.prepare('SELECT status, price FROM orders WHERE client_order_id=?').get(exitOrderId(t.id)) as { status: string; price: number };
    assert.equal(exitRow.status, 'filled');
    assert.equal(exitRow.price, exitPrice, 'recorded at the exchange fill price');
    await l.waitChat(/TRADE COMPLETED[\s\S]*Stop/i);

    // Nothing more happens on the next scan: no second sell (and the cooldown holds off a new entry).
    const mark2 = standin.requests.length;
    await scanAll(app);
    assert.equal(posts(standin, mark2).length, 0);
  });
});

describe('live: rejections and lost answers', () => {
  const { candles, k } = signalSeries();
  const closedUpTo = (n: number) => ({ candles: candles.slice(0, n + 1), clock: candles[n].ts + TF + 5_000 });

  test('insufficient funds: reported in chat in plain words; no trade, no order, no balance change', async () => {
    const l = await startLive({ ...closedUpTo(k) });
    const { app, standin } = l;
    const out = await scanAll(app);
    assert.equal(out[0].action, 'proposal');
    const id = out[0].detail!;
    assert.equal(getProposal(app, id)!.status, 'pending');
    // The owner moved money away before approving.
    standin.setBalance('USDT', 5);
    const r = await approveProposal(app, id, 'alice (console)');
    assert.equal(r.ok, false);
    assert.match(decisionNotice('en', app.fmt, r), /not enough USDT/);
    await l.waitChat(new RegExp(`Order for BTC/USDT \\(${id}\\) was rejected: not enough USDT: buying [\\d.]+ BTC on BTC/USDT needs more USDT than the account has free.*Nothing else changed\\.`));
    assert.equal(getProposal(app, id)!.status, 'failed');
    assert.equal(trades(app).length, 0);
    assert.equal(standin.orders.length, 0);
    assert.deepEqual(standin.balance('USDT'), { free: 5, locked: 0 });
    assert.equal(openTrades(app.db).length, 0);
  });

  test('the order POST times out (the exchange took it): found by client order id, recorded once, never sent twice', async () => {
    const l = await startLive({ ...closedUpTo(k), env: { TRADECREW_EXCHANGE__TIMEOUT_SECONDS: '1' } });
    const { app, standin } = l;
    setKv(app.db, 'autoapprove', { on: true, min: 0 });
    standin.failNext(/\/api\/v3\/order$/, 1, { method: 'POST', hangMs: 3_000 });
    const mark = standin.requests.length;
    const out = await scanAll(app);
    const id = out[0].detail!;
    assert.equal(getProposal(app, id)!.status, 'executed');
    assert.equal(posts(standin, mark).length, 1, 'sent once');
    assert.equal(standin.orders.filter((o) => o.clientOrderId === clientOrderId(id)).length, 1, 'one order on the exchange');
    assert.ok(standin.requests.slice(mark).some((r) => r.method === 'GET' && r.path === '/api/v3/order' && r.params.origClientOrderId === clientOrderId(id)), 'looked up by client id');
    assert.equal(trades(app).length, 1);
    await l.waitChat(/ORDER FILLED/);
    // A later scan (the proposal is executed) sends nothing.
    const mark2 = standin.requests.length;
    await scanAll(app);
    assert.equal(posts(standin, mark2).length, 0);
  });

  test('exchange down at approval: the proposal stays approved, the next scan places it once', async () => {
    const l = await startLive({ ...closedUpTo(k) });
    const { app, standin } = l;
    const id = (await scanAll(app))[0].detail!;
    // The lookup before sending fails every try (3): nothing can be known, so nothing is sent.
    standin.failNext(/\/api\/v3\/order$/, 3, { status: 503 });
    const r = await approveProposal(app, id, 'alice (console)');
    assert.ok(r.ok);
    assert.match(decisionNotice('en', app.fmt, r), /did not answer[\s\S]*retried at the next scan/);
    assert.equal(getProposal(app, id)!.status, 'approved');
    assert.equal(standin.orders.length, 0);
    assert.equal(posts(standin).length, 0);
    // The exchange is back.
    await scanAll(app);
    assert.equal(getProposal(app, id)!.status, 'executed');
    assert.equal(standin.orders.length, 1);
    assert.equal(trades(app).length, 1);
  });
});

describe('live: limit orders', () => {
  const { candles, k } = signalSeries();

  test('a limit order at the decision price that crosses fills at once', async () => {
    const l = await startLive({ candles: candles.slice(0, k + 1), clock: candles[k].ts + TF + 5_000, env: { TRADECREW_EXCHANGE__ORDER_TYPE: 'limit' } });
    const { app, standin } = l;
    setKv(app.db, 'autoapprove', { on: true, min: 0 });
    standin.setPrice(SYMBOL, candles[k].close - 3); // the market is a little below our limit
    const id = (await scanAll(app))[0].detail!;
    const sent = posts(standin)[0];
    assert.equal(sent.params.type, 'LIMIT');
    assert.equal(Number(sent.params.price), candles[k].close);
    assert.equal(getProposal(app, id)!.status, 'executed');
    assert.equal(trades(app)[0].entry_price, candles[k].close - 3, 'filled at the better market price');
  });

  test('a limit order that rests on the book: reported, kept approved, never sent twice', async () => {
    const l = await startLive({ candles: candles.slice(0, k + 1), clock: candles[k].ts + TF + 5_000, env: { TRADECREW_EXCHANGE__ORDER_TYPE: 'limit' } });
    const { app, standin } = l;
    setKv(app.db, 'autoapprove', { on: true, min: 0 });
    standin.setPrice(SYMBOL, candles[k].close + 50); // ran away above our limit
    const id = (await scanAll(app))[0].detail!;
    assert.equal(standin.orders.length, 1);
    assert.equal(standin.orders[0].status, 'NEW');
    assert.equal(getProposal(app, id)!.status, 'approved');
    assert.deepEqual(app.db.prepare('SELECT status FROM orders WHERE client_order_id=?').get(clientOrderId(id)), { status: 'open' });
    await l.waitChat(new RegExp(`Limit order for BTC/USDT \\(${id}\\) is on the book`));
    assert.equal(trades(app).length, 0);
    const mark = standin.requests.length;
    await scanAll(app);
    await scanAll(app);
    assert.equal(posts(standin, mark).length, 0, 'looked up, not re-sent');
    assert.equal(standin.orders.length, 1);
    assert.equal(l.chat().match(/is on the book/g)!.length, 1, 'told once');
  });

  test('/cancel takes a resting limit order off the book once; again, it says nothing rests; the scan never re-sends it', async () => {
    const l = await startLive({ candles: candles.slice(0, k + 1), clock: candles[k].ts + TF + 5_000, env: { TRADECREW_EXCHANGE__ORDER_TYPE: 'limit' } });
    const { app, standin } = l;
    setKv(app.db, 'autoapprove', { on: true, min: 0 });
    standin.setPrice(SYMBOL, candles[k].close + 50); // ran away above our limit
    const id = (await scanAll(app))[0].detail!;
    l.command('/locks');
    await l.waitChat(new RegExp(`BTC/USDT: approved proposal ${id} has a limit order on the book until .*/cancel ${id} cancels it now`));
    l.command('/cancel nonsense!');
    await l.waitChat(/give the proposal id of a resting limit order \(see \/locks\), or all\nUsage: \/cancel <id\|all>/);
    l.command(`/cancel tc-${id}`);
    await l.waitChat(new RegExp(`Limit order ${id} \\(BTC/USDT\\) cancelled before anything filled; the proposal is closed`));
    await l.waitChat(new RegExp(`Limit order for BTC/USDT \\(${id}\\) was cancelled by alice \\(console\\) before anything filled`));
    // The proposal's own message says it was cancelled, by whom (not that its time ran out).
    await l.waitChat(/Limit order cancelled by alice \(console\) · not executed/);
    assert.equal(standin.orders[0].status, 'CANCELED');
    assert.equal(getProposal(app, id)!.status, 'expired');
    assert.deepEqual(app.db.prepare('SELECT status FROM orders WHERE client_order_id=?').get(clientOrderId(id)), { status: 'cancelled' });
    const deletes = () => standin.requests.filter((r) => r.method === 'DELETE').length;
    assert.equal(deletes(), 1);
    l.command(`/cancel ${id}`);
    await l.waitChat(new RegExp(`${id} has no limit order on the book \\(it is cancelled\\); nothing to cancel`));
    l.command('/cancel all');
    await l.waitChat(/No limit order rests on the book; nothing to cancel\./);
    const mark = standin.requests.length;
    await scanAll(app);
    assert.equal(posts(standin, mark).length, 0, 'not re-sent');
    assert.equal(deletes(), 1, 'cancelled once');
    assert.equal(trades(app).length, 0);
    const audited = app.db.prepare(`SELECT COUNT(*) AS n FROM audit_log WHERE action LIKE '/cancel%' AND allowed=1`).get() as { n: number };
    assert.equal(audited.n, 4, 'every /cancel is in the audit log');
  });

  test('/cancel all after a partial fill: the filled part becomes the trade, the rest is cancelled', async () => {
    const l = await startLive({ candles: candles.slice(0, k + 1), clock: candles[k].ts + TF + 5_000, env: { TRADECREW_EXCHANGE__ORDER_TYPE: 'limit' } });
    const { app, standin } = l;
    setKv(app.db, 'autoapprove', { on: true, min: 0 });
    standin.setPrice(SYMBOL, candles[k].close - 3);
    standin.partialFillNext(1, { ratio: 0.5, then: 'rest' });
    const id = (await scanAll(app))[0].detail!;
    assert.equal(getProposal(app, id)!.status, 'approved', 'half filled, the rest rests');
    l.command('/cancel all');
    await l.waitChat(new RegExp(`Limit order ${id} \\(BTC/USDT\\) cancelled; [\\d.]+ had filled at \\$[\\d,.]+ and is now an open trade`));
    const t = trades(app);
    assert.equal(t.length, 1);
    const o = standin.orders[0];
    assert.ok(o.executedQty > 0 && o.executedQty < o.origQty, 'half of it had filled');
    assert.ok(t[0].quantity > 0 && t[0].quantity <= o.executedQty + 1e-12, 'the trade is the filled part (less any fee taken in coins)');
    assert.equal(getProposal(app, id)!.status, 'executed');
    assert.equal(standin.orders[0].status, 'CANCELED');
  });
});

describe('live: watching positions', () => {
  const { candles, k } = signalSeries();

  async function withPosition(env: Record<string, string> = {}): Promise<LiveApp> {
    const l = await startLive({ candles: candles.slice(0, k + 1), clock: candles[k].ts + TF + 5_000, env });
    setKv(l.app.db, 'autoapprove', { on: true, min: 0 });
    await scanAll(l.app);
    assert.equal(openTrades(l.app.db).length, 1);
    return l;
  }

  test('trailing stop: moves up after a rising candle, then closes where the fixed stop would not have', async () => {
    const l = await withPosition({ TRADECREW_RISK__TRAILING_STOP_ATR: '1' });
    const { app, standin } = l;
    const t = openTrades(app.db)[0];
    const d = JSON.parse(t.decision_json as string) as Decision;
    const p = candles[k].close;
    // Up, but short of the target (3 ATR).
    const up: Candle = { ...candles[k + 1], open: p, high: p + 2.5 * d.atr, low: p, close: p + 2.2 * d.atr };
    standin.setCandles(SYMBOL, [...candles.slice(0, k + 1), up]);
    l.setClock(up.ts + TF + 5_000);
    await refreshCandles(app);
    await scanAll(app);
    const moved = openTrades(app.db)[0];
    assert.ok(moved, 'still open');
    assert.ok(moved.stop > t.stop + d.atr, `stop moved from ${t.stop} to ${moved.stop}`);
    assert.ok(moved.stop < up.high - 0.5 * d.atr, 'one (current) ATR under the high');
    // Falls back to just under the trailed stop, still far above the original one.
    const down: Candle = { ...candles[k + 2], open: up.close, high: up.close, low: moved.stop - 1, close: moved.stop - 0.5 };
    assert.ok(down.low > t.stop, 'the fixed stop would not have been hit');
    standin.setCandles(SYMBOL, [...candles.slice(0, k + 1), up, down]);
    standin.setPrice(SYMBOL, down.close);
    l.setClock(down.ts + TF + 5_000);
    await refreshCandles(app);
    await scanAll(app);
    const done = trades(app)[0];
    assert.equal(done.status, 'closed');
    assert.equal(done.exit_reason, 'STOP_LOSS');
    assert.equal(standin.orders.filter((o) => o.side === 'SELL').length, 1);
  });

  test('time stop: closed with a live order after max_hold_candles', async () => {
    const l = await withPosition({ TRADECREW_RISK__MAX_HOLD_CANDLES: '2' });
    const { app, standin } = l;
    const p = candles[k].close;
    const flat = (i: number): Candle => ({ ...candles[i], open: p, high: p + 1, low: p - 1, close: p });
    standin.setCandles(SYMBOL, [...candles.slice(0, k + 1), flat(k + 1)]);
    l.setClock(candles[k + 1].ts + TF + 5_000);
    await refreshCandles(app);
    await scanAll(app);
    assert.equal(openTrades(app.db).length, 1, 'one candle held: still open');
    standin.setCandles(SYMBOL, [...candles.slice(0, k + 1), flat(k + 1), flat(k + 2)]);
    l.setClock(candles[k + 2].ts + TF + 5_000);
    await refreshCandles(app);
    await scanAll(app);
    assert.equal(trades(app)[0].exit_reason, 'TIMEOUT');
    assert.equal(standin.orders.filter((o) => o.side === 'SELL').length, 1);
  });

  test('the faster watch closes at the live price between candles', async () => {
    const l = await withPosition();
    const { app, standin } = l;
    const t = openTrades(app.db)[0];
    standin.setPrice(SYMBOL, t.target + 5);
    assert.equal(await watchPositions(app), 1);
    assert.equal(trades(app)[0].exit_reason, 'TAKE_PROFIT');
    const sell = standin.orders.find((o) => o.side === 'SELL')!;
    assert.equal(sell.clientOrderId, exitOrderId(t.id));
    assert.equal(sell.fillPrice, t.target + 5);
    assert.equal(await watchPositions(app), 0, 'nothing left to watch');
  });
});

describe('live: data problems and settings', () => {
  test('a gap in the exchange data is reported in chat once and never filled', async () => {
    const cs = makeCandles(T0, TF, 300, 3, 2_000).filter((_, i) => i < 200 || i > 203);
    const l = await startLive({ candles: cs, clock: cs.at(-1)!.ts + TF + 5_000 });
    await l.waitChat(/candle gap in BTC\/USDT[\s\S]*\(4 missing\)\. They are left out, not made up/);
    assert.equal(candleCount(l.app.db, SYMBOL, '1m'), 296);
    await refreshCandles(l.app);
    await backfill(l.app);
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(l.chat().match(/candle gap in BTC\/USDT/g)!.length, 1, 'reported once');
  });

  test('sandbox + apiUrl: the app still talks to the given URL, in sandbox mode', async () => {
    const cs = makeCandles(T0, TF, 150, 3);
    const l = await startLive({ candles: cs, clock: cs.at(-1)!.ts + TF, env: { TRADECREW_EXCHANGE__SANDBOX: 'true' } });
    assert.ok(isCcxtBroker(l.app.broker));
    assert.equal((l.app.broker.exchange as unknown as { isSandboxModeEnabled: boolean }).isSandboxModeEnabled, true);
    assert.equal(candleCount(l.app.db, SYMBOL, '1m'), 150);
    assert.ok(Object.values(l.app.broker.exchange.urls.api as Record<string, string>).every((u) => u.startsWith(l.standin.baseUrl)));
  });

  test('cooldown counts candles from the exit candle, not from the wall-clock exit time', async () => {
    const cs = makeCandles(T0, TF, 150, 3);
    const l = await startLive({ candles: cs, clock: cs.at(-1)!.ts + TF });
    const exitCandle = cs[140].ts;
    // A trade that exited on candle 140; live exit_ts is the wall clock (here: far later).
    l.app.db
      .prepare(`INSERT INTO trades (id, symbol, direction, strategy, quantity, entry_price, entry_ts, entry_fee, stop, target, entry_candle_ts, checked_ts, decision_json, status, exit_ts, exit_candle_ts) VALUES ('T1', ?, 'LONG', 'trend_following', 1, 1, 0, 0, 0, 2, ?, ?, '{}', 'closed', ?, ?)`)
      .run(SYMBOL, cs[130].ts, exitCandle, Date.now(), exitCandle);
    assert.equal(riskState(l.app, SYMBOL, cs[141].ts, TF).candlesSinceExit, 1);
    assert.equal(riskState(l.app, SYMBOL, cs[143].ts, TF).candlesSinceExit, 3);
  });

  test('a refusal by the gate is recorded and shown in /pending', async () => {
    const { candles, k } = signalSeries();
    const l = await startLive({ candles: candles.slice(0, k + 1), clock: candles[k].ts + TF + 5_000 });
    setKv(l.app.db, 'paused', true);
    const out = await scanAll(l.app);
    assert.equal(out[0].action, 'refused');
    assert.match(out[0].detail!, /paused/);
    // Scanning the same candle again records nothing new: one decision per closed candle.
    await scanAll(l.app);
    assert.equal((l.app.db.prepare('SELECT COUNT(*) AS n FROM refusals').get() as { n: number }).n, 1);
    l.command('/pending');
    await l.waitChat(/Recent risk refusals:\n• .*BTC\/USDT: trading is paused/);
    assert.equal(l.standin.orders.length, 0);
  });
});

describe('risk gate: every rule', () => {
  const decision = (o: Partial<Decision> = {}): Decision =>
    ({ action: 'BUY', direction: 'LONG', strategy: 'trend_following', price: 100, candleTs: 0, confidence: 0.7, confidenceLevel: 'HIGH', confluence: 0.8, stop: 98, target: 104, riskReward: 2, regime: 'TRENDING_UP', volatility: 0.01, volumeConfirmed: true, atr: 1.33, reason: '', ...o }) as Decision;
  const state = (o: Partial<RiskState> = {}): RiskState => ({ equity: 10_000, peakEquity: 10_000, dayStartEquity: 10_000, openPositions: 0, exposure: 0, tradesToday: 0, candlesSinceExit: Infinity, paused: false, ...o });
  const settings = (o: Partial<RiskSettings> = {}): RiskSettings => ({ risk_per_trade: 0.01, max_position_pct: 0.25, max_total_exposure: 0.75, max_open_positions: 3, daily_trade_limit: 10, cooldown_candles: 3, daily_loss_limit: 0.05, max_drawdown: 0.2, min_risk_reward: 1.5, allow_short: true, leverage: 1, ...o });
  const refused = (d: Decision, s: RiskState, r: RiskSettings) => {
    const g = gate(d, s, r);
    assert.equal(g.ok, false);
    return (g as { reason: string }).reason;
  };

  test('sizing: risk per trade over the stop distance, capped by the position share', () => {
    const g = gate(decision({ stop: 90 }), state(), settings());
    assert.ok(g.ok);
    assert.equal(g.quantity, 10); // 10 000 x 1% / 10
    const capped = gate(decision(), state(), settings());
    assert.ok(capped.ok);
    assert.equal(capped.notional, 2_500); // 50 units wanted, 25% of equity allowed
  });
  test('total exposure: the room left caps the size, none left refuses', () => {
    const g = gate(decision(), state({ exposure: 7_000 }), settings());
    assert.ok(g.ok);
    assert.equal(g.notional, 500);
    assert.match(refused(decision(), state({ exposure: 7_500 }), settings()), /max_total_exposure 75% of equity is used/);
  });
  test('paused', () => assert.match(refused(decision(), state({ paused: true }), settings()), /paused/));
  test('shorts switched off', () => assert.match(refused(decision({ direction: 'SHORT', stop: 102, target: 96 }), state(), settings({ allow_short: false })), /short positions are switched off/));
  test('kill switch on drawdown from the peak', () => assert.match(refused(decision(), state({ equity: 7_900, peakEquity: 10_000, dayStartEquity: 7_900 }), settings()), /kill switch: drawdown 21\.0% is past max_drawdown 20\.0%/));
  test('daily loss limit', () => assert.match(refused(decision(), state({ equity: 9_400, dayStartEquity: 10_000 }), settings()), /daily loss limit 5\.0% reached/));
  test('max open positions', () => assert.match(refused(decision(), state({ openPositions: 3 }), settings()), /max_open_positions 3 reached/));
  test('daily trade limit', () => assert.match(refused(decision(), state({ tradesToday: 10 }), settings()), /daily_trade_limit 10 reached/));
  test('cooldown per symbol', () => assert.match(refused(decision(), state({ candlesSinceExit: 2 }), settings()), /cooldown: 2\/3 candles/));
  test('minimum risk:reward', () => assert.match(refused(decision({ riskReward: 1.2 }), state(), settings()), /risk:reward 1\.20 is below min_risk_reward 1\.5/));
  test('no valid stop distance', () => assert.match(refused(decision({ stop: 100 }), state(), settings()), /no valid stop distance/));
});
