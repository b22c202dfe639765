/**
 * One Telegram forum topic per agent (issue #14): real grammy against the Bot API stand-in over
 * HTTP. A forum push chat gets one topic per agent (created once, kept in SQLite, reused after a
 * restart, created again once when an admin deleted it); without the "Manage topics" right the
 * messages go to General with one notice; a chat that is no forum is sent to as before.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { App } from '../src/app/context.js';
import { simpleMessage } from '../src/render/views.js';
import { getProposal } from '../src/trading/proposals.js';
import { scanUntilProposal, startTestApp, telegramBot } from './support/app.js';
import { tempDataDir } from './support/spawn-bot.js';
import { startTelegramStandin, type TelegramStandin } from './support/telegram-standin.js';

const TRADER = { id: 1001, username: 'alice' };
const SYMBOLS = ['BTC/USDT', 'ETH/USDT', 'SOL/USDT'];

type TestApp = App & { shutdown(): Promise<void>; dataDir: string };

async function startBot(tg: TelegramStandin, token: string, chat: number, dataDir = tempDataDir('tc-forum-')): Promise<TestApp> {
  const bot = telegramBot(tg, { token, chat, traders: [TRADER.id] });
  return startTestApp({ env: bot.env, dataDir, adapters: () => [bot.adapter()] });
}

const creations = (tg: TelegramStandin) => tg.calls.filter((c) => c.method === 'createForumTopic');
const textOf = (m: { text?: string; caption?: string }) => m.text ?? m.caption ?? '';
/** A short message about one agent, as the notifier queues them (an agent-specific alert). */
const agentNote = (app: App, symbol: string, text: string) => app.push('alert', { ...simpleMessage('🔔', `${text} ${symbol}`), topic: symbol });
const threadOf = (tg: TelegramStandin, chat: number, symbol: string) => tg.topics(chat).find((t) => t.name === symbol)?.thread;

test('a forum push chat: one topic per agent; a proposal lands in its topic with buttons and is edited there; a restart reuses the topics; a deleted topic is created again once', async () => {
  const token = '900001:FORUM-token';
  const chat = -1009001;
  const tg = await startTelegramStandin({ token });
  tg.setForum(chat);
  const dataDir = tempDataDir('tc-forum-');
  let app = await startBot(tg, token, chat, dataDir);
  try {
    // Two messages per agent: one topic each, named after the agent, created once.
    for (const s of SYMBOLS) agentNote(app, s, 'first');
    for (const s of SYMBOLS) agentNote(app, s, 'second');
    await tg.waitFor(() => tg.sent.filter((m) => /^🔔 second/.test(textOf(m))).length === SYMBOLS.length, 15_000);
    assert.deepEqual(tg.topics(chat).map((t) => t.name).sort(), [...SYMBOLS].sort());
    assert.equal(creations(tg).length, SYMBOLS.length, 'one createForumTopic per agent');
    for (const s of SYMBOLS) {
      const mine = tg.sent.filter((m) => textOf(m).endsWith(s));
      assert.equal(mine.length, 2);
      for (const m of mine) assert.equal(m.message_thread_id, threadOf(tg, chat, s), `${s}'s messages are in ${s}'s topic`);
    }
    // Not about one agent (a summary, a startup line): General, as before.
    app.push('daily_summary', simpleMessage('📅', 'everyone'));
    await tg.waitFor(() => tg.sent.some((m) => textOf(m).includes('everyone')), 10_000);
    assert.equal(tg.sent.find((m) => textOf(m).includes('everyone'))!.message_thread_id, undefined);

    // A proposal: photo with buttons in its agent's topic; approving it edits it there.
    const id = await scanUntilProposal(app);
    const symbol = getProposal(app, id)!.symbol;
    await tg.waitFor(() => tg.sent.some((m) => textOf(m).includes(id) && m.photoBytes && m.reply_markup?.inline_keyboard?.length), 15_000);
    const proposal = tg.sent.find((m) => textOf(m).includes(id) && m.photoBytes)!;
    assert.equal(proposal.message_thread_id, threadOf(tg, chat, symbol), 'the proposal is in its agent\'s topic');
    const approve = (proposal.reply_markup.inline_keyboard.flat() as Array<{ text: string; callback_data: string }>).find((b) => b.text.includes('Approve'))!;
    const cb = tg.userPresses(chat, TRADER, proposal.message_id, approve.callback_data);
    await tg.waitFor(() => tg.callbackAnswers.some((a) => a.callback_query_id === cb), 10_000);
    await tg.waitFor(() => proposal.edits.some((e) => textOf(e).includes('Approved by alice')), 10_000);
    assert.deepEqual(proposal.edits[proposal.edits.length - 1].reply_markup?.inline_keyboard ?? [], [], 'buttons gone after the edit');
    await tg.waitFor(() => tg.sent.some((m) => textOf(m).includes('ORDER FILLED') && textOf(m).includes(id)), 10_000);
    assert.equal(tg.sent.find((m) => textOf(m).includes('ORDER FILLED') && textOf(m).includes(id))!.message_thread_id, threadOf(tg, chat, symbol), 'the fill too');
    assert.equal(creations(tg).length, SYMBOLS.length, 'still one topic per agent');

    // A command typed in a topic is answered in that topic; one typed in General, in General.
    const eth = threadOf(tg, chat, 'ETH/USDT')!;
    const n0 = tg.sent.length;
    tg.userSends(chat, TRADER, '/status', { thread: eth });
    await tg.waitFor(() => tg.sent.slice(n0).some((m) => textOf(m).includes('STATUS')), 10_000);
    assert.equal(tg.sent.slice(n0).find((m) => textOf(m).includes('STATUS'))!.message_thread_id, eth);
    const n1 = tg.sent.length;
    tg.userSends(chat, TRADER, '/status');
    await tg.waitFor(() => tg.sent.slice(n1).some((m) => textOf(m).includes('STATUS')), 10_000);
    assert.equal(tg.sent.slice(n1).find((m) => textOf(m).includes('STATUS'))!.message_thread_id, undefined);

    // A restart: the topics are read back from SQLite; none is created again.
    await app.shutdown();
    app = await startBot(tg, token, chat, dataDir);
    for (const s of SYMBOLS) agentNote(app, s, 'after restart');
    await tg.waitFor(() => tg.sent.filter((m) => /^🔔 after restart/.test(textOf(m))).length === SYMBOLS.length, 15_000);
    assert.equal(creations(tg).length, SYMBOLS.length, 'no createForumTopic after the restart');
    for (const s of SYMBOLS) assert.equal(tg.sent.find((m) => textOf(m) === `🔔 after restart ${s}`)!.message_thread_id, threadOf(tg, chat, s));

    // An admin deletes BTC's topic: the next BTC message creates it once more, and later ones use it.
    const old = threadOf(tg, chat, 'BTC/USDT')!;
    tg.deleteTopic(chat, old);
    const c0 = tg.calls.length;
    agentNote(app, 'BTC/USDT', 'after delete');
    agentNote(app, 'BTC/USDT', 'later');
    await tg.waitFor(() => tg.sent.some((m) => textOf(m) === '🔔 later BTC/USDT'), 15_000);
    const fresh = threadOf(tg, chat, 'BTC/USDT')!;
    assert.notEqual(fresh, old);
    assert.equal(creations(tg).length, SYMBOLS.length + 1, 'created again exactly once');
    for (const text of ['🔔 after delete BTC/USDT', '🔔 later BTC/USDT']) assert.equal(tg.sent.find((m) => textOf(m) === text)!.message_thread_id, fresh);
    const refused = tg.calls.slice(c0).filter((c) => c.method === 'sendMessage' && Number(c.body.message_thread_id) === old);
    assert.deepEqual(refused.map((c) => c.status), [400], 'one send into the deleted topic, refused');
    const row = app.db.prepare(`SELECT thread_id FROM chat_topics WHERE adapter='telegram' AND chat_id=? AND topic='BTC/USDT'`).get(String(chat)) as { thread_id: string };
    assert.equal(row.thread_id, String(fresh), 'the record points at the new topic');
  } finally {
    await app.shutdown();
    await tg.close();
  }
});

test('a forum where the bot may not create topics: everything goes to General, with one notice (not repeated after a restart)', async () => {
  const token = '900002:NORIGHTS-token';
  const chat = -1009002;
  const tg = await startTelegramStandin({ token });
  tg.setForum(chat, { manageTopics: false });
  const dataDir = tempDataDir('tc-forum-');
  let app = await startBot(tg, token, chat, dataDir);
  const notices = () => tg.sent.filter((m) => textOf(m).includes('may not create topics'));
  try {
    for (const s of SYMBOLS) agentNote(app, s, 'note');
    await tg.waitFor(() => tg.sent.filter((m) => /^🔔 note/.test(textOf(m))).length === SYMBOLS.length, 15_000);
    await tg.waitFor(() => notices().length === 1, 10_000);
    for (const m of tg.sent) assert.equal(m.message_thread_id, undefined, 'all in General');
    assert.equal(creations(tg).length, 1, 'asked once, then not again in this run');
    assert.equal(creations(tg)[0].status, 400);
    assert.equal(tg.topics(chat).length, 0);

    await app.shutdown();
    app = await startBot(tg, token, chat, dataDir);
    agentNote(app, 'BTC/USDT', 'again');
    await tg.waitFor(() => tg.sent.some((m) => textOf(m) === '🔔 again BTC/USDT'), 15_000);
    assert.equal(tg.sent.find((m) => textOf(m) === '🔔 again BTC/USDT')!.message_thread_id, undefined);
    assert.ok(await app.outbox.drain(10_000));
    assert.equal(notices().length, 1, 'the notice is said once, not at every start');
  } finally {
    await app.shutdown();
    await tg.close();
  }
});

test('a group that is no forum: agents\' messages are sent as before (no topic, no thread id)', async () => {
  const token = '900003:PLAIN-token';
  const chat = -1009003;
  const tg = await startTelegramStandin({ token });
  const app = await startBot(tg, token, chat);
  try {
    for (const s of SYMBOLS) agentNote(app, s, 'plain');
    await tg.waitFor(() => tg.sent.filter((m) => /^🔔 plain/.test(textOf(m))).length === SYMBOLS.length, 15_000);
    tg.userSends(chat, TRADER, '/status');
    await tg.waitFor(() => tg.sent.some((m) => textOf(m).includes('STATUS')), 10_000);
    assert.equal(creations(tg).length, 0);
    for (const c of tg.calls.filter((x) => x.method === 'sendMessage' || x.method === 'sendPhoto')) assert.equal(c.body.message_thread_id, undefined);
    assert.ok(tg.calls.filter((c) => c.method === 'getChat').length <= 1, 'asked at most once whether it is a forum');
  } finally {
    await app.shutdown();
    await tg.close();
  }
});

test('createForumTopic without an answer: claimed first, so a retry knows; a lost request creates one topic, a lost answer at most one extra (empty) topic', async () => {
  const token = '900004:RESET-token';
  const chat = -1009004;
  const tg = await startTelegramStandin({ token });
  tg.setForum(chat);
  const app = await startBot(tg, token, chat);
  const claimOf = (topic: string) => app.db.prepare(`SELECT thread_id, attempts FROM chat_topics WHERE chat_id=? AND topic=?`).get(String(chat), topic) as { thread_id: string | null; attempts: number } | undefined;
  try {
    // The connection is cut before Telegram handles it: nothing created; the retry creates it once.
    const before = tg.inject({ method: 'createForumTopic', reset: 'before' });
    agentNote(app, 'BTC/USDT', 'cut');
    await tg.waitFor(() => tg.sent.some((m) => textOf(m) === '🔔 cut BTC/USDT'), 15_000);
    assert.equal(before.hits, 1);
    assert.deepEqual(tg.topics(chat).map((t) => t.name), ['BTC/USDT']);
    assert.equal(tg.sent.find((m) => textOf(m) === '🔔 cut BTC/USDT')!.message_thread_id, threadOf(tg, chat, 'BTC/USDT'));
    assert.deepEqual(claimOf('BTC/USDT'), { thread_id: String(threadOf(tg, chat, 'BTC/USDT')), attempts: 0 });

    // Telegram creates it and the answer is lost: the id is unknown, so it is created again.
    const after = tg.inject({ method: 'createForumTopic', reset: 'after' });
    agentNote(app, 'ETH/USDT', 'lost');
    await tg.waitFor(() => tg.sent.some((m) => textOf(m) === '🔔 lost ETH/USDT'), 15_000);
    assert.equal(after.hits, 1);
    const eth = tg.topics(chat).filter((t) => t.name === 'ETH/USDT');
    assert.equal(eth.length, 2, 'one extra topic, never more');
    const used = tg.sent.find((m) => textOf(m) === '🔔 lost ETH/USDT')!.message_thread_id;
    assert.equal(used, eth[1].thread);
    assert.equal(tg.sent.filter((m) => m.message_thread_id === eth[0].thread).length, 0, 'the extra one stays empty');
    assert.equal(claimOf('ETH/USDT')!.thread_id, String(used));
    assert.equal(creations(tg).length, 4);
  } finally {
    await app.shutdown();
    await tg.close();
  }
});
