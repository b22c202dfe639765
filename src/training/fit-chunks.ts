import { configurationsOf, selectFromScores, type FitBatch, type FitInput, type FitJob, type FitOutput, type FitScores } from './fit-task.js';

/**
 * A refit of many configurations as several jobs: each chunk scores a contiguous slice of the
 * candidates, and the refit's fit is selected from all the scores once every chunk is back
 * (selectFit: the same fit, byte for byte, as the whole refit). A big search (300 configurations,
 * or minute candles where one refit takes seconds) then spreads over more threads or workers
 * than it has refits, and a job lost with a killed worker costs a chunk, not the whole refit.
 */

/**
 * Configurations per job at most (training.fit_chunk). Every job carries its refit's candles
 * (about 120 KB of JSON for a 90-day window of hours) and recomputes the window's features, while
 * a backtest of that window takes about a millisecond: a job must hold enough of them to be worth
 * its trip through Redis. 60: training's 36-configuration grid stays one job a refit, a
 * 300-configuration search makes five.
 */
export const FIT_CHUNK = 60;

/**
 * The jobs of one refit: the refit itself when it has at most `size` configurations (and always
 * for ml_forest, one model), else chunks of nearly equal size (61 configurations: 31 and 30, not
 * 60 and 1), in candidate order.
 */
export function chunksOf(x: FitInput, size = FIT_CHUNK): FitJob[] {
  const n = configurationsOf(x);
  const count = chunkCount(n, size);
  if (count === 1) return [x];
  return Array.from({ length: count }, (_, k) => ({ ...x, chunk: chunkBounds(n, count, k) }));
}

/** How many jobs a refit of `n` configurations makes. */
function chunkCount(n: number, size: number): number {
  return n <= size ? 1 : Math.ceil(n / size);
}

/** Chunk k of `count` over `n` configurations: nearly equal slices, in candidate order. */
function chunkBounds(n: number, count: number, k: number): { from: number; to: number } {
  return { from: Math.floor((k * n) / count), to: Math.floor(((k + 1) * n) / count) };
}

/** The jobs of a batch of refits, flat, and the first job of each refit (one more at the end). */
export interface FitJobPlan {
  jobs: FitJob[];
  starts: number[];
}

export function planJobs(inputs: FitInput[], size = FIT_CHUNK): FitJobPlan {
  const jobs: FitJob[] = [];
  const starts: number[] = [];
  for (const x of inputs) {
    starts.push(jobs.length);
    jobs.push(...chunksOf(x, size));
  }
  starts.push(jobs.length);
  return { jobs, starts };
}

/**
 * One refit's output from the outputs of its jobs (in job order): a whole refit's own output, or
 * the fit selected from its chunks' scores.
 */
export function mergeChunks(x: FitInput, outputs: Array<FitOutput | FitScores>): FitOutput {
  if (outputs.length === 1 && 'fit' in outputs[0]) return outputs[0];
  const scores = outputs.flatMap((o) => {
    // A worker older than chunked refits ignores the slice and returns a whole fit: refuse it.
    if (!('scores' in o) || !Array.isArray(o.scores)) throw new Error(`refit ${x.task.symbol} cycle ${x.task.cycle}: a chunk came back without scores (a worker older than this coordinator?)`);
    return o.scores;
  });
  return selectFromScores(x, scores);
}

/** Every refit's output, in the inputs' order, from the outputs of the plan's jobs (in job order). */
export function mergeJobs(inputs: FitInput[], plan: FitJobPlan, outputs: Array<FitOutput | FitScores>): FitOutput[] {
  return inputs.map((x, i) => mergeChunks(x, outputs.slice(plan.starts[i], plan.starts[i + 1])));
}

/** Refits all of whose jobs have finished (progress counts refits, whatever their split). */
export function refitsDone(plan: Pick<FitJobPlan, 'starts'>, finished: (job: number) => boolean): number {
  let done = 0;
  for (let i = 0; i + 1 < plan.starts.length; i++) {
    let all = true;
    for (let j = plan.starts[i]; all && j < plan.starts[i + 1]; j++) all = finished(j);
    if (all) done++;
  }
  return done;
}

/** Jobs by number, each built when it is asked for. An array of jobs is one too. */
export interface JobSource {
  readonly length: number;
  at(id: number): FitJob | undefined;
}

/**
 * planJobs of a lazy batch: the same jobs in the same order, each built when a thread asks for it,
 * so the coordinator holds the candles of the jobs in flight, not of the whole search (a refit's
 * input is kept while its chunks are handed out, which are consecutive).
 */
export function planBatch(batch: FitBatch, size = FIT_CHUNK): { jobs: JobSource; starts: number[] } {
  const starts: number[] = [];
  let count = 0;
  for (let i = 0; i < batch.length; i++) {
    starts.push(count);
    count += chunkCount(batch.configurations(i), size);
  }
  starts.push(count);
  let kept: { i: number; x: FitInput } | null = null;
  const refitOf = (id: number) => {
    let lo = 0;
    let hi = batch.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= id) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  return {
    starts,
    jobs: {
      length: count,
      at(id) {
        if (!(id >= 0 && id < count)) return undefined;
        const i = refitOf(id);
        if (kept?.i !== i) kept = { i, x: batch.at(i) };
        const chunks = starts[i + 1] - starts[i];
        return chunks === 1 ? kept.x : { ...kept.x, chunk: chunkBounds(batch.configurations(i), chunks, id - starts[i]) };
      },
    },
  };
}

/** mergeJobs of a lazy batch: a chunked refit's input is built again to select from its chunks' scores. */
export function mergeBatch(batch: FitBatch, plan: { starts: number[] }, outputs: Array<FitOutput | FitScores>): FitOutput[] {
  return Array.from({ length: batch.length }, (_, i) => {
    const own = outputs.slice(plan.starts[i], plan.starts[i + 1]);
    return own.length === 1 && 'fit' in own[0] ? own[0] : mergeChunks(batch.at(i), own);
  });
}
