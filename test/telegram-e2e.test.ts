import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { App } from '../src/app/context.js';
import { signButton } from '../src/chat/buttons.js';
import { getProposal } from '../src/trading/proposals.js';
import { startTestApp, scanUntilProposal, telegramBot } from './support/app.js';
import { startTelegramStandin } from './support/telegram-standin.js';
import { spawnSync } from 'node:child_process';
import { exitWithin, REPO, spawnBot, tempDataDir } from './support/spawn-bot.js';

const TOKEN = '123456:TEST-token-never-logged';
const CHAT = 4242;
const TRADER = { id: 1001, username: 'alice' };
const VIEWER = { id: 1002, username: 'victor' };
const STRANGER = { id: 6666, username: 'mallory' };

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

const texts = () => tg.sent.map((m) => m.text ?? m.caption ?? '');

test('/status from an allowed user gets a reply; the command menu was registered', async () => {
  tg.userSends(CHAT, TRADER, '/status');
  await tg.waitFor(() => texts().some((t) => t.includes('STATUS')), 10_000);
  const status = tg.sent.find((m) => m.text?.includes('STATUS'))!;
  assert.equal(status.parse_mode, 'HTML');
  assert.match(status.text!, /<b>STATUS<\/b>/);
  assert.match(status.text!, /Mode: <b>paper<\/b>/);
  const menu = tg.calls.find((c) => c.method === 'setMyCommands');
  assert.ok(menu, 'setMyCommands called');
  assert.ok(JSON.stringify(menu!.body).includes('approve'));
});

test('a stranger is refused politely, learns nothing, and the refusal is audited', async () => {
  const before = tg.sent.length;
  tg.userSends(CHAT, STRANGER, '/status');
  await tg.waitFor(() => tg.sent.length > before, 10_000);
  const reply = tg.sent[tg.sent.length - 1].text!;
  assert.match(reply, /not allowed to use \/status/);
  assert.match(reply, /6666/);
  assert.doesNotMatch(reply, /Balance|\$/);
  const row = app.db.prepare(`SELECT * FROM audit_log WHERE user_id='6666'`).get() as { allowed: number; action: string };
  assert.equal(row.allowed, 0);
  assert.equal(row.action, '/status');
});

test('proposal: photo + buttons; a viewer and a stranger cannot approve; 10 parallel presses execute once', async () => {
  const id = await scanUntilProposal(app);
  // The buttons are attached in a second request, once the photo is recorded: wait for both.
  await tg.waitFor(() => tg.sent.some((m) => m.caption?.includes(id) && m.photoBytes && m.reply_markup?.inline_keyboard?.length), 15_000);
  const msg = tg.sent.find((m) => (m.caption ?? '').includes(id) && m.photoBytes)!;
  assert.ok(msg.photoBytes! > 10_000, 'the chart image was uploaded');
  const buttons = msg.reply_markup.inline_keyboard.flat() as Array<{ text: string; callback_data: string }>;
  const approveBtn = buttons.find((b) => b.text.includes('Approve'))!;
  assert.ok(buttons.find((b) => b.text.includes('Reject')));

  for (const who of [STRANGER, VIEWER]) {
    const cb = tg.userPresses(CHAT, who, msg.message_id, approveBtn.callback_data);
    await tg.waitFor(() => tg.callbackAnswers.some((a) => a.callback_query_id === cb), 10_000);
    assert.match(tg.callbackAnswers.find((a) => a.callback_query_id === cb)!.text!, /not allowed/);
  }
  assert.equal(getProposal(app, id)!.status, 'pending');

  const presses = Array.from({ length: 10 }, () => tg.userPresses(CHAT, TRADER, msg.message_id, approveBtn.callback_data));
  await tg.waitFor(() => presses.every((p) => tg.callbackAnswers.some((a) => a.callback_query_id === p)), 20_000);
  const trades = app.db.prepare('SELECT COUNT(*) AS n FROM trades WHERE proposal_id=?').get(id) as { n: number };
  assert.equal(trades.n, 1, 'executed exactly once');
  const notices = presses.map((p) => tg.callbackAnswers.find((a) => a.callback_query_id === p)!.text!);
  assert.equal(notices.filter((n) => n.startsWith('Approved')).length, 1);
  assert.equal(notices.filter((n) => /already/.test(n)).length, 9);
  assert.equal(getProposal(app, id)!.status, 'executed');
  // The message is edited: buttons gone, who approved and the fill shown.
  await tg.waitFor(() => msg.edits.some((e) => (e.caption ?? e.text ?? '').includes('Approved by alice')), 10_000);
  // A photo's text is its caption: edited as one, without a failed editMessageText first.
  const failedTextEdits = tg.calls.filter((c) => c.method === 'editMessageText' && Number(c.body?.message_id) === msg.message_id && c.status !== 200);
  assert.deepEqual(failedTextEdits.map((c) => c.status), [], 'no editMessageText tried on the photo');
  const edit = msg.edits[msg.edits.length - 1];
  assert.deepEqual(edit.reply_markup?.inline_keyboard ?? [], []);
  await tg.waitFor(() => texts().some((t) => t.includes('ORDER FILLED') && t.includes(id)), 10_000);
});

test('a forged button (another proposal id) is refused and changes nothing', async () => {
  const before = app.db.prepare('SELECT COUNT(*) AS n FROM trades').get() as { n: number };
  const forged = signButton('not-the-key', 'ap', 'pforged1');
  const cb = tg.userPresses(CHAT, TRADER, 1, forged);
  await tg.waitFor(() => tg.callbackAnswers.some((a) => a.callback_query_id === cb), 10_000);
  assert.match(tg.callbackAnswers.find((a) => a.callback_query_id === cb)!.text!, /not valid/);
  const tampered = 'ap:pother99:' + signButton(app.buttonKey, 'ap', 'preal1').split(':')[2];
  const cb2 = tg.userPresses(CHAT, TRADER, 1, tampered);
  await tg.waitFor(() => tg.callbackAnswers.some((a) => a.callback_query_id === cb2), 10_000);
  assert.match(tg.callbackAnswers.find((a) => a.callback_query_id === cb2)!.text!, /not valid/);
  assert.deepEqual(app.db.prepare('SELECT COUNT(*) AS n FROM trades').get(), before);
});

test('an expired proposal: its button answers with a notice and does nothing', async () => {
  const id = await scanUntilProposal(app);
  // Buttons are attached once the photo is recorded (a second request): wait for them.
  await tg.waitFor(() => tg.sent.some((m) => (m.caption ?? '').includes(id) && m.reply_markup?.inline_keyboard?.length), 15_000);
  const msg = tg.sent.find((m) => (m.caption ?? '').includes(id))!;
  const data = (msg.reply_markup.inline_keyboard.flat() as Array<{ text: string; callback_data: string }>).find((b) => b.text.includes('Approve'))!.callback_data;
  app.db.prepare('UPDATE proposals SET expires_at=? WHERE id=?').run(Date.now() - 1000, id);
  const cb = tg.userPresses(CHAT, TRADER, msg.message_id, data);
  await tg.waitFor(() => tg.callbackAnswers.some((a) => a.callback_query_id === cb), 10_000);
  assert.match(tg.callbackAnswers.find((a) => a.callback_query_id === cb)!.text!, /expired/);
  assert.equal(getProposal(app, id)!.status, 'expired');
  assert.equal((app.db.prepare('SELECT COUNT(*) AS n FROM trades WHERE proposal_id=?').get(id) as { n: number }).n, 0);
  await tg.waitFor(() => msg.edits.some((e) => (e.caption ?? '').includes('Expired')), 10_000);
});

test('the bot token never appears in any message sent', () => {
  for (const c of tg.calls) assert.ok(!JSON.stringify(c.body ?? '').includes(TOKEN));
});

test('the real process with a token and traders but no TELEGRAM_CHAT_ID: says who it is and where it pushes, and proposals reach the trader privately; with neither it refuses to start', async () => {
  const token = '777001:PRIVATE-push-token-never-logged';
  const tg2 = await startTelegramStandin({ token });
  const trader = { id: 3003, username: 'pat' };
  const bot = spawnBot({ TRADECREW_DATA_DIR: tempDataDir(), TELEGRAM_BOT_TOKEN: token, TELEGRAM_API_ROOT: tg2.apiRoot, TELEGRAM_ALLOWED_USERS: String(trader.id), TRADECREW_DEMO__CANDLE_EVERY_SECONDS: '1' });
  try {
    const deadline = Date.now() + 30_000;
    while (!/connected/.test(bot.err()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.match(bot.err(), /tradecrew: telegram @\w+ connected · mode paper · market demo · proposals and reports go to the private chats of 1 trader\(s\) \(3003; no TELEGRAM_CHAT_ID set\)/);
    assert.ok(!bot.err().includes(token) && !bot.out().includes(token), 'the token is never printed');
    // A proposal (photo with buttons) arrives in the trader's private chat.
    await tg2.waitFor(() => tg2.sent.some((m) => String(m.chat_id) === String(trader.id) && /TRADE PROPOSAL/.test(m.caption ?? m.text ?? '')), 60_000);
  } finally {
    bot.child.kill('SIGTERM');
    await exitWithin(bot, 30_000);
    await tg2.close();
  }
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: REPO, env: { ...process.env, TRADECREW_DATA_DIR: tempDataDir(), TELEGRAM_BOT_TOKEN: token }, encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^config error: telegram has nowhere to send proposals and reports: set TELEGRAM_CHAT_ID .* or TELEGRAM_ALLOWED_USERS/);
});
