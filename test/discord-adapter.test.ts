/**
 * The Discord adapter end to end: the real discord.js client logs in over real HTTP and a real
 * WebSocket to the local stand-in (test/support/discord-standin.ts), which plays Discord's
 * REST API and gateway. Assertions are on what a Discord user would see.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { fileURLToPath } from 'node:url';
import { createDiscordAdapter } from '../src/chat/discord.js';
import { PermanentSendError, RetryLaterError, type ChatAdapter, type CommandSpec, type InboundButton, type InboundCommand } from '../src/chat/types.js';
import { plain, type Rich } from '../src/render/rich.js';
import { startDiscordStandin, type DiscordStandin } from './support/discord-standin.js';

const COMMANDS: CommandSpec[] = [
  { name: 'status', description: 'Show balances and open positions', usage: '/status' },
  { name: 'train', description: 'Train the crew for N cycles', usage: '/train <cycles> <symbol>' },
  { name: 'boom', description: 'A command whose handler fails', usage: '/boom' },
  { name: 'secret', description: 'A command the test refuses', usage: '/secret' },
];
const alice = { id: '400000000000000001', username: 'alice' };
// A 1x1 PNG; the stand-in only counts attachments, but the bytes are a real image.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

function assertNoToken(err: unknown, token: string) {
  const e = err as Error;
  for (const text of [e.message, e.stack ?? '', inspect(e, { depth: 5 }), JSON.stringify(e)]) {
    assert.ok(!text.includes(token), `token leaked into error text: ${text.slice(0, 200)}`);
  }
}

describe('discord adapter against a local Discord stand-in', () => {
  let standin: DiscordStandin;
  let adapter: ChatAdapter;
  let chat: string;
  let dir: string;
  let image: string;
  const commands: InboundCommand[] = [];
  const buttons: InboundButton[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'discord-test-'));
    image = join(dir, 'chart.png');
    writeFileSync(image, PNG);
    // Short heartbeats so the test sees them answered without waiting 45 s.
    standin = await startDiscordStandin({ heartbeatIntervalMs: 250 });
    chat = standin.channelIds[0];
    adapter = createDiscordAdapter({
      token: standin.token,
      apiRoot: standin.apiRoot,
      guildId: standin.guildId,
      pushChannelId: standin.channelIds[1],
    });
    await adapter.start(
      {
        async onCommand(c) {
          commands.push(c);
          if (c.command === 'boom') throw new Error('handler exploded');
        },
        async onButton(b) {
          buttons.push(b);
          return `✅ Noted: ${b.data}`;
        },
        isRefusal: (c) => c.command === 'secret',
      },
      COMMANDS,
    );
  });

  after(async () => {
    await adapter?.stop();
    await standin?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('logs in through the gateway with the Guilds intent only and stays connected across heartbeats', async () => {
    assert.equal(standin.gateway.identifies.length, 1);
    assert.equal(standin.gateway.identifies[0].token, standin.token);
    assert.equal(standin.gateway.identifies[0].intents, 1, 'Guilds intent only');
    assert.match(standin.gateway.urls[0], /[?&]v=10\b/);
    assert.match(standin.gateway.urls[0], /[?&]encoding=json\b/);
    assert.equal(adapter.pushChatId, standin.channelIds[1]);
    await standin.waitFor(() => standin.gateway.heartbeats >= 3, 5000);
    // Unanswered heartbeats make discord.js drop the connection and reconnect: it did not.
    assert.equal(standin.gateway.urls.length, 1);
  });

  it('registers one guild slash command per command, each with an optional free-text args option', () => {
    assert.equal(standin.commandsRegistered.length, 1);
    const reg = standin.commandsRegistered[0];
    assert.equal(reg.scope, 'guild');
    assert.equal(reg.guildId, standin.guildId);
    assert.deepEqual(
      reg.commands.map((c) => c.name),
      ['status', 'train', 'boom', 'secret'],
    );
    assert.equal(reg.commands[1].description, 'Train the crew for N cycles');
    for (const c of reg.commands) {
      assert.equal(c.options?.length, 1);
      assert.equal(c.options?.[0].name, 'args');
      assert.equal(c.options?.[0].type, 3);
      assert.equal(c.options?.[0].required, false);
    }
    assert.match(String(reg.commands[1].options?.[0].description), /\/train <cycles> <symbol>/);
  });

  it('turns /train args:"7 BTC/USDT" into a command and answers it in the deferred reply', async () => {
    const iid = standin.slashCommand(chat, alice, 'train', '7  BTC/USDT');
    const cmd = await standin.waitFor(() => commands.find((c) => c.command === 'train'));
    assert.deepEqual(cmd, {
      adapter: 'discord',
      chatId: chat,
      user: { id: alice.id, name: 'alice' },
      command: 'train',
      args: ['7', 'BTC/USDT'],
    });
    // Acknowledged at once with a deferred, public reply (the user sees "thinking...").
    assert.deepEqual(
      standin.interactionReplies.filter((r) => r.interactionId === iid).map((r) => [r.type, r.flags]),
      [[5, 0]],
    );

    // The app's outbox then sends the answer: it lands in the deferred reply, not a new post.
    const id = await adapter.send(chat, { rich: plain('🧠 Training 7 cycles on BTC/USDT') });
    const reply = standin.messages.find((m) => m.interactionId === iid);
    assert.ok(reply);
    assert.equal(reply.id, id);
    assert.equal(reply.content, '🧠 Training 7 cycles on BTC/USDT');
    assert.equal(reply.flags & 64, 0, 'everyone in the channel sees the answer');

    // A second message to the channel is a normal post.
    const before = standin.messages.length;
    const id2 = await adapter.send(chat, { rich: plain('✅ Cycle 1 done') });
    const post = standin.messages[before];
    assert.equal(post.source, 'channel');
    assert.equal(post.id, id2);
    assert.equal(post.content, '✅ Cycle 1 done');
  });

  it('a slash command without args gives an empty args list', async () => {
    standin.slashCommand(chat, alice, 'status');
    const cmd = await standin.waitFor(() => commands.find((c) => c.command === 'status'));
    assert.deepEqual(cmd.args, []);
    await adapter.send(chat, { rich: plain('status ok') }); // completes the deferral
  });

  it('answers two open commands in one channel in order', async () => {
    const first = standin.slashCommand(chat, alice, 'status', 'one');
    await standin.waitFor(() => commands.find((c) => c.args[0] === 'one'));
    const second = standin.slashCommand(chat, alice, 'status', 'two');
    await standin.waitFor(() => commands.find((c) => c.args[0] === 'two'));
    await adapter.send(chat, { rich: plain('answer one') });
    await adapter.send(chat, { rich: plain('answer two') });
    assert.equal(standin.messages.find((m) => m.interactionId === first)?.content, 'answer one');
    assert.equal(standin.messages.find((m) => m.interactionId === second)?.content, 'answer two');
  });

  it('tells the user when a command handler fails', async () => {
    const iid = standin.slashCommand(chat, alice, 'boom');
    const reply = await standin.waitFor(() => standin.messages.find((m) => m.interactionId === iid && m.content));
    assert.match(reply.content, /went wrong/);
    // The failed command's deferral is closed, so the next send is a normal post.
    const before = standin.messages.length;
    await adapter.send(chat, { rich: plain('later') });
    assert.equal(standin.messages[before].source, 'channel');
  });

  it('escapes markdown so market text never turns into formatting, and pings nobody', async () => {
    const rich: Rich = [
      [
        { text: 'PEPE_USDT *moon* ', style: 'plain' },
        { text: 'up > 5%', style: 'bold' },
      ],
      [
        { text: '`rm` [link](x) ~~no~~ @everyone', style: 'plain' },
        { text: 'a`b', style: 'code' },
      ],
    ];
    const before = standin.messages.length;
    await adapter.send(chat, { rich });
    const m = standin.messages[before];
    assert.equal(m.content, 'PEPE\\_USDT \\*moon\\* **up \\> 5%**\n\\`rm\\` \\[link\\]\\(x\\) \\~\\~no\\~\\~ @everyone`aˋb`');
    assert.deepEqual(m.allowedMentions, { parse: [] });
  });

  it('splits a long message between lines, with buttons only on the last chunk', async () => {
    const lines = Array.from({ length: 120 }, (_, i) => `line ${String(i).padStart(3, '0')} ${'x'.repeat(30)}`);
    const before = standin.messages.length;
    const id = await adapter.send(chat, {
      rich: plain(lines.join('\n')),
      buttons: [[{ label: 'More', data: 'more:1', style: 'primary' }]],
    });
    const sent = standin.messages.slice(before);
    assert.equal(sent.length, 3);
    for (const m of sent) assert.ok(m.content.length <= 2000, `chunk of ${m.content.length} chars`);
    assert.deepEqual(sent.map((m) => m.content).join('\n').split('\n'), lines, 'every line arrives whole, in order');
    assert.deepEqual(
      sent.map((m) => m.buttons.length),
      [0, 0, 1],
    );
    assert.equal(id, sent[2].id, 'the returned id is the message with the buttons');
  });

  it('sends a message with a chart as an embed: title, description, fields, colour, the chart as its image', async () => {
    const before = standin.messages.length;
    const rich: Rich = [
      [{ text: '✅ ', style: 'plain' }, { text: 'TRADE COMPLETED', style: 'bold' }],
      [{ text: '🤖 Agent: ', style: 'plain' }, { text: 'BTC_USDT', style: 'bold' }],
      [],
      [{ text: '💰 ', style: 'plain' }, { text: 'RESULTS:', style: 'bold' }],
      [{ text: '• PnL: +12.30 (1.2%)', style: 'plain' }],
      [],
      [{ text: 'a closing note without a heading', style: 'italic' }],
    ];
    await adapter.send(chat, { rich, imagePath: image, card: { kind: 'trade', tone: 'up' } });
    const sent = standin.messages.slice(before);
    assert.equal(sent.length, 1);
    const [m] = sent;
    assert.equal(m.multipart, true);
    assert.deepEqual(m.files, ['chart.png'], 'the chart is uploaded under the name the embed refers to');
    assert.equal(m.content, '', 'no text beside the embed');
    assert.equal(m.embeds.length, 2, 'a block after the fields starts a new embed, so the order holds');
    const [e, tail] = m.embeds;
    assert.equal(e.title, '✅ TRADE COMPLETED');
    assert.equal(e.description, '🤖 Agent: **BTC\\_USDT**', 'markdown, escaped as in plain messages');
    assert.deepEqual(e.fields, [{ name: '💰 RESULTS:', value: '• PnL: +12.30 \\(1.2%\\)' }]);
    assert.deepEqual(e.image, { url: 'attachment://chart.png' });
    assert.equal(e.color, 0x26a69a);
    assert.equal(tail.description, '*a closing note without a heading*');
    assert.equal(tail.image, undefined);
    assert.deepEqual(m.allowedMentions, { parse: [] });
  });

  it('splits a long report over embeds and messages within every Discord limit, every line once and in order', async () => {
    const head: Rich = [[{ text: '📅 DAILY SUMMARY', style: 'bold' }], [{ text: 'PnL +1.00', style: 'plain' }], []];
    // A field too long for one (1024), a description too long for one embed (4096), more than 6000 in all.
    const trades = Array.from({ length: 260 }, (_, i) => [{ text: `T${String(i).padStart(3, '0')} BTC/USDT +1.00 ${'x'.repeat(20)}`, style: 'plain' as const }]);
    const small = Array.from({ length: 30 }, (_, i) => [[{ text: `🤖 `, style: 'plain' as const }, { text: `Agent ${i}:`, style: 'bold' as const }], [{ text: `• ok ${i}`, style: 'plain' as const }], []]).flat();
    const rich: Rich = [...head, [{ text: '🧾 ', style: 'plain' }, { text: 'Trades:', style: 'bold' }], ...trades, [], ...small];
    const before = standin.messages.length;
    const id = await adapter.send(chat, { rich, imagePath: image, card: { kind: 'daily', tone: 'down' }, buttons: [[{ label: 'More', data: 'more:2' }]] });
    const sent = standin.messages.slice(before);
    assert.ok(sent.length >= 2, `more than one message (${sent.length})`);
    for (const m of sent) {
      assert.ok(m.embeds.length <= 10);
      let total = 0;
      for (const e of m.embeds) {
        assert.ok((e.title ?? '').length <= 256 && (e.description ?? '').length <= 4096);
        assert.ok((e.fields ?? []).length <= 25);
        for (const f of e.fields ?? []) assert.ok(f.name.length <= 256 && f.value.length <= 1024 && f.value.length > 0);
        total += (e.title ?? '').length + (e.description ?? '').length + (e.fields ?? []).reduce((a, f) => a + f.name.length + f.value.length, 0);
        assert.equal(e.color, 0xef5350);
      }
      assert.ok(total <= 6000, `${total} characters in one message`);
    }
    assert.deepEqual(sent.map((m) => m.files.length), [1, ...sent.slice(1).map(() => 0)], 'the chart only once');
    assert.deepEqual(sent.map((m) => m.buttons.length), [...sent.slice(1).map(() => 0), 1], 'buttons on the last');
    assert.equal(id, sent.at(-1)!.id);
    const text = sent.flatMap((m) => m.embeds.flatMap((e) => [e.description ?? '', ...(e.fields ?? []).flatMap((f) => [f.name, f.value])])).join('\n');
    const seen = [...text.matchAll(/T(\d{3}) BTC/g)].map((x) => Number(x[1]));
    assert.deepEqual(seen, trades.map((_, i) => i), 'every trade line once, in order');
    const agents = [...text.matchAll(/ok (\d+)/g)].map((x) => Number(x[1]));
    assert.deepEqual(agents, small.filter((_, i) => i % 3 === 0).map((_, i) => i));
  });

  it('the stand-in refuses what Discord refuses: 400, code 50035, the path of the offending field', async () => {
    const post = async (body: unknown) => {
      const res = await fetch(`${standin.apiRoot}/v10/channels/${chat}/messages`, {
        method: 'POST',
        headers: { authorization: `Bot ${standin.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as { code: number; errors?: Record<string, any> } };
    };
    const tooLong = (r: { status: number; body: { code: number } }) => r.status === 400 && r.body.code === 50035;
    let r = await post({ content: 'x'.repeat(2001) });
    assert.ok(tooLong(r) && r.body.errors?.content, JSON.stringify(r));
    r = await post({ embeds: [{ description: 'x'.repeat(4097) }] });
    assert.ok(tooLong(r) && r.body.errors?.embeds?.[0]?.description, JSON.stringify(r));
    r = await post({ embeds: [{ title: 'x'.repeat(257) }] });
    assert.ok(tooLong(r) && r.body.errors?.embeds?.[0]?.title, JSON.stringify(r));
    r = await post({ embeds: [{ fields: [{ name: 'n', value: 'x'.repeat(1025) }] }] });
    assert.ok(tooLong(r) && r.body.errors?.embeds?.[0]?.fields?.[0]?.value, JSON.stringify(r));
    r = await post({ embeds: [{ fields: Array.from({ length: 26 }, () => ({ name: 'n', value: 'v' })) }] });
    assert.ok(tooLong(r) && r.body.errors?.embeds?.[0]?.fields, JSON.stringify(r));
    r = await post({ embeds: [{ description: 'x'.repeat(4000) }, { description: 'y'.repeat(2001) }] });
    assert.ok(tooLong(r) && r.body.errors?.embeds?._errors?.[0]?.code === 'MAX_EMBED_SIZE_EXCEEDED', JSON.stringify(r));
    r = await post({ embeds: Array.from({ length: 11 }, () => ({ description: 'x' })) });
    assert.ok(tooLong(r), JSON.stringify(r));
    r = await post({ content: '' });
    assert.deepEqual([r.status, r.body.code], [400, 50006]);
    // Emoji count once (code points), as on Discord: 2000 of them fit.
    r = await post({ content: '📈'.repeat(2000) });
    assert.equal(r.status, 200);
    // Edits are held to the same limits.
    const id = (r.body as unknown as { id: string }).id;
    const res = await fetch(`${standin.apiRoot}/v10/channels/${chat}/messages/${id}`, {
      method: 'PATCH',
      headers: { authorization: `Bot ${standin.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ embeds: [{ fields: [{ name: '', value: 'v' }] }] }),
    });
    const refused = (await res.json()) as { code: number; errors: Record<string, any> };
    assert.equal(res.status, 400);
    assert.equal(refused.code, 50035);
    assert.equal(refused.errors.embeds[0].fields[0].name._errors[0].code, 'BASE_TYPE_REQUIRED');
  });

  it('a proposal card keeps its buttons; after a press its embed is edited in place, the chart kept', async () => {
    const card = (status: string): Rich => [
      [{ text: '🔔 ', style: 'plain' }, { text: 'TRADE PROPOSAL', style: 'bold' }, { text: ' ', style: 'plain' }, { text: 'p7', style: 'code' }],
      [{ text: '🟢📈 LONG at ~65,000', style: 'plain' }],
      [{ text: status, style: 'plain' }],
    ];
    const id = await adapter.send(chat, {
      rich: card('⏳ waiting'),
      imagePath: image,
      card: { kind: 'proposal', tone: 'up' },
      buttons: [[{ label: 'Approve', data: 'p:7:ap', style: 'success' }, { label: 'Reject', data: 'p:7:rj', style: 'danger' }]],
    });
    const m = standin.messages.find((x) => x.id === id)!;
    assert.deepEqual(m.buttons.map((b) => b.label), ['Approve', 'Reject']);
    assert.equal(m.embeds[0].title, '🔔 TRADE PROPOSAL `p7`');
    assert.match(m.embeds[0].description!, /waiting/);

    await adapter.edit(chat, id, { rich: card('✅ Approved by alice'), buttons: [], card: { kind: 'proposal', tone: 'closed' } });
    const edit = standin.edits.at(-1)!;
    assert.equal(edit.messageId, id);
    assert.ok(!('attachments' in edit.body), 'attachments untouched by the edit');
    assert.deepEqual(m.buttons, [], 'buttons gone');
    assert.equal(m.embeds.length, 1);
    assert.match(m.embeds[0].description!, /Approved by alice/);
    assert.doesNotMatch(m.embeds[0].description!, /waiting/);
    assert.equal(m.embeds[0].color, 0x8a8f9c, 'grey once settled');
    assert.deepEqual(m.embeds[0].image, { url: 'attachment://chart.png' }, 'the chart still shows in the embed');
    assert.deepEqual(m.files, ['chart.png']);
    assert.equal(m.content, '');
  });

  it('a usage error is only for the asker: the public placeholder goes, the answer follows ephemerally', async () => {
    const iid = standin.slashCommand(chat, alice, 'train', 'x');
    await standin.waitFor(() => commands.find((c) => c.command === 'train' && c.args[0] === 'x'));
    assert.deepEqual(standin.interactionReplies.filter((r) => r.interactionId === iid).map((r) => [r.type, r.flags]), [[5, 0]]);
    await adapter.send(chat, { rich: plain('⚠️ cycles must be a whole number\nUsage: /train <cycles> <symbol>'), private: true });
    const answer = standin.messages.find((m) => m.interactionId === iid);
    assert.ok(answer);
    assert.equal(answer.source, 'followup');
    assert.equal(answer.flags, 64, 'ephemeral');
    assert.match(answer.content, /whole number/);
    assert.equal(standin.deletions.filter((d) => d.interactionId === iid).length, 1, 'the public "thinking..." is deleted');
    assert.equal(standin.messages.filter((m) => m.interactionId === iid).length, 1, 'nothing of it left in the channel');
  });

  it('a private answer whose followup fails is retried as a followup, never posted in the channel', async () => {
    const iid = standin.slashCommand(chat, alice, 'train', 'y');
    await standin.waitFor(() => commands.find((c) => c.command === 'train' && c.args[0] === 'y'));
    standin.failNext(/^POST \/webhooks\/\d+\/[^/]+$/, 1, {
      status: 429,
      body: { message: 'You are being rate limited.', retry_after: 0.05, global: false },
      headers: { 'retry-after': '0.05' },
    });
    const msg = { rich: plain('⚠️ cycles must be a whole number'), private: true };
    const first = await adapter.send(chat, msg).catch((e: unknown) => e);
    assert.ok(first instanceof RetryLaterError, String(first));
    const channelBefore = standin.messages.filter((m) => m.source === 'channel').length;
    // What the outbox does: wait as told, send again.
    let wait = first.retryAfterMs;
    for (let tries = 0; ; tries++) {
      await new Promise((r) => setTimeout(r, wait));
      const again = await adapter.send(chat, msg).then(() => null, (e: unknown) => e);
      if (!again) break;
      assert.ok(again instanceof RetryLaterError && tries < 20, String(again));
      wait = again.retryAfterMs;
    }
    const answer = standin.messages.find((m) => m.interactionId === iid);
    assert.ok(answer, 'answered to the asker');
    assert.equal(answer.flags, 64);
    assert.equal(answer.source, 'followup');
    assert.equal(standin.messages.filter((m) => m.source === 'channel').length, channelBefore, 'nothing posted in the channel');
  });

  it('a refusal is deferred ephemerally, answered there, and a push never lands in an ephemeral deferral', async () => {
    const iid = standin.slashCommand(chat, alice, 'secret');
    await standin.waitFor(() => commands.find((c) => c.command === 'secret'));
    assert.deepEqual(standin.interactionReplies.filter((r) => r.interactionId === iid).map((r) => [r.type, r.flags]), [[5, 64]]);
    const before = standin.messages.length;
    const pushId = await adapter.send(chat, { rich: plain('🔔 a push for everyone') });
    const push = standin.messages.find((m) => m.id === pushId)!;
    assert.equal(push.source, 'channel', 'the push is posted, not hidden in the ephemeral reply');
    assert.equal(push.flags, 0);
    await adapter.send(chat, { rich: plain('⛔ not for you'), private: true });
    const answer = standin.messages.find((m) => m.interactionId === iid)!;
    assert.equal(answer.content, '⛔ not for you');
    assert.equal(answer.flags & 64, 64);
    assert.equal(standin.messages.length, before + 1, 'only the push was added to the channel');
  });

  it('delivers a button press to the app and shows the notice only to the presser; edit removes the buttons', async () => {
    const id = await adapter.send(chat, {
      rich: plain('Buy 0.1 BTC/USDT at 65000?'),
      imagePath: image,
      buttons: [
        [
          { label: 'Approve', data: 'p:42:approve', style: 'success' },
          { label: 'Reject', data: 'p:42:reject', style: 'danger' },
          { label: 'Details', data: 'p:42:details' },
        ],
      ],
    });
    const proposal = standin.messages.find((m) => m.id === id);
    assert.ok(proposal);
    assert.deepEqual(proposal.buttons, [
      { customId: 'p:42:approve', label: 'Approve', style: 3 },
      { customId: 'p:42:reject', label: 'Reject', style: 4 },
      { customId: 'p:42:details', label: 'Details', style: 2 },
    ]);

    const iid = standin.pressButton(chat, alice, id, 'p:42:approve');
    const press = await standin.waitFor(() => buttons.find((b) => b.data === 'p:42:approve'));
    assert.deepEqual(press, { adapter: 'discord', chatId: chat, messageId: id, user: { id: alice.id, name: 'alice' }, data: 'p:42:approve' });
    const notice = await standin.waitFor(() => standin.messages.find((m) => m.interactionId === iid && m.content));
    assert.equal(notice.content, '✅ Noted: p:42:approve');
    assert.equal(notice.flags & 64, 64, 'ephemeral: only the presser sees it');

    await adapter.edit(chat, id, { rich: plain('✅ Approved by alice'), buttons: [] });
    assert.equal(proposal.content, '✅ Approved by alice');
    assert.deepEqual(proposal.buttons, []);
    assert.equal(proposal.attachments, 1, 'the chart stays');
    assert.ok(!('attachments' in standin.edits.at(-1)!.body), 'attachments untouched by the edit');
  });

  it('keeps buttons on edit when none are given', async () => {
    const id = await adapter.send(chat, { rich: plain('v1'), buttons: [[{ label: 'Go', data: 'go' }]] });
    await adapter.edit(chat, id, { rich: plain('v2') });
    const m = standin.messages.find((x) => x.id === id)!;
    assert.equal(m.content, 'v2');
    assert.equal(m.buttons.length, 1);
  });

  it('an unknown channel is a permanent error', async () => {
    await assert.rejects(adapter.send('999999999999999999', { rich: plain('hi') }), (err) => {
      assert.ok(err instanceof PermanentSendError, String(err));
      assert.match(err.message, /Unknown Channel/);
      return true;
    });
  });

  it('missing access is a permanent error', async () => {
    standin.failNext(/^POST \/channels\/\d+\/messages$/, 1, { status: 403, body: { message: 'Missing Access', code: 50001 } });
    await assert.rejects(adapter.send(chat, { rich: plain('hi') }), PermanentSendError);
  });

  it('a 429 becomes RetryLaterError with the wait Discord asked for, and the retry then goes through', async () => {
    standin.failNext(/^POST \/channels\/\d+\/messages$/, 1, {
      status: 429,
      body: { message: 'You are being rate limited.', retry_after: 1.5, global: false },
      headers: { 'retry-after': '1.5' },
    });
    const err = await adapter.send(chat, { rich: plain('hi') }).catch((e: unknown) => e);
    assert.ok(err instanceof RetryLaterError, String(err));
    assert.ok(err.retryAfterMs >= 1500 && err.retryAfterMs < 3000, `retryAfterMs ${err.retryAfterMs}`);
    const before = standin.messages.length;
    await adapter.send(chat, { rich: plain('hi again') });
    assert.equal(standin.messages[before]?.content, 'hi again');
  });

  it('a server error after the library retries is a plain (retryable) error', async () => {
    standin.failNext(/^POST \/channels\/\d+\/messages$/, 4, { status: 502, body: { message: 'Bad Gateway', code: 0 } });
    const tries = standin.requests.length;
    const err = await adapter.send(chat, { rich: plain('hi') }).catch((e: unknown) => e);
    // discord.js tried once and retried 3 times by itself before giving up.
    assert.equal(standin.requests.slice(tries).filter((r) => r.startsWith('POST /channels/')).length, 4);
    assert.ok(err instanceof Error);
    assert.ok(!(err instanceof PermanentSendError) && !(err instanceof RetryLaterError), String(err));
    assert.match(err.message, /502/);
  });

  it('never puts the token in an error text, even when the server echoes it', async () => {
    standin.failNext(/^POST \/channels\/\d+\/messages$/, 1, {
      status: 400,
      body: { message: `Invalid Form Body for Bot ${standin.token}`, code: 50035 },
    });
    const err = await adapter.send(chat, { rich: plain('hi') }).catch((e: unknown) => e);
    assert.ok(err instanceof PermanentSendError);
    assertNoToken(err, standin.token);

    standin.failNext(/^GET \/channels\/\d+$/, 4, { status: 500, body: { message: standin.token, code: 0 } });
    const err2 = await adapter.send('123456789012345678', { rich: plain('hi') }).catch((e: unknown) => e);
    assert.ok(err2 instanceof Error);
    assertNoToken(err2, standin.token);
  });

  it('a wrong token fails start() without showing the token', async () => {
    const wrong = 'wrong-token-' + 'z'.repeat(20);
    const bad = createDiscordAdapter({ token: wrong, apiRoot: standin.apiRoot });
    const err = await bad.start({ onCommand: async () => {}, onButton: async () => '' }, COMMANDS).catch((e: unknown) => e);
    assert.ok(err instanceof Error);
    assert.match(err.message, /invalid token/i);
    assertNoToken(err, wrong);
    await bad.stop();
  });
});

describe('discord adapter after a restart', () => {
  it('edits a proposal card it did not send itself: the chart is looked up (and an unreadable message is still edited)', async () => {
    const s = await startDiscordStandin();
    const dir = mkdtempSync(join(tmpdir(), 'discord-restart-'));
    const image = join(dir, 'proposal.png');
    writeFileSync(image, PNG);
    const handlers = { onCommand: async () => {}, onButton: async () => '' };
    const chat = s.channelIds[0];
    const card = (status: string) => ({ rich: [[{ text: 'TRADE PROPOSAL', style: 'bold' as const }], [{ text: status, style: 'plain' as const }]], card: { kind: 'proposal' as const, tone: 'closed' as const }, buttons: [] });
    try {
      const before = createDiscordAdapter({ token: s.token, apiRoot: s.apiRoot });
      await before.start(handlers, COMMANDS);
      const id1 = await before.send(chat, { ...card('waiting'), imagePath: image, buttons: [[{ label: 'Approve', data: 'ap' }]] });
      const id2 = await before.send(chat, { ...card('waiting'), imagePath: image, buttons: [[{ label: 'Approve', data: 'ap' }]] });
      await before.stop();
      // A new process: nothing cached, so the adapter reads the message to find its chart.
      const after = createDiscordAdapter({ token: s.token, apiRoot: s.apiRoot });
      await after.start(handlers, COMMANDS);
      try {
        await after.edit(chat, id1, card('approved'));
        assert.ok(s.requests.includes(`GET /channels/${chat}/messages/${id1}`));
        const m1 = s.messages.find((m) => m.id === id1)!;
        assert.deepEqual(m1.embeds[0].image, { url: 'attachment://chart.png' });
        assert.match(m1.embeds[0].description!, /approved/);
        s.failNext(/^GET \/channels\/\d+\/messages\/\d+$/, 1, { status: 403, body: { message: 'Missing Access', code: 50001 } });
        await after.edit(chat, id2, card('rejected'));
        const m2 = s.messages.find((m) => m.id === id2)!;
        assert.match(m2.embeds[0].description!, /rejected/, 'edited all the same');
        assert.deepEqual(m2.buttons, []);
        assert.equal(m2.embeds[0].image, undefined, 'the chart stays as an attachment');
        assert.deepEqual(m2.files, ['chart.png']);
      } finally {
        await after.stop();
      }
    } finally {
      await s.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('discord adapter lifecycle', () => {
  it('closes a deferred command that the app never answers, then posts normally', async () => {
    const s = await startDiscordStandin();
    const a = createDiscordAdapter({ token: s.token, apiRoot: s.apiRoot, replyWindowMs: 150 });
    try {
      await a.start({ onCommand: async () => {}, onButton: async () => '' }, COMMANDS);
      const iid = s.slashCommand(s.channelIds[0], alice, 'status');
      const placeholder = await s.waitFor(() => s.messages.find((m) => m.interactionId === iid && m.content));
      assert.equal(placeholder.content, '✓');
      const before = s.messages.length;
      await a.send(s.channelIds[0], { rich: plain('a push') });
      assert.equal(s.messages[before].source, 'channel');
      assert.equal(placeholder.content, '✓', 'the closed deferral is not reused');
    } finally {
      await a.stop();
      await s.close();
    }
  });

  it('stop() lets the process exit', async () => {
    const root = fileURLToPath(new URL('..', import.meta.url));
    const script = `
      import { startDiscordStandin } from './test/support/discord-standin.ts';
      import { createDiscordAdapter } from './src/chat/discord.ts';
      const s = await startDiscordStandin({ heartbeatIntervalMs: 100 });
      const a = createDiscordAdapter({ token: s.token, apiRoot: s.apiRoot });
      await a.start({ onCommand: async () => {}, onButton: async () => '' }, [{ name: 'status', description: 'd', usage: '/status' }]);
      s.slashCommand(s.channelIds[0], { id: '1', username: 'u' }, 'status');
      await s.waitFor(() => s.interactionReplies.length === 1);
      await a.stop();
      await s.close();
      console.log('stopped');
    `;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (out += d));
    const code = await new Promise<number | null>((resolve) => {
      const t = setTimeout(() => {
        child.kill('SIGKILL');
        resolve(null);
      }, 20_000);
      child.on('exit', (c) => {
        clearTimeout(t);
        resolve(c);
      });
    });
    assert.equal(code, 0, `child did not exit cleanly: ${out}`);
    assert.match(out, /stopped/);
  });
});
