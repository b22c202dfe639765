/**
 * Kill soak (issue #13, "done when"): the real bot process, `kill -9`ed again and again at seeded
 * random moments and restarted on the same data directory, talking to the local Telegram stand-in,
 * on two paths:
 *
 * - paper:    the demo market with a fast clock (one 1h candle a second), auto-approve at any
 *             confidence, a 3-candle time stop and no cooldown, so it keeps opening and closing;
 * - exchange: live mode, ccxt against the local binance stand-in (10 symbols), 1-minute candles
 *             on the wall clock and a ticker that moves every second (see the market below),
 *             scanned every 2 s with the faster stop/target watch in between.
 *
 *   node --import tsx bench/kill-soak.bench.ts
 *   KILLS=30 PATHS=paper,exchange OUTAGE_MS=120000 SEED=13 node --import tsx bench/kill-soak.bench.ts
 *
 * Knobs (env): KILLS (per path, default 30), PATHS (paper,exchange), OUTAGE_MS (120000; 0 = no
 * outage), SEED (13: the kill moments and the exchange's candles), TARGET_EVERY (10: every 10th
 * kill is aimed at a window instead of a random moment, 0 = all random), KILL_MIN_MS / KILL_MAX_MS
 * (the random kill moment, measured from the spawn; default 1000-9000 paper, 1500-13000 exchange,
 * so some kills land in the start-up recovery itself), BOT_DIR (run the bot from another checkout,
 * e.g. `git archive HEAD` unpacked with node_modules linked in, while this working tree is being
 * edited; default: this repository, through spawnBot).
 *
 * Aimed kills: on the paper path the bot is pointed at a small proxy in front of the Telegram
 * stand-in that lets the next sendMessage/sendPhoto through and holds Telegram's answer: the
 * stand-in stored the message, the bot has not recorded it, and it is killed right then (the
 * outbox's "send-to-commit" window). On the exchange path they alternate between that and the
 * soak's order window (the stand-in takes the next order and holds the answer).
 *
 * After the kills, one last start rides out a Telegram outage of OUTAGE_MS (first half: the port
 * refuses connections; second half: every request answered 502) while the bot keeps trading, and
 * the delivery of what queued up is timed from the end of the outage. Then it is stopped with
 * SIGTERM and SQLite (orders, trades, proposals, outbox) is compared with what the stand-ins saw.
 *
 * Printed per path: orders duplicated, coins orphaned, chat messages duplicated (and how many kills
 * landed inside the send-to-commit window), executed proposals whose chat copy still has live
 * buttons, and the delivery delays after the outage; then one final line. Exit code 0 when every
 * "must be 0" holds: the issue's (orders duplicated, coins orphaned, executed proposals with live
 * buttons) and a few more that a run must not show either (orders lost or left unresolved, the
 * paper account off its trades, a bot process that crashed or would not stop).
 *
 * How a duplicate chat message is counted: every message the stand-in stores is captured as it
 * arrives (its original text or caption, before any edit). Messages to the push chat are grouped by
 * (photo or text, exact text/caption); every copy beyond the first of a proposal, an ORDER FILLED or
 * a TRADE COMPLETED is a duplicate (these must be unique: a proposal id, a fill of one proposal, one
 * closed trade). Other texts (alerts) that repeat are listed apart. Each extra copy is explained:
 * a message the stand-in stored whose id SQLite had not recorded when a kill came (read from the
 * outbox right after each kill) landed in the send-to-commit window of that kill.
 */
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Candle } from '../src/market/types.js';
import { createRng } from '../src/util/rng.js';
import { liveEnv, startExchangeStandin, type ExchangeStandin, type SymbolSpec } from '../test/support/exchange-standin.js';
import { spawnBot, tempDataDir, type BotProcess } from '../test/support/spawn-bot.js';
import { startTelegramStandin, type StandinMessage, type TelegramStandin } from '../test/support/telegram-standin.js';

const int = (name: string, dflt: number): number => {
  const v = process.env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number (got ${v})`);
  return Math.floor(n);
};
const KILLS = int('KILLS', 30);
const PATHS = (process.env.PATHS ?? 'paper,exchange').split(',').map((s) => s.trim()).filter(Boolean);
const OUTAGE_MS = int('OUTAGE_MS', 120_000);
const SEED = int('SEED', 13);
const TARGET_EVERY = int('TARGET_EVERY', 10);
for (const p of PATHS) if (p !== 'paper' && p !== 'exchange') throw new Error(`PATHS: unknown path '${p}' (paper, exchange)`);

const TOKEN = '424242:KILL-soak-token-never-logged';
const CHAT = -1004242;
const TRADER = 1001;
const SYMBOLS = ['BTC/USDT', 'ETH/USDT', 'SOL/USDT'];
const HISTORY = 400;
const TF = 60_000;

const t0 = Date.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const stamp = () => `[${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s]`;
const say = (s: string) => process.stdout.write(`${stamp()} ${s}\n`);
const plain = (html: string) => html.replace(/<[^>]+>/g, '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');


/** Every bot process still alive: killed when this script ends, however it ends. */
const alive = new Set<BotProcess>();
process.on('exit', () => {
  for (const b of alive) b.child.kill('SIGKILL');
});
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => process.exit(130));

/**
 * BOT_DIR runs the bot from another checkout (e.g. an export of HEAD with node_modules linked in)
 * while the working tree is being edited; by default it is this repository, through spawnBot.
 */
const BOT_DIR = process.env.BOT_DIR ? path.resolve(process.env.BOT_DIR) : '';


function spawnTracked(env: Record<string, string>): BotProcess {
  const b = BOT_DIR ? spawnBot(env, BOT_DIR) : spawnBot(env);
  alive.add(b);
  void b.exited.then(() => alive.delete(b));
  return b;
}

/** Resolves with ms until the bot said it is connected (after its start-up recovery), or null (exited or deadline). */
async function whenUp(bot: BotProcess, since: number, deadlineMs = 90_000): Promise<number | null> {
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    if (/connected/.test(bot.err())) return Date.now() - since;
    if (bot.child.exitCode !== null || bot.child.signalCode !== null) return null;
    await sleep(20);
  }
  return null;
}

async function until(pred: () => boolean, ms: number, every = 20): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (pred()) return true;
    await sleep(every);
  }
  return pred();
}

function openDb(dir: string): Database.Database {
  return new Database(path.join(dir, 'tradecrew.db'), { readonly: true, fileMustExist: true });
}

// ---------------------------------------------------------------------------------------------
// The Telegram side: what arrived, when, as first sent (the stand-in overwrites text on edits).

interface Arrival {
  id: number;
  chat: number;
  photo: boolean;
  /** Text or caption as sent, HTML. */
  content: string;
  at: number;
  /** Which bot process of the path sent it (1-based). */
  proc: number;
}

function watchChat(tg: TelegramStandin, proc: () => number) {
  const arrivals: Arrival[] = [];
  const editsAt: Array<{ id: number; at: number }> = [];
  const sent = tg.sent;
  const push = sent.push;
  // The stand-in keeps its messages in this very array: its pushes come through here.
  sent.push = function (this: StandinMessage[], ...ms: StandinMessage[]): number {
    for (const m of ms) {
      arrivals.push({ id: m.message_id, chat: m.chat_id, photo: m.photoBytes !== undefined, content: m.caption ?? m.text ?? '', at: Date.now(), proc: proc() });
      const editPush = m.edits.push;
      m.edits.push = function (this: StandinMessage['edits'], ...e: StandinMessage['edits']): number {
        for (const _ of e) editsAt.push({ id: m.message_id, at: Date.now() });
        return editPush.apply(this, e);
      };
    }
    return push.apply(this, ms);
  };
  return { arrivals, editsAt };
}

type MsgClass = 'proposal' | 'fill' | 'trade completed' | 'other';
function classOf(content: string): MsgClass {
  const p = plain(content);
  if (/TRADE PROPOSAL/.test(p)) return 'proposal';
  if (/ORDER FILLED/.test(p)) return 'fill';
  if (/TRADE COMPLETED/.test(p)) return 'trade completed';
  return 'other';
}
const proposalIdOf = (content: string): string | undefined => /TRADE PROPOSAL\s+(p[0-9a-z]+)/.exec(plain(content))?.[1];
const filledProposalOf = (content: string): string | undefined => /Proposal:\s*(p[0-9a-z]+)/.exec(plain(content))?.[1];
const hasLiveButtons = (m: StandinMessage): boolean =>
  (m.reply_markup?.inline_keyboard ?? []).flat().some((b: { text?: string }) => /Approve|Reject/.test(b.text ?? ''));

/** Telegram message ids SQLite has recorded as delivered (a whole message or one of its parts). */
function recordedIds(db: Database.Database): Set<string> {
  const ids = new Set<string>();
  for (const r of db.prepare(`SELECT platform_message_id AS id FROM outbox WHERE adapter='telegram' AND platform_message_id IS NOT NULL`).all() as Array<{ id: string }>) ids.add(String(r.id));
  for (const r of db.prepare(`SELECT p.platform_message_id AS id FROM outbox_parts p JOIN outbox o ON o.id=p.outbox_id WHERE o.adapter='telegram' AND p.platform_message_id IS NOT NULL`).all() as Array<{ id: string }>)
    ids.add(String(r.id));
  return ids;
}

// ---------------------------------------------------------------------------------------------
// A proxy in front of the Telegram stand-in that can hold the answer to one send (aimed kills).

interface HeldSend {
  method: string;
  status: number;
  /** The stored message's text/caption, from the answer. */
  content: string;
  messageId?: number;
}

async function startHoldingProxy(targetRoot: string) {
  const target = new URL(targetRoot);
  let armed: ((h: HeldSend) => void) | null = null;
  const held = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    const method = /\/([A-Za-z]+)$/.exec(new URL(req.url ?? '/', 'http://x').pathname)?.[1] ?? '';
    const catcher = armed && (method === 'sendMessage' || method === 'sendPhoto') ? armed : null;
    if (catcher) armed = null;
    const up = http.request({ hostname: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers, agent: false }, (ur) => {
      if (!catcher) {
        res.writeHead(ur.statusCode ?? 502, ur.headers);
        ur.pipe(res);
        return;
      }
      // The stand-in handled it (stored the message); its answer never reaches the bot.
      const chunks: Buffer[] = [];
      ur.on('data', (d: Buffer) => chunks.push(d));
      ur.on('end', () => {
        held.add(res);
        let content = '';
        let messageId: number | undefined;
        try {
          const r = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { result?: { caption?: string; text?: string; message_id?: number } };
          content = r.result?.caption ?? r.result?.text ?? '';
          messageId = r.result?.message_id;
        } catch {
          /* not JSON: an error page */
        }
        catcher({ method, status: ur.statusCode ?? 0, content, messageId });
      });
    });
    up.on('error', () => res.destroy());
    res.on('close', () => up.destroy());
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    apiRoot: `http://127.0.0.1:${port}`,
    /** The next send's answer will be held; resolves when the stand-in has handled it. */
    arm(): Promise<HeldSend> {
      return new Promise((resolve) => (armed = resolve));
    },
    disarm(): void {
      armed = null;
    },
    /** Drops the held answers (their bot is dead by then). */
    drop(): void {
      for (const r of held) r.destroy();
      held.clear();
    },
    async close(): Promise<void> {
      this.drop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Consumes an order-answer hang that no order came for, so it cannot catch a later one. */
function disarmOrderHang(ex: ExchangeStandin): void {
  const req = http.request(`${ex.baseUrl}/api/v3/order`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  req.on('error', () => undefined);
  req.end('symbol=NONE');
  setTimeout(() => req.destroy(), 500);
}

// ---------------------------------------------------------------------------------------------
// The exchange path's market, on the wall clock. 1-minute candles whose times are the real
// minutes (one closes every minute, as on binance), in a steady noisy uptrend in which
// trend_following wants in on about two candles of three; and a ticker that moves every second
// inside the minute: from the last close towards the next, with one swing of three ATRs up or down
// (seeded) that carries the price through the target or the stop, so the faster watch closes the
// position within the minute and the symbol is free for the next candle's decision.
//
// (The soak's virtual clock, with candles far in the past, cannot keep trading: a live exit is
// dated by the wall clock, so the cooldown counts minus hundreds of candles since it and refuses
// every later entry on that symbol; the time stop never comes due either.)

interface MarketSymbol {
  symbol: string;
  spec: SymbolSpec;
  price: number;
}
const EX_MARKET: MarketSymbol[] = [
  ['BTC', 30_000, 0.00001],
  ['ETH', 2_000, 0.0001],
  ['SOL', 100, 0.001],
  ['BNB', 300, 0.001],
  ['LTC', 80, 0.001],
  ['AVAX', 30, 0.01],
  ['LINK', 15, 0.01],
  ['DOT', 20, 0.01],
  ['ATOM', 10, 0.01],
  ['UNI', 8, 0.01],
].map(([base, price, step]) => ({
  symbol: `${base}/USDT`,
  price: price as number,
  spec: { base: base as string, quote: 'USDT', tickSize: 0.01, stepSize: step as number, minQty: step as number, minNotional: 10 },
}));

function uptrendCandles(startTs: number, n: number, seed: number, startPrice: number): Candle[] {
  const rnd = createRng(seed);
  const out: Candle[] = [];
  let price = startPrice;
  const r2 = (x: number) => Math.round(x * 100) / 100;
  for (let i = 0; i < n; i++) {
    const open = price;
    const close = Math.max(1, open * (1 + 0.0003 + (rnd() - 0.5) * 0.003));
    out.push({
      ts: startTs + i * TF,
      open: r2(open),
      high: r2(Math.max(open, close) * (1 + rnd() * 0.001)),
      low: r2(Math.min(open, close) * (1 - rnd() * 0.001)),
      close: r2(close),
      volume: Math.round((50 + rnd() * 100) * 1000) / 1000,
    });
    price = close;
  }
  return out;
}

/** The ticker at time `t`: see above. `i` is the index of the last closed candle. */
function tickerAt(cs: Candle[], t: number, seed: number): number {
  const minute = Math.floor(t / TF) * TF;
  const i = Math.min(cs.length - 2, Math.max(0, Math.round((minute - TF - cs[0].ts) / TF)));
  const from = cs[i].close;
  const to = cs[i + 1].close;
  const off = t - minute;
  const r = createRng(seed * 7919 + i);
  const swingAt = 12_000 + r() * 30_000;
  const dir = r() < 0.5 ? 1 : -1;
  let atr = 0;
  for (let k = Math.max(1, i - 13); k <= i; k++) atr += Math.max(cs[k].high, cs[k - 1].close) - Math.min(cs[k].low, cs[k - 1].close);
  atr /= Math.min(14, i);
  const p = off >= swingAt && off < swingAt + 6_000 ? from + dir * 3 * atr : from + ((to - from) * off) / TF;
  return Math.round(p * 100) / 100;
}

// ---------------------------------------------------------------------------------------------

type KillHow = 'random' | 'chat-window' | 'order-window';
interface KillRecord {
  n: number;
  how: KillHow;
  /** ms from spawn to the kill */
  afterMs: number;
  /** the bot had not yet said it was connected (start-up recovery under way) */
  beforeUp: boolean;
  note: string;
  /** Telegram messages stored by the stand-in that SQLite had not recorded at this kill. */
  chatUnrecorded: number[];
  /** Orders the exchange took that SQLite had not recorded as done at this kill. */
  ordersUnrecorded: string[];
  /** Orders SQLite had as 'sending' at this kill (claimed; sent or not). */
  ordersSending: number;
  /** Approved proposals not yet executed at this kill. */
  approvedOpen: number;
}

interface OutageResult {
  outageMs: number;
  producedDuring: number;
  backlog: number;
  firstMs: number | null;
  lastMs: number | null;
  longestWaitMs: number | null;
  undelivered: number;
  pollResumedMs: number | null;
  windowStart: number;
  windowEnd: number;
}

interface Row {
  label: string;
  value: string;
  mustBeZero?: number;
}

interface PathResult {
  name: string;
  rows: Row[];
  failures: string[];
}

async function runPath(name: 'paper' | 'exchange'): Promise<PathResult> {
  const rng = createRng(SEED * 1000 + (name === 'paper' ? 1 : 2));
  const isEx = name === 'exchange';
  const killMin = int('KILL_MIN_MS', isEx ? 1500 : 1000);
  const killMax = Math.max(killMin, int('KILL_MAX_MS', isEx ? 13_000 : 9000));
  const dir = tempDataDir(`tc-killsoak-${name}-`);
  const tg = await startTelegramStandin({ token: TOKEN });
  let procNo = 0;
  const chat = watchChat(tg, () => procNo);
  const proxy = await startHoldingProxy(tg.apiRoot);

  let ex: ExchangeStandin | undefined;
  let clock: NodeJS.Timeout | undefined;
  const env: Record<string, string> = {
    TRADECREW_DATA_DIR: dir,
    TELEGRAM_BOT_TOKEN: TOKEN,
    TELEGRAM_CHAT_ID: String(CHAT),
    TELEGRAM_ALLOWED_USERS: String(TRADER),
    TRADECREW_APPROVAL__AUTO_APPROVE: 'true',
    TRADECREW_APPROVAL__AUTO_MIN_CONFIDENCE: '0',
    TRADECREW_RISK__MAX_HOLD_CANDLES: '3',
    TRADECREW_RISK__COOLDOWN_CANDLES: '0',
    // Keep it trading for the whole run: no daily cap, no kill switch from the churn's costs.
    TRADECREW_RISK__DAILY_TRADE_LIMIT: '1000',
    TRADECREW_RISK__DAILY_LOSS_LIMIT: '0.9',
    TRADECREW_RISK__MAX_DRAWDOWN: '0.9',
  };
  let series: Record<string, Candle[]> = {};
  const symbols = isEx ? EX_MARKET.map((m) => m.symbol) : SYMBOLS;
  if (isEx) {
    ex = await startExchangeStandin({ symbols: Object.fromEntries(EX_MARKET.map((m) => [m.symbol.replace('/', ''), m.spec])) });
    ex.setBalance('USDT', 100_000);
    // Real minutes: HISTORY closed before now, and enough after it for the whole run.
    const runMs = KILLS * ((killMin + killMax) / 2 + 5000) + OUTAGE_MS + 300_000;
    const first = Math.floor(Date.now() / TF) * TF - HISTORY * TF;
    series = Object.fromEntries(EX_MARKET.map((m, i) => [m.symbol, uptrendCandles(first, HISTORY + Math.ceil(runMs / TF) + 5, SEED * 100 + i + 1, m.price)]));
    let closedUpTo = -1;
    const tick = () => {
      const now = Date.now();
      // Only closed candles are served (the one forming now is not, as binance would not close it yet).
      const last = Math.floor(now / TF) * TF - TF;
      for (const [i, m] of EX_MARKET.entries()) {
        const cs = series[m.symbol];
        if (last !== closedUpTo) ex!.setCandles(m.symbol, cs.filter((c) => c.ts <= last));
        ex!.setPrice(m.symbol, tickerAt(cs, now, SEED * 100 + i + 1));
      }
      closedUpTo = last;
    };
    tick();
    clock = setInterval(tick, 250);
    Object.assign(env, liveEnv(ex, dir, symbols), {
      // Scans on even seconds (each closed candle is decided once), the faster stop/target watch at
      // the ticker on odd ones, with a tighter stop and target than the default.
      TRADECREW_SCAN__SCHEDULE: '*/2 * * * * *',
      TRADECREW_SCAN__WATCH_SCHEDULE: '1-59/2 * * * * *',
      TRADECREW_RISK__ATR_STOP_MULT: '1',
      TRADECREW_RISK__ATR_TARGET_MULT: '2',
      TRADECREW_RISK__MAX_OPEN_POSITIONS: String(EX_MARKET.length),
      TRADECREW_RISK__MAX_POSITION_PCT: '0.09',
      TRADECREW_RISK__MAX_TOTAL_EXPOSURE: '0.95',
      TRADECREW_RISK__ALLOW_SHORT: 'false',
      TRADECREW_EXCHANGE__CACHE_TTL_SECONDS: '0',
      TRADECREW_EXCHANGE__RETRY_BASE_MS: '100',
      TRADECREW_EXCHANGE__TIMEOUT_SECONDS: '30',
    });
  } else {
    env.TRADECREW_DEMO__CANDLE_EVERY_SECONDS = '1';
  }

  const bots: BotProcess[] = [];
  const upTimes: number[] = [];
  const selfExits: string[] = [];
  const kills: KillRecord[] = [];
  const attributed = new Map<number, number>(); // telegram message id -> kill number
  let bot!: BotProcess;
  let spawnedAt = 0;
  let upAt: number | null = null;
  const spawn = (apiRoot: string) => {
    procNo++;
    spawnedAt = Date.now();
    upAt = null;
    bot = spawnTracked({ ...env, TELEGRAM_API_ROOT: apiRoot });
    bots.push(bot);
    const me = bot;
    void whenUp(me, spawnedAt).then((ms) => {
      if (me === bot && ms !== null) {
        upAt = spawnedAt + ms;
        upTimes.push(ms);
      }
    });
  };
  const exitedByItself = () => bot.child.exitCode !== null || (bot.child.signalCode !== null && bot.child.signalCode !== 'SIGKILL');

  say(`${name}: data dir ${dir}${isEx ? `; ${symbols.length} symbols, 1-minute candles on the wall clock` : ''}`);

  for (let n = 1; n <= KILLS; n++) {
    const aimed = TARGET_EVERY > 0 && n % TARGET_EVERY === 0;
    const how: KillHow = !aimed ? 'random' : isEx && (n / TARGET_EVERY) % 2 === 0 ? 'order-window' : 'chat-window';
    let note = '';
    spawn(how === 'chat-window' ? proxy.apiRoot : tg.apiRoot);
    if (how === 'random') {
      const at = spawnedAt + killMin + rng() * (killMax - killMin);
      await until(() => Date.now() >= at || exitedByItself(), killMax + 1000, 10);
    } else {
      const up = await whenUp(bot, spawnedAt);
      if (up === null) note = 'never came up; ';
      else if (how === 'chat-window') {
        const held = await Promise.race([proxy.arm(), sleep(30_000).then(() => null)]);
        if (held) note = `held the answer to ${held.method} #${held.messageId ?? '?'} (${classOf(held.content)}: "${plain(held.content).split('\n')[0].slice(0, 48)}")`;
        else {
          proxy.disarm();
          note = 'no send within 30 s; killed anyway';
        }
      } else {
        const before = ex!.orders.length;
        ex!.failNext(/\/api\/v3\/order$/, 1, { method: 'POST', hangMs: 120_000, recorded: true });
        const got = await until(() => ex!.orders.length > before, 30_000, 5);
        if (got) note = `held the answer to order ${ex!.orders.at(-1)!.clientOrderId} (${ex!.orders.at(-1)!.side})`;
        else {
          disarmOrderHang(ex!);
          note = 'no order within 30 s; killed anyway';
        }
      }
    }
    const afterMs = Date.now() - spawnedAt;
    const beforeUp = upAt === null;
    if (exitedByItself()) selfExits.push(`process ${procNo} exited by itself (code ${bot.child.exitCode}, signal ${bot.child.signalCode}): ${bot.err().slice(-400)}`);
    bot.child.kill('SIGKILL');
    await bot.exited;
    proxy.drop();

    // What the kill interrupted, read from SQLite right after it.
    const rec: KillRecord = { n, how, afterMs, beforeUp, note, chatUnrecorded: [], ordersUnrecorded: [], ordersSending: 0, approvedOpen: 0 };
    if (fs.existsSync(path.join(dir, 'tradecrew.db'))) {
      const db = openDb(dir);
      try {
        const hasOutbox = db.prepare(`SELECT 1 FROM sqlite_master WHERE name='outbox_parts'`).get();
        if (hasOutbox) {
          const known = recordedIds(db);
          for (const a of chat.arrivals) {
            if (a.chat !== CHAT || known.has(String(a.id)) || attributed.has(a.id)) continue;
            attributed.set(a.id, n);
            rec.chatUnrecorded.push(a.id);
          }
          rec.ordersSending = (db.prepare(`SELECT COUNT(*) AS n FROM orders WHERE status='sending'`).get() as { n: number }).n;
          rec.approvedOpen = (db.prepare(`SELECT COUNT(*) AS n FROM proposals WHERE status='approved'`).get() as { n: number }).n;
          if (ex) {
            const st = new Map((db.prepare(`SELECT client_order_id AS id, status FROM orders`).all() as Array<{ id: string; status: string }>).map((r) => [r.id, r.status]));
            for (const o of ex.orders) {
              if (!o.clientOrderId.startsWith('tc-')) continue;
              const s = st.get(o.clientOrderId);
              if (s === undefined || s === 'sending') rec.ordersUnrecorded.push(o.clientOrderId);
            }
            // An order recorded in an earlier kill's snapshot stays listed only once.
            const seen = new Set(kills.flatMap((k) => k.ordersUnrecorded));
            rec.ordersUnrecorded = rec.ordersUnrecorded.filter((id) => !seen.has(id));
          }
        }
      } finally {
        db.close();
      }
    }
    kills.push(rec);
    const bits = [
      `${how === 'random' ? 'random' : `aimed (${how})`} at ${secs(afterMs)}${beforeUp ? ' (during start-up)' : ''}`,
      rec.chatUnrecorded.length ? `chat sent-not-recorded ${rec.chatUnrecorded.length}` : '',
      rec.ordersUnrecorded.length ? `orders taken-not-recorded ${rec.ordersUnrecorded.join(',')}` : '',
      rec.ordersSending ? `orders 'sending' ${rec.ordersSending}` : '',
      rec.approvedOpen ? `approved-not-executed ${rec.approvedOpen}` : '',
      note,
    ].filter(Boolean);
    say(`${name} kill ${n}/${KILLS}: ${bits.join(' · ')}`);
  }

  // ---- The last start: a Telegram outage while it trades, then a polite stop.
  spawn(tg.apiRoot);
  const up = await whenUp(bot, spawnedAt);
  say(`${name}: last start ${up === null ? 'did NOT come up' : `up in ${secs(up)}`}`);
  let outage: OutageResult | null = null;
  if (OUTAGE_MS > 0 && up !== null) outage = await runOutage(name, dir, tg, chat);
  else await sleep(5_000);
  await sleep(3_000);
  bot.child.kill('SIGTERM');
  const stopped = await Promise.race([bot.exited, sleep(45_000).then(() => null)]);
  if (!stopped) {
    selfExits.push(`the last process did not stop within 45 s of SIGTERM; killed`);
    bot.child.kill('SIGKILL');
    await bot.exited;
  } else if (stopped.code !== 0) selfExits.push(`the last process ended with code ${stopped.code} after SIGTERM: ${bot.err().slice(-400)}`);
  if (clock) clearInterval(clock);

  const result = analyse(name, dir, tg, chat, kills, ex, outage, { upTimes, selfExits, bots, killMin, killMax, attributed, symbols });
  await proxy.close();
  await tg.close();
  if (ex) await ex.close();
  return result;
}

/** OUTAGE_MS of Telegram away (half refused connections, half 502s) while the bot keeps producing. */
async function runOutage(name: string, dir: string, tg: TelegramStandin, chat: ReturnType<typeof watchChat>): Promise<OutageResult> {
  const db = openDb(dir);
  const queued = () => (db.prepare(`SELECT COUNT(*) AS n FROM outbox WHERE status='queued' AND adapter='telegram'`).get() as { n: number }).n;
  try {
    // Start from a (nearly) drained queue, so the backlog is what the outage made.
    await until(() => queued() <= 2, 30_000, 100);
    const start = Date.now();
    say(`${name}: Telegram outage begins (${secs(OUTAGE_MS / 2)} refusing connections, then ${secs(OUTAGE_MS - OUTAGE_MS / 2)} answering 502)`);
    await tg.setRefusing(true);
    await sleep(OUTAGE_MS / 2);
    tg.setDown(true);
    await tg.setRefusing(false);
    await sleep(OUTAGE_MS - OUTAGE_MS / 2);
    tg.setDown(false);
    const end = Date.now();
    const backlogRows = db.prepare(`SELECT id FROM outbox WHERE status='queued' AND adapter='telegram' AND created_at<=?`).all(end) as Array<{ id: number }>;
    const producedDuring = (db.prepare(`SELECT COUNT(*) AS n FROM outbox WHERE adapter='telegram' AND created_at>=? AND created_at<=?`).get(start, end) as { n: number }).n;
    const ids = backlogRows.map((r) => r.id);
    say(`${name}: Telegram back; ${ids.length} messages queued (${producedDuring} produced during the outage)`);
    const pending = () =>
      ids.length === 0 ? 0 : (db.prepare(`SELECT COUNT(*) AS n FROM outbox WHERE status='queued' AND id IN (${ids.join(',')})`).get() as { n: number }).n;
    await until(() => pending() === 0, 180_000, 50);
    const rows = ids.length
      ? (db.prepare(`SELECT id, created_at, sent_at, status FROM outbox WHERE id IN (${ids.join(',')})`).all() as Array<{ id: number; created_at: number; sent_at: number | null; status: string }>)
      : [];
    const sentAts = rows.filter((r) => r.sent_at !== null).map((r) => r.sent_at!);
    const firstArrival = Math.min(...chat.arrivals.filter((a) => a.at >= end).map((a) => a.at), ...chat.editsAt.filter((e) => e.at >= end).map((e) => e.at));
    // Polling (commands, button presses) backs off up to a minute while Telegram is away.
    await until(() => tg.calls.some((c) => c.method === 'getUpdates' && c.at >= end && c.status === undefined), 70_000, 100);
    const firstPoll = tg.calls.find((c) => c.method === 'getUpdates' && c.at >= end);
    const res: OutageResult = {
      outageMs: end - start,
      producedDuring,
      backlog: ids.length,
      firstMs: Number.isFinite(firstArrival) ? firstArrival - end : null,
      lastMs: sentAts.length ? Math.max(...sentAts) - end : null,
      longestWaitMs: rows.some((r) => r.sent_at !== null) ? Math.max(...rows.filter((r) => r.sent_at !== null).map((r) => r.sent_at! - r.created_at)) : null,
      undelivered: rows.filter((r) => r.status !== 'sent').length,
      pollResumedMs: firstPoll ? firstPoll.at - end : null,
      windowStart: start,
      windowEnd: end,
    };
    say(`${name}: backlog delivered: first ${res.firstMs === null ? '-' : secs(res.firstMs)}, last ${res.lastMs === null ? '-' : secs(res.lastMs)} after the outage`);
    return res;
  } finally {
    db.close();
  }
}

function analyse(
  name: string,
  dir: string,
  tg: TelegramStandin,
  chat: ReturnType<typeof watchChat>,
  kills: KillRecord[],
  ex: ExchangeStandin | undefined,
  outage: OutageResult | null,
  o: { upTimes: number[]; selfExits: string[]; bots: BotProcess[]; killMin: number; killMax: number; attributed: Map<number, number>; symbols: string[] },
): PathResult {
  const db = openDb(dir);
  const attributed = o.attributed;
  const rows: Row[] = [];
  const failures: string[] = [];
  const add = (label: string, value: string | number, mustBeZero?: number) => {
    rows.push({ label, value: String(value), mustBeZero });
    if (mustBeZero !== undefined && mustBeZero !== 0) failures.push(`${name}: ${label} ${mustBeZero}`);
  };

  type P = { id: string; symbol: string; status: string; candle_ts: number; decided_by: string | null };
  type T = { id: string; proposal_id: string | null; symbol: string; status: string; quantity: number; entry_fee: number; pnl: number | null; entry_candle_ts: number; exit_candle_ts: number | null };
  type O = { client_order_id: string; proposal_id: string | null; trade_id: string | null; purpose: string; status: string; exchange_order_id: string | null; amount: number };
  const proposals = db.prepare('SELECT id, symbol, status, candle_ts, decided_by FROM proposals').all() as P[];
  const trades = db.prepare('SELECT id, proposal_id, symbol, status, quantity, entry_fee, pnl, entry_candle_ts, exit_candle_ts FROM trades').all() as T[];
  const orders = db.prepare('SELECT client_order_id, proposal_id, trade_id, purpose, status, exchange_order_id, amount FROM orders').all() as O[];
  const byStatus = (xs: Array<{ status: string }>) => {
    const m = new Map<string, number>();
    for (const x of xs) m.set(x.status, (m.get(x.status) ?? 0) + 1);
    return [...m].map(([k, v]) => `${v} ${k}`).join(', ') || 'none';
  };
  const propById = new Map(proposals.map((p) => [p.id, p]));

  // ---- Kills
  const random = kills.filter((k) => k.how === 'random');
  const aimedChat = kills.filter((k) => k.how === 'chat-window');
  const aimedOrder = kills.filter((k) => k.how === 'order-window');
  add(
    'kill -9 restarts',
    `${kills.length}: ${random.length} at random moments ${secs(o.killMin)}–${secs(o.killMax)} after the spawn (${random.filter((k) => k.beforeUp).length} during start-up/recovery)` +
      (aimedChat.length ? `, ${aimedChat.length} aimed at the chat send→commit window` : '') +
      (aimedOrder.length ? `, ${aimedOrder.length} aimed at the order send→record window` : ''),
  );
  const ups = [...o.upTimes].sort((a, b) => a - b);
  if (ups.length) add('start to "connected" (recovery included)', `median ${secs(ups[Math.floor(ups.length / 2)])}, max ${secs(ups[ups.length - 1])} over ${ups.length} starts`);
  const chatWindowKills = kills.filter((k) => k.chatUnrecorded.length > 0);
  add(
    'kills inside the chat send→commit window',
    `${chatWindowKills.length} (${chatWindowKills.filter((k) => k.how === 'random').length} random, ${chatWindowKills.filter((k) => k.how !== 'random').length} aimed): messages Telegram had stored and SQLite had not recorded`,
  );
  const orderWindowKills = kills.filter((k) => k.ordersUnrecorded.length > 0 || k.ordersSending > 0 || k.approvedOpen > 0);
  add(
    'kills with an order in flight',
    `${orderWindowKills.length} (${kills.filter((k) => k.ordersUnrecorded.length > 0).length} with an order the exchange had taken and SQLite had not recorded; ${kills.filter((k) => k.ordersSending > 0).length} with an order 'sending'; ${kills.filter((k) => k.approvedOpen > 0).length} with an approved proposal not yet executed)`,
  );

  // ---- Activity
  // A split crew vote is left to a human even with auto-approve on (by design): such a proposal
  // waits, and its symbol with it, until it expires.
  const pendingIds = proposals.filter((p) => p.status === 'pending').map((p) => p.id);
  const split = pendingIds.filter((id) => (db.prepare(`SELECT outcome FROM decisions WHERE proposal_id=?`).get(id) as { outcome?: string } | undefined)?.outcome === 'no_consensus').length;
  add('proposals', `${proposals.length} (${byStatus(proposals)})${pendingIds.length ? `; pending at the end: ${split} of ${pendingIds.length} had no crew consensus (left to a human by design)` : ''}`);
  add('trades', `${trades.length} (${byStatus(trades)})`);

  // ---- Orders duplicated
  const dupDetail: string[] = [];
  let dupOrders = 0;
  const count = <K>(keys: K[]) => {
    const m = new Map<K, number>();
    for (const k of keys) m.set(k, (m.get(k) ?? 0) + 1);
    return m;
  };
  const extra = <K>(m: Map<K, number>) => [...m.values()].reduce((a, n) => a + Math.max(0, n - 1), 0);
  const tradesPerProposal = extra(count(trades.filter((t) => t.proposal_id && !t.id.includes('-r')).map((t) => t.proposal_id!)));
  const entryRowsPerProposal = extra(count(orders.filter((r) => r.purpose === 'entry').map((r) => r.proposal_id)));
  // Two entries on one symbol's decision candle would be a double position.
  const executedKeys = proposals.filter((p) => p.status === 'executed').map((p) => `${p.symbol}@${p.candle_ts}`);
  const sameCandle = extra(count(executedKeys));
  // Two positions of one symbol open at the same time (the gate allows one per symbol).
  let overlaps = 0;
  for (const s of o.symbols) {
    const ts = trades.filter((t) => t.symbol === s && !t.id.includes('-r')).sort((a, b) => a.entry_candle_ts - b.entry_candle_ts);
    for (let i = 1; i < ts.length; i++) {
      const prev = ts[i - 1];
      if (prev.exit_candle_ts === null || ts[i].entry_candle_ts < prev.exit_candle_ts) overlaps++;
    }
  }
  dupOrders += tradesPerProposal + entryRowsPerProposal + sameCandle + overlaps;
  dupDetail.push(`trades per proposal ${tradesPerProposal}`, `entry orders per proposal ${entryRowsPerProposal}`, `executed on the same symbol+candle ${sameCandle}`, `overlapping positions ${overlaps}`);

  let lost = 0;
  let unresolved = 0;
  if (ex) {
    const ours = ex.orders.filter((x) => x.clientOrderId.startsWith('tc-'));
    const dupCoid = extra(count(ours.map((x) => x.clientOrderId)));
    // Exit orders per trade that sold something: one, unless an exit filled in part.
    const tradeOfCoid = new Map(orders.filter((r) => r.trade_id).map((r) => [r.client_order_id, r.trade_id!]));
    const exitFills = ours.filter((x) => x.clientOrderId.startsWith('tc-x-') && x.executedQty > 0);
    const soldBy = new Map<string, number>();
    const fillsBy = new Map<string, number>();
    for (const x of exitFills) {
      const t = tradeOfCoid.get(x.clientOrderId) ?? `?${x.clientOrderId}`;
      soldBy.set(t, (soldBy.get(t) ?? 0) + x.executedQty);
      fillsBy.set(t, (fillsBy.get(t) ?? 0) + 1);
    }
    const partlyFilled = new Set(orders.filter((r) => r.status === 'partly_filled').map((r) => r.trade_id));
    const dupExits = [...fillsBy].filter(([t, n]) => n > 1 && !partlyFilled.has(t)).reduce((a, [, n]) => a + n - 1, 0);
    const untracked = [...fillsBy.keys()].filter((t) => t.startsWith('?')).length;
    dupOrders += dupCoid + dupExits;
    dupDetail.unshift(`same client id twice on the exchange ${dupCoid}`, `exits per trade ${dupExits}`);
    const entries = ours.filter((x) => !x.clientOrderId.startsWith('tc-x-'));
    add('orders on the exchange', `${ours.length} (${entries.length} entries, ${ours.length - entries.length} exits; ${ours.filter((x) => x.status === 'FILLED').length} filled)`);

    // Lost: on the exchange and not recorded (as filled, with its exchange id), or recorded and not there.
    const byCoid = new Map(orders.map((r) => [r.client_order_id, r]));
    const notRecorded = ours.filter((x) => {
      const r = byCoid.get(x.clientOrderId);
      if (!r) return true;
      if (x.executedQty > 0) return !(r.status === 'filled' || r.status === 'partly_filled') || r.exchange_order_id !== String(x.orderId);
      return !(r.status === 'rejected' || r.status === 'cancelled' || r.status === 'void');
    });
    const onExchange = new Set(ours.map((x) => x.clientOrderId));
    const recordedMissing = orders.filter((r) => (r.status === 'filled' || r.status === 'partly_filled') && !onExchange.has(r.client_order_id));
    lost = notRecorded.length + recordedMissing.length + untracked;
    unresolved = orders.filter((r) => r.status === 'sending' || r.status === 'open').length;
    add(
      'orders lost',
      `${lost} (on the exchange, not recorded ${notRecorded.length}${notRecorded.length ? `: ${notRecorded.slice(0, 4).map((x) => `${x.clientOrderId} ${x.status}`).join(', ')}` : ''}; recorded, not on the exchange ${recordedMissing.length}; exit fills of no known trade ${untracked})`,
      lost,
    );
    add("orders unresolved at the end ('sending'/'open')", unresolved, unresolved);

    // ---- Coins orphaned: the exchange's balance of a coin minus what the open trades hold.
    const orphanBits: string[] = [];
    const dustBits: string[] = [];
    let orphaned = 0;
    let worst = 0;
    for (const s of o.symbols) {
      const base = s.split('/')[0];
      const step = EX_MARKET.find((m) => m.symbol === s)!.spec.stepSize;
      const b = ex.balance(base);
      const total = b.free + b.locked;
      const open = trades.filter((t) => t.symbol === s && t.status === 'open').reduce((a, t) => a + t.quantity, 0);
      // Each closed trade may leave less than one step unsold (an exit sells whole steps of what
      // arrived after the fee in coins): the exchange's own figures for it, entry minus fee minus sold.
      let dust = 0;
      let leftBehind = 0;
      for (const t of trades.filter((x) => x.symbol === s && x.status === 'closed')) {
        const entry = t.proposal_id ? ours.find((x) => x.clientOrderId === `tc-${t.proposal_id}` && x.executedQty > 0) : undefined;
        if (!entry || t.id.includes('-r')) continue;
        const arrived = entry.executedQty - (entry.commissionAsset === base ? entry.commission : 0);
        const rest = arrived - (soldBy.get(t.id) ?? 0) - [...soldBy].filter(([id]) => id.startsWith(`${t.id}-r`)).reduce((a, [, q]) => a + q, 0);
        if (rest > -1e-9 && rest < step) dust += Math.max(0, rest);
        else leftBehind += rest;
      }
      const raw = total - open;
      const off = raw - dust;
      const bad = Math.abs(off) > step + 1e-12;
      if (bad) orphaned++;
      worst = Math.max(worst, Math.abs(off) / step);
      if (bad) orphanBits.push(`${base} ${off >= 0 ? '+' : ''}${off.toFixed(6)} (exchange ${total.toFixed(6)}, open trades ${open.toFixed(6)}, step ${step})`);
      if (leftBehind) orphanBits.push(`${base}: closed trades left ${leftBehind.toFixed(6)} unsold`);
      if (dust > 0) dustBits.push(`${base} ${Number(dust.toPrecision(3))}`);
    }
    add(
      'coins orphaned (assets off by more than a step)',
      `${orphaned} of ${o.symbols.length} assets (exchange balance − open trades − sub-step dust; largest |difference| ${worst.toFixed(2)} steps)${orphanBits.length ? `: ${orphanBits.join('; ')}` : ''}`,
      orphaned,
    );
    add('   sub-step dust left by exits (not counted)', dustBits.length ? dustBits.join(', ') : 'none');
  } else {
    // Paper: the account is the kv balance; it must equal the start plus what the trades made.
    const bal = Number(JSON.parse((db.prepare(`SELECT value FROM kv WHERE key='account.balance'`).get() as { value: string } | undefined)?.value ?? '10000'));
    const implied = 10_000 + trades.filter((t) => t.status === 'closed').reduce((a, t) => a + (t.pnl ?? 0), 0) - trades.filter((t) => t.status === 'open').reduce((a, t) => a + t.entry_fee, 0);
    const off = Math.abs(bal - implied);
    add('coins orphaned', 'n/a (paper: no exchange balance)');
    add('paper account vs its trades', `${off < 0.01 ? 0 : 1}: balance ${bal.toFixed(2)}, start + closed PnL − open entry fees ${implied.toFixed(2)}`, off < 0.01 ? 0 : 1);
    unresolved = orders.filter((r) => r.status === 'sending' || r.status === 'open').length;
    add("orders unresolved at the end ('sending'/'open')", unresolved, unresolved);
  }
  add('orders duplicated', `${dupOrders} (${dupDetail.join(', ')})`, dupOrders);

  // ---- Chat
  const recorded = recordedIds(db);
  const mine = chat.arrivals.filter((a) => a.chat === CHAT);
  const groups = new Map<string, Arrival[]>();
  for (const a of mine) {
    const k = `${a.photo ? 'P' : 'T'}|${a.content}`;
    const g = groups.get(k);
    if (g) g.push(a);
    else groups.set(k, [a]);
  }
  const dupByClass: Record<MsgClass, number> = { proposal: 0, fill: 0, 'trade completed': 0, other: 0 };
  const causes = { killRandom: 0, killAimed: 0, outage: 0, queuedTwice: 0, unexplained: 0 };
  const dupExamples: string[] = [];
  for (const g of groups.values()) {
    if (g.length < 2) continue;
    const cls = classOf(g[0].content);
    dupByClass[cls] += g.length - 1;
    // Which copies are extra: those SQLite never recorded (the resend after a kill got recorded).
    const unrec = g.filter((a) => !recorded.has(String(a.id)));
    const extras = unrec.length >= g.length - 1 ? unrec.slice(0, g.length - 1) : [...unrec, ...g.filter((a) => recorded.has(String(a.id))).slice(1, 1 + g.length - 1 - unrec.length)];
    for (const a of extras) {
      if (cls === 'other') continue;
      const k = attributed.has(a.id) ? kills.find((x) => x.n === attributed.get(a.id)) : undefined;
      if (k) k.how === 'random' ? causes.killRandom++ : causes.killAimed++;
      else if (!recorded.has(String(a.id)) && outage && a.at >= outage.windowStart - 2000 && a.at <= outage.windowEnd + 30_000) causes.outage++;
      else if (recorded.has(String(a.id))) causes.queuedTwice++;
      else causes.unexplained++;
    }
    if (dupExamples.length < 6) dupExamples.push(`${g.length}× ${cls}: "${plain(g[0].content).split('\n')[0].slice(0, 60)}" (ids ${g.map((a) => a.id).join(', ')})`);
  }
  const mustUnique = dupByClass.proposal + dupByClass.fill + dupByClass['trade completed'];
  add(
    'chat messages duplicated',
    `${mustUnique} (proposal ${dupByClass.proposal}, fill ${dupByClass.fill}, trade completed ${dupByClass['trade completed']}; caused by: random kill in the window ${causes.killRandom}, aimed kill ${causes.killAimed}, outage resend ${causes.outage}, queued twice by the bot ${causes.queuedTwice}, unexplained ${causes.unexplained})` +
      `${dupByClass.other ? `; other texts repeated ${dupByClass.other}` : ''}`,
  );
  for (const e of dupExamples) rows.push({ label: '   e.g.', value: e });
  add('chat messages received', `${mine.length} messages, ${chat.editsAt.length} edits, ${attributed.size} sent-but-unrecorded at kills`);

  // Executed proposals whose chat copy still has live Approve/Reject buttons.
  const live = new Map<string, number>();
  const liveOther = new Map<string, number>();
  const current = new Map(tg.sent.map((m) => [m.message_id, m]));
  for (const a of mine) {
    const m = current.get(a.id);
    if (!m || !hasLiveButtons(m)) continue;
    const pid = proposalIdOf(a.content);
    const p = pid ? propById.get(pid) : undefined;
    if (!p) continue;
    if (p.status === 'executed') live.set(p.id, (live.get(p.id) ?? 0) + 1);
    else if (p.status !== 'pending') liveOther.set(`${p.id} ${p.status}`, 1);
  }
  const liveWhy = [...live.keys()].slice(0, 4).map((id) => {
    const copies = mine.filter((a) => proposalIdOf(a.content) === id);
    return `${id}: ${copies.length} copies (${copies.map((c) => `#${c.id}${recorded.has(String(c.id)) ? ' recorded' : ' NOT recorded'}${hasLiveButtons(current.get(c.id)!) ? ' live' : ' edited'}`).join(', ')})`;
  });
  add('executed proposals with live buttons in chat', `${live.size}${liveWhy.length ? `: ${liveWhy.join('; ')}` : ''}`, live.size);
  if (liveOther.size) add('   (not executed, decided, buttons still live)', `${liveOther.size}: ${[...liveOther.keys()].slice(0, 4).join(', ')}`);

  // Nothing lost on the way to the chat.
  const proposalCopies = new Set(mine.map((a) => proposalIdOf(a.content)).filter(Boolean));
  const fillCopies = new Set(mine.map((a) => filledProposalOf(a.content)).filter(Boolean));
  const noCopy = proposals.filter((p) => !proposalCopies.has(p.id)).length;
  const executed = proposals.filter((p) => p.status === 'executed');
  const noFill = executed.filter((p) => !fillCopies.has(p.id)).length;
  const completed = new Set(mine.filter((a) => classOf(a.content) === 'trade completed').map((a) => a.content)).size;
  const closed = trades.filter((t) => t.status === 'closed').length;
  const ob = db.prepare(`SELECT status, COUNT(*) AS n FROM outbox WHERE adapter='telegram' GROUP BY status`).all() as Array<{ status: string; n: number }>;
  add(
    'chat messages missing',
    `proposals without a message ${noCopy}, executed without ORDER FILLED ${noFill}, trades closed ${closed} vs distinct TRADE COMPLETED ${completed}; outbox ${ob.map((r) => `${r.n} ${r.status}`).join(', ')}`,
  );
  const autoLeft = proposals.filter((p) => p.status === 'expired' && p.decided_by === null).length;
  if (autoLeft) add('auto-approve proposals that expired undecided', autoLeft);
  const findingsAlerts = mine.filter((a) => /exchange check/.test(plain(a.content)));
  if (ex) add('exchange-check alerts in chat', `${findingsAlerts.length}${findingsAlerts.length ? `: ${[...new Set(findingsAlerts.map((a) => plain(a.content).split('\n').slice(0, 3).join(' / ').slice(0, 110)))].slice(0, 3).join(' | ')}` : ''}`);

  // ---- Outage
  if (outage) {
    add(
      `Telegram outage ${secs(outage.outageMs)}`,
      `${outage.producedDuring} messages produced during it, ${outage.backlog} queued at its end${outage.undelivered ? `, ${outage.undelivered} NOT delivered` : ''}`,
    );
    add('   first delivery after the outage', outage.firstMs === null ? 'none' : secs(outage.firstMs));
    add('   last queued message delivered', outage.lastMs === null ? 'none' : `${secs(outage.lastMs)} after the outage (longest wait of one message ${outage.longestWaitMs === null ? '-' : secs(outage.longestWaitMs)})`);
    add('   polling (commands) resumed', outage.pollResumedMs === null ? 'not seen' : `${secs(outage.pollResumedMs)} after the outage`);
  }

  // ---- Oddities: processes that ended by themselves, errors in the bot's log.
  // Not one of the issue's figures, but a run whose bot crashes vouches for nothing.
  add('bot processes that crashed or would not stop', `${o.selfExits.length}${o.selfExits.length ? `: ${o.selfExits.slice(0, 2).map((x) => x.replace(/\s+/g, ' ').slice(0, 300)).join(' | ')}` : ''}`, o.selfExits.length);
  const logFile = path.join(dir, 'logs', 'tradecrew.log');
  if (fs.existsSync(logFile)) {
    const counts = new Map<string, number>();
    for (const line of fs.readFileSync(logFile, 'utf8').split('\n')) {
      if (!line) continue;
      try {
        const j = JSON.parse(line) as { level?: number; msg?: string };
        if ((j.level ?? 0) >= 50) counts.set(j.msg ?? '?', (counts.get(j.msg ?? '?') ?? 0) + 1);
      } catch {
        /* a line cut by kill -9 */
      }
    }
    add('errors in the bot log', counts.size ? [...counts].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([m, n]) => `${n}× ${m}`).join('; ') : 'none');
  }
  db.close();
  add('data dir', dir);
  return { name, rows, failures };
}

function printTable(r: PathResult): void {
  const w = 50;
  process.stdout.write(`\n── ${r.name} path ${'─'.repeat(Math.max(0, 96 - r.name.length))}\n`);
  for (const row of r.rows) {
    const mark = row.mustBeZero === undefined ? '' : row.mustBeZero === 0 ? '   [must be 0: ok]' : '   [must be 0: FAILED]';
    process.stdout.write(`${row.label.padEnd(w)} ${row.value}${mark}\n`);
  }
}

async function main(): Promise<void> {
  process.stdout.write(`kill-soak: KILLS=${KILLS} per path, PATHS=${PATHS.join(',')}, OUTAGE_MS=${OUTAGE_MS}, SEED=${SEED}, TARGET_EVERY=${TARGET_EVERY}, bot from ${BOT_DIR || 'this repository'}\n`);
  const results: PathResult[] = [];
  for (const p of PATHS) results.push(await runPath(p as 'paper' | 'exchange'));
  for (const r of results) printTable(r);
  const failures = results.flatMap((r) => r.failures);
  const wall = (Date.now() - t0) / 60_000;
  process.stdout.write(
    `\n${failures.length ? `kill-soak: FAILED — ${failures.join('; ')}` : `kill-soak: OK — every "must be 0" held on ${PATHS.join(' and ')}`} · ${KILLS} kills per path · wall ${wall.toFixed(1)} min\n`,
  );
  process.exit(failures.length ? 1 : 0);
}

main().catch((e) => {
  process.stderr.write(`kill-soak failed: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(2);
});
