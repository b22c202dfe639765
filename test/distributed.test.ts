/**
 * Training past one machine: walk-forward refits as BullMQ jobs on a real Redis (Debian's
 * redis-server on a free loopback port), taken by real worker processes (`npm run worker`'s
 * entry). The result must be the in-process result, byte for byte, whatever the number of workers,
 * whatever order they finish in, and whatever is killed on the way.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { after, test } from 'node:test';
import { loadConfig } from '../src/config/load.js';
import { backfill } from '../src/market/refresh.js';
import { agentStateFor } from '../src/trading/live.js';
import { startConsoleApp } from './support/console-app.js';
import { REPO, tempDataDir } from './support/spawn-bot.js';
import { REDIS_MISSING, startRedis, type TestRedis } from './support/redis.js';

const SKIP = REDIS_MISSING;

/**
 * The seeded demo market (3 agents), 150 daily cycles, a refit every 20 days: 24 refits (jobs),
 * some of them trading. No outside data: the test runs wherever Redis is installed.
 */
const TRAIN_ENV = { TRADECREW_TRAINING__REFIT_DAYS: '20', TRADECREW_TRAINING__FIT_CONFIDENCE: '0.3' };
const REFITS = 8 * 3;
function trainArgs(): string[] {
  return ['--import', 'tsx', 'src/cli/main.ts', 'train', '--days', '150', '--cycle-size', '24', '--seed', '3', '--json'];
}

interface Proc {
  child: ChildProcess;
  out: string;
  err: string;
  exited: Promise<number | null>;
}

function run(args: string[], env: Record<string, string>): Proc {
  const child = spawn(process.execPath, args, { cwd: REPO, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const p: Proc = { child, out: '', err: '', exited: new Promise((r) => child.once('exit', (code) => r(code))) };
  child.stdout!.on('data', (d) => (p.out += d));
  child.stderr!.on('data', (d) => (p.err += d));
  return p;
}

async function until(cond: () => boolean, what: string, ms = 120_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const workers: Proc[] = [];
function worker(redis: TestRedis, prefix: string, lockSeconds = 30): Proc {
  const w = run(['--import', 'tsx', 'src/worker/main.ts'], { TRADECREW_REDIS_URL: redis.url, TRADECREW_QUEUE_PREFIX: prefix, TRADECREW_WORKER_LOCK_SECONDS: String(lockSeconds), TRADECREW_DATA_DIR: tempDataDir() });
  workers.push(w);
  return w;
}
after(() => {
  for (const w of workers) w.child.kill('SIGKILL');
});

async function train(env: Record<string, string>): Promise<{ json: string; err: string }> {
  const p = run(trainArgs(), { TRADECREW_DATA_DIR: tempDataDir(), ...TRAIN_ENV, ...env });
  const code = await p.exited;
  assert.equal(code, 0, `train failed: ${p.err.slice(-2000)}`);
  // The run id is the result's own; everything else must match.
  return { json: JSON.stringify({ ...JSON.parse(p.out), runId: '-' }), err: p.err };
}

let local: string | null = null;
async function inProcess(): Promise<string> {
  local ??= (await train({})).json;
  return local;
}

test('0, 1 and 3 workers: the same JSON as the in-process run, and the workers did the refits', { skip: SKIP }, async () => {
  const redis = await startRedis();
  try {
    const base = await inProcess();
    const parsed = JSON.parse(base);
    assert.ok(parsed.trades.length > 0, 'the run traded (the comparison covers trades)');
    assert.equal(Object.values(parsed.fits as Record<string, unknown[]>).flat().length, REFITS, `${REFITS} refits`);
    for (const n of [1, 3]) {
      const prefix = `t${n}w`;
      const ws = Array.from({ length: n }, () => worker(redis, prefix));
      await until(() => ws.every((w) => w.out.includes('worker ready')), `${n} workers ready`);
      const r = await train({ TRADECREW_REDIS_URL: redis.url, TRADECREW_QUEUE_PREFIX: prefix });
      assert.equal(r.json, base, `${n} worker(s): a different result`);
      assert.match(r.err, new RegExp(`refits ${REFITS}/${REFITS} on ${n} workers?`), r.err.slice(-500));
      const done = ws.map((w) => (w.out.match(/fit done/g) ?? []).length);
      assert.equal(done.reduce((a, b) => a + b, 0), REFITS, `every refit computed once by a worker: ${done}`);
      if (n === 3) assert.ok(done.filter((d) => d > 0).length >= 2, `the work was shared: ${done}`);
      for (const w of ws) w.child.kill('SIGTERM');
      await Promise.all(ws.map((w) => w.exited));
    }
  } finally {
    await redis.stop();
  }
});

test('refits split into chunks of their configurations (fit_chunk 10): one job per agent, window and chunk, the same JSON as the in-process run', { skip: SKIP }, async () => {
  const redis = await startRedis();
  try {
    const base = await inProcess();
    const prefix = 'chunks';
    const ws = [worker(redis, prefix), worker(redis, prefix)];
    await until(() => ws.every((w) => w.out.includes('worker ready')), 'workers ready');
    // 36 configurations a refit in chunks of at most 10: 4 jobs a refit.
    const r = await train({ TRADECREW_REDIS_URL: redis.url, TRADECREW_QUEUE_PREFIX: prefix, TRADECREW_TRAINING__FIT_CHUNK: '10' });
    assert.equal(r.json, base, 'the chunked run chose differently');
    assert.match(r.err, new RegExp(`refits ${REFITS}/${REFITS} on 2 workers \\(.*\\) · ${4 * REFITS} jobs`), r.err.slice(-500));
    const done = ws.map((w) => (w.out.match(/fit done/g) ?? []).length);
    assert.equal(done.reduce((a, b) => a + b, 0), 4 * REFITS, `every chunk computed once by a worker: ${done}`);
    for (const w of ws) w.child.kill('SIGTERM');
    await Promise.all(ws.map((w) => w.exited));
  } finally {
    await redis.stop();
  }
});

test('a worker killed with SIGKILL in the middle of a refit: another worker takes the job over and the result is unchanged', { skip: SKIP }, async () => {
  const redis = await startRedis();
  try {
    const base = await inProcess();
    const prefix = 'kill';
    // A short claim so the orphaned job is noticed in seconds.
    const survivor = worker(redis, prefix, 2);
    let victim = worker(redis, prefix, 2);
    await until(() => survivor.out.includes('worker ready') && victim.out.includes('worker ready'), 'workers ready');
    const training = train({ TRADECREW_REDIS_URL: redis.url, TRADECREW_QUEUE_PREFIX: prefix });
    // Kill the victim the moment it starts a refit; if the refit had already finished (a race
    // lost), try again with a fresh victim, so the test always kills a worker holding a job.
    let orphan: string | null = null;
    for (let attempt = 0; attempt < 5 && !orphan; attempt++) {
      await until(() => /fit started (\S+)/.test(victim.out), 'the victim to start a refit');
      victim.child.kill('SIGKILL');
      await victim.exited;
      const started = [...victim.out.matchAll(/fit started (\S+)/g)].map((m) => m[1]);
      const last = started[started.length - 1];
      if (!victim.out.includes(`fit done ${last}`)) orphan = last;
      else victim = worker(redis, prefix, 2);
    }
    assert.ok(orphan, 'a worker was killed while holding a refit');
    const r = await training;
    assert.equal(r.json, base, 'the result changed after a worker died');
    assert.ok(survivor.out.includes(`fit done ${orphan}`) || workers.some((w) => w !== victim && w.out.includes(`fit done ${orphan}`)), `the orphaned refit ${orphan} was finished by another worker`);
  } finally {
    await redis.stop();
  }
});

test('Redis restarting in the middle of a run: the run waits, resumes and gives the same result', { skip: SKIP }, async () => {
  const redis = await startRedis({ persist: true });
  try {
    const base = await inProcess();
    const prefix = 'restart';
    const w = worker(redis, prefix, 5);
    await until(() => w.out.includes('worker ready'), 'worker ready');
    const training = train({ TRADECREW_REDIS_URL: redis.url, TRADECREW_QUEUE_PREFIX: prefix });
    let finished = false;
    void training.then(() => (finished = true), () => (finished = true));
    await until(() => (w.out.match(/fit done/g) ?? []).length >= 3, 'three refits done');
    assert.equal(finished, false, 'the run was still going when Redis went down');
    await redis.stop();
    await new Promise((r) => setTimeout(r, 1_500)); // an outage, not a blip (the run must wait it out)
    await redis.start();
    const r = await training;
    assert.equal(r.json, base, 'the result changed across a Redis restart');
  } finally {
    await redis.stop();
  }
});

test('a worker without a Redis URL says what to set and exits', async () => {
  const p = run(['--import', 'tsx', 'src/worker/main.ts'], { TRADECREW_DATA_DIR: tempDataDir(), TRADECREW_REDIS_URL: '' });
  assert.equal(await p.exited, 2);
  assert.match(p.err, /set TRADECREW_REDIS_URL/);
});

test('/train in the chat with a Redis URL: the refits go to the workers, the progress message says so, and every agent is fitted', { skip: REDIS_MISSING }, async () => {
  const redis = await startRedis();
  const w = worker(redis, 'chat');
  const cfg = loadConfig({ env: { TRADECREW_DATA_DIR: tempDataDir(), TRADECREW_REDIS_URL: redis.url, TRADECREW_QUEUE_PREFIX: 'chat' } });
  const bot = await startConsoleApp(cfg);
  try {
    await backfill(bot.app);
    await until(() => w.out.includes('worker ready'), 'worker ready');
    bot.say('/train 40');
    await bot.waitFor(/may the agents propose\?/, 300_000);
    const n = cfg.symbols.length;
    // 40 daily cycles, a refit every 30 days: 2 refits per agent, all on the queue.
    assert.match(bot.text(), new RegExp(`refits ${2 * n}/${2 * n} on 1 worker`), bot.text().slice(-3000));
    assert.equal((w.out.match(/fit done/g) ?? []).length, 2 * n, 'the worker computed every refit');
    for (const s of cfg.symbols) assert.ok(agentStateFor(bot.app, s).fit, `${s} was fitted`);
  } finally {
    await bot.stop();
    await redis.stop();
  }
});
