/**
 * What a trader waits for (issue #17): `/status` from the message to the answer, and a candle's
 * close to its proposal's photo, with the whole bot in this process: the real Telegram adapter
 * (grammY) against the local Bot API stand-in, the demo market, paper trading, the crew voting.
 *
 *   node --import tsx bench/latency.bench.ts      (STATUS_RUNS=60, PROPOSALS=12)
 *
 * - /status: a trader's message is put on the stand-in, which answers the bot's pending
 *   getUpdates at once; the time runs to the stand-in receiving the STATUS answer. One at a time.
 * - close → proposal photo: the demo market closes a candle (refreshCandles), the scan decides on
 *   it (scanAll: features, the crew, the risk gate, the chart), and the time runs to the stand-in
 *   receiving the last proposal photo of that candle (several agents can propose on one close).
 *   Only candles that led to a proposal count; each proposal is then rejected so the next can come.
 * Printed: median, p95 and max. Goals: /status p95 < 50 ms, close → proposal p95 < 300 ms. The
 * baseline in the same run: the same bot's /help (no database read, one fixed message).
 */
import { refreshCandles } from '../src/market/refresh.js';
import { scanAll } from '../src/trading/live.js';
import { pendingProposals, rejectProposal } from '../src/trading/proposals.js';
import { startTestApp, telegramBot } from '../test/support/app.js';
import { startTelegramStandin } from '../test/support/telegram-standin.js';

const STATUS_RUNS = Number(process.env.STATUS_RUNS ?? 60);
const PROPOSALS = Number(process.env.PROPOSALS ?? 12);
const TOKEN = '424242:LATENCY-bench-token';
const CHAT = -1004242;
const TRADER = { id: 4242, username: 'bench' };

const q = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];
const fmt = (xs: number[]) => `median ${q(xs, 0.5).toFixed(1)} ms, p95 ${q(xs, 0.95).toFixed(1)} ms, max ${Math.max(...xs).toFixed(1)} ms (${xs.length})`;

async function until(pred: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setImmediate(r));
  }
}

const tg = await startTelegramStandin({ token: TOKEN });
const bot = telegramBot(tg, { token: TOKEN, chat: CHAT, traders: [TRADER.id] });
const app = await startTestApp({ env: { ...bot.env, TRADECREW_APPROVAL__AUTO_APPROVE: 'false' }, adapters: () => [bot.adapter()] });
try {
  const ask = async (text: string, answer: RegExp): Promise<number> => {
    const before = tg.sent.length;
    const t0 = performance.now();
    tg.userSends(CHAT, TRADER, text);
    await until(() => tg.sent.slice(before).some((m) => answer.test(m.text ?? '')));
    return performance.now() - t0;
  };
  // Warm-up: the first command loads what commands load.
  for (let k = 0; k < 5; k++) {
    await ask('/status', /STATUS/);
    await ask('/help', /\/status/);
  }
  const status: number[] = [];
  const help: number[] = [];
  for (let k = 0; k < STATUS_RUNS; k++) {
    status.push(await ask('/status', /STATUS/));
    help.push(await ask('/help', /\/status/));
  }

  const close: number[] = [];
  let candles = 0;
  while (close.length < PROPOSALS && candles < 3000) {
    const before = tg.sent.length;
    await refreshCandles(app); // the demo market closes one candle
    candles++;
    const t0 = performance.now();
    const out = await scanAll(app);
    const proposals = out.filter((o) => o.action === 'proposal').length;
    if (!proposals) continue;
    const photos = () => tg.sent.slice(before).filter((m) => m.photoBytes && /PROPOSAL/.test(m.caption ?? ''));
    await until(() => photos().length >= proposals);
    const ms = performance.now() - t0;
    if (candles > 1) close.push(ms); // the very first also loads the chart renderer: not a steady state
    // Rejected (as a trader's button would), so each agent can propose again.
    for (const p of pendingProposals(app)) rejectProposal(app, p.id, 'bench');
  }
  console.log(`latency: the bot in this process, Telegram through grammY to the local stand-in, demo market, crew voting`);
  console.log(`  /status → answer:            ${fmt(status)} · goal p95 < 50 ms ${q(status, 0.95) < 50 ? 'met' : 'NOT met'}`);
  console.log(`  /help → answer (baseline):   ${fmt(help)}`);
  console.log(`  candle close → proposal photo: ${fmt(close)} over ${candles} candles · goal p95 < 300 ms ${close.length && q(close, 0.95) < 300 ? 'met' : 'NOT met'}`);
} finally {
  await app.shutdown();
  await tg.close();
}
