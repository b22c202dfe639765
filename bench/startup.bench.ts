/**
 * Bot start (issue #17): the real process, from spawn to its first Telegram answer, and its idle
 * RSS, run from the source through tsx (what `npm start` ran before, and `npm run dev` runs now)
 * and from the tsc build with plain node, with V8's defaults and with the flags `npm start` adds
 * (read from package.json), side by side in one run.
 *
 *   node --import tsx bench/startup.bench.ts
 *   RUNS=9 IDLE_MS=5000 node --import tsx bench/startup.bench.ts
 *   BASELINE_DIR=/tmp/tc-before node --import tsx bench/startup.bench.ts   (adds an earlier checkout)
 *
 * Each run: a fresh data folder; the Telegram stand-in (test/support/telegram-standin.ts) already
 * holds a trader's `/status` (the bot does not drop pending updates), the bot is spawned, and the
 * time until the stand-in receives the STATUS answer is "start → first answer". The process's
 * RSS (/proc/<pid>/status) IDLE_MS after that answer is its idle RSS: by then the first scan at
 * start has run (demo market, paper). The last row is the build started with EXCHANGE=binance
 * (paper, against the local binance stand-in): ccxt then loads that one exchange.
 *
 * Runs alternate between the variants, so a load on the shared machine hits both alike. The
 * build is checked first and rebuilt if a source file is newer: this never times a stale build.
 * The `npm start` wrapper itself (npm's own start-up, ~0.2-0.3 s) is not included: it is the same
 * for both and not the bot's.
 * Targets: first answer < 1 s, idle RSS < 120 MiB.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startExchangeStandin, type ExchangeStandin } from '../test/support/exchange-standin.js';
import { REPO, tempDataDir } from '../test/support/spawn-bot.js';
import { startTelegramStandin, type TelegramStandin } from '../test/support/telegram-standin.js';

const RUNS = Number(process.env.RUNS ?? 7);
const IDLE_MS = Number(process.env.IDLE_MS ?? 3000);
const TOKEN = '171717:STARTUP-bench-token';
const CHAT = -1001717;
const TRADER = { id: 1717, username: 'bench' };
const MiB = 1024 * 1024;

interface Variant {
  name: string;
  args: string[];
  cwd?: string;
  env?: (ex: ExchangeStandin) => Record<string, string>;
}
// BASELINE_DIR: another checkout (e.g. `git archive <commit>` unpacked, node_modules linked in)
// started the way its own `npm start` did: its tsc build when it has one (build it first), else
// through tsx. The "before" in the same run.
const BASELINE_DIR = process.env.BASELINE_DIR;
/** What `npm start` runs after `node` (its flags and the build's entry), read from package.json. */
const START_ARGS = (JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')).scripts.start as string).split(/\s+/).slice(1);
const BASELINE_BUILT = BASELINE_DIR !== undefined && fs.existsSync(path.join(BASELINE_DIR, 'build', 'src', 'main.js'));
/** The exchange start: paper on the local binance stand-in, two 1-minute symbols, a first start (empty data folder). */
const exchangeEnv = (ex: ExchangeStandin) => ({ EXCHANGE: 'binance', EXCHANGE_API_URL: ex.baseUrl, TRADECREW_SYMBOLS: 'BTC/USDT,ETH/USDT', TRADECREW_TIMEFRAME: '1m' });
const BASELINE_ARGS = BASELINE_BUILT ? [...START_ARGS] : ['--import', 'tsx', 'src/main.ts'];
const VARIANTS: Variant[] = [
  ...(BASELINE_DIR
    ? [
        { name: `baseline ${path.basename(BASELINE_DIR)}, ${BASELINE_BUILT ? 'its npm start (build)' : 'tsx'}`, args: BASELINE_ARGS, cwd: BASELINE_DIR },
        { name: `baseline ${path.basename(BASELINE_DIR)}, EXCHANGE=binance (paper)`, args: BASELINE_ARGS, cwd: BASELINE_DIR, env: exchangeEnv },
      ]
    : []),
  { name: 'source through tsx (npm run dev)', args: ['--import', 'tsx', 'src/main.ts'] },
  { name: 'tsc build, plain node, V8 defaults', args: ['build/src/main.js'] },
  { name: `npm start: node ${START_ARGS.join(' ')}`, args: START_ARGS },
  { name: 'npm start, EXCHANGE=binance (paper)', args: START_ARGS, env: exchangeEnv },
];

function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

async function until(pred: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** One start: ms to the first answer, RSS IDLE_MS later. */
async function once(v: Variant, tg: TelegramStandin, ex: ExchangeStandin): Promise<{ ms: number; rss: number }> {
  const before = tg.sent.length;
  tg.userSends(CHAT, TRADER, '/status');
  const env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    TRADECREW_DATA_DIR: tempDataDir('tc-startup-'),
    TELEGRAM_BOT_TOKEN: TOKEN,
    TELEGRAM_API_ROOT: tg.apiRoot,
    TELEGRAM_CHAT_ID: String(CHAT),
    TELEGRAM_ALLOWED_USERS: String(TRADER.id),
    ...(v.env?.(ex) ?? {}),
  };
  const t0 = performance.now();
  const child = spawn(process.execPath, v.args, { cwd: v.cwd ?? REPO, env, stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  try {
    await until(() => tg.sent.slice(before).some((m) => /STATUS/.test(m.text ?? '')) || child.exitCode !== null, 60_000, `${v.name}: the /status answer`);
    if (child.exitCode !== null) throw new Error(`${v.name} exited ${child.exitCode}: ${err.slice(-1500)}`);
    const ms = performance.now() - t0;
    await new Promise((r) => setTimeout(r, IDLE_MS));
    const rss = rssOf(child.pid!);
    return { ms, rss };
  } finally {
    const gone = new Promise((r) => child.once('exit', r));
    if (child.exitCode === null) child.kill('SIGTERM');
    await gone;
  }
}

/** The machine's floor: spawn to exit of a node that does nothing (what no change to the bot can beat). */
function floorMs(): number {
  const t0 = performance.now();
  spawnSync(process.execPath, ['-e', '0']);
  return performance.now() - t0;
}

const fmt = (xs: number[], unit: (x: number) => string) => {
  const s = [...xs].sort((a, b) => a - b);
  return `${unit(s[Math.floor(s.length / 2)])} (${unit(s[0])}–${unit(s[s.length - 1])})`;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  // build.sh --check fails without a build and warns (stderr) when a source file is newer.
  const check = spawnSync('bash', ['src/setup/build.sh', '--check'], { cwd: REPO, encoding: 'utf8' });
  if (check.status !== 0 || check.stderr.trim()) {
    console.log(`building first: ${check.stderr.trim()}`);
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: REPO, stdio: 'inherit' });
  }
  const tg = await startTelegramStandin({ token: TOKEN });
  const ex = await startExchangeStandin();
  const res = VARIANTS.map(() => ({ ms: [] as number[], rss: [] as number[] }));
  const floor: number[] = [];
  try {
    // One warm-up start of each (disk cache, tsx's transpile cache), not counted.
    for (const v of VARIANTS) await once(v, tg, ex);
    for (let k = 0; k < RUNS; k++) {
      floor.push(floorMs());
      for (const [i, v] of VARIANTS.entries()) {
        const r = await once(v, tg, ex);
        res[i].ms.push(r.ms);
        res[i].rss.push(r.rss);
      }
    }
  } finally {
    await tg.close();
    await ex.close();
  }
  console.log(`bot start → first Telegram answer (/status), and RSS ${IDLE_MS / 1000} s later; median (min–max) of ${RUNS} runs each`);
  const width = Math.max(...VARIANTS.map((v) => v.name.length));
  for (const [i, v] of VARIANTS.entries()) {
    console.log(`  ${v.name.padEnd(width)}  first answer ${fmt(res[i].ms, (x) => `${Math.round(x)} ms`)} · idle RSS ${fmt(res[i].rss, (x) => `${Math.round(x / MiB)} MiB`)}`);
  }
  console.log(`  ${'floor: node -e 0, spawn to exit'.padEnd(width)}  ${fmt(floor, (x) => `${Math.round(x)} ms`)} (the machine's load shows here)`);
  const tsx = res[VARIANTS.findIndex((v) => v.args.includes('src/main.ts') && !v.cwd)];
  const build = res[VARIANTS.findIndex((v) => v.args[0] === 'build/src/main.js')];
  const start = res[VARIANTS.findIndex((v) => v.args === START_ARGS)];
  if (BASELINE_DIR) {
    const base = res[0];
    console.log(`  npm start vs baseline: ${(median(base.ms) / median(start.ms)).toFixed(2)}× faster to answer, ${((median(base.rss) - median(start.rss)) / MiB).toFixed(0)} MiB less idle RSS (${(median(base.rss) / median(start.rss)).toFixed(2)}×)`);
    const baseEx = res[1];
    const ex = res[res.length - 1];
    console.log(`  with EXCHANGE=binance vs baseline: ${(median(baseEx.ms) / median(ex.ms)).toFixed(2)}× faster to answer (${Math.round(median(baseEx.ms))} → ${Math.round(median(ex.ms))} ms)`);
  }
  console.log(`  npm start's V8 flags vs the defaults: ${((median(build.rss) - median(start.rss)) / MiB).toFixed(0)} MiB less idle RSS, first answer ${(median(start.ms) / median(build.ms)).toFixed(2)}× the time`);
  console.log(
    `  build vs tsx: ${(median(tsx.ms) / median(build.ms)).toFixed(2)}× faster to answer, ${((median(tsx.rss) - median(build.rss)) / MiB).toFixed(0)} MiB less idle RSS (${(median(tsx.rss) / median(build.rss)).toFixed(2)}×)`,
  );
  const ok = (b: boolean) => (b ? 'met' : 'NOT met');
  const withExchange = res[res.length - 1];
  console.log(`  targets (npm start): first answer < 1 s ${ok(median(start.ms) < 1000)}, with an exchange ${ok(median(withExchange.ms) < 1000)}; idle RSS < 120 MiB ${ok(median(start.rss) < 120 * MiB)}`);
}

await main();
