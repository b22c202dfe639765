/**
 * The outbox against a misbehaving Telegram: a 429 with retry_after, an outage, a restart. The
 * whole bot runs in-process with the real grammy adapter against the local Bot API stand-in;
 * what is asserted is what lands in the chat (once, in order) and when.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { App } from '../src/app/context.js';
import { simpleMessage } from '../src/render/views.js';
import { startTestApp, telegramBot } from './support/app.js';
import { startTelegramStandin } from './support/telegram-standin.js';

const TOKEN = '777000:OUTBOX-test-token';
const CHAT = 6161;
const TRADER = { id: 3001, username: 'olga' };

let tg: Awaited<ReturnType<typeof startTelegramStandin>>;
let app: (App & { shutdown(): Promise<void>; dataDir: string }) | null = null;

const start = (dataDir?: string) => {
  const bot = telegramBot(tg, { token: TOKEN, chat: CHAT, traders: [TRADER.id] });
  return startTestApp({ env: bot.env, dataDir, adapters: () => [bot.adapter()] });
};

before(async () => {
  tg = await startTelegramStandin({ token: TOKEN });
  app = await start();
});

after(async () => {
  await app?.shutdown();
  await tg.close();
});

const texts = () => tg.sent.map((m) => m.text ?? m.caption ?? '');
const count = (needle: string) => texts().filter((t) => t.includes(needle)).length;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('a 429 with retry_after is waited out, and the reply is delivered exactly once', async () => {
  tg.failNext('sendMessage', 1, { status: 429, body: { ok: false, error_code: 429, description: 'Too Many Requests: retry after 1', parameters: { retry_after: 1 } } });
  const t0 = Date.now();
  tg.userSends(CHAT, TRADER, '/balance');
  await tg.waitFor(() => count('BALANCE') > 0, 10_000);
  const waited = Date.now() - t0;
  assert.ok(waited >= 1000, `waited retry_after (1 s) before the retry, took ${waited} ms`);
  assert.ok(waited < 4000, `and not much longer (${waited} ms)`);
  const attempts = tg.calls.filter((c) => c.method === 'sendMessage' && String(c.body.text).includes('BALANCE'));
  assert.equal(attempts.length, 2, 'one refused attempt, one delivery');
  await sleep(300);
  assert.equal(count('BALANCE'), 1, 'delivered once');
  const row = app!.db.prepare(`SELECT status, attempts FROM outbox WHERE kind='reply' ORDER BY id DESC`).get() as { status: string; attempts: number };
  assert.deepEqual(row, { status: 'sent', attempts: 2 });
});

test('messages queued while Telegram is down are delivered when it is back: once each, in order', async () => {
  tg.setDown(true);
  for (let k = 1; k <= 5; k++) app!.push('alert', simpleMessage('📣', `outage message ${k}`));
  await sleep(700);
  assert.equal(count('outage message'), 0, 'nothing got through while down');
  const tried = app!.db.prepare(`SELECT MIN(attempts) AS a, COUNT(*) AS n FROM outbox WHERE status='queued'`).get() as { a: number; n: number };
  assert.equal(tried.n, 5, 'all five still queued');
  const firstTries = (app!.db.prepare(`SELECT attempts FROM outbox WHERE status='queued' ORDER BY id LIMIT 1`).get() as { attempts: number }).attempts;
  assert.ok(firstTries >= 2, `the first one was retried with backoff (${firstTries} attempts)`);
  tg.setDown(false);
  await tg.waitFor(() => count('outage message') === 5, 10_000);
  await sleep(300);
  const seen = texts().filter((t) => t.includes('outage message')).map((t) => Number(/outage message (\d)/.exec(t)![1]));
  assert.deepEqual(seen, [1, 2, 3, 4, 5], 'in order, each once');
});

test('after a restart, what was not yet sent is sent once; what was sent is not sent again', async () => {
  app!.push('alert', simpleMessage('✅', 'sent before the restart'));
  await tg.waitFor(() => count('sent before the restart') === 1, 10_000);
  tg.setDown(true);
  for (let k = 1; k <= 3; k++) app!.push('alert', simpleMessage('🔁', `restart message ${k}`));
  // The first of them has been tried (and failed): they are really stuck in the outbox.
  await tg.waitFor(() => ((app!.db.prepare(`SELECT MAX(attempts) AS a FROM outbox WHERE status='queued'`).get() as { a: number | null }).a ?? 0) >= 1, 10_000);
  assert.equal((app!.db.prepare(`SELECT COUNT(*) AS n FROM outbox WHERE status='queued'`).get() as { n: number }).n, 3);
  const dataDir = app!.dataDir;
  await app!.shutdown(); // the process "dies" with three messages unsent
  app = null;
  tg.setDown(false);
  await sleep(200);
  assert.equal(count('restart message'), 0, 'nothing was sent by the stopped bot');
  app = await start(dataDir);
  await tg.waitFor(() => count('restart message') === 3, 10_000);
  await sleep(400);
  const seen = texts().filter((t) => t.includes('restart message')).map((t) => Number(/restart message (\d)/.exec(t)![1]));
  assert.deepEqual(seen, [1, 2, 3], 'each once, in order');
  assert.equal(count('sent before the restart'), 1, 'the delivered message was not sent again');
  // The restarted bot answers commands as before.
  tg.userSends(CHAT, TRADER, '/status');
  await tg.waitFor(() => count('STATUS') > 0, 10_000);
});
