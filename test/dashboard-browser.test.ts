/**
 * The dashboard in a real headless browser (issue #16): Debian's chromium driven by
 * puppeteer-core (no browser download). A trader signs in with a /dashboard link, sees the
 * equity chart and a pending proposal, approves it on the page: the order is filled in the
 * database and the chat's copy edited. A viewer's page has no Approve button and the API refuses
 * a forged approve. Screenshots (phone and desktop) go to the test's temp folder; with
 * UPDATE_EXAMPLES=1 the desktop one also to templates/examples/dashboard.png for the README.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { COMMANDS } from '../commands/index.js';
import { createRouter } from '../src/chat/router.js';
import { startDashboard } from '../src/dashboard/server.js';
import { refreshCandles } from '../src/market/refresh.js';
import { scanAll } from '../src/trading/live.js';
import { approveProposal, getProposal } from '../src/trading/proposals.js';
import { scanUntilProposal, startTestApp, telegramBot } from './support/app.js';
import { REPO, tempDataDir } from './support/spawn-bot.js';
import { startTelegramStandin } from './support/telegram-standin.js';

function chromiumPath(): string | null {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  for (const name of ['chromium', 'chromium-browser']) {
    try {
      return execFileSync('which', [name], { encoding: 'utf8' }).trim() || null;
    } catch {
      /* not this one */
    }
  }
  return null;
}

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

const CHROMIUM = chromiumPath();
const TOKEN = '515151:browser-test-token';
const TRADER = { id: 111, username: 'alice' };
const VIEWER = { id: 222, username: 'vera' };
const GROUP = -100600;

test('in chromium: sign in with a link, see the equity chart and a proposal, approve it on the page; a viewer cannot', { skip: CHROMIUM ? false : 'chromium is not installed (apt-get install chromium): browser test skipped', timeout: 180_000 }, async () => {
  const { default: puppeteer } = await import('puppeteer-core');
  const shots = tempDataDir('tc-dashboard-shots-');
  const tg = await startTelegramStandin({ token: TOKEN });
  const bot = telegramBot(tg, { token: TOKEN, chat: GROUP, traders: [TRADER.id], viewers: [VIEWER.id] });
  const port = await freePort();
  const app = await startTestApp({ env: { ...bot.env, TRADECREW_DASHBOARD__PORT: String(port), TRADECREW_APPROVAL__DEMO_TTL_SECONDS: '3600' }, adapters: () => [bot.adapter()] });
  const dash = await startDashboard(app, createRouter(app, COMMANDS));
  const browser = await puppeteer.launch({ executablePath: CHROMIUM!, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  try {
    // Some history for the charts: approve what the crew proposes while the demo market runs,
    // until a few trades have closed (bounded).
    const closed = () => (app.db.prepare(`SELECT COUNT(*) AS n FROM trades WHERE status='closed'`).get() as { n: number }).n;
    for (let k = 0; k < 400 && closed() < 4; k++) {
      for (const o of await scanAll(app)) if (o.action === 'proposal' && o.detail) await approveProposal(app, o.detail, 'alice');
      await refreshCandles(app);
    }
    const id = await scanUntilProposal(app);
    await tg.waitFor(() => tg.sent.some((m) => m.chat_id === GROUP && (m.caption ?? m.text ?? '').includes(id) && (m.reply_markup ?? m.edits.at(-1)?.reply_markup)?.inline_keyboard?.length), 20_000);
    const copy = tg.sent.find((m) => m.chat_id === GROUP && (m.caption ?? m.text ?? '').includes(id))!;

    const linkFor = async (who: { id: number; username: string }) => {
      const n = tg.sent.length;
      tg.userSends(who.id, who, '/dashboard');
      await tg.waitFor(() => tg.sent.slice(n).some((m) => m.chat_id === who.id && /login\?t=/.test(m.text ?? '')), 15_000);
      const m = tg.sent.slice(n).find((x) => x.chat_id === who.id && /login\?t=/.test(x.text ?? ''))!;
      return /(http:\/\/\S+\/login\?t=[\w-]+)/.exec(m.text!)![1];
    };
    const errors: string[] = [];

    // The trader, on a phone, in Telegram's dark theme (launch parameters in the #fragment).
    const ctx = await browser.createBrowserContext();
    const page = await ctx.newPage();
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.setViewport({ width: 390, height: 844, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    await page.goto(await linkFor(TRADER));
    await Promise.all([page.waitForNavigation(), page.click('#sign-in')]);
    assert.equal(new URL(page.url()).pathname, '/', 'the token left the address bar');
    await page.waitForSelector('body[data-loaded]', { timeout: 20_000 });
    const theme = { bg_color: '#17212b', text_color: '#f5f5f5', hint_color: '#708499', link_color: '#6ab3f3', button_color: '#5288c1', button_text_color: '#ffffff', secondary_bg_color: '#232e3c' };
    await page.goto('about:blank'); // (a #fragment change alone would not load the page again)
    await page.goto(`${dash.url}/#tgWebAppThemeParams=${encodeURIComponent(JSON.stringify(theme))}`);
    await page.waitForSelector('body[data-loaded]', { timeout: 20_000 });
    await page.waitForSelector('#equity-chart canvas', { timeout: 10_000 });
    assert.ok(Number(await page.$eval('body', (b) => b.dataset.equityPoints)) >= 2, 'the equity curve has points');
    await page.waitForSelector(`.proposal[data-id="${id}"] button.approve`, { timeout: 10_000 });
    assert.equal(await page.$eval('body', (b) => getComputedStyle(b).backgroundColor), 'rgb(23, 33, 43)', 'Telegram theme applied');
    assert.match(await page.$eval('#who', (e) => e.textContent ?? ''), /alice \(trader\)/);
    await page.screenshot({ path: path.join(shots, 'dashboard-phone.png'), fullPage: true });

    // Desktop.
    await page.setViewport({ width: 1280, height: 900, deviceScaleFactor: 1 });
    await page.reload();
    await page.waitForSelector(`.proposal[data-id="${id}"] button.approve`, { timeout: 20_000 });
    await page.waitForSelector(`.proposal[data-id="${id}"] canvas`, { timeout: 10_000 });
    await page.screenshot({ path: path.join(shots, 'dashboard-desktop.png') });
    // The README's picture is refreshed on request only (a test run leaves the checkout clean).
    if (process.env.UPDATE_EXAMPLES === '1') fs.copyFileSync(path.join(shots, 'dashboard-desktop.png'), path.join(REPO, 'templates', 'examples', 'dashboard.png'));

    // A viewer: no Approve button, and a forged approve (with the viewer's own CSRF token) is refused.
    const vctx = await browser.createBrowserContext();
    const vpage = await vctx.newPage();
    await vpage.goto(await linkFor(VIEWER));
    await Promise.all([vpage.waitForNavigation(), vpage.click('#sign-in')]);
    await vpage.waitForSelector(`.proposal[data-id="${id}"]`, { timeout: 20_000 });
    assert.equal(await vpage.$$eval('button.approve, button.reject', (b) => b.length), 0, 'a viewer sees no Approve / Reject');
    assert.match(await vpage.$eval('#who', (e) => e.textContent ?? ''), /vera \(viewer\)/);
    const forged = await vpage.evaluate(async (pid) => {
      const s = await (await fetch('/api/session')).json();
      const r = await fetch(`/api/proposals/${pid}/approve`, { method: 'POST', headers: { 'x-csrf-token': s.csrf } });
      return r.status;
    }, id);
    assert.equal(forged, 403);
    assert.ok(app.db.prepare(`SELECT 1 FROM audit_log WHERE adapter='dashboard' AND allowed=0 AND user_id='222' AND detail='needs trader (is viewer)'`).get());
    assert.equal(getProposal(app, id)!.status, 'pending');

    // The trader approves on the page.
    await page.click(`.proposal[data-id="${id}"] button.approve`);
    await page.waitForFunction(() => /Approved ✅ executing/.test(document.getElementById('toast')?.textContent ?? ''), { timeout: 20_000 });
    assert.equal(getProposal(app, id)!.status, 'executed');
    assert.equal((app.db.prepare('SELECT status FROM orders WHERE proposal_id=?').get(id) as { status: string }).status, 'filled');
    // Both pages update by themselves (server-sent events): the proposal is gone, the position there.
    for (const p of [page, vpage]) await p.waitForFunction((pid) => !document.querySelector(`.proposal[data-id="${pid}"]`) && document.getElementById('positions')!.textContent!.includes('T' + pid.slice(1)), { timeout: 20_000 }, id);
    // The chat's copy is edited (buttons gone).
    await tg.waitFor(() => copy.edits.some((e) => !e.reply_markup?.inline_keyboard?.length), 20_000);
    await page.screenshot({ path: path.join(shots, 'dashboard-desktop-after.png') });
    assert.deepEqual(errors, [], 'no errors in the page');
    process.stdout.write(`# screenshots in ${shots}\n`);
  } finally {
    await browser.close();
    await dash.close();
    await app.shutdown();
    await tg.close();
  }
});
