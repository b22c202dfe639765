/**
 * Every chat command through the real Telegram adapter (grammy, long polling over loopback HTTP)
 * against the local Bot API stand-in, in a whole bot (startTestApp). Assertions are on what the
 * people in the chat see.
 */
import { chatWith, joined, textOf, visible } from './support/telegram-chat.js';
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { COMMANDS } from '../commands/index.js';
import type { App } from '../src/app/context.js';
import { refreshCandles } from '../src/market/refresh.js';
import { escapeHtml } from '../src/render/rich.js';
import { scanAll } from '../src/trading/live.js';
import { approveProposal } from '../src/trading/proposals.js';
import { scanUntilProposal, startTestApp, telegramBot } from './support/app.js';
import { startTelegramStandin, type StandinMessage } from './support/telegram-standin.js';

const TOKEN = '654321:COMMANDS-test-token';
const CHAT = 5151;
const TRADER = { id: 2001, username: 'alice' };
const VIEWER = { id: 2002, username: 'victor' };

let tg: Awaited<ReturnType<typeof startTelegramStandin>>;
let app: App & { shutdown(): Promise<void>; dataDir: string };

before(async () => {
  tg = await startTelegramStandin({ token: TOKEN });
  const bot = telegramBot(tg, { token: TOKEN, chat: CHAT, traders: [TRADER.id], viewers: [VIEWER.id] });
  app = await startTestApp({ env: bot.env, adapters: () => [bot.adapter()] });
});

after(async () => {
  await app.shutdown();
  await tg.close();
});

const { ask } = chatWith(() => tg, () => app, CHAT);

let proposalA = '';

test('every command answers its valid arguments with its own reply (no usage, no failure)', async () => {
  // One open position for /positions, /daily, /close; a second proposal for /approve.
  const opened = await scanUntilProposal(app);
  assert.equal((await approveProposal(app, opened, 'setup')).ok, true);
  proposalA = await scanUntilProposal(app);
  await app.outbox.drain(10_000);
  // /buy on the symbol with neither a position nor a proposal.
  const busy = app.db.prepare(`SELECT symbol FROM trades WHERE status='open' UNION SELECT symbol FROM proposals WHERE status IN ('pending','approved')`).all() as Array<{ symbol: string }>;
  const free = app.cfg.symbols.find((s) => !busy.some((b) => b.symbol === s))!;
  const valid: Record<string, string> = {
    buy: `${free} 50`,
    sell: free,
    unlock: 'all',
    cancel: 'all',
    approve: proposalA,
    reject: 'pnothere9',
    trades: '5',
    pnl: '3',
    profit: '30',
    stats: '',
    daily: '',
    weekly: '2',
    monthly: '3',
    agent: 'BTC/USDT',
    chart: `ETH/USDT ${app.cfg.timeframe}`,
    close: 'all',
    autoapprove: '',
    notifications: 'trades silent',
    set: 'daily_trade_limit 20',
    train: 'status',
    backtest: 'BTC/USDT trend_following 60',
    help: 'close',
    ask: 'what is the crew doing',
  };
  const expect: Record<string, RegExp> = {
    start: /tradecrew/,
    help: /\/close — /,
    status: /STATUS/,
    agents: /AGENTS · 3[\s\S]*BTC\/USDT[\s\S]*ETH\/USDT[\s\S]*SOL\/USDT/,
    agent: /AGENT BTC\/USDT[\s\S]*Training record[\s\S]*uncalibrated/,
    positions: /OPEN POSITIONS \(1\)/,
    trades: /LAST \d+ TRADES/,
    pnl: /PnL · LAST 3 DAYS/,
    profit: /PROFIT · the last 30 days\n• \d+ trades, \d+ won \(\d+%\)\n• PnL after fees: [+-]?[\d.,]+\n• Profit factor: ([\d.]+|n\/a \(no losing trade\))\n• Expectancy: [+-]?[\d.,]+ a trade|No closed trades yet \(the last 30 days\)/,
    stats: /STATS · all closed trades · \d+ trades\nExit reasons:\n• [A-Z_]+: \d+ \(\d+ won, \d+ lost\)|No closed trades yet \(all closed trades\)/,
    count: /Open trades: \d+ of \d+ allowed · exposure [\d.]+% of \d+%/,
    health: /HEALTH\n• Up for .* · memory \d+ MiB\n• Database: writable ✅\n• Chats \(push chats\): telegram \(1, polling ok\)\n• Last scan: [\s\S]*Messages waiting to be sent: \d+/,
    version: /tradecrew \d+\.\d+\.\d+ · Node v20\.\d+\.\d+ · ccxt \d+\.\d+\.\d+ · mode paper/,
    daily: /DAILY SUMMARY[\s\S]*Open positions \(1\)/,
    weekly: /WEEKLY · LAST 2 WEEKS/,
    logs: /This bot keeps no log lines in memory/,
    buy: /Proposal p\w+: BUY [\d.,]+ \w+\/USDT at ~\$[\d.,]+ \(\$50\.00\), stop \$[\d.,]+, target \$[\d.,]+, expires .*\nIt waits for approval like any proposal/,
    sell: /\/sell would open a short, and this market \(demo \(seeded\)\) is long-only here[\s\S]*\/close <trade id>/,
    locks: /LOCKS · what keeps new trades from opening\nSymbols:[\s\S]*proposal p\w+ waits for a decision until/,
    unlock: /No symbol is in a cooldown; nothing changed/,
    cancel: /No limit order rests on the book; nothing to cancel\. Paper orders fill at once\./,
    reload_config: /Config read again: nothing differs from what is running/,
    whitelist: /WHITELIST · 3 symbols traded on demo \(seeded\)\n• BTC\/USDT\n• ETH\/USDT\n• SOL\/USDT/,
    monthly: /MONTHLY · LAST 3 MONTHS\nMONTH +TR +WR +PNL\n[A-Z][a-z]{2} \d{4}/,
    balance: /BALANCE[\s\S]*Equity/,
    chart: /ETH\/USDT 1h · last \d+ candles/,
    pending: /Pending proposals/,
    dashboard: /The dashboard is off/,
    why: /WHY p\w+ · [\s\S]*FINAL VOTES|The crew has not decided anything yet/,
    ask: /Crew: on · LLM: not configured/,
    approve: /Approved ✅ executing/,
    reject: /No proposal pnothere9/,
    close: /CLOSE 2 POSITION/,
    pause: /Paused/,
    resume: /Resumed/,
    autoapprove: /Auto-approve is OFF/,
    notifications: /completed trades: 🔕 silent \(was 🔔 on\)/,
    settings: /SETTINGS[\s\S]*max_open_positions/,
    set: /daily_trade_limit: 10 → 20/,
    train: /No training run yet|Last run/,
    stop_training: /No training is running/,
    backtest: /BACKTEST BTC\/USDT · trend_following[\s\S]*Tested on \d+ unseen candles/,
  };
  const withChart = new Set(['agent', 'pnl', 'daily', 'chart', 'backtest']);
  for (const c of COMMANDS) {
    const text = `/${c.name}${valid[c.name] ? ' ' + valid[c.name] : ''}`;
    const replies = await ask(TRADER, text);
    const all = joined(replies);
    // Argument errors start with ⚠️ and show the usage; failures say "failed".
    assert.doesNotMatch(all, /^⚠️[^\n]*\nUsage:|failed|Unknown command/, `${text} answered with an error: ${all.slice(0, 300)}`);
    assert.ok(expect[c.name], `an expectation for /${c.name}`);
    assert.match(all, expect[c.name], `${text} -> ${all.slice(0, 400)}`);
    for (const m of replies) assert.equal(m.parse_mode, 'HTML');
    if (withChart.has(c.name)) assert.ok(replies.some((m) => (m.photoBytes ?? 0) > 5_000), `${text} carries a chart image`);
  }
  // The confirmation of /close all came with Confirm / Cancel buttons.
  const confirm = tg.sent.find((m) => visible(textOf(m)).includes('CLOSE 2 POSITION'))!;
  const labels = confirm.reply_markup.inline_keyboard.flat().map((b: { text: string }) => b.text);
  assert.deepEqual(labels, ['✅ Confirm close', '✖️ Cancel']);
});

test('wrong arguments get the reason and the right usage; nothing changes', async () => {
  const cases: Array<[string, RegExp]> = [
    ['/trades abc', /n must be a whole number/],
    ['/trades 0', /n must be between 1 and 200/],
    ['/pnl 1000', /days must be between 1 and 365/],
    ['/daily 2 3', /too many arguments/],
    ['/cancel', /give the proposal id of a resting limit order \(see \/locks\), or all/],
    ['/buy BTC/USDT 0', /the amount must be more than 0/],
    ['/unlock', /give a symbol or all/],
    ['/whitelist add DOGE', /DOGE\/USDT is not listed on demo \(seeded\)/],
    ['/logs 500', /n must be between 1 and 200, got 500/],
    ['/monthly 0', /n must be between 1 and 36, got 0/],
    ['/monthly 2,5', /n must be a whole number, got "2,5"/],
    ['/agent DOGE/USDT', /unknown symbol "DOGE\/USDT"/],
    ['/agent', /give a symbol/],
    ['/chart BTC/USDT 5m', /only 1h candles are cached/],
    ['/close', /give a trade id/],
    ['/set', /give a setting and a value, e.g. \/set risk_per_trade 1%; settable: /],
    ['/set leverage 5', /"leverage" cannot be set from chat/],
    ['/set risk_per_trade 0.5', /risk_per_trade must be between 0 and 0.2/],
    ['/set max_open_positions 1.5', /max_open_positions must be a whole number/],
    ['/set allow_short maybe', /allow_short is on or off/],
    ['/set cooldown_candles', /cooldown_candles needs a value/],
    ['/backtest', /give a symbol/],
    ['/backtest BTC/USDT nonsense', /unknown strategy "nonsense"/],
    ['/approve', /give the proposal id/],
    ['/autoapprove maybe', /not on, off or a confidence/],
    ['/autoapprove 1.5', /"1.5" is ambiguous: write 1.5% or a fraction such as 0.85/],
    ['/help nothing', /no command \/nothing/],
    ['/train 7 DOGE/USDT', /unknown symbol DOGE\/USDT/],
    ['/train status r-nope', /there is no training run r-nope/],
  ];
  const settingsBefore = app.db.prepare(`SELECT value FROM kv WHERE key='risk.overrides'`).get();
  for (const [text, reason] of cases) {
    const name = text.split(' ')[0].slice(1);
    const cmd = COMMANDS.find((c) => c.name === name)!;
    const replies = await ask(TRADER, text);
    assert.equal(replies.length, 1, `${text}: one reply`);
    const html = textOf(replies[0]);
    assert.match(visible(html), reason, text);
    // The usage is shown, HTML-escaped (e.g. <symbol>), and Telegram accepted the markup.
    assert.ok(html.includes(`Usage: ${escapeHtml(cmd.usage)}`), `${text} shows the usage: ${html}`);
  }
  assert.deepEqual(app.db.prepare(`SELECT value FROM kv WHERE key='risk.overrides'`).get(), settingsBefore, 'no setting changed');
});

test('a viewer may read but every trader command is refused, audited, and changes nothing', async () => {
  const balance = await ask(VIEWER, '/balance');
  assert.match(joined(balance), /BALANCE/);
  const openBefore = app.db.prepare(`SELECT COUNT(*) AS n FROM trades WHERE status='open'`).get();
  for (const c of COMMANDS.filter((x) => x.role === 'trader')) {
    const replies = await ask(VIEWER, `/${c.name}`);
    assert.match(joined(replies), new RegExp(`/${c.name} needs the trader role; you are a viewer`));
    const row = app.db.prepare(`SELECT allowed, detail FROM audit_log WHERE user_id=? AND action=? ORDER BY id DESC`).get(String(VIEWER.id), `/${c.name}`) as { allowed: number; detail: string };
    assert.equal(row.allowed, 0);
    assert.equal(row.detail, 'needs trader');
  }
  assert.deepEqual(app.db.prepare(`SELECT COUNT(*) AS n FROM trades WHERE status='open'`).get(), openBefore);
  // A viewer's /start suggests what a viewer can do, not /train.
  const startV = joined(await ask(VIEWER, '/start'));
  assert.match(startV, /\/agents — which agents may propose/);
  assert.doesNotMatch(startV, /\/train/);
  assert.match(joined(await ask(TRADER, '/start')), /\/train 7 — a quick training run/);
  // The viewer's /help lists only what a viewer may use.
  const help = joined(await ask(VIEWER, '/help'));
  assert.match(help, /\/positions/);
  assert.doesNotMatch(help, /\/close|\/set </);
});

test('/set max_open_positions 1 makes the risk gate refuse the next entry; /pending shows why', async () => {
  const set = joined(await ask(TRADER, '/set max_open_positions 1'));
  assert.match(set, /max_open_positions: 3 → 1/);
  assert.match(joined(await ask(TRADER, '/settings')), /max_open_positions\s+1\s+✏️/);
  let refused = '';
  for (let k = 0; k < 300 && !refused; k++) {
    const out = await scanAll(app);
    refused = out.find((o) => o.action === 'refused' && /max_open_positions 1 reached/.test(o.detail ?? ''))?.detail ?? '';
    // If the open position was closed by its stop meanwhile, open another so the limit binds.
    const p = out.find((o) => o.action === 'proposal');
    if (p?.detail) await approveProposal(app, p.detail, 'test');
    if (!refused) await refreshCandles(app);
  }
  assert.ok(refused, 'the gate refused an entry');
  assert.match(joined(await ask(TRADER, '/pending')), /Recent risk refusals:[\s\S]*max_open_positions 1 reached/);
  assert.match(joined(await ask(TRADER, '/set max_open_positions 3')), /max_open_positions: 1 → 3/);
});

test('/close asks for confirmation; cancel closes nothing; confirm pressed 6 times at once closes once', async () => {
  const open = app.db.prepare(`SELECT id FROM trades WHERE status='open' ORDER BY entry_ts`).all() as Array<{ id: string }>;
  assert.ok(open.length >= 1, 'an open trade from the earlier tests');
  const id = open[0].id;
  const buttonsOf = (m: StandinMessage) => m.reply_markup.inline_keyboard.flat() as Array<{ text: string; callback_data: string }>;

  // 1. Cancel: nothing is closed, the message says so, a later Confirm on it does nothing.
  const [ask1] = await ask(TRADER, `/close ${id}`);
  assert.match(visible(textOf(ask1)), new RegExp(`CLOSE 1 POSITION\\(S\\) AT MARKET\\?[\\s\\S]*${id}`));
  const [confirm1, cancel1] = buttonsOf(ask1);
  const cb = tg.userPresses(CHAT, TRADER, ask1.message_id, cancel1.callback_data);
  await tg.waitFor(() => tg.callbackAnswers.some((a) => a.callback_query_id === cb), 10_000);
  assert.match(tg.callbackAnswers.find((a) => a.callback_query_id === cb)!.text!, /Cancelled/);
  await tg.waitFor(() => ask1.edits.some((e) => (e.text ?? '').includes('Cancelled by alice')), 10_000);
  const late = tg.userPresses(CHAT, TRADER, ask1.message_id, confirm1.callback_data);
  await tg.waitFor(() => tg.callbackAnswers.some((a) => a.callback_query_id === late), 10_000);
  assert.match(tg.callbackAnswers.find((a) => a.callback_query_id === late)!.text!, /Already cancelled/);
  assert.equal((app.db.prepare('SELECT status FROM trades WHERE id=?').get(id) as { status: string }).status, 'open');

  // 2. A viewer's press is refused.
  const [ask2] = await ask(TRADER, `/close ${id}`);
  const [confirm2] = buttonsOf(ask2);
  const vcb = tg.userPresses(CHAT, VIEWER, ask2.message_id, confirm2.callback_data);
  await tg.waitFor(() => tg.callbackAnswers.some((a) => a.callback_query_id === vcb), 10_000);
  assert.match(tg.callbackAnswers.find((a) => a.callback_query_id === vcb)!.text!, /not allowed/);
  assert.equal((app.db.prepare('SELECT status FROM trades WHERE id=?').get(id) as { status: string }).status, 'open');

  // 3. Six presses at once: one closes, five are told it is done.
  const completedBefore = tg.sent.filter((m) => textOf(m).includes('TRADE COMPLETED')).length;
  const presses = Array.from({ length: 6 }, () => tg.userPresses(CHAT, TRADER, ask2.message_id, confirm2.callback_data));
  await tg.waitFor(() => presses.every((p) => tg.callbackAnswers.some((a) => a.callback_query_id === p)), 20_000);
  const notices = presses.map((p) => tg.callbackAnswers.find((a) => a.callback_query_id === p)!.text!);
  assert.equal(notices.filter((n) => /^Closed 1 position/.test(n)).length, 1, notices.join(' | '));
  assert.equal(notices.filter((n) => /Already done/.test(n)).length, 5, notices.join(' | '));
  const row = app.db.prepare('SELECT status, exit_reason FROM trades WHERE id=?').get(id) as { status: string; exit_reason: string };
  assert.deepEqual(row, { status: 'closed', exit_reason: 'MANUAL' });
  await app.outbox.drain(10_000);
  await tg.waitFor(() => ask2.edits.some((e) => /Closed by alice[\s\S]*closed at/.test(visible(e.text ?? ''))), 10_000);
  assert.deepEqual(ask2.edits.at(-1)!.reply_markup?.inline_keyboard ?? [], [], 'buttons removed');
  const completed = tg.sent.filter((m) => textOf(m).includes('TRADE COMPLETED'));
  assert.equal(completed.length - completedBefore, 1, 'one trade-completed message');
  assert.match(visible(textOf(completed.at(-1)!)), /Exit reason: MANUAL/);
});

test('/close can also be confirmed by typing its code (the console has no buttons)', async () => {
  let open = app.db.prepare(`SELECT id FROM trades WHERE status='open' ORDER BY entry_ts`).all() as Array<{ id: string }>;
  if (open.length === 0) {
    assert.equal((await approveProposal(app, await scanUntilProposal(app), 'setup')).ok, true);
    open = app.db.prepare(`SELECT id FROM trades WHERE status='open' ORDER BY entry_ts`).all() as Array<{ id: string }>;
  }
  const id = open[0].id;
  // The proposal and fill pushed just above may still be on their way: the confirmation is the one with buttons.
  const confirmation = (await ask(TRADER, `/close ${id}`)).find((m) => visible(textOf(m)).includes('POSITION(S) AT MARKET?'))!;
  const code = (confirmation.reply_markup.inline_keyboard.flat()[0] as { callback_data: string }).callback_data.split(':')[1];
  assert.match(joined(await ask(TRADER, `/close confirm ${code}`)), /Closed 1 position/);
  assert.equal((app.db.prepare('SELECT status FROM trades WHERE id=?').get(id) as { status: string }).status, 'closed');
  assert.match(joined(await ask(TRADER, `/close confirm ${code}`)), /Already done/);
  await tg.waitFor(() => confirmation.edits.some((e) => visible(e.text ?? '').includes('Closed by alice')), 10_000);
});

test('a /trades list longer than 4096 characters arrives split at line boundaries, complete and in order', async () => {
  // 150 closed trades, written as the engine writes them (the demo would need days to make them).
  const insert = app.db.prepare(
    `INSERT INTO trades (id, symbol, direction, strategy, quantity, entry_price, entry_ts, entry_fee, stop, target, entry_candle_ts, checked_ts, decision_json, status, exit_price, exit_ts, exit_reason, pnl)
     VALUES (?, 'BTC/USDT', 'LONG', 'trend_following', 0.01, 60000, ?, 0.6, 59000, 62000, ?, ?, '{}', 'closed', ?, ?, 'TAKE_PROFIT', ?)`,
  );
  const t0 = Date.UTC(2020, 0, 1);
  app.db.transaction(() => {
    for (let k = 0; k < 150; k++) insert.run(`Tbulk${String(k).padStart(3, '0')}`, t0 + k * 3_600_000, t0 + k * 3_600_000, t0, 60100 + k, t0 + k * 3_600_000 + 1800_000, k % 3 ? 1.5 : -2.25);
  })();
  const replies = await ask(TRADER, '/trades 200');
  assert.ok(replies.length >= 2, `split into ${replies.length} messages`);
  for (const m of replies) {
    assert.equal(m.parse_mode, 'HTML');
    assert.ok(visible(m.text!).length <= 4096, 'each part within Telegram’s limit');
    assert.ok(m.text!.length <= 4096);
  }
  const ids = replies.flatMap((m) => [...visible(m.text!).matchAll(/Tbulk(\d{3})/g)].map((x) => Number(x[1])));
  assert.equal(ids.length, 150, 'every trade listed once');
  assert.equal(new Set(ids).size, 150);
  assert.deepEqual(ids, [...ids].sort((a, b) => b - a), 'newest first, across the parts');
  // Each part ends and starts on whole lines: no line is cut.
  for (const m of replies) for (const line of visible(m.text!).split('\n')) if (line.includes('Tbulk')) assert.match(line, /^✅|^❌/);
});

test('/profit and /stats agree with the closed trades in the database', async () => {
  const rows = app.db.prepare(`SELECT pnl, exit_reason FROM trades WHERE status='closed'`).all() as Array<{ pnl: number; exit_reason: string }>;
  assert.ok(rows.length > 100, 'the bulk trades of the test above are there');
  const gains = rows.filter((r) => r.pnl > 0).reduce((a, r) => a + r.pnl, 0);
  const losses = -rows.filter((r) => r.pnl <= 0).reduce((a, r) => a + r.pnl, 0);
  const profit = joined(await ask(TRADER, '/profit'));
  assert.match(profit, new RegExp(`PROFIT · all closed trades\\n• ${rows.length} trades, ${rows.filter((r) => r.pnl > 0).length} won`));
  assert.match(profit, new RegExp(`Profit factor: ${(gains / losses).toFixed(2)}\\n`));
  const stats = joined(await ask(TRADER, '/stats'));
  const tp = rows.filter((r) => r.exit_reason === 'TAKE_PROFIT');
  assert.match(stats, new RegExp(`• TAKE_PROFIT: ${tp.length} \\(${tp.filter((r) => r.pnl > 0).length} won, ${tp.filter((r) => r.pnl <= 0).length} lost\\)`));
  assert.match(joined(await ask(TRADER, '/profit 0')), /days must be/);
});

test('a second /pause says it was already paused; counted titles use the singular for one', async () => {
  assert.match(joined(await ask(TRADER, '/pause')), /Paused: no new trades/);
  assert.match(joined(await ask(TRADER, '/pause')), /Already paused since earlier/);
  assert.match(joined(await ask(TRADER, '/resume')), /Resumed/);
  assert.match(joined(await ask(TRADER, '/pnl 1')), /PnL · LAST DAY\b/);
  assert.match(joined(await ask(TRADER, '/weekly 1')), /WEEKLY · LAST WEEK\b/);
  assert.match(joined(await ask(TRADER, '/monthly 1')), /MONTHLY · LAST MONTH\b/);
});

test('one "today": /status and /daily show the same PnL for the day', async () => {
  const status = joined(await ask(TRADER, '/status'));
  const daily = joined(await ask(TRADER, '/daily'));
  const s = /Today's PnL: ([+-]?[\d,.]+)/.exec(status);
  const d = /💰 PnL: \S+ ([+-]?[\d,.]+)/.exec(daily);
  assert.ok(s && d, `${status.slice(0, 400)}\n---\n${daily.slice(0, 400)}`);
  assert.equal(s[1], d[1]);
  assert.match(status, /\(demo market clock\)/, 'the demo says whose clock it shows');
});

test('/resume re-arms a tripped kill switch: the peak counts from today, once', async () => {
  const { currentPortfolio, riskState } = await import('../src/trading/live.js');
  const { saveAccountFigures } = await import('../src/store/portfolio.js');
  // The account fell 30% below a peak (the default kill switch is 20%).
  const pf = currentPortfolio(app);
  const equity = pf.cash + Object.values(pf.positions).reduce((a, p) => a + p.dir * ((pf.marks[p.symbol] ?? p.entryPrice) - p.entryPrice) * p.quantity, 0);
  pf.peak = equity / 0.7;
  saveAccountFigures(app.db, 'paper', pf);
  const now = Date.now();
  assert.match(riskState(app, 'BTC/USDT', now, 3_600_000).peakEquity.toFixed(2), new RegExp(`^${(equity / 0.7).toFixed(2)}$`));
  const text = joined(await ask(TRADER, '/resume'));
  assert.match(text, /Resumed/);
  assert.match(text, /Kill switch re-armed: equity \$[\d,.]+ was 30\.0% below its peak/);
  assert.ok(Math.abs(riskState(app, 'BTC/USDT', now, 3_600_000).peakEquity - equity) < 1e-6, 'the peak now counts from the equity of today');
  // Nothing tripped any more: a second /resume says only that it resumed.
  assert.doesNotMatch(joined(await ask(TRADER, '/resume')), /Kill switch/);
});
