/**
 * The start-up catch-up (src/app/catch-up.ts, startup-gate.ts), through the real ccxt binance
 * client over HTTP against the binance-spot stand-in, with its candle endpoint down:
 *  - the chat answers at once; /status says the bot is catching up and that attempts fail;
 *  - the outage is said once, not once per attempt;
 *  - a trader's /buy during a slow catch-up waits for it and then runs on the fresh candles (not
 *    "0 candles"); during an outage it is refused at once, with the reason;
 *  - past the wait, a trader's command and a button are refused with the reason, and nothing
 *    changes (no order, an audit row that says why);
 *  - the real process (src/main.ts) answers /status during an outage, catches up when the
 *    exchange returns, and a stop during the outage ends it cleanly.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { catchUp } from '../src/app/catch-up.js';
import { signButton } from '../src/chat/buttons.js';
import { loadConfig } from '../src/config/load.js';
import { loadExchange } from '../src/market/ccxt-exchange.js';
import { candleCount } from '../src/store/candles.js';
import { startConsoleApp } from './support/console-app.js';
import { until } from './support/until.js';
import { liveEnv, makeCandles, startExchangeStandin, type ExchangeStandin } from './support/exchange-standin.js';
import { freePort } from './support/redis.js';
import { exitWithin, spawnBot, tempDataDir } from './support/spawn-bot.js';

await loadExchange('binance');

const TF = 60_000;
const T0 = Date.UTC(2024, 0, 1);
const SYMBOL = 'BTC/USDT';
const N = 400;
const KLINES = /\/api\/v3\/klines/;

const standins: ExchangeStandin[] = [];
const closers: Array<() => Promise<void>> = [];
after(async () => {
  for (const c of closers) await c();
  for (const s of standins) await s.close();
});

/** A stand-in with N minutes of BTC/USDT history and a funded account. */
async function standinWithCandles(): Promise<ExchangeStandin> {
  const s = await startExchangeStandin();
  standins.push(s);
  s.setCandles(SYMBOL, makeCandles(T0, TF, N, 3, 30_000));
  s.setBalance('USDT', 10_000);
  return s;
}

/** A stand-in whose candle endpoint is down until `endFailures()`. */
async function downStandin(): Promise<ExchangeStandin> {
  const s = await standinWithCandles();
  s.failNext(KLINES, 1e9, { status: 503, body: '{"code":-1001,"msg":"Internal error; unable to process your request. Please try again."}' });
  return s;
}

/** A stand-in whose candle endpoint works but answers after `ms` (a slow, healthy catch-up). */
async function slowStandin(ms: number): Promise<ExchangeStandin> {
  const s = await standinWithCandles();
  s.setLatency(ms, { path: KLINES });
  return s;
}

/** A live bot built as main.ts builds it (starting: the chat first, then the catch-up). */
async function startingBot(standin: ExchangeStandin, o: { waitMs: number; retryMs: number }) {
  const cfg = loadConfig({ env: { ...liveEnv(standin, tempDataDir('tc-catchup-'), [SYMBOL]), TRADECREW_EXCHANGE__RETRY_BASE_MS: '5', TRADECREW_EXCHANGE__CACHE_TTL_SECONDS: '0' } });
  const clock = T0 + N * TF + 5_000;
  const bot = await startConsoleApp(cfg, { now: () => clock, starting: true, catchUpWaitMs: o.waitMs });
  const stopper = new AbortController();
  const caught = catchUp(bot.app, { retry: { minMs: o.retryMs, maxMs: o.retryMs }, signal: stopper.signal });
  closers.push(async () => {
    stopper.abort();
    await caught;
    await bot.stop();
  });
  return { ...bot, caught, stop: () => stopper.abort() };
}

const orderPosts = (s: ExchangeStandin) => s.requests.filter((r) => r.method === 'POST' && r.path === '/api/v3/order').length;
const klineAsks = (s: ExchangeStandin) => s.requests.filter((r) => KLINES.test(r.path)).length;
const count = (text: string, re: RegExp) => text.match(new RegExp(re.source, 'g'))?.length ?? 0;

describe('the chat answers while the bot catches up after a start', () => {
  test('an exchange down at start: /status and /health say so, the outage is told once, a /buy is refused at once with the reason; once caught up it runs', { timeout: 60_000 }, async () => {
    const standin = await downStandin();
    const bot = await startingBot(standin, { waitMs: 60_000, retryMs: 30 });
    const { app, caught } = bot;
    await until('two failed attempts', () => (app.startup.progress?.failures ?? 0) >= 2);

    bot.say('/status');
    await bot.waitFor(/STATUS[\s\S]*Catching up: fetching the market since the last start \(0\/1 symbols\); \d+ attempt\(s\) failed so far \(binance \{"code":-1001,"msg":"Internal error/);
    assert.doesNotMatch(bot.text(), /Running: new trades are allowed/, 'while catching up, /status does not say trading runs');
    bot.say('/health');
    await bot.waitFor(/HEALTH[\s\S]*Database: writable[\s\S]*⏳ Catching up: fetching the market/);

    // The exchange is failing: the /buy is refused now (not after the 60 s wait), with the reason.
    bot.say('/buy BTC/USDT');
    await bot.waitFor(/Not done: \/buy arrived while the bot is still catching up[\s\S]*attempt\(s\) failed so far[\s\S]*Nothing was changed/);
    assert.equal(app.startup.ready, false, 'refused while the outage lasts');
    assert.doesNotMatch(bot.text(), /Proposal P|has 0 of the/, 'the /buy did not run on the empty cache');
    assert.equal(orderPosts(standin), 0);
    assert.equal(candleCount(app.db, SYMBOL, '1m'), 0);

    const asked = klineAsks(standin);
    await until('three more failed attempts', () => klineAsks(standin) >= asked + 3);
    standin.endFailures();
    assert.equal(await caught, true);
    assert.equal(app.startup.ready, true);
    await bot.waitFor(/Caught up with the market after \d+ failed attempt\(s\)/);
    assert.equal(count(bot.text(), /market data not caught up at start/), 1, `told once over many attempts:\n${bot.text()}`);
    bot.say('/buy BTC/USDT');
    await bot.waitFor(/Proposal P\S*: buy/i);
    assert.ok(candleCount(app.db, SYMBOL, '1m') >= N - 1);

    bot.say('/status');
    await bot.waitFor(/STATUS[\s\S]*STATUS[\s\S]*Running: new trades are allowed/);
  });

  test('a slow but healthy catch-up: a /buy sent meanwhile waits for it and then proposes on the fetched candles', { timeout: 60_000 }, async () => {
    const standin = await slowStandin(1_500);
    const bot = await startingBot(standin, { waitMs: 60_000, retryMs: 30 });
    const { app, caught } = bot;
    await until('the candle request on the wire', () => klineAsks(standin) >= 1);
    bot.say('/buy BTC/USDT');
    // Without the gate, the /buy would answer at once from the empty cache ("has 0 of the … candles").
    await bot.waitFor(/Proposal P\S*: buy/i);
    assert.equal(await caught, true);
    assert.doesNotMatch(bot.text(), /has 0 of the|Not done|not caught up/);
    assert.ok(candleCount(app.db, SYMBOL, '1m') >= N - 1);
  });

  test('past the wait, a trader command and a button are refused with the reason, and nothing changes; once caught up they run', { timeout: 60_000 }, async () => {
    const standin = await slowStandin(3_000);
    const bot = await startingBot(standin, { waitMs: 300, retryMs: 30 });
    const { app, router, caught } = bot;

    bot.say('/buy BTC/USDT');
    await bot.waitFor(/Not done: \/buy arrived while the bot is still catching up after its start[\s\S]*Catching up: fetching the market[\s\S]*Nothing was changed/);
    const press = () => router.onButton({ adapter: 'console', chatId: 'console', messageId: '1', user: { id: 'console', name: 'alice' }, data: signButton(app.buttonKey, 'ap', 'P-nope') });
    assert.match(await press(), /Not done: the bot is still catching up after its start/);
    assert.equal(app.startup.ready, false, 'refused by the wait, before the catch-up ended');
    assert.equal(orderPosts(standin), 0);
    const refused = app.db.prepare("SELECT action, allowed, detail FROM audit_log WHERE detail = 'still catching up after a start' ORDER BY rowid").all() as Array<{ action: string; allowed: number }>;
    assert.deepEqual(
      refused.map((r) => [r.action, r.allowed]),
      [
        ['/buy BTC/USDT', 0],
        ['button ap P-nope', 0],
      ],
    );

    assert.equal(await caught, true);
    // The same press now reaches the proposal lookup.
    assert.match(await press(), /No proposal P-nope/);
    bot.say('/buy BTC/USDT');
    await bot.waitFor(/Proposal P\S*: buy/i);
  });

  test('a stop while catching up ends the attempt: catchUp returns false and the gate stays closed', { timeout: 30_000 }, async () => {
    const standin = await downStandin();
    const bot = await startingBot(standin, { waitMs: 60_000, retryMs: 60_000 });
    await until('the first failed attempt', () => (bot.app.startup.progress?.failures ?? 0) >= 1);
    bot.stop();
    assert.equal(await bot.caught, false);
    assert.equal(bot.app.startup.ready, false);
  });
});

describe('the real process (src/main.ts) with its exchange down at start', () => {
  const env = (standin: ExchangeStandin) => ({
    TRADECREW_DATA_DIR: tempDataDir('tc-catchup-proc-'),
    EXCHANGE: 'binance',
    EXCHANGE_API_URL: standin.baseUrl,
    TRADECREW_SYMBOLS: SYMBOL,
    TRADECREW_TIMEFRAME: '1m',
    TRADECREW_EXCHANGE__RETRY_BASE_MS: '5',
  });

  test('answers /status while the exchange is down, says so (chat and /health), and catches up when it returns', { timeout: 90_000 }, async () => {
    const standin = await downStandin();
    const port = await freePort();
    const bot = spawnBot({ ...env(standin), TRADECREW_OPS__PORT: String(port) });
    const health = async () => {
      const r = await fetch(`http://127.0.0.1:${port}/health`);
      return { status: r.status, startup: ((await r.json()) as { checks: Record<string, { ok: boolean; detail: string }> }).checks.startup };
    };
    try {
      bot.send('/status');
      await bot.waitFor(/STATUS[\s\S]*Catching up: fetching the market since the last start/);
      await bot.waitFor(/market data not caught up at start/);
      await until('the ops port to open', () => /health on \/health/.test(bot.err()));
      const down = await health();
      assert.equal(down.status, 503);
      assert.equal(down.startup.ok, false);
      assert.match(down.startup.detail, /catching up: \d+ attempt\(s\) failed/);
      standin.endFailures();
      // The first retry is 5 s after the first failure (catch-up.ts CATCH_UP_RETRY).
      await bot.waitFor(/Caught up with the market after 1 failed attempt\(s\)/, 45_000);
      assert.deepEqual((await health()).startup, { ok: true, detail: 'caught up' });
      bot.send('/status');
      await bot.waitFor(/Running: new trades are allowed/);
      bot.endInput();
      assert.equal((await exitWithin(bot, 30_000)).code, 0);
    } finally {
      if (bot.child.exitCode === null) bot.child.kill('SIGKILL');
    }
  });

  test('a SIGTERM during the outage stops the bot cleanly (exit 0), not as a failed start', { timeout: 60_000 }, async () => {
    const standin = await downStandin();
    const bot = spawnBot({ ...env(standin), TRADECREW_CONSOLE__EXIT_ON_EOF: 'false' });
    try {
      await bot.waitFor(/market data not caught up at start/);
      bot.child.kill('SIGTERM');
      const { code } = await exitWithin(bot, 20_000);
      assert.equal(code, 0, bot.err());
      assert.doesNotMatch(bot.err(), /failed to start/);
    } finally {
      if (bot.child.exitCode === null) bot.child.kill('SIGKILL');
    }
  });
});
