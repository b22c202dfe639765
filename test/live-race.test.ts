/**
 * Money paths under concurrency and crashes (issue #13, items 1-2), through the REAL ccxt binance
 * client over HTTP against the local binance-spot stand-in, which (like binance) refuses a reused
 * client order id only while the first order with it is open:
 *  (a) Approve presses racing scans with 1.5 s exchange latency: one entry order per proposal; exits
 *      raced by watches and scans: one exit order per trade.
 *  (b) A crash between "claimed" and "sent": after the restart exactly one order exists.
 *  (c) An exit that expires 40% filled: 40% is closed, the rest stays open with its stop, the next
 *      watch closes it, nothing is left on the exchange.
 *  (d) The stand-in's strictness: a client id is free again once its order is done, not before.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { after, describe, test } from 'node:test';
import ccxt from 'ccxt';
import Database from 'better-sqlite3';
import { COMMANDS } from '../commands/index.js';
import { strategyByName } from '../src/agents/registry.js';
import { newAgentState, OPEN_LONG } from '../src/agents/types.js';
import type { App } from '../src/app/context.js';
import { catchUp } from '../src/app/catch-up.js';
import { createApp } from '../src/app/create.js';
import { createConsoleAdapter } from '../src/chat/console.js';
import { createRouter } from '../src/chat/router.js';
import { loadConfig } from '../src/config/load.js';
import { computeFeatures } from '../src/indicators/features.js';
import { createExchange, loadExchange } from '../src/market/ccxt-exchange.js';
import { seriesFromCandles, type Candle } from '../src/market/types.js';
import { setKv } from '../src/store/kv.js';
import { claimHolder, entryClaim, exitClaim } from '../src/store/orders.js';
import { openTrades } from '../src/trading/account.js';
import { exitOrderId, scanAll, watchPositions } from '../src/trading/live.js';
import { approveProposal, clientOrderId, getProposal, type DecisionOutcome } from '../src/trading/proposals.js';
import { str } from '../src/render/template.js';
import { createRng } from '../src/util/rng.js';
import { silentLogger } from '../src/util/logger.js';
import { until } from './support/until.js';
import { liveEnv, makeCandles, startExchangeStandin, type ExchangeStandin } from './support/exchange-standin.js';
import { exitWithin, spawnBot, tempDataDir, type BotProcess } from './support/spawn-bot.js';
import { startScheduler } from '../src/scheduler/jobs.js';

// The bot loads only its configured exchange's ccxt module, before building the app (src/main.ts).
await loadExchange('binance');

const TF = 60_000;
const T0 = Date.UTC(2024, 0, 1);
const SYMBOL = 'BTC/USDT';
const STEP: Record<string, number> = { BTC: 0.00001, ETH: 0.0001, SOL: 0.001 };

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

interface LiveApp {
  app: App;
  standin: ExchangeStandin;
  dataDir: string;
  chat(): string;
  waitChat(re: RegExp, timeoutMs?: number): Promise<void>;
  command(line: string): void;
  close(): Promise<void>;
}

const standins: ExchangeStandin[] = [];
const opened: LiveApp[] = [];
after(async () => {
  for (const l of opened) await l.close();
  for (const s of standins) await s.close();
});

async function newStandin(): Promise<ExchangeStandin> {
  const s = await startExchangeStandin();
  standins.push(s);
  return s;
}

/**
 * A live-mode bot, started like main.ts does (the chat first, then the catch-up: backfill,
 * recovery of approved proposals, the exchange check). `standin` and `dataDir` may be those of an earlier bot: a restart.
 */
async function startLive(o: { standin: ExchangeStandin; clock: number; symbols?: string[]; dataDir?: string; env?: Record<string, string> }): Promise<LiveApp> {
  const { standin } = o;
  const dataDir = o.dataDir ?? tempDataDir('tc-race-');
  const cfg = loadConfig({
    env: {
      ...liveEnv(standin, dataDir, o.symbols ?? [SYMBOL]),
      TRADECREW_EXCHANGE__CACHE_TTL_SECONDS: '0',
      TRADECREW_EXCHANGE__RETRY_BASE_MS: '10',
      // Far above the injected latency, so a slow machine never turns latency into lost answers.
      TRADECREW_EXCHANGE__TIMEOUT_SECONDS: '20',
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
  const app = createApp(cfg, { adapters: [con], log: silentLogger(), now: () => o.clock, outbox: { backoffBaseMs: 20, pollMs: 20 }, starting: true });
  await con.start(createRouter(app, COMMANDS), []);
  assert.equal(await catchUp(app), true);
  let closed = false;
  const l: LiveApp = {
    app,
    standin,
    dataDir,
    chat: () => text,
    async waitChat(re, timeoutMs = 15_000) {
      await until(`the chat to show ${re}; it has:\n${text.slice(-2500)}`, () => re.test(text), timeoutMs);
    },
    command(line) {
      input.write(line + '\n');
    },
    async close() {
      if (closed) return;
      closed = true;
      await app.outbox.drain(2_000);
      await app.outbox.stop();
      await con.stop();
      app.db.close();
    },
  };
  opened.push(l);
  return l;
}

const posts = (s: ExchangeStandin, cid?: string) => s.requests.filter((r) => r.method === 'POST' && r.path === '/api/v3/order' && (cid === undefined || r.params.newClientOrderId === cid));
const ordersWith = (s: ExchangeStandin, cid: string) => s.orders.filter((o) => o.clientOrderId === cid);
type TradeRow = { id: string; proposal_id: string | null; symbol: string; quantity: number; stop: number; target: number; status: string; pnl: number | null; entry_price: number; entry_fee: number; exit_price: number | null; exit_reason: string | null; metric_json: string | null };
const trades = (app: App) => app.db.prepare('SELECT * FROM trades ORDER BY rowid').all() as TradeRow[];
const held = (s: ExchangeStandin, asset: string) => s.balance(asset).free + s.balance(asset).locked;

describe('(a) approvals racing scans, with 1.5 s exchange latency', () => {
  const { candles, k } = signalSeries();
  const symbols = ['BTC/USDT', 'ETH/USDT', 'SOL/USDT'];

  test('presses, repeated presses and scans at once: one entry order per proposal; then watches and a scan racing for the exits: one exit order per trade', { timeout: 180_000 }, async () => {
    const standin = await newStandin();
    for (const s of symbols) standin.setCandles(s, candles.slice(0, k + 1));
    standin.setBalance('USDT', 10_000);
    const l = await startLive({ standin, clock: candles[k].ts + TF + 5_000, symbols, env: { TRADECREW_RISK__MAX_TOTAL_EXPOSURE: '0.9' } });
    const { app } = l;
    const out = await scanAll(app);
    assert.deepEqual(out.map((o) => o.action), ['proposal', 'proposal', 'proposal'], JSON.stringify(out));
    const [a, b, c] = out.map((o) => o.detail!);
    for (const id of [a, b, c]) assert.equal(getProposal(app, id)!.status, 'pending');

    standin.setLatency(1_500);
    const balanceAsked = (from: number) => () => standin.requests.slice(from).some((r) => r.path === '/api/v3/account');
    // A scan starts (it executes every approved proposal once the balance is in); while its
    // balance request is on the wire, A is approved twice (the scan finds A approved and its order
    // not on the exchange yet). Then a second scan, and while it runs, presses on B and C.
    let mark = standin.requests.length;
    const scan1 = scanAll(app);
    await until('the first scan to ask for the balance', balanceAsked(mark));
    const pressA = approveProposal(app, a, 'alice (console)');
    const pressA2 = approveProposal(app, a, 'bob (telegram)');
    mark = standin.requests.length;
    const scan2 = scanAll(app);
    await until('the second scan to ask for the balance', balanceAsked(mark));
    const pressB = approveProposal(app, b, 'bob (telegram)');
    const pressB2 = approveProposal(app, b, 'carol (discord)');
    l.command(`/approve ${c}`);
    const pressC2 = approveProposal(app, c, 'dave (discord)');
    const [ra, ra2, rb, rb2, rc2] = (await Promise.all([pressA, pressA2, pressB, pressB2, pressC2, scan1, scan2])).slice(0, 5) as DecisionOutcome[];
    assert.deepEqual(ra, { ok: true, code: 'approved', id: a });
    assert.deepEqual(ra2, { ok: false, code: 'already', id: a, status: 'approved' });
    assert.deepEqual(rb, { ok: true, code: 'approved', id: b });
    assert.deepEqual(rb2, { ok: false, code: 'already', id: b, status: 'approved' });
    // The typed /approve and dave's press: one of them approved C, the other was told it already was.
    await until('C to be executed', () => getProposal(app, c)!.status === 'executed');
    const byC = getProposal(app, c)!.decided_by;
    if (byC === 'dave (discord)') assert.deepEqual(rc2, { ok: true, code: 'approved', id: c });
    else assert.deepEqual(rc2, { ok: false, code: 'already', id: c, status: 'approved' });
    // One more scan with the exchange fast again: nothing left to send.
    standin.setLatency(0);
    await scanAll(app);

    for (const id of [a, b, c]) {
      const cid = clientOrderId(id);
      assert.equal(getProposal(app, id)!.status, 'executed', id);
      assert.equal(ordersWith(standin, cid).length, 1, `one order on the exchange for ${id}`);
      assert.equal(posts(standin, cid).length, 1, `one order request for ${id}`);
      assert.equal(claimHolder(app.db, entryClaim(id)), null, 'no claim left behind');
    }
    const open = openTrades(app.db);
    assert.equal(open.length, 3);
    assert.equal(trades(app).length, 3, 'one trade per proposal');
    // The exchange holds exactly what the open trades say: no coins the bot does not know of.
    for (const s of symbols) {
      const base = s.split('/')[0];
      const qty = open.filter((t) => t.symbol === s).reduce((x, t) => x + t.quantity, 0);
      assert.ok(qty > 0, s);
      assert.ok(Math.abs(held(standin, base) - qty) < 1e-9, `${base}: exchange ${held(standin, base)} vs trades ${qty}`);
    }
    await l.waitChat(new RegExp(`ORDER FILLED[\\s\\S]*${c}`));
    for (const id of [a, b, c]) assert.equal(l.chat().match(new RegExp(`ORDER FILLED.*\\n.*Proposal: .?${id}`, 'g'))?.length ?? 0, 1, `"filled" told once for ${id}`);

    // Exits: every position's stop is hit; two watches and a scan race, with latency again.
    const low = Math.min(...open.map((t) => t.stop)) - 100;
    for (const s of symbols) standin.setPrice(s, low);
    standin.setLatency(1_500);
    const [w1, w2] = await Promise.all([watchPositions(app), watchPositions(app), scanAll(app)]);
    standin.setLatency(0);
    await scanAll(app);
    assert.equal(openTrades(app.db).length, 0, 'all closed');
    assert.ok((w1 as number) + (w2 as number) <= 3);
    for (const t of open) {
      const cid = exitOrderId(t.id);
      assert.equal(ordersWith(standin, cid).length, 1, `one exit order for ${t.id}`);
      assert.equal(posts(standin, cid).length, 1, `one exit request for ${t.id}`);
      const base = t.symbol.split('/')[0];
      assert.ok(held(standin, base) < STEP[base] - 1e-12, `${base}: only dust below one step is left (${held(standin, base)})`);
    }
    assert.equal(standin.orders.filter((o) => o.side === 'SELL').length, 3);
    assert.equal(trades(app).filter((t) => t.status === 'closed').length, 3);
    await l.waitChat(/TRADE COMPLETED[\s\S]*TRADE COMPLETED[\s\S]*TRADE COMPLETED/);
    assert.equal(l.chat().match(/TRADE COMPLETED/g)!.length, 3);
  });
});

describe('(b) a crash between claiming and sending', () => {
  const { candles, k } = signalSeries();

  test('claim left by a dead process, order already on the exchange: the restart adopts it and sends nothing', async () => {
    const standin = await newStandin();
    standin.setCandles(SYMBOL, candles.slice(0, k + 1));
    standin.setBalance('USDT', 10_000);
    const clock = candles[k].ts + TF + 5_000;
    const first = await startLive({ standin, clock });
    const id = (await scanAll(first.app))[0].detail!;
    const p = getProposal(first.app, id)!;
    // What a process killed right after its order reached the exchange leaves in SQLite: the
    // proposal approved, the claim held by that process, the order row 'sending'.
    first.app.db.transaction(() => {
      first.app.db.prepare(`UPDATE proposals SET status='approved', decided_by='alice (console)', decided_at=? WHERE id=?`).run(clock, id);
      setKv(first.app.db, `claim.${entryClaim(id)}`, { owner: 'dead-process', at: clock });
      first.app.db
        .prepare(`INSERT INTO orders (client_order_id, proposal_id, purpose, symbol, side, amount, status, created_at, type, ref_price, candle_ts) VALUES (?,?,'entry',?,'buy',?,'sending',?,'market',?,?)`)
        .run(clientOrderId(id), id, SYMBOL, p.quantity, clock, p.entry, p.candle_ts);
    })();
    await first.close();
    const ex = createExchange({ id: 'binance', apiKey: standin.apiKey, secret: standin.secret, apiUrl: standin.baseUrl, enableRateLimit: false });
    await ex.loadMarkets();
    await ex.createOrder(SYMBOL, 'market', 'buy', Number(ex.amountToPrecision(SYMBOL, p.quantity)), undefined, { newClientOrderId: clientOrderId(id) });
    assert.equal(posts(standin, clientOrderId(id)).length, 1);

    const second = await startLive({ standin, clock, dataDir: first.dataDir });
    assert.equal(getProposal(second.app, id)!.status, 'executed');
    assert.equal(ordersWith(standin, clientOrderId(id)).length, 1, 'exactly one order');
    assert.equal(posts(standin, clientOrderId(id)).length, 1, 'nothing sent by the restart');
    assert.equal(trades(second.app).length, 1);
    assert.ok(Math.abs(held(standin, 'BTC') - trades(second.app)[0].quantity) < 1e-12);
    assert.equal(claimHolder(second.app.db, entryClaim(id)), null);
    await second.waitChat(new RegExp(`ORDER FILLED[\\s\\S]*${id}`));
    // A scan afterwards sends nothing either.
    await scanAll(second.app);
    assert.equal(posts(standin).length, 1);
  });

  test('kill -9 while the order request is on the wire and the exchange never took it: the restart sends it once', { timeout: 180_000 }, async () => {
    const standin = await newStandin();
    // Candles whose last one closed a moment ago (the real process runs on the wall clock).
    const base = makeCandles(0, TF, 400, 7, 30_000);
    const f = computeFeatures(seriesFromCandles(SYMBOL, '1m', base));
    const st = strategyByName('trend_following');
    let j = 200;
    while (st.signal(f, j, 0, newAgentState(SYMBOL, 'trend_following'), { learn: false, rng: createRng(1), allowShort: true }) !== OPEN_LONG) j++;
    const shift = Math.floor(Date.now() / TF) * TF - TF - base[j].ts;
    standin.setCandles(SYMBOL, base.slice(0, j + 1).map((c) => ({ ...c, ts: c.ts + shift })));
    standin.setBalance('USDT', 10_000);
    // The order request hangs and is never processed: the process dies between claim and send.
    standin.failNext(/\/api\/v3\/order$/, 1, { method: 'POST', hangMs: 120_000, recorded: false });
    const dir = tempDataDir('tc-race-kill-');
    const env = {
      ...liveEnv(standin, dir, [SYMBOL]),
      TRADECREW_APPROVAL__AUTO_APPROVE: 'true',
      TRADECREW_APPROVAL__AUTO_MIN_CONFIDENCE: '0',
      TRADECREW_EXCHANGE__RETRY_BASE_MS: '50',
      TRADECREW_EXCHANGE__TIMEOUT_SECONDS: '30',
      TRADECREW_EXCHANGE__CACHE_TTL_SECONDS: '0',
    };
    const bots: BotProcess[] = [];
    try {
      const firstBot = spawnBot(env);
      bots.push(firstBot);
      const sent = await until('the order request to reach the exchange', () => posts(standin)[0], 60_000);
      const cid = sent.params.newClientOrderId;
      firstBot.child.kill('SIGKILL');
      assert.equal((await exitWithin(firstBot, 30_000)).signal, 'SIGKILL');
      const id = cid.slice(3);
      const db = new Database(path.join(dir, 'tradecrew.db'), { readonly: true });
      assert.deepEqual(db.prepare('SELECT status FROM proposals WHERE id=?').get(id), { status: 'approved' });
      const claim = db.prepare('SELECT value FROM kv WHERE key=?').get(`claim.${entryClaim(id)}`) as { value: string } | undefined;
      assert.ok(claim, 'the dead process held the claim');
      db.close();
      assert.equal(standin.orders.length, 0, 'the exchange has no order');

      const secondBot = spawnBot(env);
      bots.push(secondBot);
      await secondBot.waitFor(new RegExp(`ORDER FILLED[\\s\\S]*?Proposal: ${id}`), 60_000);
      assert.equal(ordersWith(standin, cid).length, 1, 'exactly one order');
      assert.equal(posts(standin, cid).length, 2, 'the lost request and the one the restart sent');
      const db2 = new Database(path.join(dir, 'tradecrew.db'), { readonly: true });
      assert.deepEqual(db2.prepare('SELECT status FROM proposals WHERE id=?').get(id), { status: 'executed' });
      assert.deepEqual(db2.prepare('SELECT COUNT(*) AS n FROM trades').get(), { n: 1 });
      assert.equal(db2.prepare('SELECT value FROM kv WHERE key=?').get(`claim.${entryClaim(id)}`), undefined, 'claim dropped once recorded');
      const q = (db2.prepare('SELECT quantity FROM trades').get() as { quantity: number }).quantity;
      db2.close();
      assert.ok(Math.abs(held(standin, 'BTC') - q) < 1e-12);
      secondBot.child.kill('SIGTERM');
      assert.equal((await exitWithin(secondBot, 60_000)).code, 0, secondBot.err());
    } finally {
      for (const b of bots) if (b.child.exitCode === null && b.child.signalCode === null) b.child.kill('SIGKILL');
    }
  });
});

describe('(c) an exit the exchange fills only in part', () => {
  const { candles, k } = signalSeries();

  async function withPosition(): Promise<{ l: LiveApp; t: TradeRow }> {
    const standin = await newStandin();
    standin.setCandles(SYMBOL, candles.slice(0, k + 1));
    standin.setBalance('USDT', 10_000);
    const l = await startLive({ standin, clock: candles[k].ts + TF + 5_000 });
    setKv(l.app.db, 'autoapprove', { on: true, min: 0 });
    await scanAll(l.app);
    const t = trades(l.app)[0];
    assert.equal(t.status, 'open');
    assert.ok(Math.abs(held(standin, 'BTC') - t.quantity) < 1e-12);
    return { l, t };
  }

  for (const then of ['expire', 'rest'] as const) {
    test(`40% filled, the rest ${then === 'expire' ? 'expired' : 'resting (cancelled by the bot)'}: 40% closed with its PnL, the rest open with its stop, closed by the next watch`, async () => {
      const { l, t } = await withPosition();
      const { app, standin } = l;
      const exitPrice = Math.floor(t.stop) - 50;
      standin.setPrice(SYMBOL, exitPrice);
      standin.partialFillNext(1, { ratio: 0.4, then, side: 'SELL' });
      assert.equal(await watchPositions(app), 0, 'not closed in full');

      const sell = ordersWith(standin, exitOrderId(t.id));
      assert.equal(sell.length, 1);
      assert.equal(sell[0].status, then === 'expire' ? 'EXPIRED' : 'CANCELED');
      const filled = sell[0].executedQty;
      assert.ok(Math.abs(filled / t.quantity - 0.4) < 0.001, `filled ${filled} of ${t.quantity}`);
      assert.equal(standin.balance('BTC').locked, 0, 'nothing left working on the exchange');

      const [part, rest] = trades(app);
      assert.equal(part.id, t.id);
      assert.equal(part.status, 'closed');
      assert.equal(part.exit_reason, 'STOP_LOSS');
      assert.ok(Math.abs(part.quantity - filled) < 1e-12, 'the closed quantity is what filled');
      // PnL on the filled part only: its gross, its share of the entry fee, the exit's fee.
      const expected = (exitPrice - t.entry_price) * filled - t.entry_fee * (filled / t.quantity) - sell[0].commission;
      assert.ok(Math.abs(part.pnl! - expected) < 1e-6, `pnl ${part.pnl} vs ${expected}`);
      assert.equal((JSON.parse(part.metric_json!) as { quantity: number }).quantity, part.quantity);

      assert.equal(rest.id, `${t.id}-r1`);
      assert.equal(rest.status, 'open');
      assert.ok(Math.abs(rest.quantity - (t.quantity - filled)) < 1e-12);
      assert.equal(rest.stop, t.stop, 'the rest keeps its stop');
      assert.equal(rest.target, t.target);
      assert.equal(rest.entry_price, t.entry_price);
      assert.ok(Math.abs(part.entry_fee + rest.entry_fee - t.entry_fee) < 1e-9, 'the entry fee is split, not counted twice');
      assert.ok(Math.abs(held(standin, 'BTC') - rest.quantity) < 1e-12, 'the exchange holds what the open trade says');
      assert.deepEqual(app.db.prepare('SELECT status, amount FROM orders WHERE client_order_id=?').get(exitOrderId(t.id)), { status: 'partly_filled', amount: filled });
      await l.waitChat(new RegExp(`Exit of BTC/USDT \\(${t.id}, STOP_LOSS\\) filled only [\\d.,]+ BTC of [\\d.,]+ BTC at .*; PnL on that part .*The rest, [\\d.,]+ BTC, stays open as trade ${t.id}-r1 with its stop at`));
      assert.ok(!/TRADE COMPLETED/.test(l.chat()), 'not reported as a completed trade');

      // The next watch retries the rest and closes it.
      assert.equal(await watchPositions(app), 1);
      const done = trades(app);
      assert.equal(done.length, 2);
      assert.equal(done[1].status, 'closed');
      assert.equal(done[1].exit_reason, 'STOP_LOSS');
      assert.equal(openTrades(app.db).length, 0);
      const sell2 = ordersWith(standin, exitOrderId(rest.id));
      assert.equal(sell2.length, 1);
      assert.equal(sell2[0].status, 'FILLED');
      assert.ok(Math.abs(part.quantity + done[1].quantity - t.quantity) < 1e-12, 'closed parts add up to the position');
      // Nothing orphaned: no open order, no coins beyond the dust under one step no order can sell.
      assert.ok(held(standin, 'BTC') < STEP.BTC, `BTC left: ${held(standin, 'BTC')}`);
      assert.equal(standin.orders.filter((o) => o.status === 'NEW' || o.status === 'PARTIALLY_FILLED').length, 0);
      await l.waitChat(new RegExp(`TRADE COMPLETED[\\s\\S]*${t.id}-r1`));
      // Nothing more happens.
      const n = standin.orders.length;
      assert.equal(await watchPositions(app), 0);
      await scanAll(app);
      assert.equal(standin.orders.length, n);
    });
  }

  test('an exit that expires with nothing filled is retried under a fresh client id, and closes', async () => {
    const { l, t } = await withPosition();
    const { app, standin } = l;
    standin.setPrice(SYMBOL, Math.floor(t.stop) - 50);
    standin.partialFillNext(1, { ratio: 0, then: 'expire', side: 'SELL' });
    assert.equal(await watchPositions(app), 0, 'nothing closed by an exit that filled nothing');
    const first = ordersWith(standin, exitOrderId(t.id));
    assert.equal(first.length, 1);
    assert.equal(first[0].status, 'EXPIRED');
    assert.equal(first[0].executedQty, 0);
    assert.equal(trades(app)[0].status, 'open', 'the trade stays open with its stop');
    // The next watch sends a new order under a new id (the old one is dead on the exchange) and closes.
    assert.equal(await watchPositions(app), 1);
    const second = ordersWith(standin, exitOrderId(t.id, 1));
    assert.equal(second.length, 1);
    assert.equal(second[0].status, 'FILLED');
    assert.equal(trades(app)[0].status, 'closed');
    assert.deepEqual(app.db.prepare('SELECT status FROM orders WHERE client_order_id=?').get(exitOrderId(t.id, 1)), { status: 'filled' });
    assert.ok(held(standin, 'BTC') < STEP.BTC, `BTC left: ${held(standin, 'BTC')}`);
    assert.equal(await watchPositions(app), 0, 'and nothing more');
  });

  test('/close of a position whose exit fills only in part says so, and names the rest that stays open', async () => {
    const { l, t } = await withPosition();
    const { standin } = l;
    standin.partialFillNext(1, { ratio: 0.4, then: 'expire', side: 'SELL' });
    l.command(`/close ${t.id}`);
    const m = /\/close confirm (\w+)/.exec(await (async () => {
      await l.waitChat(/\/close confirm \w+/);
      return l.chat();
    })());
    l.command(`/close confirm ${m![1]}`);
    await l.waitChat(new RegExp(`${t.id} BTC/USDT closed only in part: the exchange filled part of the exit; the rest stays open as ${t.id}-r1 with its stop and is retried`));
    assert.doesNotMatch(l.chat(), /was already closed/);
  });

  test('the hourly exchange check reports coins that appeared outside the bot, once, and runs under the scan lock', async () => {
    const { l, t } = await withPosition();
    const { app, standin } = l;
    const sched = startScheduler(app);
    try {
      await sched.check();
      assert.doesNotMatch(l.chat(), /exchange check \(hourly\)/, 'nothing differs: nothing said');
      // Someone buys 0.5 BTC by hand on the same account.
      standin.setBalance('BTC', held(standin, 'BTC') + 0.5);
      await sched.check();
      await l.waitChat(/exchange check \(hourly\): 1 finding/);
      assert.match(l.chat(), /BTC/);
      // Reported once: the ledger now counts from the exchange's figures.
      const n = (l.chat().match(/exchange check \(hourly\)/g) ?? []).length;
      await sched.check();
      await app.outbox.drain(2_000);
      assert.equal((l.chat().match(/exchange check \(hourly\)/g) ?? []).length, n);
      assert.equal(trades(app)[0].id, t.id, 'nothing adopted, nothing dropped');
    } finally {
      sched.stop();
    }
  });

  test('killed after the exit reached the exchange, which filled 40% of it: the restart records that part and the next watch closes the rest', async () => {
    const { l, t } = await withPosition();
    const { app, standin } = l;
    const clock = candles[k].ts + TF + 5_000;
    const exitPrice = Math.floor(t.stop) - 50;
    standin.setPrice(SYMBOL, exitPrice);
    // What the dead process left: the exit claimed and 'sending'; on the exchange, the sell 40% filled.
    app.db.transaction(() => {
      setKv(app.db, `claim.${exitClaim(t.id)}`, { owner: 'dead-process', at: clock });
      app.db
        .prepare(`INSERT INTO orders (client_order_id, trade_id, purpose, symbol, side, amount, status, created_at, type, reason, ref_price, candle_ts) VALUES (?,?,'exit',?,'sell',?,'sending',?,'market','STOP_LOSS',?,?)`)
        .run(exitOrderId(t.id), t.id, SYMBOL, t.quantity, clock, exitPrice, candles[k].ts + TF);
    })();
    await l.close();
    const ex = createExchange({ id: 'binance', apiKey: standin.apiKey, secret: standin.secret, apiUrl: standin.baseUrl, enableRateLimit: false });
    await ex.loadMarkets();
    standin.partialFillNext(1, { ratio: 0.4, then: 'expire', side: 'SELL' });
    await ex.createOrder(SYMBOL, 'market', 'sell', Number(ex.amountToPrecision(SYMBOL, t.quantity)), undefined, { newClientOrderId: exitOrderId(t.id) });
    const filled = ordersWith(standin, exitOrderId(t.id))[0].executedQty;

    const again = await startLive({ standin, clock, dataDir: l.dataDir });
    const [part, rest] = trades(again.app);
    assert.equal(part.status, 'closed');
    assert.equal(part.exit_reason, 'STOP_LOSS', 'recorded as decided');
    assert.ok(Math.abs(part.quantity - filled) < 1e-12);
    assert.equal(rest.status, 'open');
    assert.equal(rest.stop, t.stop);
    assert.ok(Math.abs(rest.quantity - (t.quantity - filled)) < 1e-12);
    assert.equal(claimHolder(again.app.db, exitClaim(t.id)), null, 'the dead process\'s claim is gone');
    assert.equal(posts(standin, exitOrderId(t.id)).length, 1, 'nothing re-sent');
    await again.waitChat(new RegExp(`Exit of BTC/USDT \\(${t.id}, STOP_LOSS\\) filled only`));
    assert.equal(await watchPositions(again.app), 1);
    assert.equal(openTrades(again.app.db).length, 0);
    assert.ok(held(standin, 'BTC') < STEP.BTC);
  });

  test('the partial exit is worded in English and in Spanish', () => {
    const vars = { symbol: SYMBOL, tradeId: 'T1', reason: 'STOP_LOSS', filled: '0.004 BTC', requested: '0.01 BTC', price: '$29,000.00', pnl: '-$4.00', rest: '0.006 BTC', restId: 'T1-r1', stop: '$29,050.00' };
    assert.equal(str('en', 'exit_partial', vars), 'Exit of BTC/USDT (T1, STOP_LOSS) filled only 0.004 BTC of 0.01 BTC at $29,000.00; PnL on that part -$4.00. The rest, 0.006 BTC, stays open as trade T1-r1 with its stop at $29,050.00 and is closed again at the next watch.');
    assert.match(str('es', 'exit_partial', vars), /^La salida de BTC\/USDT \(T1, STOP_LOSS\) solo se ejecutó por 0\.004 BTC de 0\.01 BTC .* sigue abierto como operación T1-r1 con su stop en \$29,050\.00/);
  });

  test("the exchange check's findings are worded in the chat's language", async () => {
    const { describeFindings } = await import('../src/notify/findings.js');
    const { createFmt } = await import('../src/render/format.js');
    const f = { unknownOpenOrders: [{ symbol: SYMBOL, side: 'buy', amount: 0.001, price: 20_000, id: '123', clientOrderId: 'web-1' }], missingOrders: ['tc-x-T1'], unresolved: ['tc-T2'], balanceDiffs: [{ asset: 'BTC', expected: 1, actual: 1.5 }], positionShortfalls: [{ asset: 'ETH', needed: 2, actual: 1 }], baselined: false };
    const es = describeFindings(createFmt('es', 'UTC'), f as never);
    assert.equal(es.split('\n').length, 5);
    assert.match(es, /^🔎 Orden abierta en el exchange que el bot no colocó: BTC\/USDT buy 0\.001 @ \$20\.000,00 \(orden 123, id de cliente web-1\)\. No se toca\./);
    assert.doesNotMatch(es, /\b(the|order|exchange has|Left untouched)\b/);
    assert.match(describeFindings(createFmt('en', 'UTC'), f as never), /Open order on the exchange that the bot did not place/);
  });
});

describe('(d) the stand-in is as strict as binance, and no stricter', () => {
  test('a client id is refused while its order is open (NEW, PARTIALLY_FILLED) and free again once filled, cancelled or expired', async () => {
    const standin = await newStandin();
    standin.setPrice(SYMBOL, 30_000);
    standin.setBalance('USDT', 10_000);
    const ex = createExchange({ id: 'binance', apiKey: standin.apiKey, secret: standin.secret, apiUrl: standin.baseUrl, enableRateLimit: false, timeoutMs: 10_000 });

    // Filled: the id may be used again, and that is a second order.
    const first = await ex.createOrder(SYMBOL, 'market', 'buy', 0.001, undefined, { newClientOrderId: 'cid-filled' });
    assert.equal(first.status, 'closed');
    const again = await ex.createOrder(SYMBOL, 'market', 'buy', 0.001, undefined, { newClientOrderId: 'cid-filled' });
    assert.notEqual(again.id, first.id);
    assert.equal(ordersWith(standin, 'cid-filled').length, 2);
    // A lookup by client id answers with the latest order that carries it.
    assert.equal((await ex.fetchOrder(undefined as unknown as string, SYMBOL, { origClientOrderId: 'cid-filled' })).id, again.id);

    // Open on the book: refused, and the first order is untouched.
    await ex.createOrder(SYMBOL, 'limit', 'buy', 0.001, 20_000, { newClientOrderId: 'cid-open' });
    await assert.rejects(ex.createOrder(SYMBOL, 'market', 'buy', 0.001, undefined, { newClientOrderId: 'cid-open' }), (e: unknown) => e instanceof ccxt.InvalidOrder && /Duplicate order sent/.test((e as Error).message));
    assert.equal(ordersWith(standin, 'cid-open').length, 1);
    assert.equal(standin.balance('USDT').locked, 20);
    // Cancelled: free again, and the locked funds are back.
    const cancelled = await ex.cancelOrder(undefined as unknown as string, SYMBOL, { origClientOrderId: 'cid-open' });
    assert.equal(cancelled.status, 'canceled');
    assert.equal(standin.balance('USDT').locked, 0);
    await ex.createOrder(SYMBOL, 'market', 'buy', 0.001, undefined, { newClientOrderId: 'cid-open' });
    assert.equal(ordersWith(standin, 'cid-open').length, 2);
    await assert.rejects(ex.cancelOrder(undefined as unknown as string, SYMBOL, { origClientOrderId: 'cid-open' }), ccxt.OrderNotFound, 'a filled order cannot be cancelled');

    // Partly filled and resting: still open, still refused; the rest fills later.
    standin.partialFillNext(1, { ratio: 0.4, then: 'rest' });
    const part = await ex.createOrder(SYMBOL, 'limit', 'buy', 0.01, 30_000, { newClientOrderId: 'cid-part' });
    assert.equal(part.status, 'open');
    assert.equal(part.filled, 0.004);
    assert.equal(standin.orders.at(-1)!.status, 'PARTIALLY_FILLED');
    assert.equal((await ex.fetchOpenOrders(SYMBOL)).filter((o) => o.clientOrderId === 'cid-part').length, 1);
    await assert.rejects(ex.createOrder(SYMBOL, 'market', 'buy', 0.001, undefined, { newClientOrderId: 'cid-part' }), /Duplicate order sent/);
    standin.fillRest('cid-part');
    const full = await ex.fetchOrder(undefined as unknown as string, SYMBOL, { origClientOrderId: 'cid-part' });
    assert.equal(full.status, 'closed');
    assert.equal(full.filled, 0.01);
    assert.equal(standin.balance('USDT').locked, 0);

    // A market order that runs out of liquidity: 40% filled, the rest expired; the id is free.
    standin.partialFillNext(1, { ratio: 0.4, then: 'expire' });
    const exp = await ex.createOrder(SYMBOL, 'market', 'sell', 0.005, undefined, { newClientOrderId: 'cid-exp' });
    assert.equal(exp.status, 'expired');
    assert.equal(exp.filled, 0.002);
    await ex.createOrder(SYMBOL, 'market', 'sell', 0.001, undefined, { newClientOrderId: 'cid-exp' });
    assert.equal(ordersWith(standin, 'cid-exp').length, 2);

    // Latency: the request takes that long, and it is processed on the way (half-way).
    standin.setLatency(400);
    const t0 = Date.now();
    await ex.fetchTime();
    assert.ok(Date.now() - t0 >= 390, `took ${Date.now() - t0} ms`);
    standin.setLatency(0);

    // Balances add up: every buy and sell, commissions in the asset received.
    const btc = standin.orders.filter((o) => o.symbol === 'BTCUSDT').reduce((x, o) => x + (o.side === 'BUY' ? o.executedQty - o.commission : -o.executedQty), 0);
    assert.ok(Math.abs(standin.balance('BTC').free - btc) < 1e-12, `${standin.balance('BTC').free} vs ${btc}`);
  });
});
