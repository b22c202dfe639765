import { configurationsOf, selectFromScores, type FitInput, type FitJob, type FitOutput, type FitScores } from './fit-task.js';

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
  if (n <= size) return [x];
  const count = Math.ceil(n / size);
  return Array.from({ length: count }, (_, k) => ({ ...x, chunk: { from: Math.floor((k * n) / count), to: Math.floor(((k + 1) * n) / count) } }));
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
export function refitsDone(plan: FitJobPlan, finished: (job: number) => boolean): number {
  let done = 0;
  for (let i = 0; i + 1 < plan.starts.length; i++) {
    let all = true;
    for (let j = plan.starts[i]; all && j < plan.starts[i + 1]; j++) all = finished(j);
    if (all) done++;
  }
  return done;
}
