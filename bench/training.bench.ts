/**
 * Training throughput: a 365-day run of 8 agents sharing one account on hourly demo data and on
 * 1-minute demo data, the agents alone (trend_following) and with the analyst crew voting on every
 * entry (crew, the live default) as the baseline of the same run. Each run is the real CLI in a
 * child process (so peak RSS is the run's own), on a data folder prepared once per timeframe.
 * Prints medians of 3 runs.
 *
 *   node --import tsx bench/training.bench.ts [--quick]
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const REPO = path.resolve(import.meta.dirname, '..');
const SYMBOLS = 'BTC/USDT,ETH/USDT,SOL/USDT,LTC/USDT,XRP/USDT,BNB/USDT,ADA/USDT,DOT/USDT';
const quick = process.argv.includes('--quick');
const RUNS = quick ? 1 : 3;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function run(dataDir: string, timeframe: string, strategy: string): { wallS: number; runS: number; rssMb: number; candles: number } {
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, '--import', 'tsx', 'src/cli/main.ts', 'train', '--days', '365', '--strategy', strategy], {
    cwd: REPO,
    env: { ...process.env, TRADECREW_DATA_DIR: dataDir, TRADECREW_SYMBOLS: SYMBOLS, TRADECREW_TIMEFRAME: timeframe },
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  const wallS = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`train failed: ${r.stderr.slice(-500)}`);
  const rssKb = Number(r.stderr.trim().split('\n').pop());
  // "training <id>: 365 cycles, 8 agents on one account, 6.5s": the run itself, without node's start.
  const m = /training \S+: (\d+) cycles, \d+ agents on one account, ([\d.]+)s/.exec(r.stdout);
  if (!m) throw new Error(`unexpected output: ${r.stdout.slice(0, 300)}`);
  const candles = timeframe === '1m' ? 365 * 1440 * 8 : 365 * 24 * 8;
  return { wallS, runS: Number(m[2]), rssMb: rssKb / 1024, candles };
}

function prepare(timeframe: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `tc-bench-train-${timeframe}-`));
  const t0 = performance.now();
  // A 1-day run generates (and caches) the whole history the 365-day runs need.
  execFileSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'train', '--days', '365', '--cycle-size', String(24 * 365), '--strategy', 'trend_following', '--json'], {
    cwd: REPO,
    env: { ...process.env, TRADECREW_DATA_DIR: dir, TRADECREW_SYMBOLS: SYMBOLS, TRADECREW_TIMEFRAME: timeframe },
    stdio: 'ignore',
  });
  console.log(`prepared ${timeframe} demo history for 8 symbols in ${((performance.now() - t0) / 1000).toFixed(1)} s (data generation + SQLite import, not part of the figures below)`);
  return dir;
}

for (const tf of ['1h', '1m']) {
  const dir = prepare(tf);
  const by: Record<string, ReturnType<typeof run>[]> = {};
  for (const strategy of ['trend_following', 'crew']) {
    by[strategy] = [];
    for (let k = 0; k < RUNS; k++) by[strategy].push(run(dir, tf, strategy));
    const wall = median(by[strategy].map((r) => r.wallS));
    const runS = median(by[strategy].map((r) => r.runS));
    const rss = median(by[strategy].map((r) => r.rssMb));
    const cps = by[strategy][0].candles / runS;
    console.log(`${tf} 365 days x 8 agents on one account, ${strategy}: run ${runS.toFixed(2)} s, wall ${wall.toFixed(2)} s with node start (medians of ${RUNS})  ${(cps / 1e6).toFixed(2)}M agent-candles/s  peak RSS ${rss.toFixed(0)} MB`);
  }
  const ratio = median(by.crew.map((r) => r.runS)) / median(by.trend_following.map((r) => r.runS));
  console.log(`${tf}: the crew's vote costs ${ratio.toFixed(2)}x the agents alone`);
  fs.rmSync(dir, { recursive: true, force: true });
}
