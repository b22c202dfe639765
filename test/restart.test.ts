/**
 * Restart safety with the real bot process (`node src/main.ts`) in live mode against the local
 * binance stand-in: kill -9 between "order sent" and "order recorded", then start again.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { strategyByName } from '../src/agents/registry.js';
import { newAgentState, OPEN_LONG } from '../src/agents/types.js';
import { computeFeatures } from '../src/indicators/features.js';
import { createExchange, loadExchange } from '../src/market/ccxt-exchange.js';
import { seriesFromCandles, type Candle } from '../src/market/types.js';
import { createRng } from '../src/util/rng.js';
import { makeCandles, startExchangeStandin, liveEnv } from './support/exchange-standin.js';
import { spawnBot, tempDataDir, type BotProcess, exitWithin } from './support/spawn-bot.js';

// The bot loads only its configured exchange's ccxt module, before building the app (src/main.ts).
await loadExchange('binance');

const TF = 60_000;
const SYMBOL = 'BTC/USDT';

/** Candles whose last one (closed a moment ago) makes trend_following open a long. */
function candlesEndingInSignal(): Candle[] {
  const base = makeCandles(0, TF, 400, 7, 30_000);
  const f = computeFeatures(seriesFromCandles(SYMBOL, '1m', base));
  const st = strategyByName('trend_following');
  let k = 200;
  while (st.signal(f, k, 0, newAgentState(SYMBOL, 'trend_following'), { learn: false, rng: createRng(1), allowShort: true }) !== OPEN_LONG) k++;
  // Candle k is the last one that closed before now.
  const shift = Math.floor(Date.now() / TF) * TF - TF - base[k].ts;
  return base.slice(0, k + 1).map((c) => ({ ...c, ts: c.ts + shift }));
}

async function until<T>(what: string, fn: () => T | undefined | false, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

test('kill -9 between "order sent" and "order recorded": on restart the order is found by client id and recorded once; an order placed behind the bot\'s back is reported', async () => {
  const standin = await startExchangeStandin();
  const dir = tempDataDir('tc-restart-');
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
    standin.setCandles(SYMBOL, candlesEndingInSignal());
    standin.setBalance('USDT', 10_000);
    // The exchange takes the order, and the answer never comes back.
    standin.failNext(/\/api\/v3\/order$/, 1, { method: 'POST', hangMs: 120_000, recorded: true });

    const first = spawnBot(env);
    bots.push(first);
    const order = await until('the order to reach the exchange', () => standin.orders.find((o) => o.clientOrderId.startsWith('tc-p')));
    first.child.kill('SIGKILL');
    assert.equal((await exitWithin(first, 30_000)).signal, 'SIGKILL');

    // What the dead bot left: the order is on the exchange, SQLite has it only as "sending".
    const db = new Database(path.join(dir, 'tradecrew.db'), { readonly: true });
    const proposalId = order.clientOrderId.slice(3);
    assert.deepEqual(db.prepare('SELECT status FROM proposals WHERE id=?').get(proposalId), { status: 'approved' });
    assert.deepEqual(db.prepare('SELECT status FROM orders WHERE client_order_id=?').get(order.clientOrderId), { status: 'sending' });
    assert.deepEqual(db.prepare('SELECT COUNT(*) AS n FROM trades').get(), { n: 0 });
    db.close();

    // Meanwhile the owner places an order by hand on the same account.
    const ex = createExchange({ id: 'binance', apiKey: standin.apiKey, secret: standin.secret, apiUrl: standin.baseUrl, enableRateLimit: false });
    await ex.createOrder(SYMBOL, 'limit', 'buy', 0.001, 20_000, { newClientOrderId: 'web-manual-1' });

    const second = spawnBot(env);
    bots.push(second);
    await second.waitFor(new RegExp(`ORDER FILLED[\\s\\S]*?Proposal: ${proposalId}`), 40_000);
    const alert = await second.waitFor(/exchange check at start: (\d+) findings?\n((?:.+\n?)+)/, 20_000);
    assert.match(alert[2], /Open order on the exchange that the bot did not place: BTC\/USDT buy 0\.001 @ \$20,000(\.00)? \(order \d+, client id web-manual-1\)\. Left untouched\./);
    assert.equal(alert[1], '1', `only the manual order is a finding:\n${alert[2]}`);

    // Exactly one order for the proposal, sent once; recorded once.
    assert.equal(standin.orders.filter((o) => o.clientOrderId === order.clientOrderId).length, 1);
    assert.equal(standin.requests.filter((r) => r.method === 'POST' && r.params.newClientOrderId === order.clientOrderId).length, 1);
    const db2 = new Database(path.join(dir, 'tradecrew.db'), { readonly: true });
    assert.deepEqual(db2.prepare('SELECT status FROM proposals WHERE id=?').get(proposalId), { status: 'executed' });
    const trades = db2.prepare('SELECT proposal_id, entry_price, quantity, status FROM trades').all() as Array<{ proposal_id: string; entry_price: number; quantity: number; status: string }>;
    assert.equal(trades.length, 1);
    assert.equal(trades[0].proposal_id, proposalId);
    assert.equal(trades[0].entry_price, order.fillPrice);
    // The lookup told no fee; the position holds what arrived (binance took 0.1% in BTC), so an exit can sell it.
    assert.ok(Math.abs(trades[0].quantity - standin.balance('BTC').free) < 1e-12, `${trades[0].quantity} vs ${standin.balance('BTC').free}`);
    assert.ok(Math.abs(trades[0].quantity - order.origQty * 0.999) < 1e-12);
    assert.deepEqual(db2.prepare('SELECT status, exchange_order_id FROM orders WHERE client_order_id=?').get(order.clientOrderId), { status: 'filled', exchange_order_id: String(order.orderId) });
    db2.close();
    // The manual order was not touched, and the chat said "filled" once.
    assert.equal(standin.orders.find((o) => o.clientOrderId === 'web-manual-1')!.status, 'NEW');
    assert.equal(second.out().match(/ORDER FILLED/g)!.length, 1);

    second.child.kill('SIGTERM');
    assert.equal((await exitWithin(second, 60_000)).code, 0, second.err());
  } finally {
    for (const b of bots) if (b.child.exitCode === null && b.child.signalCode === null) b.child.kill('SIGKILL');
    await standin.close();
  }
});
