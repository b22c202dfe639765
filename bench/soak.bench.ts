/**
 * Soak: the real bot process, live mode, against the local binance stand-in, for one simulated
 * hour of 1-minute candles, with two kill -9 restarts in the middle.
 *
 *   node --import tsx bench/soak.bench.ts            (SOAK_MINUTE_MS=2000 by default)
 *
 * The stand-in serves candles from a virtual clock: every SOAK_MINUTE_MS one more 1m candle has
 * closed. The candles lie in the recent past, so the bot's own clock sees them all as closed; the
 * bot scans every second (scan.schedule) and decides each closed candle once. Auto-approve is on,
 * positions close by a 3-candle time stop (or stop/target), so it keeps placing and closing orders.
 *
 * Kill 1 is the nasty one: the next order POST is held by the stand-in after it took the order,
 * and the bot is killed while waiting for the answer ("sent, not recorded"). Kill 2 comes at a
 * random moment. After each, the bot starts again on the same data directory.
 *
 * Before kill 2 an order is placed by hand on the same account: start 3 must report it, untouched.
 *
 * Printed: orders placed and closed, duplicates (must be 0), lost orders (must be 0), what the
 * start-up exchange checks reported, wall time, peak RSS of each bot process. Exit code 0 = all held.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { createExchange, loadExchange } from '../src/market/ccxt-exchange.js';
import type { Candle } from '../src/market/types.js';
import { makeCandles, startExchangeStandin, liveEnv } from '../test/support/exchange-standin.js';
import { spawnBot, tempDataDir, type BotProcess } from '../test/support/spawn-bot.js';

// The bot loads only its configured exchange's ccxt module, before building the app (src/main.ts).
await loadExchange('binance');

const MINUTE_MS = Number(process.env.SOAK_MINUTE_MS ?? 2000);
const MINUTES = Number(process.env.SOAK_MINUTES ?? 60);
const HISTORY = 400;
const TF = 60_000;
// Seeds whose hour (candles 400-459) is mostly trending, so trend_following keeps trading.
const SYMBOLS: Record<string, { seed: number; price: number }> = {
  'BTC/USDT': { seed: 55, price: 30_000 },
  'ETH/USDT': { seed: 31, price: 2_000 },
  'SOL/USDT': { seed: 51, price: 100 },
};
const KILL_AT = [Math.round(MINUTES / 3), Math.round((2 * MINUTES) / 3)];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function rssKb(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const m = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

async function main(): Promise<void> {
  const t0 = Date.now();
  const standin = await startExchangeStandin();
  standin.setBalance('USDT', 100_000);
  // The whole hour lies in the past: its last candle closed a minute ago.
  const end = Math.floor(Date.now() / TF) * TF - TF;
  const start = end - (HISTORY + MINUTES - 1) * TF;
  const series: Record<string, Candle[]> = {};
  for (const [s, { seed, price }] of Object.entries(SYMBOLS)) series[s] = makeCandles(start, TF, HISTORY + MINUTES, seed, price);
  let served = HISTORY; // candles closed so far on the virtual clock
  const serve = () => {
    for (const s of Object.keys(SYMBOLS)) {
      standin.setCandles(s, series[s].slice(0, served));
      standin.setPrice(s, series[s][served - 1].close);
    }
  };
  serve();

  const dir = tempDataDir('tc-soak-');
  const env = {
    ...liveEnv(standin, dir, Object.keys(SYMBOLS)),
    TRADECREW_SCAN__SCHEDULE: '* * * * * *',
    TRADECREW_APPROVAL__AUTO_APPROVE: 'true',
    TRADECREW_APPROVAL__AUTO_MIN_CONFIDENCE: '0',
    TRADECREW_RISK__MAX_HOLD_CANDLES: '3',
    TRADECREW_RISK__COOLDOWN_CANDLES: '0',
    TRADECREW_RISK__DAILY_TRADE_LIMIT: '1000',
    TRADECREW_RISK__MAX_POSITION_PCT: '0.2',
    TRADECREW_RISK__MAX_TOTAL_EXPOSURE: '0.9',
    TRADECREW_RISK__ALLOW_SHORT: 'false',
    TRADECREW_EXCHANGE__CACHE_TTL_SECONDS: '0',
    TRADECREW_EXCHANGE__RETRY_BASE_MS: '100',
    TRADECREW_EXCHANGE__TIMEOUT_SECONDS: '30',
  };

  const bots: BotProcess[] = [];
  const peakRss: number[] = [];
  let bot = spawnBot(env);
  bots.push(bot);
  peakRss.push(0);
  const sampler = setInterval(() => {
    const i = bots.length - 1;
    peakRss[i] = Math.max(peakRss[i], rssKb(bots[i].child.pid));
  }, 500);

  // A bot is up once it has loaded the market list (one exchangeInfo per process) and scanned.
  const marketLoads = () => standin.requests.filter((r) => r.path === '/api/v3/exchangeInfo').length;
  const whenUp = async (loadsBefore: number) => {
    const deadline = Date.now() + 60_000;
    while (marketLoads() === loadsBefore && Date.now() < deadline) await sleep(50);
    await sleep(1_000);
    process.stdout.write(`  [${((Date.now() - t0) / 1000).toFixed(1)} s] bot ${bots.length} up\n`);
  };
  const restart = async (how: string) => {
    bot.child.kill('SIGKILL');
    await bot.exited;
    process.stdout.write(`  [${((Date.now() - t0) / 1000).toFixed(1)} s] virtual minute ${served - HISTORY}: kill -9 (${how}); restarting\n`);
    const loads = marketLoads();
    bot = spawnBot(env);
    bots.push(bot);
    peakRss.push(0);
    await whenUp(loads);
  };
  await whenUp(0);

  // The virtual clock runs on its own, whatever the bot is doing (or whether it is alive).
  const minute = () => served - HISTORY;
  const clock = setInterval(() => {
    if (minute() >= MINUTES) return;
    served++;
    serve();
  }, MINUTE_MS);
  const untilMinute = async (m: number) => {
    while (minute() < m) await sleep(50);
  };

  await untilMinute(KILL_AT[0]);
  // Hold the answer to the next order the exchange takes, and kill the bot while it waits for it.
  const before = standin.orders.length;
  standin.failNext(/\/api\/v3\/order$/, 1, { method: 'POST', hangMs: 120_000, recorded: true });
  const deadline = Date.now() + 20 * MINUTE_MS;
  while (standin.orders.length === before && Date.now() < deadline) await sleep(10);
  await restart(standin.orders.length > before ? `order ${standin.orders.at(-1)!.clientOrderId} taken by the exchange, answer held` : 'no order came in time');

  await untilMinute(KILL_AT[1]);
  // The owner places an order by hand on the same account: the next start must report it and leave it be.
  const ex = createExchange({ id: 'binance', apiKey: standin.apiKey, secret: standin.secret, apiUrl: standin.baseUrl, enableRateLimit: false });
  await ex.createOrder('ETH/USDT', 'limit', 'buy', 0.01, 1_000, { newClientOrderId: 'web-manual-soak' });
  await sleep(Math.floor(Math.random() * MINUTE_MS));
  await restart('random moment');

  await untilMinute(MINUTES);
  clearInterval(clock);
  // Let the last candle be scanned, then stop the bot politely.
  await sleep(4_000);
  bot.child.kill('SIGTERM');
  await bot.exited;
  clearInterval(sampler);
  const wall = (Date.now() - t0) / 1000;

  // ---- The books: the exchange's orders against SQLite's.
  const db = new Database(path.join(dir, 'tradecrew.db'), { readonly: true });
  type Row = { client_order_id: string; proposal_id: string | null; trade_id: string | null; purpose: string; status: string; exchange_order_id: string | null; symbol: string };
  const rows = db.prepare('SELECT * FROM orders').all() as Row[];
  const byCoid = new Map(rows.map((r) => [r.client_order_id, r]));
  const ours = standin.orders.filter((o) => o.clientOrderId.startsWith('tc-'));
  const entries = ours.filter((o) => !o.clientOrderId.startsWith('tc-x-'));
  const exits = ours.filter((o) => o.clientOrderId.startsWith('tc-x-'));

  const dupCoid = ours.length - new Set(ours.map((o) => o.clientOrderId)).size;
  // Two entry orders for one symbol and decision candle would be a double position.
  const proposalCandle = new Map((db.prepare('SELECT id, symbol, candle_ts FROM proposals').all() as Array<{ id: string; symbol: string; candle_ts: number }>).map((p) => [p.id, `${p.symbol}@${p.candle_ts}`]));
  const entryKeys = entries.map((o) => proposalCandle.get(o.clientOrderId.slice(3)) ?? `unknown:${o.clientOrderId}`);
  const dupCandle = entryKeys.length - new Set(entryKeys).size;
  const tradesPerProposal = db.prepare('SELECT proposal_id, COUNT(*) AS n FROM trades GROUP BY proposal_id HAVING n > 1').all().length;
  const duplicates = dupCoid + dupCandle + tradesPerProposal;

  // Lost: on the exchange but not recorded as filled (with its exchange id), or recorded but not on the exchange.
  const lostOnExchange = ours.filter((o) => {
    const r = byCoid.get(o.clientOrderId);
    return !r || r.status !== 'filled' || r.exchange_order_id !== String(o.orderId);
  });
  const onExchange = new Set(ours.map((o) => o.clientOrderId));
  const lostInDb = rows.filter((r) => r.status === 'filled' && !onExchange.has(r.client_order_id));
  const unresolved = rows.filter((r) => r.status === 'sending' || r.status === 'open');
  const lost = lostOnExchange.length + lostInDb.length;

  const trades = db.prepare(`SELECT status, COUNT(*) AS n FROM trades GROUP BY status`).all() as Array<{ status: string; n: number }>;
  const closedTrades = trades.find((t) => t.status === 'closed')?.n ?? 0;
  const openTrades = trades.find((t) => t.status === 'open')?.n ?? 0;
  const closedWithoutExit = (db.prepare(`SELECT COUNT(*) AS n FROM trades t WHERE status='closed' AND NOT EXISTS (SELECT 1 FROM orders o WHERE o.trade_id=t.id AND o.purpose='exit' AND o.status='filled')`).get() as { n: number }).n;
  // Coins held must cover the open long positions.
  const held: string[] = [];
  for (const s of Object.keys(SYMBOLS)) {
    const base = s.split('/')[0];
    const need = (db.prepare(`SELECT COALESCE(SUM(quantity),0) AS q FROM trades WHERE status='open' AND symbol=?`).get(s) as { q: number }).q;
    const b = standin.balance(base);
    held.push(`${base} positions ${need.toFixed(6)} / exchange ${(b.free + b.locked).toFixed(6)}`);
  }
  const rejected = rows.filter((r) => r.status === 'rejected').length;
  const manual = standin.orders.find((o) => o.clientOrderId === 'web-manual-soak');
  db.close();

  const findings = bots.map((b, i) => {
    const m = b.out().match(/exchange check at start: (\d+) findings?\n([\s\S]*?)(?=\n── |$)/);
    return `start ${i + 1}: ${m ? `${m[1]} finding(s)\n      ${m[2].trim().split('\n').join('\n      ')}` : 'nothing to report'}`;
  });
  const recovered = bots.map((b) => (b.out().match(/ORDER FILLED/g) ?? []).length);
  const overruns = bots.reduce((a, b) => a + (b.out().match(/scan overrun/g) ?? []).length, 0);

  const line = (k: string, v: string | number) => process.stdout.write(`${k.padEnd(34)} ${v}\n`);
  process.stdout.write(`\ndata dir: ${dir}\nsoak: ${MINUTES} virtual 1m candles x ${Object.keys(SYMBOLS).length} symbols, one candle per ${MINUTE_MS} ms, kill -9 at minutes ${KILL_AT.join(' and ')}\n`);
  line('orders placed (exchange)', `${ours.length} (${entries.length} entries, ${exits.length} exits)`);
  line('positions closed', `${closedTrades} (${openTrades} still open at the end)`);
  line('closed trades without an exit fill', closedWithoutExit);
  line('duplicates', `${duplicates} (same client id ${dupCoid}, same symbol+candle ${dupCandle}, trades per proposal ${tradesPerProposal})`);
  line('lost orders', `${lost} (on exchange, not recorded ${lostOnExchange.length}; recorded, not on exchange ${lostInDb.length})`);
  line('unresolved at the end', unresolved.length);
  line('rejected orders', rejected);
  line('holdings', held.join('; '));
  line('ORDER FILLED messages per process', recovered.join(', '));
  line('scan overrun alerts', overruns);
  line('manual order (behind the bot)', manual ? `${manual.status === 'NEW' ? 'still open, untouched' : manual.status}` : 'missing');
  process.stdout.write(`reconcile findings:\n    ${findings.join('\n    ')}\n`);
  line('wall time', `${wall.toFixed(1)} s`);
  line('peak RSS per bot process', peakRss.map((k) => `${(k / 1024).toFixed(0)} MiB`).join(', '));
  line('bench process RSS', `${(process.memoryUsage().rss / 1024 / 1024).toFixed(0)} MiB`);
  for (const [i, b] of bots.entries()) if (b.err().trim()) process.stdout.write(`bot ${i + 1} stderr:\n${b.err().slice(-1500)}\n`);
  await standin.close();
  const reported = /web-manual-soak/.test(bots[2]?.out() ?? '');
  line('manual order reported at start 3', reported ? 'yes' : 'NO');
  const ok = duplicates === 0 && lost === 0 && unresolved.length === 0 && closedWithoutExit === 0 && ours.length > 0 && manual?.status === 'NEW' && reported;
  process.stdout.write(ok ? 'OK: no duplicate and no lost order\n' : 'FAILED\n');
  process.exit(ok ? 0 : 1);
}

main().catch((e) => {
  process.stderr.write(`soak failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
