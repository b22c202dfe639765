/**
 * A refit split into chunks of its configurations (src/training/fit-chunks.ts): the chunks' scores
 * merged give the fit of the whole refit, byte for byte, for training's 36-configuration grid cut
 * small and for a 300-configuration search, whatever the fit's reason; and the split itself.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from '../src/config/load.js';
import { engineSettings } from '../src/kernel/settings.js';
import { generateDemoSeries } from '../src/market/demo.js';
import { chunksOf, FIT_CHUNK, mergeBatch, mergeChunks, mergeJobs, planBatch, planJobs, refitsDone } from '../src/training/fit-chunks.js';
import { batchOf, fitColumns, runFitJob, runFitTask, type FitBatch, type FitInput, type FitScores } from '../src/training/fit-task.js';
import { FIT_STRATEGIES, type ExitGrid } from '../src/training/select.js';

const settings = engineSettings(loadConfig({ env: {} }));
/** The bench's search: 4 strategies x 5 stops x 5 targets x 3 time stops = 300 configurations. */
const WIDE: ExitGrid = { stops: [1.5, 2, 3, 4, 5], targets: [2, 3, 4.5, 6, 8], holds: [24, 72, Number.MAX_SAFE_INTEGER] };
const s = generateDemoSeries({ seed: 11, symbol: 'BTC/USDT', timeframe: '1h', startTs: Date.UTC(2024, 0, 1) }, 6000);

/** Refits ending at these bars (the first too early for a full window: no_history). */
function refits(bars: number[], grid?: ExitGrid): FitInput[] {
  return bars.map((bar, cycle) => {
    const task = { symbol: s.symbol, timeframe: '1h', cycle, asOf: s.ts[bar], seed: 1 };
    return { task, candles: fitColumns(s, task, 2000), settings, strategies: FIT_STRATEGIES, fitCandles: 2000, confidence: 0.3, periodsPerYear: 8760, startingEquity: 10_000, ...(grid ? { grid } : {}) };
  });
}

/** The refit's output from its chunks, each result through JSON as a queue worker returns it. */
function viaChunks(x: FitInput, size: number) {
  return mergeChunks(x, chunksOf(x, size).map((job) => JSON.parse(JSON.stringify(runFitJob(job)))));
}

test('the split: small refits and the forest stay one job, larger ones become nearly equal contiguous chunks', () => {
  const [x] = refits([3000]);
  assert.deepEqual(chunksOf(x), [x], '36 configurations are one job at the default size');
  assert.deepEqual(chunksOf(x, 10).map((j) => ('chunk' in j ? j.chunk : null)), [{ from: 0, to: 9 }, { from: 9, to: 18 }, { from: 18, to: 27 }, { from: 27, to: 36 }]);
  assert.deepEqual(chunksOf({ ...x, grid: WIDE }).map((j) => ('chunk' in j ? j.chunk.to - j.chunk.from : null)), [60, 60, 60, 60, 60], `300 configurations in chunks of ${FIT_CHUNK}`);
  assert.deepEqual(chunksOf({ ...x, grid: WIDE }, 299).map((j) => ('chunk' in j ? j.chunk.to - j.chunk.from : null)), [150, 150], 'never a chunk of one left over');
  const forest = { ...x, strategies: ['ml_forest' as const] };
  assert.deepEqual(chunksOf(forest, 1), [forest], 'the forest is one model: one job');
});

test('36 configurations cut into chunks of 1, 7 and 10: the merged fit is the whole refit\'s, for every reason a fit gives', () => {
  const inputs = refits([450, 2300, 2800, 3300, 3800, 4300, 4800, 5300, 5999]);
  const whole = inputs.map(runFitTask);
  const reasons = new Set(whole.map((o) => o.fit.reason));
  assert.ok(reasons.has('no_history') && reasons.has('fit') && reasons.size >= 3, `the refits cover several reasons: ${[...reasons]}`);
  for (const size of [1, 7, 10]) inputs.forEach((x, k) => assert.deepEqual(viaChunks(x, size), whole[k], `chunks of ${size}, refit ${k} (${whole[k].fit.reason})`));
});

test('300 configurations in chunks of 60 and 37: the merged fit is the whole refit\'s', () => {
  const inputs = refits([2600, 4100, 5600], WIDE);
  const whole = inputs.map(runFitTask);
  assert.ok(whole.every((o) => o.fit.trials === 300 && o.fit.best), 'every refit searched 300 configurations');
  for (const size of [FIT_CHUNK, 37]) inputs.forEach((x, k) => assert.deepEqual(viaChunks(x, size), whole[k], `chunks of ${size}, refit ${k} (${whole[k].fit.reason})`));
});

test('a batch: the jobs of several refits merge back into one output per refit, in order; progress counts whole refits', () => {
  const inputs = refits([2300, 3300, 4300]);
  const plan = planJobs(inputs, 10);
  assert.equal(plan.jobs.length, 12);
  assert.deepEqual(plan.starts, [0, 4, 8, 12]);
  assert.deepEqual(mergeJobs(inputs, plan, plan.jobs.map(runFitJob)), inputs.map(runFitTask));
  // Jobs 0-4 finished: the first refit is done, the second is not (its jobs 5-7 are still out).
  assert.equal(refitsDone(plan, (n) => n <= 4), 1);
  assert.equal(refitsDone(plan, () => true), 3);
});

test('a chunk that comes back without scores (a worker older than chunks computed the whole refit) is refused', () => {
  const [x] = refits([3300]);
  const chunks = chunksOf(x, 10);
  const outputs: Array<FitScores | ReturnType<typeof runFitTask>> = chunks.map(runFitJob);
  outputs[2] = runFitTask(x);
  assert.throws(() => mergeChunks(x, outputs), /chunk came back without scores/);
});

test('a lazy batch (jobs built as threads ask): the same jobs, each refit\'s input built once while handed out, and the same merged outputs', () => {
  const inputs = [...refits([2300, 3300]), ...refits([4300], WIDE), ...refits([5300])];
  let built = 0;
  const lazy: FitBatch = { ...batchOf(inputs), at: (n) => (built++, inputs[n]) };
  for (const size of [10, FIT_CHUNK]) {
    built = 0;
    const eager = planJobs(inputs, size);
    const plan = planBatch(lazy, size);
    assert.deepEqual(plan.starts, eager.starts, `chunks of ${size}: the same split`);
    assert.equal(plan.jobs.length, eager.jobs.length);
    for (let id = 0; id < eager.jobs.length; id++) assert.deepEqual(plan.jobs.at(id), eager.jobs[id], `chunks of ${size}: job ${id}`);
    assert.equal(plan.jobs.at(eager.jobs.length), undefined);
    assert.equal(built, inputs.length, `chunks of ${size}: each refit's input was built once while its jobs were handed out`);
    const results = eager.jobs.map((j) => JSON.parse(JSON.stringify(runFitJob(j))) as FitScores);
    built = 0;
    assert.deepEqual(mergeBatch(lazy, plan, results), mergeJobs(inputs, eager, results), `chunks of ${size}: merged outputs`);
    // Only chunked refits need their input again to merge.
    const chunked = inputs.filter((_, i) => eager.starts[i + 1] - eager.starts[i] > 1).length;
    assert.equal(built, chunked, `chunks of ${size}: inputs rebuilt to merge`);
  }
});
