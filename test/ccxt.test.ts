/**
 * The ccxt adapters (exchange factory, candle source, broker, reconciliation) driving the REAL
 * ccxt binance client over real HTTP against a local binance-spot stand-in.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import ccxt from 'ccxt';
import { createExchange, loadExchange, scrubSecrets, type Exchange } from '../src/market/ccxt-exchange.js';
import { ccxtErrors, ccxtVersion, exchangeClass, knownExchanges } from '../src/market/ccxt-load.js';
import { createCcxtSource, findGaps } from '../src/market/ccxt-source.js';
import { clientOrderIdFor, createCcxtBroker } from '../src/trading/ccxt-broker.js';
import { reconcile } from '../src/trading/reconcile.js';
import { OrderRejectedError } from '../src/trading/broker.js';
import type { Candle } from '../src/market/types.js';
import { makeCandles, startExchangeStandin, type ExchangeStandin } from './support/exchange-standin.js';

// The bot loads only its configured exchange's ccxt module, before building the app (src/main.ts).
await loadExchange('binance');

const TF = 60_000;
const T0 = Date.UTC(2024, 0, 1);
const FAST = { tries: 3, baseMs: 10 };

let standin: ExchangeStandin;
let ex: Exchange; // signed, for orders
let clock = 0;
const now = () => clock;

const count = (method: string, path: string, from = 0) =>
  standin.requests.slice(from).filter((r) => r.method === method && r.path === path).length;

function exchange(overrides: { apiKey?: string; secret?: string } = {}): Exchange {
  return createExchange({
    id: 'binance',
    apiKey: overrides.apiKey ?? standin.apiKey,
    secret: overrides.secret ?? standin.secret,
    apiUrl: standin.baseUrl,
    enableRateLimit: false,
    timeoutMs: 1500,
  });
}

before(async () => {
  standin = await startExchangeStandin();
  ex = exchange();
});
after(async () => {
  await standin.close();
});

describe('ccxt, one exchange at a time (ccxt-load.ts)', () => {
  // The loader reads ccxt's own files beside its index; if a ccxt upgrade moves them, this fails.
  test("the ids, the exchange class and the error classes are the very ones of ccxt's index", () => {
    assert.deepEqual(knownExchanges(), [...(ccxt.exchanges as string[])].sort());
    assert.equal(exchangeClass('binance'), (ccxt as unknown as Record<string, unknown>).binance);
    assert.equal(ccxtErrors()?.OperationFailed, ccxt.OperationFailed);
    assert.equal(ccxtErrors()?.OrderNotFound, ccxt.OrderNotFound);
    assert.match(ccxtVersion(), /^\d+\.\d+\.\d+/);
  });

  test('an exchange that was not loaded is named, with the fix', () => {
    assert.throws(() => createExchange({ id: 'kraken' }), /ccxt exchange 'kraken' is not loaded: await loadExchange\('kraken'\)/);
  });
});

describe('createExchange', () => {
  test('an unknown exchange id names the problem and a near match', () => {
    assert.throws(() => createExchange({ id: 'binanse' }), /unknown exchange id 'binanse' \(did you mean 'binance'.*ccxt knows: /);
  });

  test('apiUrl rewrites every REST host and keeps each path', () => {
    const e = createExchange({ id: 'binance', apiUrl: 'http://127.0.0.1:9/' });
    const api = e.urls.api as Record<string, string>;
    assert.equal(api.public, 'http://127.0.0.1:9/api/v3');
    assert.equal(api.fapiPublic, 'http://127.0.0.1:9/fapi/v1');
    assert.ok(Object.values(api).every((u) => u.startsWith('http://127.0.0.1:9/')));
  });
});

describe('ccxt candle source', () => {
  test('backfill paginates, drops the open candle, then an incremental fetch asks only for new candles', async () => {
    // 1501 candles; at `clock` the last one is still open.
    const all = makeCandles(T0, TF, 1511, 7);
    standin.setCandles('BTC/USDT', all.slice(0, 1501));
    clock = T0 + 1500 * TF + 30_000;
    const src = createCcxtSource(ex, { cacheTtlMs: 5_000, now, retry: FAST });
    const mark = standin.requests.length;

    const first = await src.fetchCandles('BTC/USDT', '1m', T0);
    assert.equal(first.length, 1500, 'the still-open candle is dropped');
    assert.equal(first[0].ts, T0);
    assert.equal(first.at(-1)!.ts, T0 + 1499 * TF);
    assert.deepEqual(first[42], all[42]);
    assert.ok(first.every((c, i) => i === 0 || c.ts - first[i - 1].ts === TF), 'ascending, no duplicates');
    assert.equal(count('GET', '/api/v3/klines', mark), 2, '1500 candles = two pages of at most 1000');

    // Ten minutes later: ten more candles closed, one new open one.
    standin.setCandles('BTC/USDT', all);
    clock = T0 + 1510 * TF + 30_000;
    const mark2 = standin.requests.length;
    const next = await src.fetchCandles('BTC/USDT', '1m', first.at(-1)!.ts + TF);
    assert.deepEqual(next.map((c) => c.ts), Array.from({ length: 10 }, (_, i) => T0 + (1500 + i) * TF));
    const klines = standin.requests.slice(mark2).filter((r) => r.path === '/api/v3/klines');
    assert.equal(klines.length, 1, 'one request for the new candles');
    assert.equal(Number(klines[0].params.startTime), T0 + 1500 * TF);
  });

  test('a hole in the exchange data is reported by findGaps, not filled', async () => {
    const cs = makeCandles(T0, TF, 300, 3, 2000).filter((_, i) => i < 100 || i > 104);
    standin.setCandles('ETH/USDT', cs);
    clock = T0 + 300 * TF;
    const src = createCcxtSource(ex, { cacheTtlMs: 1_000, now, retry: FAST });
    const got = await src.fetchCandles('ETH/USDT', '1m', T0);
    assert.equal(got.length, 295);
    assert.deepEqual(findGaps(got, TF), [{ from: T0 + 100 * TF, to: T0 + 104 * TF, missing: 5 }]);
  });

  test('findGaps: none in a complete series, one per hole otherwise', () => {
    const c = (ts: number): Candle => ({ ts, open: 1, high: 1, low: 1, close: 1, volume: 1 });
    assert.deepEqual(findGaps([0, 1, 2, 3].map((i) => c(i * TF)), TF), []);
    assert.deepEqual(findGaps([0, 2, 3, 7].map((i) => c(i * TF)), TF), [
      { from: TF, to: TF, missing: 1 },
      { from: 4 * TF, to: 6 * TF, missing: 3 },
    ]);
  });

  test('five agents asking for the same market within the TTL share one request', async () => {
    standin.setCandles('SOL/USDT', makeCandles(T0, TF, 200, 5, 100));
    clock = T0 + 200 * TF;
    const src = createCcxtSource(ex, { cacheTtlMs: 10_000, now, retry: FAST });
    await src.fetchCandles('SOL/USDT', '1m', T0); // warm the market list
    const mark = standin.requests.length;
    const before = src.requests;
    const results = await Promise.all(Array.from({ length: 5 }, () => src.fetchCandles('SOL/USDT', '1m', T0 + 50 * TF)));
    assert.equal(count('GET', '/api/v3/klines', mark), 1);
    assert.equal(src.requests - before, 1);
    for (const r of results) assert.equal(r.length, 150);
    // A caller changing its copy does not change what the next caller gets.
    results[0].length = 0;
    assert.equal((await src.fetchCandles('SOL/USDT', '1m', T0 + 50 * TF)).length, 150);
    assert.equal(count('GET', '/api/v3/klines', mark), 1, 'still cached');

    clock += 10_000; // TTL over
    await src.fetchCandles('SOL/USDT', '1m', T0 + 50 * TF);
    assert.equal(count('GET', '/api/v3/klines', mark), 2, 'refetched after the TTL');
  });

  test('lastPrice comes from the ticker and is cached for the TTL', async () => {
    standin.setPrice('ETH/USDT', 2345.67);
    const src = createCcxtSource(ex, { cacheTtlMs: 10_000, now, retry: FAST });
    const mark = standin.requests.length;
    assert.equal(await src.lastPrice('ETH/USDT'), 2345.67);
    assert.equal(await src.lastPrice('ETH/USDT'), 2345.67);
    assert.equal(count('GET', '/api/v3/ticker/24hr', mark), 1);
  });

  test('5xx answers are retried with back-off', async () => {
    standin.setCandles('SOL/USDT', makeCandles(T0, TF, 200, 5, 100));
    clock = T0 + 200 * TF;
    const src = createCcxtSource(ex, { cacheTtlMs: 1_000, now, retry: FAST });
    await src.lastPrice('SOL/USDT');
    const mark = standin.requests.length;
    standin.failNext(/\/klines$/, 2, { status: 503 });
    const got = await src.fetchCandles('SOL/USDT', '1m', T0 + 100 * TF);
    assert.equal(got.length, 100);
    assert.equal(count('GET', '/api/v3/klines', mark), 3);
  });

  test('a failed market-list load is retried (ccxt would otherwise keep the failure)', async () => {
    const fresh = exchange();
    const mark = standin.requests.length;
    standin.failNext(/\/exchangeInfo$/, 1, { status: 503 });
    const src = createCcxtSource(fresh, { cacheTtlMs: 1_000, now, retry: FAST });
    assert.equal((await src.fetchCandles('SOL/USDT', '1m', T0 + 190 * TF)).length, 10);
    assert.equal(count('GET', '/api/v3/exchangeInfo', mark), 2);
  });

  test('an unknown symbol is a clear error', async () => {
    const src = createCcxtSource(ex, { cacheTtlMs: 1_000, now, retry: FAST });
    await assert.rejects(src.fetchCandles('DOGE/USDT', '1m', T0), { message: 'unknown symbol DOGE/USDT on binance' });
    await assert.rejects(src.lastPrice('DOGE/USDT'), { message: 'unknown symbol DOGE/USDT on binance' });
  });

  test('hasSymbol (/whitelist add) answers from the exchange market list; an unreachable exchange is an error, not a no', async () => {
    const src = createCcxtSource(ex, { cacheTtlMs: 1_000, now, retry: FAST });
    assert.equal(await src.hasSymbol!('SOL/USDT'), true);
    assert.equal(await src.hasSymbol!('DOGE/USDT'), false);
    const down = createCcxtSource(createExchange({ id: 'binance', apiUrl: 'http://127.0.0.1:9/', timeoutMs: 500 }), { cacheTtlMs: 1_000, now, retry: FAST });
    await assert.rejects(down.hasSymbol!('SOL/USDT'));
  });
});

describe('ccxt broker', () => {
  const broker = () => createCcxtBroker(ex, { orderType: 'market', retry: FAST });
  const ordersWith = (cid: string) => standin.orders.filter((o) => o.clientOrderId === cid);

  before(() => {
    standin.setPrice('BTC/USDT', 30_000);
    standin.setBalance('USDT', 10_000);
    standin.setBalance('BTC', 0);
  });

  test('clientOrderIdFor is deterministic and always valid on binance', () => {
    const ids = ['p-1', 'proposal:2024-01-01T00:00:00Z#BTC/USDT', 'x'.repeat(80), 'äöü', 'p_1'];
    for (const id of ids) {
      const cid = clientOrderIdFor(id);
      assert.match(cid, /^[a-zA-Z0-9-_]{1,36}$/);
      assert.equal(cid, clientOrderIdFor(id));
    }
    assert.equal(clientOrderIdFor('p-1'), 'tc-p-1');
    assert.notEqual(clientOrderIdFor('a:b'), clientOrderIdFor('a/b'), 'sanitising never merges two proposals');
  });

  test('a market order is sent with the amount rounded down to the step size, and filled', async () => {
    const cid = clientOrderIdFor('prop-round');
    const fill = await broker().placeOrder({ clientOrderId: cid, symbol: 'BTC/USDT', side: 'buy', amount: 0.123456789, type: 'market', price: 30_000 });
    assert.equal(fill.amount, 0.12345);
    assert.equal(fill.price, 30_000);
    assert.equal(fill.clientOrderId, cid);
    assert.equal(fill.side, 'buy');
    assert.ok(Math.abs(fill.fee - 0.12345 * 0.001 * 30_000) < 1e-6, `fee ${fill.fee} in USDT`);
    const sent = standin.requests.filter((r) => r.method === 'POST' && r.params.newClientOrderId === cid);
    assert.equal(sent.length, 1);
    assert.equal(sent[0].params.quantity, '0.12345');
    assert.equal(ordersWith(cid).length, 1);
    assert.ok(Math.abs(standin.balance('USDT').free - (10_000 - 3_703.5)) < 1e-6);

    const found = await broker().findOrder(cid, 'BTC/USDT');
    assert.equal(found?.orderId, fill.orderId);
    assert.equal(found?.amount, 0.12345);
    assert.equal(await broker().findOrder('tc-never-sent', 'BTC/USDT'), null);
  });

  test('an order below the minimum notional is refused in plain words before anything is sent', async () => {
    const mark = standin.requests.length;
    const req = { clientOrderId: clientOrderIdFor('prop-tiny'), symbol: 'BTC/USDT', side: 'buy' as const, amount: 0.00001, type: 'market' as const };
    const expected = { name: 'OrderRejectedError', reason: 'min_notional', message: "order of 0.00001 BTC (0.30 USDT) is below BTC/USDT's minimum of 10 USDT" };
    await assert.rejects(broker().placeOrder({ ...req, price: 30_000 }), expected);
    await assert.rejects(broker().placeOrder(req), expected); // no reference price: the ticker supplies one
    assert.equal(count('POST', '/api/v3/order', mark), 0, 'no order request reached the exchange');
  });

  test('insufficient funds is a rejection and changes no balance', async () => {
    const usdt = standin.balance('USDT');
    const btc = standin.balance('BTC');
    const ordersBefore = standin.orders.length;
    await assert.rejects(
      broker().placeOrder({ clientOrderId: clientOrderIdFor('prop-rich'), symbol: 'BTC/USDT', side: 'buy', amount: 1, type: 'market', price: 30_000 }),
      (e: unknown) => e instanceof OrderRejectedError && e.reason === 'insufficient_funds' && /^not enough USDT/.test(e.message),
    );
    assert.deepEqual(standin.balance('USDT'), usdt);
    assert.deepEqual(standin.balance('BTC'), btc);
    assert.equal(standin.orders.length, ordersBefore);
    const bal = await ex.fetchBalance();
    assert.equal(bal['USDT'].free, usdt.free);
  });

  test('order sent, answer lost (timeout): found by client order id, never sent twice', async () => {
    const cid = clientOrderIdFor('prop-timeout');
    const mark = standin.requests.length;
    standin.failNext(/\/api\/v3\/order$/, 1, { method: 'POST', hangMs: 4_000 });
    const t = Date.now();
    const fill = await broker().placeOrder({ clientOrderId: cid, symbol: 'BTC/USDT', side: 'buy', amount: 0.001, type: 'market', price: 30_000 });
    assert.ok(Date.now() - t < 3_500, 'gave up waiting at the client timeout');
    assert.equal(fill.clientOrderId, cid);
    assert.equal(fill.amount, 0.001);
    assert.equal(fill.price, 30_000);
    assert.equal(ordersWith(cid).length, 1, 'exactly one order on the exchange');
    assert.equal(count('POST', '/api/v3/order', mark), 1, 'not re-sent');
    assert.ok(count('GET', '/api/v3/order', mark) >= 1, 'looked up by client order id');
  });

  test('a 5xx before the exchange took the order: looked up, then re-sent once', async () => {
    const cid = clientOrderIdFor('prop-503');
    const mark = standin.requests.length;
    standin.failNext(/\/api\/v3\/order$/, 1, { method: 'POST', status: 503 });
    const fill = await broker().placeOrder({ clientOrderId: cid, symbol: 'BTC/USDT', side: 'buy', amount: 0.001, type: 'market', price: 30_000 });
    assert.equal(fill.amount, 0.001);
    assert.equal(ordersWith(cid).length, 1);
    assert.equal(count('POST', '/api/v3/order', mark), 2);
  });

  test('a 5xx after the exchange took the order: found, not re-sent', async () => {
    const cid = clientOrderIdFor('prop-502');
    const mark = standin.requests.length;
    standin.failNext(/\/api\/v3\/order$/, 1, { method: 'POST', status: 502, recorded: true });
    const fill = await broker().placeOrder({ clientOrderId: cid, symbol: 'BTC/USDT', side: 'buy', amount: 0.001, type: 'market', price: 30_000 });
    assert.equal(fill.clientOrderId, cid);
    assert.equal(ordersWith(cid).length, 1);
    assert.equal(count('POST', '/api/v3/order', mark), 1);
  });

  test('placing the same proposal again (e.g. after a restart) returns the first order', async () => {
    const cid = clientOrderIdFor('prop-round');
    const first = ordersWith(cid)[0];
    const mark = standin.requests.length;
    const fill = await broker().placeOrder({ clientOrderId: cid, symbol: 'BTC/USDT', side: 'buy', amount: 0.123456789, type: 'market', price: 30_000 });
    assert.equal(fill.orderId, String(first.orderId));
    assert.equal(ordersWith(cid).length, 1);
    assert.equal(count('POST', '/api/v3/order', mark), 0, 'found before sending, nothing sent');
  });

  test('exchange down for every try: a clear failure, and the exchange has no order', async () => {
    const cid = clientOrderIdFor('prop-down');
    standin.failNext(/\/api\/v3\/order$/, 3, { method: 'POST', status: 503 });
    await assert.rejects(
      broker().placeOrder({ clientOrderId: cid, symbol: 'BTC/USDT', side: 'buy', amount: 0.001, type: 'market', price: 30_000 }),
      /could not place order tc-prop-down .* after 3 tries; the exchange has no such order/,
    );
    assert.equal(ordersWith(cid).length, 0);
  });

  test('an unknown symbol is a rejection', async () => {
    await assert.rejects(
      broker().placeOrder({ clientOrderId: 'tc-x', symbol: 'DOGE/USDT', side: 'buy', amount: 1, type: 'market', price: 1 }),
      { reason: 'unknown_symbol', message: 'unknown symbol DOGE/USDT on binance' },
    );
  });

  test('a limit order is sent at the tick-rounded price', async () => {
    const cid = clientOrderIdFor('prop-limit');
    const fill = await createCcxtBroker(ex, { orderType: 'limit', retry: FAST }).placeOrder({
      clientOrderId: cid, symbol: 'BTC/USDT', side: 'buy', amount: 0.002, type: 'limit', price: 25_000.1249,
    });
    const sent = standin.requests.find((r) => r.method === 'POST' && r.params.newClientOrderId === cid)!;
    assert.equal(sent.params.price, '25000.12');
    assert.equal(ordersWith(cid)[0].status, 'NEW', 'below the market, so it rests');
    assert.equal(fill.amount, 0, 'nothing filled yet');
  });
});

describe('reconcile', () => {
  test('reports an order placed behind our back, an order the exchange lacks, and balance drift', async () => {
    // Someone places an order by hand (same account, not through our broker).
    const theirs = await ex.createOrder('BTC/USDT', 'limit', 'sell', 0.001, 40_000, { newClientOrderId: 'web-manual-1' });
    const ours = clientOrderIdFor('prop-limit'); // resting since the limit-order test
    const usdt = standin.balance('USDT');
    const btc = standin.balance('BTC');
    const report = await reconcile(ex, {
      openClientOrderIds: [ours, 'tc-ghost-1'],
      symbols: ['BTC/USDT', 'ETH/USDT'],
      expectedBalances: { USDT: usdt.free + usdt.locked + 50, BTC: btc.free + btc.locked },
    });
    assert.deepEqual(report.unknownOpenOrders, [
      { id: theirs.id, clientOrderId: 'web-manual-1', symbol: 'BTC/USDT', side: 'sell', amount: 0.001, price: 40_000 },
    ]);
    assert.deepEqual(report.missingOrders, ['tc-ghost-1']);
    assert.equal(report.balanceDiffs.length, 1);
    assert.equal(report.balanceDiffs[0].asset, 'USDT');
    assert.ok(Math.abs(report.balanceDiffs[0].expected - report.balanceDiffs[0].actual - 50) < 1e-6);
    // Reporting only: the unknown order is still open, untouched.
    assert.equal(standin.orders.find((o) => o.clientOrderId === 'web-manual-1')?.status, 'NEW');
  });
});

describe('secrets stay out of errors', () => {
  test('a failure echoing the API key, and a timed-out signed request, leave no key, secret or signature in the message', async () => {
    const key = standin.apiKey;
    const secret = standin.secret;
    const leaks = (msg: string) => msg.includes(key) || msg.includes(secret) || /signature=[0-9a-f]{16}/.test(msg);
    // A misbehaving gateway that echoes the request's key header in its error page.
    standin.failNext(/\/api\/v3\/order$/, 3, { method: 'POST', status: 502, body: `bad gateway (X-MBX-APIKEY: ${key}; secret ${secret})` });
    const broker = createCcxtBroker(ex, { orderType: 'market', retry: FAST });
    const e1 = await broker
      .placeOrder({ clientOrderId: 'tc-leak-1', symbol: 'BTC/USDT', side: 'buy', amount: 0.001, type: 'market', price: 30_000 })
      .then(() => assert.fail('expected a failure'), (e: Error) => e);
    assert.match(e1.message, /bad gateway/, 'the cause is still told');
    assert.ok(!leaks(e1.message) && !leaks(e1.stack ?? ''), e1.message);

    // A signed GET that times out: ccxt puts the full signed URL into the message.
    standin.failNext(/\/api\/v3\/order$/, 1, { method: 'GET', hangMs: 3_000 });
    const e2 = await createCcxtBroker(ex, { orderType: 'market', retry: { tries: 1, baseMs: 1 } })
      .findOrder('tc-leak-2', 'BTC/USDT')
      .then(() => assert.fail('expected a failure'), (e: Error) => e);
    assert.ok(e2 instanceof ccxt.RequestTimeout, String(e2));
    assert.match(e2.message, /timed out/);
    assert.ok(!leaks(e2.message) && !leaks(e2.stack ?? ''), e2.message);

    // Wrong secret: the exchange refuses the signature; reconcile's error is scrubbed too.
    const bad = exchange({ secret: 'wrong-secret-value-1234' });
    const e3 = await reconcile(bad, { openClientOrderIds: [], symbols: ['BTC/USDT'] }).then(() => assert.fail('expected a failure'), (e: Error) => e);
    assert.ok(e3 instanceof ccxt.AuthenticationError, String(e3));
    assert.ok(!e3.message.includes('wrong-secret-value-1234') && !leaks(e3.message), e3.message);
  });

  test('scrubSecrets redacts in place and keeps the error class', () => {
    const e = new ccxt.InsufficientFunds('binance GET http://x/api?a=1&signature=deadbeefdeadbeefdeadbeef key=AKIA1234 sec=S3CR3T!!');
    const out = scrubSecrets(e, { apiKey: 'AKIA1234', secret: 'S3CR3T!!' });
    assert.equal(out, e);
    assert.ok(out instanceof ccxt.InsufficientFunds);
    assert.equal(out.message, 'binance GET http://x/api?a=1&signature=[redacted] key=[redacted] sec=[redacted]');
  });
});
