/**
 * Walk-forward training in-process vs BullMQ workers (1, 2, 4 processes) on a real Redis.
 *
 * Fixed size: BTC/USD and ETH/USD hourly (../shared/data/market), the 200 days before the end of
 * each series, a refit every 10 days on the 90 days before it: 40 refits of 36 configurations
 * each (1,440 backtests over ~2,400 candles). Prints the median wall time of BENCH_RUNS runs (3)
 * per setting with min/max, the ratio to in-process, the queue overhead per job ((1 worker -
 * in-process) / jobs) and the largest job payload. Every distributed result is checked equal to
 * the in-process one.
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startRedis } from '../test/support/redis.js';

const REPO = path.resolve(import.meta.dirname, '..');
const MARKET = path.resolve(REPO, '..', 'shared', 'data', 'market');
const files = ['BTC-USD_1h.csv', 'ETH-USD_1h.csv'].map((f) => path.join(MARKET, f));
if (!files.every((f) => fs.existsSync(f))) {
  console.log(`distributed: skipped, real market data not found at ${MARKET}`);
  process.exit(0);
}
if (spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status !== 0) {
  console.log('distributed: skipped, redis-server is not installed (apt-get install redis-server)');
  process.exit(0);
}
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const ENV = { TRADECREW_TRAINING__REFIT_DAYS: '10' };
const ARGS = ['--import', 'tsx', 'src/cli/main.ts', 'train', '--data', `BTC/USD=${files[0]}`, '--data', `ETH/USD=${files[1]}`, '--days', '200', '--cycle-size', '24', '--seed', '1', '--json'];

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'tc-bench-dist-'));
}

function train(env: Record<string, string>): Promise<{ ms: number; json: string; err: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const p = spawn(process.execPath, ARGS, { cwd: REPO, env: { ...process.env, TRADECREW_DATA_DIR: tmp(), ...ENV, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`train exited ${code}: ${err.slice(-1000)}`));
      resolve({ ms: performance.now() - t0, json: JSON.stringify({ ...JSON.parse(out), runId: '-' }), err });
    });
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

const redis = await startRedis();
const rows: Array<{ name: string; times: number[] }> = [];
let base = '';
let jobs = 0;
let largest = 0;
try {
  const local: number[] = [];
  for (let k = 0; k < RUNS; k++) {
    const r = await train({});
    local.push(r.ms);
    base = r.json;
  }
  jobs = Object.values(JSON.parse(base).fits as Record<string, unknown[]>).flat().length;
  rows.push({ name: 'in-process', times: local });
  for (const n of [1, 2, 4]) {
    const prefix = `bench${n}`;
    const workers = Array.from({ length: n }, () =>
      spawn(process.execPath, ['--import', 'tsx', 'src/worker/main.ts'], { cwd: REPO, env: { ...process.env, TRADECREW_REDIS_URL: redis.url, TRADECREW_QUEUE_PREFIX: prefix, TRADECREW_DATA_DIR: tmp() }, stdio: ['ignore', 'pipe', 'ignore'] }),
    );
    await Promise.all(workers.map((w) => new Promise<void>((r) => w.stdout!.on('data', (d) => String(d).includes('worker ready') && r()))));
    const times: number[] = [];
    for (let k = 0; k < RUNS; k++) {
      const r = await train({ TRADECREW_REDIS_URL: redis.url, TRADECREW_QUEUE_PREFIX: prefix });
      if (r.json !== base) throw new Error(`${n} workers: the result differs from in-process`);
      const m = r.err.match(/largest job (\d+) KB/);
      if (m) largest = Math.max(largest, Number(m[1]));
      times.push(r.ms);
    }
    for (const w of workers) w.kill('SIGTERM');
    rows.push({ name: `${n} worker${n > 1 ? 's' : ''}`, times });
  }
} finally {
  await redis.stop();
}
const b = median(rows[0].times);
console.log(`distributed walk-forward: ${jobs} refits x 36 configurations, ${RUNS} runs each, ${os.cpus().length} cores; every result equal to in-process`);
for (const r of rows) console.log(`  ${r.name.padEnd(11)} median ${fmt(median(r.times)).padStart(7)}  (min ${fmt(Math.min(...r.times))}, max ${fmt(Math.max(...r.times))})  x${(b / median(r.times)).toFixed(2)} vs in-process`);
console.log(`  queue overhead per job: ${((median(rows[1].times) - b) / jobs).toFixed(0)} ms ((1 worker - in-process) / ${jobs} jobs, workers already running)`);
console.log(`  largest job payload: ${largest} KB of JSON (candles of the window + warm-up, settings)`);
