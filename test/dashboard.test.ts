/**
 * The dashboard (issue #16): Telegram initData sign-in, one-time links from /dashboard, sessions
 * with CSRF, and Approve on the page going through the chat's own path, over real HTTP against a
 * whole bot whose Telegram is the local Bot API stand-in.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import { loadConfig } from '../src/config/load.js';
import { roleOf } from '../src/chat/auth.js';
import { checkInitData, signInitData } from '../src/dashboard/init-data.js';
import { dashboardMenuButton, PAGE_STRINGS, startDashboard, type DashboardServer } from '../src/dashboard/server.js';
import { createTelegramAdapter } from '../src/chat/telegram.js';
import { str } from '../src/render/template.js';
import { createRouter } from '../src/chat/router.js';
import { COMMANDS } from '../commands/index.js';
import { getProposal } from '../src/trading/proposals.js';
import { scanUntilProposal, startTestApp, telegramBot } from './support/app.js';
import { startTelegramStandin, type TelegramStandin } from './support/telegram-standin.js';

const TOKEN = '424242:dashboard-test-token';
const TRADER = { id: 111, username: 'alice' };
const VIEWER = { id: 222, username: 'vera' };
const STRANGER = { id: 333, username: 'mallory' };
const GROUP = -100500;
const NOW = Date.UTC(2026, 0, 10, 12);

const initFor = (user: { id: number; username: string }, authDate: number, token = TOKEN) =>
  signInitData({ auth_date: String(authDate), query_id: 'AAH1', user: JSON.stringify({ id: user.id, first_name: user.username, username: user.username }) }, token);

test('initData: valid, tampered, expired, missing hash, unknown user and viewer', () => {
  const cfg = loadConfig({ env: { TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_ALLOWED_USERS: String(TRADER.id), TELEGRAM_VIEWERS: String(VIEWER.id), TELEGRAM_CHAT_ID: String(GROUP) } });
  const fresh = Math.floor(NOW / 1000) - 60;
  const ok = checkInitData(initFor(TRADER, fresh), TOKEN, 3600, NOW);
  assert.deepEqual(ok, { ok: true, user: { id: '111', name: 'alice' }, authDate: fresh });
  assert.equal(roleOf(cfg, 'telegram', ok.ok ? ok.user.id : ''), 'trader');

  // Tampered: another user id with the first one's hash; a hash made with another bot's token.
  const tampered = initFor(TRADER, fresh).replace(encodeURIComponent('"id":111'), encodeURIComponent('"id":112'));
  assert.notEqual(tampered, initFor(TRADER, fresh));
  assert.deepEqual(checkInitData(tampered, TOKEN, 3600, NOW), { ok: false, why: 'bad_hash' });
  assert.deepEqual(checkInitData(initFor(TRADER, fresh, '1:other-bot'), TOKEN, 3600, NOW), { ok: false, why: 'bad_hash' });
  // An extra field the hash does not cover.
  assert.deepEqual(checkInitData(initFor(TRADER, fresh) + '&start_param=x', TOKEN, 3600, NOW), { ok: false, why: 'bad_hash' });
  // Expired: older than the configured age (the signature is good).
  assert.deepEqual(checkInitData(initFor(TRADER, fresh - 3600), TOKEN, 3600, NOW), { ok: false, why: 'expired' });
  assert.equal(checkInitData(initFor(TRADER, fresh - 3600), TOKEN, 7200, NOW).ok, true);
  // No hash, garbage.
  const noHash = new URLSearchParams(initFor(TRADER, fresh));
  noHash.delete('hash');
  assert.deepEqual(checkInitData(noHash.toString(), TOKEN, 3600, NOW), { ok: false, why: 'missing_hash' });
  assert.deepEqual(checkInitData('', TOKEN, 3600, NOW), { ok: false, why: 'malformed' });
  // A good signature for a user on no list: the check passes, the role is none.
  const stranger = checkInitData(initFor(STRANGER, fresh), TOKEN, 3600, NOW);
  assert.equal(stranger.ok, true);
  assert.equal(roleOf(cfg, 'telegram', stranger.ok ? stranger.user.id : ''), null);
  // A viewer reads only.
  const viewer = checkInitData(initFor(VIEWER, fresh), TOKEN, 3600, NOW);
  assert.equal(roleOf(cfg, 'telegram', viewer.ok ? viewer.user.id : ''), 'viewer');
});

// ---- over HTTP, against a whole bot ----

let tg: TelegramStandin;
let app: Awaited<ReturnType<typeof startTestApp>>;
let dash: DashboardServer;
let base = '';

before(async () => {
  tg = await startTelegramStandin({ token: TOKEN });
  const bot = telegramBot(tg, { token: TOKEN, chat: GROUP, traders: [TRADER.id], viewers: [VIEWER.id] });
  const env = { ...bot.env, TRADECREW_DASHBOARD__PORT: '8099', TRADECREW_DASHBOARD__PUBLIC_URL: 'https://dash.example.test', TRADECREW_APPROVAL__DEMO_TTL_SECONDS: '3600' };
  // As src/main.ts builds it: with the dashboard's menu button.
  const menuWebApp = dashboardMenuButton(loadConfig({ env }));
  app = await startTestApp({ env, adapters: () => [createTelegramAdapter({ token: TOKEN, apiRoot: tg.apiRoot, pushChatId: String(GROUP), pollTimeoutSec: 1, menuWebApp })] });
  // The same router the adapters got (the dashboard calls it as the chat does); port 0: any free one.
  dash = await startDashboard(app, createRouter(app, COMMANDS), { port: 0 });
  base = `http://127.0.0.1:${dash.port}`;
});

after(async () => {
  await dash?.close();
  await app?.shutdown();
  await tg?.close();
});

interface Res {
  status: number;
  body: any;
  headers: Headers;
}
async function call(path: string, o: { cookie?: string; csrf?: string; method?: string; body?: unknown; form?: Record<string, string> } = {}): Promise<Res> {
  const headers: Record<string, string> = {};
  if (o.cookie) headers.cookie = o.cookie;
  if (o.csrf) headers['x-csrf-token'] = o.csrf;
  if (o.body !== undefined) headers['content-type'] = 'application/json';
  if (o.form) headers['content-type'] = 'application/x-www-form-urlencoded';
  const body = o.form ? new URLSearchParams(o.form).toString() : o.body !== undefined ? JSON.stringify(o.body) : undefined;
  const r = await fetch(base + path, { method: o.method ?? (o.form ? 'POST' : 'GET'), headers, body, redirect: 'manual' });
  const text = await r.text();
  let parsed: any = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* html or empty */
  }
  return { status: r.status, body: parsed, headers: r.headers };
}
const cookieOf = (r: Res) => {
  const c = r.headers.get('set-cookie') ?? '';
  return { cookie: c.split(';')[0], raw: c };
};
const refusals = () => app.db.prepare(`SELECT action, detail, user_id FROM audit_log WHERE allowed=0 AND adapter='dashboard' ORDER BY id`).all() as Array<{ action: string; detail: string; user_id: string }>;

/** Sends /dashboard from a chat and returns the bot's answer. */
async function askDashboard(chatId: number, from: { id: number; username: string }) {
  const n = tg.sent.length;
  tg.userSends(chatId, from, '/dashboard');
  await tg.waitFor(() => tg.sent.slice(n).some((m) => m.chat_id === chatId), 15_000);
  return tg.sent.slice(n).find((m) => m.chat_id === chatId)!;
}

async function signInWithLink(from: { id: number; username: string }): Promise<{ cookie: string; csrf: string }> {
  const m = await askDashboard(from.id, from);
  const t = /\/login\?t=([\w-]+)/.exec(m.text ?? '')![1];
  const r = await call('/login', { form: { t } });
  assert.equal(r.status, 303);
  const { cookie } = cookieOf(r);
  const s = await call('/api/session', { cookie });
  return { cookie, csrf: s.body.csrf };
}

test('no session: the API answers 401 and the refusal is audited; the page shell holds no data', async () => {
  const before = refusals().length;
  for (const p of ['/api/overview', '/api/session', '/api/events']) assert.equal((await call(p)).status, 401, p);
  assert.equal((await call('/api/overview', { cookie: 'tc_session=forged-session-id' })).status, 401);
  assert.equal((await call('/api/proposals/p1/approve', { method: 'POST' })).status, 401);
  const after = refusals().slice(before);
  assert.equal(after.length, 5);
  assert.deepEqual(after.map((r) => r.detail), ['no session', 'no session', 'no session', 'session unknown or expired', 'no session']);
  const page = await call('/');
  assert.equal(page.status, 200);
  assert.match(page.body, /lightweight-charts\.js/);
  assert.doesNotMatch(page.body, new RegExp(TOKEN.split(':')[1]));
  assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
  const lib = await fetch(base + '/vendor/lightweight-charts.js');
  assert.equal(lib.status, 200);
  assert.match(await lib.text(), /LightweightCharts/);
});

test('the menu button opens the Mini App (https only, dashboard on); the page has its words in every language', () => {
  const menu = tg.calls.find((c) => c.method === 'setChatMenuButton');
  assert.deepEqual(menu?.body.menu_button, { type: 'web_app', text: 'Dashboard', web_app: { url: 'https://dash.example.test/' } });
  assert.equal(dashboardMenuButton(loadConfig({ env: { TRADECREW_DASHBOARD__PORT: '8099' } })), undefined, 'http: no Mini App');
  assert.equal(dashboardMenuButton(loadConfig({ env: { TRADECREW_DASHBOARD__PUBLIC_URL: 'https://x.example' } })), undefined, 'off: no button');
  for (const lang of ['en', 'es']) for (const k of PAGE_STRINGS) assert.doesNotThrow(() => str(lang, `dash_${k}`), `${lang} dash_${k}`);
  assert.equal(str('es', 'dash_approve'), '✅ Aprobar');
});

test('/dashboard: a group is told to ask in private; in private a one-time link and a Mini App button; the link works once', async () => {
  const inGroup = await askDashboard(GROUP, TRADER);
  assert.match(inGroup.text ?? '', /Sign-in links are personal/);
  assert.doesNotMatch(inGroup.text ?? '', /login\?t=/);

  const m = await askDashboard(TRADER.id, TRADER);
  const link = /(https:\/\/dash\.example\.test\/login\?t=([\w-]+))/.exec(m.text ?? '');
  assert.ok(link, m.text);
  assert.match(m.text ?? '', /works once, for 10 minutes/);
  // The adapter puts the buttons on the last part once it is sent.
  await tg.waitFor(() => (m.reply_markup ?? m.edits.at(-1)?.reply_markup) !== undefined, 10_000);
  assert.deepEqual((m.reply_markup ?? m.edits.at(-1)?.reply_markup)?.inline_keyboard, [[{ text: '🖥️ Open the dashboard', web_app: { url: 'https://dash.example.test/' } }]]);
  // Only the hash is stored.
  const stored = app.db.prepare('SELECT token_hash FROM dashboard_links').all() as Array<{ token_hash: string }>;
  assert.ok(stored.every((r) => r.token_hash !== link[2] && /^[0-9a-f]{64}$/.test(r.token_hash)));

  // Opening the link (a chat's link preview does too) only shows a Sign in button: nothing used.
  const opened = await call(`/login?t=${link[2]}`);
  assert.equal(opened.status, 200);
  assert.match(opened.body, /<form method="post" action="\/login">/);
  assert.equal(opened.headers.get('set-cookie'), null);
  assert.equal((await call(`/login?t=${link[2]}`)).status, 200, 'still good after a preview');
  const first = await call('/login', { form: { t: link[2] } });
  assert.equal(first.status, 303);
  assert.equal(first.headers.get('location'), '/');
  const { cookie, raw } = cookieOf(first);
  assert.match(raw, /HttpOnly/i);
  assert.match(raw, /SameSite=Strict/i);
  assert.match(raw, /Secure/i); // public_url is https
  const s = await call('/api/session', { cookie });
  assert.equal(s.status, 200);
  assert.equal(s.body.role, 'trader');
  assert.equal(s.body.user, 'alice');
  assert.match(s.body.csrf, /^[\w-]{20,}$/);
  // Nothing secret: no token, no button key.
  const everything = JSON.stringify(s.body) + JSON.stringify((await call('/api/overview', { cookie })).body);
  assert.ok(!everything.includes(TOKEN) && !everything.includes(app.buttonKey), 'no secret in the API');

  const again = await call('/login', { form: { t: link[2] } });
  assert.equal(again.status, 401);
  assert.match(again.body, /not valid any more/);
  assert.equal(again.headers.get('set-cookie'), null);
  assert.equal(refusals().at(-1)!.detail, 'sign-in link used');
  assert.equal((await call(`/login?t=${link[2]}`)).status, 401);
  assert.equal(refusals().at(-1)!.detail, 'sign-in link used');
  assert.equal((await call('/login?t=' + 'x'.repeat(32))).status, 401);
  assert.equal(refusals().at(-1)!.detail, 'sign-in link unknown');
  // Expired: past link_ttl_minutes.
  const { insertLink } = await import('../src/store/dashboard.js');
  insertLink(app.db, 'e'.repeat(32), { adapter: 'telegram', userId: String(TRADER.id), userName: 'alice' }, Date.now() - 20 * 60_000, Date.now() - 10 * 60_000);
  assert.equal((await call('/login', { form: { t: 'e'.repeat(32) } })).status, 401);
  assert.equal(refusals().at(-1)!.detail, 'sign-in link expired');
});

test('Mini App sign-in: valid initData opens a session with the role; tampered, expired and strangers are refused and audited', async () => {
  const now = Math.floor(Date.now() / 1000);
  const good = await call('/api/auth/telegram', { method: 'POST', body: { initData: initFor(TRADER, now - 5) } });
  assert.equal(good.status, 200);
  assert.equal(good.body.role, 'trader');
  assert.ok(cookieOf(good).cookie.startsWith('tc_session='));
  const viewer = await call('/api/auth/telegram', { method: 'POST', body: { initData: initFor(VIEWER, now - 5) } });
  assert.equal(viewer.body.role, 'viewer');

  const before = refusals().length;
  const tampered = initFor(TRADER, now - 5).replace('alice', 'alicf');
  assert.equal((await call('/api/auth/telegram', { method: 'POST', body: { initData: tampered } })).status, 401);
  assert.equal((await call('/api/auth/telegram', { method: 'POST', body: { initData: initFor(TRADER, now - 4000) } })).status, 401);
  assert.equal((await call('/api/auth/telegram', { method: 'POST', body: { initData: initFor(STRANGER, now - 5) } })).status, 403);
  assert.equal((await call('/api/auth/telegram', { method: 'POST', body: {} })).status, 401);
  const broken = await fetch(base + '/api/auth/telegram', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"initData":' });
  assert.equal(broken.status, 400);
  const got = refusals().slice(before).map((r) => [r.detail, r.user_id]);
  assert.deepEqual(got.slice(0, 4), [['initData bad_hash', '?'], ['initData expired', '?'], ['unknown user', '333'], ['initData malformed', '?']]);
  assert.equal(got.length, 5);
  assert.match(got[4][0], /^bad request \(/);
});

test('Approve on the page: CSRF needed, a viewer is refused (403, audited), a trader executes it once and every chat copy is edited', async () => {
  const trader = await signInWithLink(TRADER);
  const viewer = await (async () => {
    const r = await call('/api/auth/telegram', { method: 'POST', body: { initData: initFor(VIEWER, Math.floor(Date.now() / 1000)) } });
    const cookie = cookieOf(r).cookie;
    return { cookie, csrf: (await call('/api/session', { cookie })).body.csrf as string };
  })();

  const id = await scanUntilProposal(app);
  // The proposal's message reached the group, with its Approve / Reject buttons.
  await tg.waitFor(() => tg.sent.some((m) => m.chat_id === GROUP && (m.caption ?? m.text ?? '').includes(id) && m.reply_markup?.inline_keyboard?.length), 20_000);
  const copy = tg.sent.find((m) => m.chat_id === GROUP && (m.caption ?? m.text ?? '').includes(id) && m.reply_markup?.inline_keyboard?.length)!;

  // The page sees it, with its candles and the equity curve.
  const o = await call('/api/overview', { cookie: viewer.cookie });
  assert.equal(o.status, 200);
  const p = o.body.pending.find((x: any) => x.id === id);
  assert.ok(p, 'the pending proposal is listed');
  assert.ok(p.candles.length > 10);
  assert.match(p.text, new RegExp(id));
  assert.ok(o.body.equity.points.length >= 2);
  assert.ok(o.body.agents.length >= 1);

  // A live stream sees the approval happen.
  const events: string[] = [];
  const stream = await new Promise<http.IncomingMessage>((resolve, reject) => {
    http.get(`${base}/api/events`, { headers: { cookie: viewer.cookie } }, resolve).on('error', reject);
  });
  assert.equal(stream.statusCode, 200);
  stream.setEncoding('utf8');
  stream.on('data', (d: string) => events.push(d));

  const before = refusals().length;
  // Viewer, even with its own CSRF token: 403.
  const forged = await call(`/api/proposals/${id}/approve`, { method: 'POST', cookie: viewer.cookie, csrf: viewer.csrf });
  assert.equal(forged.status, 403);
  // Trader without or with a wrong CSRF token: 403.
  assert.equal((await call(`/api/proposals/${id}/approve`, { method: 'POST', cookie: trader.cookie })).status, 403);
  assert.equal((await call(`/api/proposals/${id}/approve`, { method: 'POST', cookie: trader.cookie, csrf: viewer.csrf })).status, 403);
  assert.deepEqual(refusals().slice(before).map((r) => [r.action, r.detail, r.user_id]), [
    [`POST /api/proposals/${id}/approve`, 'needs trader (is viewer)', '222'],
    [`POST /api/proposals/${id}/approve`, 'missing or wrong CSRF token', '111'],
    [`POST /api/proposals/${id}/approve`, 'missing or wrong CSRF token', '111'],
  ]);
  assert.equal(getProposal(app, id)!.status, 'pending', 'nothing happened');

  // The trader, properly: executed, once.
  const ok = await call(`/api/proposals/${id}/approve`, { method: 'POST', cookie: trader.cookie, csrf: trader.csrf });
  assert.equal(ok.status, 200);
  assert.match(ok.body.notice, new RegExp(`Approved ✅ executing ${id}`));
  assert.equal(getProposal(app, id)!.status, 'executed');
  assert.equal(getProposal(app, id)!.decided_by, 'alice · dashboard (telegram)');
  const order = app.db.prepare(`SELECT status FROM orders WHERE proposal_id=?`).get(id) as { status: string };
  assert.equal(order.status, 'filled');
  assert.equal((app.db.prepare('SELECT COUNT(*) AS n FROM trades WHERE proposal_id=?').get(id) as { n: number }).n, 1);
  // Audited as the chat's button press is.
  assert.ok(app.db.prepare(`SELECT 1 FROM audit_log WHERE allowed=1 AND adapter='telegram' AND user_id='111' AND action=?`).get(`button ap ${id}`));
  // Pressed again (page or chat): already decided, nothing more.
  const twice = await call(`/api/proposals/${id}/approve`, { method: 'POST', cookie: trader.cookie, csrf: trader.csrf });
  assert.match(twice.body.notice, /already/i);
  assert.equal((app.db.prepare('SELECT COUNT(*) AS n FROM trades WHERE proposal_id=?').get(id) as { n: number }).n, 1);

  // The chat's copy is edited: its buttons gone, the new status shown.
  await tg.waitFor(() => copy.edits.some((e) => !e.reply_markup?.inline_keyboard?.length), 20_000);
  // The open page was told.
  await tg.waitFor(() => events.join('').includes('event: update'), 10_000);
  stream.destroy();
  const after = await call('/api/overview', { cookie: viewer.cookie });
  assert.ok(!after.body.pending.some((x: any) => x.id === id));
  assert.ok(after.body.positions.some((x: any) => x.id === `T${id.slice(1)}`));
});

test('Close on the page runs /close: its confirmation arrives in the trader’s chat and Confirm there closes the position; a viewer is refused', async () => {
  const trader = await signInWithLink(TRADER);
  const viewer = await signInWithLink(VIEWER);
  const open = (await call('/api/overview', { cookie: trader.cookie })).body.positions;
  assert.ok(open.length >= 1, 'a position from the approval above');
  const tradeId = open[0].id as string;
  assert.equal((await call(`/api/positions/${tradeId}/close`, { method: 'POST', cookie: viewer.cookie, csrf: viewer.csrf })).status, 403);
  assert.equal((await call(`/api/positions/${tradeId}/close`, { method: 'POST', cookie: trader.cookie })).status, 403);
  const n = tg.sent.length;
  const r = await call(`/api/positions/${tradeId}/close`, { method: 'POST', cookie: trader.cookie, csrf: trader.csrf });
  assert.equal(r.status, 200);
  assert.match(r.body.notice, /confirm the close there/);
  const markup = (m: (typeof tg.sent)[number]) => m.reply_markup ?? m.edits.at(-1)?.reply_markup;
  const isConfirm = (m: (typeof tg.sent)[number]) => m.chat_id === TRADER.id && /CLOSE 1 POSITION/.test((m.text ?? '').replace(/<[^>]+>/g, ''));
  await tg.waitFor(() => tg.sent.slice(n).some((m) => isConfirm(m) && markup(m)?.inline_keyboard?.length), 15_000);
  const confirm = tg.sent.slice(n).find(isConfirm)!;
  assert.equal((app.db.prepare('SELECT status FROM trades WHERE id=?').get(tradeId) as { status: string }).status, 'open', 'nothing closed before Confirm');
  tg.userPresses(TRADER.id, TRADER, confirm.message_id, markup(confirm).inline_keyboard[0][0].callback_data);
  await tg.waitFor(() => (app.db.prepare('SELECT status FROM trades WHERE id=?').get(tradeId) as { status: string }).status === 'closed', 15_000);
});

test('sign out: the session ends (CSRF needed), and a session whose user left the lists stops working', async () => {
  const s = await signInWithLink(TRADER);
  assert.equal((await call('/api/logout', { method: 'POST', cookie: s.cookie })).status, 403);
  assert.equal((await call('/api/logout', { method: 'POST', cookie: s.cookie, csrf: s.csrf })).status, 200);
  assert.equal((await call('/api/overview', { cookie: s.cookie })).status, 401);

  const v = await signInWithLink(VIEWER);
  assert.equal((await call('/api/overview', { cookie: v.cookie })).status, 200);
  app.cfg.telegram.viewers = [];
  try {
    assert.equal((await call('/api/overview', { cookie: v.cookie })).status, 401);
    assert.match(refusals().at(-1)!.detail, /role changed \(viewer -> none\)/);
  } finally {
    app.cfg.telegram.viewers = [String(VIEWER.id)];
  }
});

test('the real bot process: dashboard.port opens the dashboard, /dashboard in the console gives a link that signs in, and it closes at the end', async () => {
  const { spawnBot, tempDataDir, exitWithin } = await import('./support/spawn-bot.js');
  const net = await import('node:net');
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as import('node:net').AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  const bot = spawnBot({ TRADECREW_DATA_DIR: tempDataDir(), TRADECREW_DASHBOARD__PORT: String(port) });
  try {
    const deadline = Date.now() + 30_000;
    while (!/dashboard on http:\/\/127\.0\.0\.1:\d+\//.test(bot.err()) && Date.now() < deadline && bot.child.exitCode === null) await new Promise((r) => setTimeout(r, 50));
    assert.match(bot.err(), new RegExp(`dashboard on http://127\\.0\\.0\\.1:${port}/`));
    bot.send('/dashboard');
    const [, link, t] = await bot.waitFor(/(http:\/\/127\.0\.0\.1:\d+\/login\?t=([\w-]+))/);
    assert.ok(link.includes(`:${port}/`));
    const signIn = await fetch(`http://127.0.0.1:${port}/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `t=${t}`, redirect: 'manual' });
    assert.equal(signIn.status, 303);
    const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0];
    const o = await fetch(`http://127.0.0.1:${port}/api/overview`, { headers: { cookie } });
    assert.equal(o.status, 200);
    assert.equal(((await o.json()) as { mode: string }).mode, 'paper');
    bot.endInput();
    assert.equal((await exitWithin(bot, 30_000)).code, 0);
    await assert.rejects(fetch(`http://127.0.0.1:${port}/`), 'the port is closed after shutdown');
  } finally {
    if (bot.child.exitCode === null) bot.child.kill('SIGKILL');
  }
});
