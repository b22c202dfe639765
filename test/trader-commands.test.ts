/**
 * The commands a freqtrade user would miss (issue #14): /logs, /locks and /unlock, /whitelist,
 * /reload_config, /buy and /sell, /cancel; through the real Telegram adapter against the local
 * Bot API stand-in, in a whole bot (startTestApp) whose logger is the real one. Assertions are on
 * what the people in the chat see and on what the database then holds.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { App } from '../src/app/context.js';
import { makeScrubber } from '../src/util/redact.js';
import { secretsOf } from '../src/config/load.js';
import { createLogger } from '../src/util/logger.js';
import { createLogRing } from '../src/util/log-ring.js';
import { startTestApp, telegramBot } from './support/app.js';
import { startTelegramStandin, type StandinMessage } from './support/telegram-standin.js';

const TOKEN = '777333:TRADERCMDS-test-token-abcdefghijklmnopqrstuvwxyz';
const CHAT = 6161;
const TRADER = { id: 3001, username: 'tara' };
const VIEWER = { id: 3002, username: 'vic' };

let tg: Awaited<ReturnType<typeof startTelegramStandin>>;
let app: App & { shutdown(): Promise<void>; dataDir: string };

before(async () => {
  tg = await startTelegramStandin({ token: TOKEN });
  const bot = telegramBot(tg, { token: TOKEN, chat: CHAT, traders: [TRADER.id], viewers: [VIEWER.id] });
  app = await startTestApp({
    env: bot.env,
    adapters: () => [bot.adapter()],
    log: (dataDir, cfg) => createLogger({ dataDir, level: 'info', scrub: makeScrubber(secretsOf(cfg)) }),
  });
});

after(async () => {
  await app.shutdown();
  await tg.close();
});

const textOf = (m: StandinMessage) => m.text ?? m.caption ?? '';
const visible = (html: string) => html.replace(/<[^>]+>/g, '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');

async function ask(from: { id: number; username: string }, text: string): Promise<StandinMessage[]> {
  const before = tg.sent.length;
  tg.userSends(CHAT, from, text);
  await tg.waitFor(() => tg.sent.length > before, 20_000);
  assert.ok(await app.outbox.drain(20_000), 'outbox drained');
  return tg.sent.slice(before);
}
const joined = (ms: StandinMessage[]) => ms.map((m) => visible(textOf(m))).join('\n');
const say = async (from: { id: number; username: string }, text: string) => joined(await ask(from, text));

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
