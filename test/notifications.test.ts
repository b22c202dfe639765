/**
 * Notification settings, as a trader meets them on Telegram (real grammy against the stand-in):
 * a kind set to silent arrives without a sound (disable_notification on every part), a kind set
 * to off is not sent, alerts cannot be turned off, and the setting survives a restart.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { App } from '../src/app/context.js';
import { simpleMessage } from '../src/render/views.js';
import { scanUntilProposal, startTestApp, telegramBot } from './support/app.js';
import { startTelegramStandin } from './support/telegram-standin.js';

const TOKEN = '123456:TEST-notify-token';
const CHAT = 5151;
const TRADER = { id: 1001, username: 'alice' };

let tg: Awaited<ReturnType<typeof startTelegramStandin>>;
let app: App & { shutdown(): Promise<void>; dataDir: string };
let bot: ReturnType<typeof telegramBot>;

before(async () => {
  tg = await startTelegramStandin({ token: TOKEN });
  bot = telegramBot(tg, { token: TOKEN, chat: CHAT, traders: [TRADER.id] });
  app = await startTestApp({ env: bot.env, adapters: () => [bot.adapter()] });
});
after(async () => {
  await app.shutdown();
  await tg.close();
});

const sends = () => tg.calls.filter((c) => (c.method === 'sendMessage' || c.method === 'sendPhoto') && Number(c.body.chat_id) === CHAT);
/** What the person reads: the HTML's text with its entities decoded. */
const text = (c: { body: { text?: string; caption?: string } }) => (c.body.text ?? c.body.caption ?? '').replace(/<[^>]+>/g, '').replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

async function ask(cmd: string): Promise<string> {
  const before = sends().length;
  tg.userSends(CHAT, TRADER, cmd);
  await tg.waitFor(() => sends().length > before, 10_000);
  return sends().slice(before).map(text).join('\n');
}

test('/notifications shows every kind, sets one, and refuses what makes no sense without changing anything', async () => {
  assert.match(await ask('/notifications'), /NOTIFICATIONS[\s\S]*proposals: 🔔 on[\s\S]*alerts: 🔔 on[\s\S]*training: 🔔 on/);
  assert.match(await ask('/notifications loud on'), /"loud" is not a kind of notification \(one of: proposals, orders, trades, alerts, reports, training\)/);
  assert.match(await ask('/notifications trades loud'), /"loud" is not on, silent or off/);
  assert.match(await ask('/notifications alerts off'), /alerts can be silent, not off/);
  assert.match(await ask('/notifications'), /alerts: 🔔 on/, 'a refused change changed nothing');
  assert.match(await ask('/notifications reports silent'), /daily summary: 🔕 silent \(was 🔔 on\)/);
  assert.match(await ask('/notifications training off'), /training: ⛔ off \(was 🔔 on\)/);
});

test('silent arrives without a sound, off is not sent, and other kinds are untouched', async () => {
  const before = sends().length;
  app.push('daily_summary', simpleMessage('📅', 'summary-marker'));
  app.push('training', simpleMessage('🎓', 'training-marker'));
  app.push('alert', simpleMessage('⚠️', 'alert-marker'));
  await tg.waitFor(() => sends().slice(before).some((c) => text(c).includes('alert-marker')) && sends().slice(before).some((c) => text(c).includes('summary-marker')), 10_000);
  const now = sends().slice(before);
  const summary = now.find((c) => text(c).includes('summary-marker'))!;
  assert.equal(String(summary.body.disable_notification), 'true', 'the silent kind arrives without a sound');
  const alert = now.find((c) => text(c).includes('alert-marker'))!;
  assert.notEqual(String(alert.body.disable_notification), 'true', 'alerts still ring');
  // The alert was queued after the training message: had training been sent, it would be here.
  assert.ok(!now.some((c) => text(c).includes('training-marker')), 'the kind set to off was not sent');
});

test('proposals set to silent: the proposal (photo and any text part) arrives without a sound', async () => {
  await ask('/notifications proposals silent');
  const before = sends().length;
  const id = await scanUntilProposal(app);
  await tg.waitFor(() => sends().slice(before).some((c) => text(c).includes(id)), 20_000);
  const parts = sends().slice(before).filter((c) => text(c).includes(id) || c.method === 'sendPhoto');
  assert.ok(parts.length >= 1);
  // A multipart photo carries it as the string "true", as grammy sends it.
  for (const p of parts) assert.equal(String(p.body.disable_notification), 'true', `${p.method} of the proposal`);
});

test('the settings survive a restart', async () => {
  await app.shutdown();
  app = await startTestApp({ env: bot.env, adapters: () => [bot.adapter()], dataDir: app.dataDir });
  assert.match(await ask('/notifications'), /proposals: 🔕 silent[\s\S]*daily summary: 🔕 silent[\s\S]*training: ⛔ off/);
});
