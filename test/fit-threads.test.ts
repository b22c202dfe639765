/**
 * Walk-forward refits on this machine's cores (training.fit_threads): the same run gives the same
 * JSON in one thread and on two worker threads, with each refit whole or split into chunks of its
 * configurations (training.fit_chunk), the CLI says where the refits ran, a small search on the
 * automatic setting stays in the main thread, and a job that fails in a thread fails the batch
 * with its reason instead of hanging.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { createFitPool } from '../src/training/fit-pool.js';
import { planJobs, mergeJobs } from '../src/training/fit-chunks.js';
import { runFitTask, type FitInput } from '../src/training/fit-task.js';
import { engineSettings } from '../src/kernel/settings.js';
import { loadConfig } from '../src/config/load.js';
import { generateDemoSeries } from '../src/market/demo.js';
import { fitColumns } from '../src/training/fit-task.js';
import { FIT_STRATEGIES } from '../src/training/select.js';
import { REPO, tempDataDir } from './support/spawn-bot.js';

/** The seeded demo market (3 agents), 150 daily cycles, a refit every 20 days: 24 refits. */
const ENV = { TRADECREW_TRAINING__REFIT_DAYS: '20', TRADECREW_TRAINING__FIT_CONFIDENCE: '0.3' };
const ARGS = ['--import', 'tsx', 'src/cli/main.ts', 'train', '--days', '150', '--cycle-size', '24', '--seed', '3', '--json'];

function train(env: Record<string, string>): Promise<{ json: string; err: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ARGS, { cwd: REPO, env: { ...process.env, TRADECREW_DATA_DIR: tempDataDir(), ...ENV, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    p.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`train exited ${code}: ${err.slice(-2000)}`));
      resolve({ json: JSON.stringify({ ...JSON.parse(out), runId: '-' }), err });
    });
  });
}

test('a training run on 2 fit threads, its refits whole or in chunks, gives the JSON of the run in one thread, and says so', async () => {
  const [one, two, chunked, auto] = await Promise.all([
    train({ TRADECREW_TRAINING__FIT_THREADS: '1' }),
    train({ TRADECREW_TRAINING__FIT_THREADS: '2' }),
    // 36 configurations a refit in chunks of at most 10: 4 jobs of 9 a refit, 96 in all.
    train({ TRADECREW_TRAINING__FIT_THREADS: '2', TRADECREW_TRAINING__FIT_CHUNK: '10' }),
    train({}),
  ]);
  assert.equal(two.json, one.json);
  assert.equal(chunked.json, one.json, 'refits in chunks chose differently from whole refits');
  assert.equal(auto.json, one.json);
  assert.match(two.err, /refits 24\/24 on 2 threads\n/);
  assert.match(chunked.err, /refits 24\/24 on 2 threads · 96 jobs/);
  // 24 refits x 36 configurations is below FIT_THREADS_FROM: the automatic setting stays here.
  assert.doesNotMatch(auto.err, /threads/);
  assert.doesNotMatch(one.err, /threads/);
  const parsed = JSON.parse(one.json);
  assert.ok(parsed.final.portfolio.trades > 0, 'the run traded, so the fits mattered');
});

test('the pool returns fits in the inputs\' order, equal to runFitTask, whole or in chunks, and a failing job rejects with its reason', async () => {
  const cfg = loadConfig({ env: {} });
  const settings = engineSettings(cfg);
  const s = generateDemoSeries({ seed: 11, symbol: 'BTC/USDT', timeframe: '1h', startTs: Date.UTC(2024, 0, 1) }, 4000);
  const inputs: FitInput[] = [];
  for (let k = 0; k < 6; k++) {
    const task = { symbol: s.symbol, timeframe: '1h', cycle: k, asOf: s.ts[2500 + 250 * k], seed: 1 };
    inputs.push({ task, candles: fitColumns(s, task, 2000), settings, strategies: FIT_STRATEGIES, fitCandles: 2000, confidence: 0.3, periodsPerYear: 8760, startingEquity: 10_000 });
  }
  const pool = await createFitPool(2);
  try {
    const done: number[] = [];
    const out = await pool.run(inputs, (n) => done.push(n));
    assert.deepEqual(out, inputs.map(runFitTask));
    assert.deepEqual(done, [1, 2, 3, 4, 5, 6]);
    const plan = planJobs(inputs, 5);
    assert.equal(plan.jobs.length, 6 * 8, '36 configurations in chunks of at most 5: 8 jobs a refit');
    assert.deepEqual(mergeJobs(inputs, plan, await pool.run(plan.jobs)), out);
    const bad = { ...inputs[0], strategies: ['no_such_strategy' as never] };
    await assert.rejects(pool.run([inputs[1], bad]), /fit job 1 failed in a fit thread: .*no_such_strategy/s);
    // The pool is still usable after a failed batch.
    assert.deepEqual(await pool.run([inputs[2]]), [runFitTask(inputs[2])]);
  } finally {
    await pool.close();
  }
});
