/**
 * The commands a freqtrade user would miss (issue #14): /logs, /locks and /unlock, /whitelist,
 * /reload_config, /buy and /sell, /cancel; through the real Telegram adapter against the local
 * Bot API stand-in, in a whole bot (startTestApp) whose logger is the real one. Assertions are on
 * what the people in the chat see and on what the database then holds.
 */
import { chatWith, joined, textOf, visible } from './support/telegram-chat.js';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { App } from '../src/app/context.js';
import { makeScrubber } from '../src/util/redact.js';
import { secretsOf } from '../src/config/load.js';
import { createLogger } from '../src/util/logger.js';
import { createLogRing } from '../src/util/log-ring.js';
import { effectiveRisk } from '../src/risk/settings.js';
import { humanScore } from '../src/reports/stats.js';
import { WARMUP } from '../src/indicators/features.js';
import { timeframeMs } from '../src/market/timeframe.js';
import { refreshCandles } from '../src/market/refresh.js';
import { candleCount, lastCandles } from '../src/store/candles.js';
import { closeTrade, lastPrices, riskState, scanAll } from '../src/trading/live.js';
import { proposeManualEntry } from '../src/trading/manual.js';
import { createApp } from '../src/app/create.js';
import { silentLogger } from '../src/util/logger.js';
import { startTestApp, telegramBot } from './support/app.js';
import { startTelegramStandin } from './support/telegram-standin.js';

const TOKEN = '777333:TRADERCMDS-test-token-abcdefghijklmnopqrstuvwxyz';
const CHAT = 6161;
const TRADER = { id: 3001, username: 'tara' };
const VIEWER = { id: 3002, username: 'vic' };

let tg: Awaited<ReturnType<typeof startTelegramStandin>>;
let app: App & { shutdown(): Promise<void>; dataDir: string };
/** The bot's user config file (TRADECREW_CONFIG), rewritten by the /reload_config test. */
const userConfig = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tc-reload-')), 'local.yaml');

before(async () => {
  tg = await startTelegramStandin({ token: TOKEN });
  const bot = telegramBot(tg, { token: TOKEN, chat: CHAT, traders: [TRADER.id], viewers: [VIEWER.id] });
  fs.writeFileSync(userConfig, '{}\n');
  app = await startTestApp({
    env: { ...bot.env, TRADECREW_CONFIG: userConfig },
    adapters: () => [bot.adapter()],
    log: (dataDir, cfg) => createLogger({ dataDir, level: 'info', scrub: makeScrubber(secretsOf(cfg)) }),
  });
});

after(async () => {
  await app.shutdown();
  await tg.close();
});

const { ask, say } = chatWith(() => tg, () => app, CHAT);

test('the log ring keeps the newest lines, oldest first, clipped and scrubbed', () => {
  const ring = createLogRing(3, makeScrubber(['hunter2-secret']));
  for (const l of ['a', 'b', 'c', 'd with hunter2-secret', 'x'.repeat(5000)]) ring.push(l + '\n');
  const tail = ring.tail(10);
  assert.equal(tail.length, 3);
  assert.deepEqual(tail.slice(0, 2), ['c', 'd with ***']);
  assert.equal(tail[2].length, 1001, 'a long line is clipped');
  assert.deepEqual(ring.tail(1), [tail[2]]);
});

test('/logs shows the newest log lines without secrets; traders only; long answers are split', async () => {
  // A log call carrying the bot token three ways: in a URL, as a key, inside a message.
  app.log.warn({ url: `https://api.telegram.org/bot${TOKEN}/getMe`, token: TOKEN }, `request failed for ${TOKEN}`);
  app.log.info({ symbol: 'BTC/USDT' }, 'marker line for logs');
  const text = await say(TRADER, '/logs 5');
  assert.match(text, /LOGS · last \d lines \(level info and above, newest last\)/);
  assert.match(text, /\d\d:\d\d:\d\d INFO marker line for logs symbol=BTC\/USDT/);
  assert.match(text, /WARN request failed for \*\*\*/);
  assert.ok(!text.includes(TOKEN) && !text.includes(TOKEN.split(':')[1]), 'the token never appears');
  // A viewer is refused (and nothing is shown).
  const v = await say(VIEWER, '/logs');
  assert.match(v, /\/logs needs the trader role/);
  assert.doesNotMatch(v, /marker line/);
  // Bad arguments.
  assert.match(await say(TRADER, '/logs 0'), /n must be between 1 and 200, got 0\nUsage: \/logs \[n\]/);
  assert.match(await say(TRADER, '/logs many'), /n must be a whole number, got "many"/);
  // 200 long lines are more than one Telegram message: split, each within 4096, every line there.
  for (let k = 0; k < 200; k++) app.log.info({ k, pad: 'p'.repeat(120) }, `bulk line ${k}`);
  const parts = await ask(TRADER, '/logs 200');
  assert.ok(parts.length >= 2, `split into ${parts.length} messages`);
  for (const m of parts) assert.ok(m.text!.length <= 4096);
  const ks = parts.flatMap((m) => [...visible(m.text!).matchAll(/bulk line (\d+)/g)].map((x) => Number(x[1])));
  assert.ok(ks.length >= 190, `most of the 200 lines arrived (${ks.length})`);
  assert.deepEqual(ks, [...ks].sort((a, b) => a - b), 'oldest first, across the parts');
  assert.equal(ks.at(-1), 199, 'the newest line is there');
});

const tfMs = () => timeframeMs(app.cfg.timeframe);
const lastTs = (symbol: string) => lastCandles(app.db, symbol, app.cfg.timeframe, 1)[0].ts;
const count = (sql: string, ...args: unknown[]) => (app.db.prepare(sql).get(...args) as { n: number }).n;

/** A closed trade of `symbol` whose exit was on the candle that opened at `exitCandleTs`. */
function closedTradeAt(id: string, symbol: string, exitCandleTs: number): void {
  app.db
    .prepare(
      `INSERT INTO trades (id, symbol, direction, strategy, quantity, entry_price, entry_ts, entry_fee, stop, target, entry_candle_ts, checked_ts, decision_json, status, exit_price, exit_ts, exit_reason, pnl, exit_candle_ts)
       VALUES (?, ?, 'LONG', 'trend_following', 0.01, 100, ?, 0.01, 90, 120, ?, ?, '{}', 'closed', 95, ?, 'STOP_LOSS', -5.01, ?)`,
    )
    .run(id, symbol, exitCandleTs - 5 * tfMs(), exitCandleTs - 5 * tfMs(), exitCandleTs - 5 * tfMs(), exitCandleTs, exitCandleTs);
}

test('/locks shows a cooldown until when; /unlock ends it (audited, traders only); a later exit starts a new one; /buy meets the same gate', async () => {
  assert.match(await say(VIEWER, '/locks'), /No locks: every symbol may open a trade/);
  const eth = lastTs('ETH/USDT');
  closedTradeAt('Tlock1', 'ETH/USDT', eth);
  assert.equal(riskState(app, 'ETH/USDT', eth, tfMs()).candlesSinceExit, 0, 'the gate counts the cooldown from this exit');
  const until = app.fmt.dateTime(eth + 4 * tfMs());
  const locks = await say(VIEWER, '/locks');
  assert.ok(locks.includes(`ETH/USDT: cooldown after its last exit (0 of 3 candles), until ${until} (demo market clock) · /unlock ETH/USDT ends it`), locks);
  // The gate refuses a trader's own entry on it too, and says why.
  assert.match(await say(TRADER, '/buy ETH'), /The risk gate refuses an entry on ETH\/USDT: cooldown: 0\/3 candles since the last exit\. Nothing proposed/);

  // Wrong arguments and a viewer change nothing.
  assert.match(await say(TRADER, '/unlock'), /give a symbol or all: BTC\/USDT, ETH\/USDT, SOL\/USDT\nUsage: \/unlock <symbol\|all>/);
  assert.match(await say(TRADER, '/unlock DOGE'), /unknown symbol "DOGE"/);
  assert.match(await say(TRADER, '/unlock ETH BTC'), /too many arguments/);
  assert.match(await say(VIEWER, '/unlock ETH'), /\/unlock needs the trader role/);
  assert.equal(riskState(app, 'ETH/USDT', eth, tfMs()).candlesSinceExit, 0, 'still in its cooldown');

  const done = await say(TRADER, '/unlock eth');
  assert.match(done, new RegExp(`🔓 ETH/USDT: the cooldown after its exit on ${app.fmt.dateTime(eth).replace(/[/.]/g, '\\$&')} \\(demo market clock\\) is over`));
  assert.equal(riskState(app, 'ETH/USDT', eth, tfMs()).candlesSinceExit, Infinity, 'the gate no longer counts that exit');
  const row = app.db.prepare(`SELECT allowed FROM audit_log WHERE user_id=? AND action='/unlock eth' ORDER BY id DESC`).get(String(TRADER.id)) as { allowed: number };
  assert.equal(row.allowed, 1, 'audited');
  assert.match(await say(TRADER, '/unlock ETH'), /ETH\/USDT is not in a cooldown; nothing changed/);
  assert.match(await say(TRADER, '/locks'), /No locks/);

  // A later exit is a new cooldown: the release covered the exit it was given for, not the symbol forever.
  closedTradeAt('Tlock2', 'ETH/USDT', eth + tfMs());
  assert.match(await say(TRADER, '/locks'), /ETH\/USDT: cooldown after its last exit/);
  assert.match(await say(TRADER, '/unlock all'), /🔓 ETH\/USDT: the cooldown after its exit/);
  assert.equal(riskState(app, 'ETH/USDT', eth + tfMs(), tfMs()).candlesSinceExit, Infinity);
});

test('/locks and /unlock say what blocks every symbol, and its way out: /unlock does not lift a pause', async () => {
  assert.match(await say(TRADER, '/pause'), /Paused/);
  assert.match(await say(VIEWER, '/locks'), /LOCKS · what keeps new trades from opening\nWhole account \(every symbol\):\n• paused: no new trades · \/resume/);
  assert.match(await say(TRADER, '/unlock all'), /No symbol is in a cooldown; nothing changed\.\nStill blocking every symbol:\n• paused: no new trades · \/resume/);
  assert.match(await say(TRADER, '/buy BTC'), /The risk gate refuses an entry on BTC\/USDT: trading is paused/);
  assert.match(await say(TRADER, '/resume'), /Resumed/);
  assert.match(await say(VIEWER, '/locks'), /No locks/);
});

test('/buy: bad amounts are refused with the reason; a valid one becomes a proposal approved like any other, once', async () => {
  const before = count(`SELECT COUNT(*) AS n FROM proposals`);
  const cases: Array<[string, RegExp]> = [
    ['/buy', /give a symbol: BTC\/USDT, ETH\/USDT, SOL\/USDT\nUsage: \/buy <symbol> \[amount\]/],
    ['/buy DOGE', /unknown symbol "DOGE"/],
    ['/buy BTC lots', /the amount must be a number such as 100 or 250\.5, got "lots"/],
    ['/buy BTC 0', /the amount must be more than 0, got "0"/],
    ['/buy BTC 1,000', /"1,000" is ambiguous: write it without a thousands separator/],
    ['/buy BTC 99999999', /\$99,999,999\.00 is more than the risk gate allows for this entry \(\$[\d,.]+ at most\)\. Nothing proposed/],
    ['/buy BTC 10 20', /too many arguments/],
  ];
  for (const [text, want] of cases) assert.match(await say(TRADER, text), want, text);
  assert.match(await say(VIEWER, '/buy BTC'), /\/buy needs the trader role/);
  assert.equal(count(`SELECT COUNT(*) AS n FROM proposals`), before, 'nothing proposed');

  // 250,5 is the same amount as 250.5 (either decimal separator, as /set takes them).
  const replies = await ask(TRADER, '/buy btc 250,5');
  const text = joined(replies);
  const id = /Proposal (p\w+): BUY [\d.]+ BTC\/USDT at ~\$[\d,.]+ \(\$250\.50\)/.exec(text)?.[1];
  assert.ok(id, text);
  assert.match(text, new RegExp(`It waits for approval like any proposal: ✅ Approve under it, or /approve ${id}\\. Nothing is bought until then\\.`));
  // The proposal itself went to the chat like the crew's, with its buttons and the trader named.
  await tg.waitFor(() => tg.sent.some((m) => textOf(m).includes(id) && textOf(m).includes('TRADE PROPOSAL') && m.reply_markup?.inline_keyboard?.length), 10_000);
  const pushed = tg.sent.filter((m) => textOf(m).includes('TRADE PROPOSAL') && textOf(m).includes(id)).map((m) => visible(textOf(m))).join('\n');
  assert.match(pushed, /manual buy by tara \(telegram\); stop and target from the ATR/);
  const p = app.db.prepare(`SELECT status, quantity, entry FROM proposals WHERE id=?`).get(id) as { status: string; quantity: number; entry: number };
  assert.equal(p.status, 'pending');
  assert.ok(Math.abs(p.quantity * p.entry - 250.5) < 1e-6);
  assert.match(await say(TRADER, '/buy BTC'), new RegExp(`BTC/USDT already has proposal ${id} open: /approve ${id} or /reject ${id} first`));

  // Approved through the one path: the trade opens once, at the proposed size.
  assert.match(await say(TRADER, `/approve ${id}`), /Approved/);
  const t = app.db.prepare(`SELECT id, quantity FROM trades WHERE proposal_id=? AND status='open'`).get(id) as { id: string; quantity: number };
  assert.ok(Math.abs(t.quantity - p.quantity) < 1e-12);
  assert.match(await say(TRADER, '/buy BTC 100'), new RegExp(`BTC/USDT already has an open position \\(${t.id}\\): one position per symbol`));

  // Two entries on one symbol at once: one proposal.
  const both = await Promise.all([proposeManualEntry(app, { symbol: 'SOL/USDT', direction: 'LONG', by: 'a' }), proposeManualEntry(app, { symbol: 'SOL/USDT', direction: 'LONG', by: 'b' })]);
  assert.equal(both.filter((o) => o.ok).length, 1, JSON.stringify(both.map((o) => (o.ok ? 'ok' : o.code))));
  assert.equal(count(`SELECT COUNT(*) AS n FROM proposals WHERE symbol='SOL/USDT' AND status='pending'`), 1);
  // A scan does not add a second proposal next to it.
  await scanAll(app);
  assert.equal(count(`SELECT COUNT(*) AS n FROM proposals WHERE symbol='SOL/USDT' AND status IN ('pending','approved')`), 1);

  // Spot demo: no shorts. /sell says so and where to go instead.
  assert.match(await say(TRADER, '/sell BTC'), /\/sell would open a short, and this market \(demo \(seeded\)\) is long-only here[\s\S]*\/close <trade id>/);
  assert.equal(count(`SELECT COUNT(*) AS n FROM proposals WHERE direction='SHORT'`), 0);
  // Where shorts are allowed (a simulated market with risk.allow_short on), /sell proposes one the same way.
  assert.match(await say(TRADER, '/set allow_short on'), /allow_short/);
  const short = await say(TRADER, '/sell ETH 100');
  const sid = /Proposal (p\w+): SHORT [\d.]+ ETH\/USDT at ~\$[\d,.]+ \(\$100\.00\)/.exec(short)?.[1];
  assert.ok(sid, short);
  const sp = app.db.prepare(`SELECT direction, entry, stop, target FROM proposals WHERE id=?`).get(sid) as { direction: string; entry: number; stop: number; target: number };
  assert.equal(sp.direction, 'SHORT');
  assert.ok(sp.stop > sp.entry && sp.target < sp.entry, 'a short: stop above, target below');
  assert.match(await say(TRADER, `/reject ${sid}`), /Rejected|rejected/);
  assert.equal(humanScore(app, 0).rejected, 0, 'your own /sell turned down is not a crew proposal you turned down (/stats)');
  assert.match(await say(TRADER, '/set allow_short off'), /allow_short/);
});

/** The symbols a bot started now on this data directory would trade (createApp, as main.ts starts it). */
async function symbolsAfterRestart(): Promise<string[]> {
  const again = createApp(app.readConfig(), { adapters: [], log: silentLogger() });
  try {
    return [...again.cfg.symbols];
  } finally {
    await again.outbox.stop();
    again.db.close();
  }
}

test('/whitelist: shows, adds a listed symbol (kept for a restart), refuses bad ones; a removed symbol’s position is managed until it exits', async () => {
  assert.match(await say(VIEWER, '/whitelist'), /WHITELIST · 3 symbols traded on demo \(seeded\)\n• BTC\/USDT\n• ETH\/USDT\n• SOL\/USDT/);
  const cases: Array<[string, RegExp]> = [
    ['/whitelist frob', /"frob" is not add or remove/],
    ['/whitelist add', /give a symbol to add, e\.g\. LTC\/USDT/],
    ['/whitelist add DOGE', /DOGE\/USDT is not listed on demo \(seeded\)/],
    ['/whitelist add LTC/BTC', /LTC\/BTC is not quoted in USDT, the account's currency/],
    ['/whitelist add LTC/USDT/X', /"LTC\/USDT\/X" is not a symbol like BASE\/QUOTE/],
    ['/whitelist remove DOGE', /unknown symbol "DOGE"/],
  ];
  for (const [text, want] of cases) {
    const r = await say(TRADER, text);
    assert.match(r, want, text);
    assert.match(r, /Usage: \/whitelist \[add\|remove <symbol>\]/, text);
  }
  assert.match(await say(VIEWER, '/whitelist add LTC'), /\/whitelist add needs the trader role/);
  const refused = app.db.prepare(`SELECT allowed, detail FROM audit_log WHERE user_id=? AND action='/whitelist add LTC'`).get(String(VIEWER.id)) as { allowed: number; detail: string };
  assert.deepEqual({ ...refused }, { allowed: 0, detail: 'needs trader' });
  assert.deepEqual(app.cfg.symbols, ['BTC/USDT', 'ETH/USDT', 'SOL/USDT'], 'nothing changed');

  // Added: traded at once, its history fetched, and a restart keeps it.
  assert.match(await say(TRADER, '/whitelist add ltc'), /LTC\/USDT added: the crew now trades BTC\/USDT, ETH\/USDT, SOL\/USDT, LTC\/USDT/);
  assert.ok(candleCount(app.db, 'LTC/USDT', app.cfg.timeframe) >= WARMUP + 2, 'its candles are there for the next scan');
  const scanned = (await scanAll(app)).find((o) => o.symbol === 'LTC/USDT');
  assert.ok(scanned && scanned.action !== 'warmup', JSON.stringify(scanned));
  assert.deepEqual(await symbolsAfterRestart(), ['BTC/USDT', 'ETH/USDT', 'SOL/USDT', 'LTC/USDT'], 'a restart trades it too');
  assert.match(await say(TRADER, '/whitelist add LTC/USDT'), /LTC\/USDT is already traded; nothing changed/);

  // Removed with an open position (BTC, from the /buy test) and a waiting proposal (SOL).
  const pos = app.db.prepare(`SELECT * FROM trades WHERE symbol='BTC/USDT' AND status='open'`).get() as { id: string };
  assert.ok(pos, 'the BTC position of the /buy test');
  const removed = await say(TRADER, '/whitelist remove BTC');
  assert.match(removed, /BTC\/USDT removed: the crew now trades ETH\/USDT, SOL\/USDT, LTC\/USDT\. Nothing new opens on BTC\/USDT/);
  assert.ok(removed.includes(`Its open position ${pos.id} stays and is still managed until it exits`), removed);
  assert.match(await say(VIEWER, '/whitelist'), /Off the list, still managed until their position exits: BTC\/USDT/);
  const sol = app.db.prepare(`SELECT id FROM proposals WHERE symbol='SOL/USDT' AND status='pending'`).get() as { id: string };
  assert.ok((await say(TRADER, '/whitelist remove SOL')).includes(`Rejected its waiting proposal(s): ${sol.id}`));
  assert.equal((app.db.prepare(`SELECT status FROM proposals WHERE id=?`).get(sol.id) as { status: string }).status, 'rejected');
  // Still watched, scanned and marked while open.
  assert.ok('BTC/USDT' in lastPrices(app), 'still marked to market');
  await refreshCandles(app);
  const out = await scanAll(app);
  assert.ok(out.some((o) => o.symbol === 'BTC/USDT'), 'still scanned (stop, target, exit signal)');
  assert.equal((await symbolsAfterRestart()).includes('BTC/USDT'), false, 'a restart keeps it off the list');
  // Once it exits, nothing new opens on it.
  const open = app.db.prepare(`SELECT * FROM trades WHERE id=? AND status='open'`).get(pos.id);
  if (open) await closeTrade(app, open as never, { ref: await app.source.lastPrice('BTC/USDT'), reason: 'MANUAL', exitCandleTs: lastTs('BTC/USDT') });
  for (let k = 0; k < 5; k++) {
    await refreshCandles(app);
    assert.ok(!(await scanAll(app)).some((o) => o.symbol === 'BTC/USDT'), 'no longer scanned once flat');
  }
  assert.equal(count(`SELECT COUNT(*) AS n FROM proposals WHERE symbol='BTC/USDT' AND status IN ('pending','approved')`), 0);
  // The last symbol cannot go.
  assert.match(await say(TRADER, '/whitelist remove ETH'), /ETH\/USDT removed/);
  assert.match(await say(TRADER, '/whitelist remove LTC/USDT'), /LTC\/USDT is the only symbol left; add another before removing it/);
  for (const s of ['BTC', 'ETH', 'SOL']) assert.match(await say(TRADER, `/whitelist add ${s}`), /added/);
});

test('/reload_config applies what can change live, lists what needs a restart, and refuses an invalid config changing nothing', async () => {
  assert.match(await say(TRADER, '/reload_config'), /Config read again: nothing differs from what is running/);
  assert.match(await say(VIEWER, '/reload_config'), /\/reload_config needs the trader role/);

  fs.writeFileSync(userConfig, 'log_level: debug\ntimeframe: 4h\nrisk:\n  max_open_positions: 5\n  cooldown_candles: 7\napproval:\n  max_price_move: 0.75\n');
  assert.match(await say(TRADER, '/set cooldown_candles 6'), /cooldown_candles: 3 → 6/);
  const text = await say(TRADER, '/reload_config');
  assert.match(text, /CONFIG RELOADED\nApplied now \(4\):\n• log_level: info → debug\n• approval\.max_price_move: 0\.5 → 0\.75\n• risk\.max_open_positions: 3 → 5\n• risk\.cooldown_candles: 3 → 7 \(but the value set in chat with \/set, 6, stays in force\)\nNeed a restart; unchanged until then \(1\):\n• timeframe: 1h → 4h/);
  assert.equal(app.cfg.risk.max_open_positions, 5);
  assert.equal(effectiveRisk(app).max_open_positions, 5, 'the gate uses it now');
  assert.equal(effectiveRisk(app).cooldown_candles, 6, '/set still wins');
  assert.equal(app.cfg.approval.max_price_move, 0.75);
  assert.equal(app.log.level, 'debug');
  assert.equal(app.cfg.timeframe, '1h', 'left as it is until a restart');

  // Invalid: the loader's reason, and nothing changes.
  const snapshot = JSON.stringify(app.cfg);
  const bad: Array<[string, RegExp]> = [
    ['risk:\n  max_open_positions: 500\n', /Config not reloaded: config error: risk\.max_open_positions .*\(got 500\); env override: TRADECREW_RISK__MAX_OPEN_POSITIONS\. Nothing changed/],
    ['risk: [\n', /Config not reloaded: config error: .*local\.yaml is not valid YAML/],
    ['riskk:\n  x: 1\n', /Config not reloaded: config error: unknown setting "riskk"/],
    ['mode: live\n', /Config not reloaded: config error: mode live needs exchange\.id, exchange\.api_key and exchange\.secret/],
  ];
  for (const [yaml, want] of bad) {
    fs.writeFileSync(userConfig, yaml);
    assert.match(await say(TRADER, '/reload_config'), want, yaml);
    assert.equal(JSON.stringify(app.cfg), snapshot, `nothing changed after ${JSON.stringify(yaml)}`);
  }
  // Back to the defaults; the timeframe never changed, so only the live keys move back.
  fs.writeFileSync(userConfig, '{}\n');
  const back = await say(TRADER, '/reload_config');
  assert.match(back, /Applied now \(4\)/);
  assert.doesNotMatch(back, /Need a restart/);
  assert.equal(app.cfg.risk.max_open_positions, 3);
  assert.match(await say(TRADER, '/set cooldown_candles 3'), /cooldown_candles: 6 → 3/);
});
