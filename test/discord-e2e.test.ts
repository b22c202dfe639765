/**
 * The whole bot with BOTH chat adapters at once: discord.js against the local Discord stand-in
 * (REST + WebSocket gateway on loopback, test/support/discord-standin.ts) and grammy against the
 * local Bot API stand-in. A proposal goes to both chats; a press on either platform decides it
 * once, and every copy of the message is edited.
 *
 * Limits of the stand-in, said plainly: it delivers a slash command with the free-text `args`
 * option only, so typed options are checked where they are registered (what Discord receives)
 * and by argsFromOptions (what the adapter does with typed values), not on the wire inbound.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { COMMANDS, commandSpecs } from '../commands/index.js';
import type { App } from '../src/app/context.js';
import { createApp } from '../src/app/create.js';
import { argsFromOptions, createDiscordAdapter } from '../src/chat/discord.js';
import { createRouter } from '../src/chat/router.js';
import { createTelegramAdapter } from '../src/chat/telegram.js';
import { loadConfig } from '../src/config/load.js';
import { backfill } from '../src/market/refresh.js';
import { getProposal } from '../src/trading/proposals.js';
import { silentLogger } from '../src/util/logger.js';
import { scanUntilProposal } from './support/app.js';
import { startDiscordStandin, type DiscordStandin, type SeenMessage } from './support/discord-standin.js';
import { exitWithin, spawnBot, tempDataDir } from './support/spawn-bot.js';
import { startTelegramStandin, type StandinMessage } from './support/telegram-standin.js';

const TG_TOKEN = '424242:E2E-telegram-token';
const TG_CHAT = 7171;
const ALICE = { id: 4001, username: 'alice' };
const BOB = { id: '400000000000000777', username: 'bob' };
const DVIEWER = { id: '400000000000000778', username: 'dora' };
const DSTRANGER = { id: '400000000000000779', username: 'mallory' };

let tg: Awaited<ReturnType<typeof startTelegramStandin>>;
let dc: DiscordStandin;
let app: App;
let pushChannel: string;
let cmdChannel: string;

before(async () => {
  tg = await startTelegramStandin({ token: TG_TOKEN });
  dc = await startDiscordStandin();
  [cmdChannel, pushChannel] = dc.channelIds;
  const cfg = loadConfig({
    env: {
      TRADECREW_DATA_DIR: tempDataDir(),
      TELEGRAM_BOT_TOKEN: TG_TOKEN,
      TELEGRAM_API_ROOT: tg.apiRoot,
      TELEGRAM_CHAT_ID: String(TG_CHAT),
      TELEGRAM_ALLOWED_USERS: String(ALICE.id),
      DISCORD_TOKEN: dc.token,
      DISCORD_CHANNEL_ID: pushChannel,
      DISCORD_GUILD_ID: dc.guildId,
      DISCORD_ALLOWED_USERS: BOB.id,
      DISCORD_VIEWERS: DVIEWER.id,
    },
  });
  const adapters = [
    createTelegramAdapter({ token: TG_TOKEN, apiRoot: tg.apiRoot, pushChatId: String(TG_CHAT), pollTimeoutSec: 1 }),
    createDiscordAdapter({ token: dc.token, apiRoot: dc.apiRoot, pushChannelId: pushChannel, guildId: dc.guildId }),
  ];
  app = createApp(cfg, { adapters, log: silentLogger(), outbox: { backoffBaseMs: 50, pollMs: 50 } });
  await backfill(app);
  const router = createRouter(app, COMMANDS);
  // What main.ts should do too: the specs carry the typed options.
  for (const a of adapters) await a.start(router, commandSpecs(cfg.language));
});

after(async () => {
  await app.outbox.stop();
  for (const a of app.adapters) await a.stop();
  app.db.close();
  await dc.close();
  await tg.close();
});

/** Discord content as a person reads it (markdown escapes removed). */
const seen = (s: string) => s.replace(/\\(.)/g, '$1').replace(/\*\*/g, '');
/** A Discord message as a person reads it: its text and its embeds (title, description, fields). */
const shown = (m: SeenMessage) =>
  seen([m.content, ...m.embeds.flatMap((e) => [e.title ?? '', e.description ?? '', ...(e.fields ?? []).flatMap((f) => [f.name, f.value])])].filter(Boolean).join('\n'));
const hasText = (m: SeenMessage) => !!m.content || m.embeds.length > 0;
const tgText = (m: StandinMessage) => (m.text ?? m.caption ?? '').replace(/<[^>]+>/g, '').replace(/&amp;/g, '&');

async function slash(user: { id: string; username: string }, name: string, args?: string): Promise<string> {
  const iid = dc.slashCommand(cmdChannel, user, name, args);
  const reply = await dc.waitFor(() => dc.messages.find((m) => m.interactionId === iid && hasText(m)), 15_000);
  return shown(reply);
}

test('slash commands are registered with typed options (integers, choices, required first)', () => {
  const reg = dc.commandsRegistered.at(-1)!;
  assert.equal(reg.scope, 'guild');
  assert.equal(reg.commands.length, COMMANDS.length);
  const cmd = (n: string) => reg.commands.find((c) => c.name === n)!;
  assert.deepEqual(cmd('trades').options, [{ type: 4, name: 'n', description: cmd('trades').options![0].description, required: false }]);
  const bt = cmd('backtest').options!;
  assert.deepEqual(bt.map((o) => [o.name, o.type, o.required]), [['symbol', 3, true], ['strategy', 3, false], ['days', 4, false]]);
  assert.deepEqual((bt[1].choices as Array<{ value: string }>).map((c) => c.value), ['trend_following', 'mean_reversion', 'breakout', 'rl_qlearning', 'ensemble', 'trend_participation', 'ml_forest']);
  const set = cmd('set').options!;
  assert.ok((set[0].choices as Array<{ value: string }>).some((c) => c.value === 'max_open_positions'));
  // /train keeps one free-text option (its arguments mix words and numbers).
  assert.deepEqual(cmd('train').options!.map((o) => [o.name, o.type]), [['args', 3]]);
  assert.deepEqual(cmd('status').options, []);
});

test('typed option values become the command args in declared order (optional gaps skipped)', () => {
  const backtest = COMMANDS.find((c) => c.name === 'backtest')!;
  assert.deepEqual(argsFromOptions(backtest.options, [{ name: 'days', value: 30 }, { name: 'symbol', value: 'BTC/USDT' }]), ['BTC/USDT', '30']);
  assert.deepEqual(argsFromOptions(backtest.options, [{ name: 'strategy', value: 'breakout' }, { name: 'symbol', value: 'ETH' }, { name: 'days', value: 7 }]), ['ETH', 'breakout', '7']);
  const set = COMMANDS.find((c) => c.name === 'set')!;
  assert.deepEqual(argsFromOptions(set.options, [{ name: 'value', value: '2%' }, { name: 'key', value: 'risk_per_trade' }]), ['risk_per_trade', '2%']);
  assert.deepEqual(argsFromOptions(undefined, [{ name: 'args', value: '7  BTC/USDT ' }]), ['7', 'BTC/USDT']);
});

test('a slash command answers in the channel; a wrong argument gets the usage; roles hold', async () => {
  assert.match(await slash(BOB, 'status'), /STATUS[\s\S]*Mode: paper/);
  // A usage error is only for the asker: the public "thinking..." goes, the answer is ephemeral.
  const usageIid = dc.slashCommand(cmdChannel, BOB, 'trades', 'abc');
  const usage = await dc.waitFor(() => dc.messages.find((m) => m.interactionId === usageIid && hasText(m)), 15_000);
  assert.match(shown(usage), /n must be a whole number[\s\S]*Usage: \/trades \[n\]/);
  assert.equal(usage.flags & 64, 64, 'the usage error is ephemeral');
  assert.equal(usage.source, 'followup');
  assert.ok(dc.deletions.some((x) => x.interactionId === usageIid), 'the public placeholder was deleted');
  const iid = dc.slashCommand(cmdChannel, BOB, 'agent', 'ETH');
  const reply = await dc.waitFor(() => dc.messages.find((m) => m.interactionId === iid && hasText(m)), 15_000);
  assert.match(shown(reply), /AGENT ETH\/USDT[\s\S]*Training record/);
  assert.ok(reply.attachments >= 1 && reply.multipart, 'the agent chart is attached');
  assert.deepEqual(reply.embeds[0].image, { url: 'attachment://chart.png' }, 'shown as the embed image');
  assert.deepEqual(reply.files, ['chart.png']);
  assert.match(await slash(DVIEWER, 'balance'), /BALANCE/);
  assert.match(await slash(DVIEWER, 'close', 'all'), /needs the trader role/);
  const refusal = await slash(DSTRANGER, 'balance');
  assert.match(refusal, /not allowed to use \/balance/);
  assert.doesNotMatch(refusal, /\$/);
  // Refusals are ephemeral: only the asker sees them (and the stranger's id), not the channel.
  const ephemeral = (iid: string) => dc.messages.filter((m) => m.interactionId === iid && hasText(m)).every((m) => (m.flags & 64) === 64);
  const strangerIid = dc.slashCommand(cmdChannel, DSTRANGER, 'approve', 'p1');
  await dc.waitFor(() => dc.messages.find((m) => m.interactionId === strangerIid && hasText(m)), 15_000);
  assert.ok(ephemeral(strangerIid), 'a stranger\'s refusal is ephemeral');
  const viewerIid = dc.slashCommand(cmdChannel, DVIEWER, 'close', 'all');
  await dc.waitFor(() => dc.messages.find((m) => m.interactionId === viewerIid && hasText(m)), 15_000);
  assert.ok(ephemeral(viewerIid), 'a viewer\'s refusal is ephemeral');
  const okIid = dc.slashCommand(cmdChannel, BOB, 'status');
  await dc.waitFor(() => dc.messages.find((m) => m.interactionId === okIid && hasText(m)), 15_000);
  assert.ok(!ephemeral(okIid), 'an answer is public');
});

/** The proposal's message in each chat, once both have it. */
async function proposalCopies(id: string): Promise<{ d: SeenMessage; t: StandinMessage }> {
  await app.outbox.drain(15_000);
  const d = await dc.waitFor(() => dc.messages.find((m) => m.channelId === pushChannel && shown(m).includes(id) && m.buttons.length === 2), 15_000);
  await tg.waitFor(() => tg.sent.some((m) => (m.caption ?? m.text ?? '').includes(id) && m.reply_markup?.inline_keyboard?.length), 15_000);
  const t = tg.sent.find((m) => (m.caption ?? m.text ?? '').includes(id) && m.reply_markup?.inline_keyboard?.length)!;
  return { d, t };
}

test('a proposal reaches Telegram and Discord with buttons; presses on both execute once; both copies are edited', async () => {
  const id = await scanUntilProposal(app);
  const { d, t } = await proposalCopies(id);
  assert.ok(d.attachments >= 1, 'chart attached on Discord');
  // An embed: the header as its title, the chart as its image, coloured by direction.
  assert.equal(d.content, '');
  assert.match(d.embeds[0].title ?? '', new RegExp(`TRADE PROPOSAL \`${id}\``));
  assert.deepEqual(d.embeds[0].image, { url: 'attachment://chart.png' });
  assert.ok(d.embeds[0].color === 0x26a69a || d.embeds[0].color === 0xef5350, String(d.embeds[0].color));
  assert.ok((t.photoBytes ?? 0) > 5_000, 'chart attached on Telegram');
  assert.deepEqual(d.buttons.map((b) => [b.label, b.style]), [['✅ Approve', 3], ['❌ Reject', 4]]);
  const approveD = d.buttons[0].customId;
  const approveT = (t.reply_markup.inline_keyboard.flat() as Array<{ text: string; callback_data: string }>).find((b) => b.text.includes('Approve'))!.callback_data;

  // A Discord viewer's press changes nothing.
  const vp = dc.pressButton(pushChannel, DVIEWER, d.id, approveD);
  const vnotice = await dc.waitFor(() => dc.messages.find((m) => m.interactionId === vp && m.content), 10_000);
  assert.match(vnotice.content, /not allowed/);
  assert.equal(vnotice.flags & 64, 64, 'the notice is ephemeral');
  assert.equal(getProposal(app, id)!.status, 'pending');

  // Bob presses 4 times on Discord while Alice presses 4 times on Telegram.
  const dPresses = Array.from({ length: 4 }, () => dc.pressButton(pushChannel, BOB, d.id, approveD));
  const tPresses = Array.from({ length: 4 }, () => tg.userPresses(TG_CHAT, ALICE, t.message_id, approveT));
  const dNotices = await Promise.all(dPresses.map((iid) => dc.waitFor(() => dc.messages.find((m) => m.interactionId === iid && m.content)?.content, 20_000)));
  await tg.waitFor(() => tPresses.every((p) => tg.callbackAnswers.some((a) => a.callback_query_id === p)), 20_000);
  const tNotices = tPresses.map((p) => tg.callbackAnswers.find((a) => a.callback_query_id === p)!.text!);
  const all = [...dNotices.map(seen), ...tNotices];
  assert.equal(all.filter((n) => n.startsWith('Approved ✅')).length, 1, all.join(' | '));
  assert.equal(all.filter((n) => /already/.test(n)).length, 7, all.join(' | '));
  const trades = app.db.prepare('SELECT COUNT(*) AS n FROM trades WHERE proposal_id=?').get(id) as { n: number };
  assert.equal(trades.n, 1, 'executed exactly once');
  const p = getProposal(app, id)!;
  assert.equal(p.status, 'executed');

  // Every copy now says who approved and the fill, without buttons.
  await app.outbox.drain(15_000);
  const who = p.decided_by!; // "bob (discord)" or "alice (telegram)", whoever won
  await dc.waitFor(() => shown(dc.messages.find((m) => m.id === d.id)!).includes(`Approved by ${who}`), 10_000);
  const edited = dc.messages.find((m) => m.id === d.id)!;
  assert.deepEqual(edited.buttons, []);
  assert.equal(edited.embeds[0].color, 0x8a8f9c, 'the edited embed is grey: settled');
  assert.deepEqual(edited.embeds[0].image, { url: 'attachment://chart.png' }, 'the chart still shows');
  await tg.waitFor(() => t.edits.some((e) => tgText({ ...t, caption: e.caption, text: e.text }).includes(`Approved by ${who}`)), 10_000);
  assert.deepEqual(t.edits.at(-1)!.reply_markup?.inline_keyboard ?? [], []);
  // And both chats got the fill report.
  await dc.waitFor(() => dc.messages.some((m) => m.channelId === pushChannel && shown(m).includes('ORDER FILLED') && shown(m).includes(id)), 10_000);
  await tg.waitFor(() => tg.sent.some((m) => tgText(m).includes('ORDER FILLED') && tgText(m).includes(id)), 10_000);
});

test('rejected on Telegram: the Discord copy is edited too, and its button then does nothing', async () => {
  const id = await scanUntilProposal(app);
  const { d, t } = await proposalCopies(id);
  const approveD = d.buttons[0].customId;
  const rejectT = (t.reply_markup.inline_keyboard.flat() as Array<{ text: string; callback_data: string }>).find((b) => b.text.includes('Reject'))!.callback_data;
  const cb = tg.userPresses(TG_CHAT, ALICE, t.message_id, rejectT);
  await tg.waitFor(() => tg.callbackAnswers.some((a) => a.callback_query_id === cb), 10_000);
  assert.match(tg.callbackAnswers.find((a) => a.callback_query_id === cb)!.text!, /Rejected/);
  await app.outbox.drain(15_000);
  await dc.waitFor(() => shown(dc.messages.find((m) => m.id === d.id)!).includes('Rejected by alice (telegram)'), 10_000);
  assert.deepEqual(dc.messages.find((m) => m.id === d.id)!.buttons, []);
  // A stale Discord button (e.g. an old client still showing it) is answered and ignored.
  const late = dc.pressButton(pushChannel, BOB, d.id, approveD);
  const notice = await dc.waitFor(() => dc.messages.find((m) => m.interactionId === late && m.content), 10_000);
  assert.match(seen(notice.content), /already rejected/);
  assert.equal((app.db.prepare('SELECT COUNT(*) AS n FROM trades WHERE proposal_id=?').get(id) as { n: number }).n, 0);
});

test('the daily summary is pushed to every push chat with its equity chart', async () => {
  const { pushDailySummary } = await import('../src/reports/daily.js');
  const dBefore = dc.messages.length;
  const tBefore = tg.sent.length;
  await pushDailySummary(app);
  await app.outbox.drain(15_000);
  const d = await dc.waitFor(() => dc.messages.slice(dBefore).find((m) => m.channelId === pushChannel && shown(m).includes('DAILY SUMMARY')), 10_000);
  assert.ok(d.attachments >= 1, 'equity chart attached on Discord');
  assert.deepEqual(d.embeds[0].image, { url: 'attachment://chart.png' }, 'the equity chart is the embed image');
  assert.deepEqual(d.embeds[0].fields?.map((f) => f.name).slice(0, 2), ['🧾 Trades:', '📂 Open positions (1):'], 'its sections are fields');
  // The position opened by the approval above, and every agent's standing.
  assert.match(shown(d), /Open positions \(1\)[\s\S]*Agents:[\s\S]*BTC\/USDT[\s\S]*ETH\/USDT[\s\S]*SOL\/USDT/);
  const t = tg.sent.slice(tBefore);
  assert.ok((t[0].photoBytes ?? 0) > 5_000 && tgText(t[0]).includes('DAILY SUMMARY'), 'photo first on Telegram');
  assert.match(t.map(tgText).join('\n'), /Open positions \(1\)/);
});

test('npm start points discord.js at DISCORD_API_ROOT: the real process connects to the stand-in, says so, and answers a slash command', async () => {
  const dc2 = await startDiscordStandin();
  const [cmd2, push2] = dc2.channelIds;
  const bot = spawnBot({ TRADECREW_DATA_DIR: tempDataDir(), DISCORD_TOKEN: dc2.token, DISCORD_API_ROOT: dc2.apiRoot, DISCORD_CHANNEL_ID: push2, DISCORD_GUILD_ID: dc2.guildId, DISCORD_ALLOWED_USERS: BOB.id });
  try {
    const deadline = Date.now() + 30_000;
    while (!/discord .* connected/.test(bot.err()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    assert.match(bot.err(), /tradecrew: discord \S+ connected · mode paper · market demo · proposals and reports go to channel \d+/);
    const iid = dc2.slashCommand(cmd2, BOB, 'status');
    const reply = await dc2.waitFor(() => dc2.messages.find((m) => m.interactionId === iid && m.content), 20_000);
    assert.match(seen(reply.content), /STATUS[\s\S]*Mode: paper/);
    assert.ok(!bot.err().includes(dc2.token) && !bot.out().includes(dc2.token), 'the token is never printed');
  } finally {
    bot.child.kill('SIGTERM');
    await exitWithin(bot, 30_000);
    await dc2.close();
  }
});
