import crypto from 'node:crypto';
// bullmq (and ioredis under it: ~140 ms and ~27 MiB) loads only when a Redis URL is set.
import type { ConnectionOptions, Job, Worker } from 'bullmq';
import type { FitBatch, FitInput, FitJob, FitOutput, FitScores } from '../training/fit-task.js';
import os from 'node:os';
import { FIT_CHUNK, mergeBatch, mergeJobs, planBatch, planJobs, refitsDone, type FitJobPlan } from '../training/fit-chunks.js';
import { createFitPool, type FitPool } from '../training/fit-pool.js';
import { backtestsOf, inputsOf, runFitJob, runFitTask } from '../training/fit-task.js';

/**
 * Walk-forward refits as BullMQ jobs on Redis, for runs past one machine. A run is a flow: one
 * parent job (queue `runs`) whose children (queue `fits`) are the run's refits, one per agent and
 * window, and for a refit of more than training.fit_chunk configurations one per agent, window and
 * chunk of its configurations (src/training/fit-chunks.ts). Workers (`npm run worker`, any number,
 * any machine, the same Redis URL and prefix) take the children; each carries its candles, so no
 * worker reads another machine's disk. A job is pure, so whichever worker computes it, in whatever
 * order, and however often (a retried job after a killed worker), the result is the same as in the
 * bot's own process.
 */

export const RUN_QUEUE = 'runs';
/** A run that cannot finish (a refit failed for good): not a Redis outage to wait out. */
class RunFailed extends Error {}
/** How long a run waits for an unreachable Redis before it fails. */
const REDIS_OUTAGE_MS = 10 * 60_000;
export const FIT_QUEUE = 'fits';

/** ioredis options from a redis:// URL (bullmq opens its own connections from them). */
export function redisOptions(url: string): ConnectionOptions {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port || 6379),
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    db: Number(u.pathname.slice(1) || 0),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
    // Give up on a dead Redis in seconds, not never: a run then says so instead of hanging.
    connectTimeout: 5_000,
  };
}

/** Where Redis is, for logs and messages: host and port only (a URL may carry a password). */
export function redisLabel(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 6379}`;
  } catch {
    return '(invalid redis URL)';
  }
}

export interface FitProgress {
  /** Refits done and in all: a refit split into chunks is done when the last of them is. */
  done: number;
  total: number;
  /** Jobs the refits were split into (the total when no refit was). */
  jobs: number;
  /** Workers connected to the fits queue now, or this machine's fit threads. */
  workers: number;
  /** BullMQ workers on Redis, or threads of this process (training.fit_threads). */
  where: 'queue' | 'threads';
  /** The queue's largest job payload (its candles and settings), bytes of JSON; threads get no JSON, so none. */
  largestJob?: number;
}

/** Where a job ran: this thread, a fit thread of this process, a queue worker. */
export type FitWhere = 'main' | 'threads' | 'queue';

/** A job's result as a worker returns it (a fit, or a chunk's scores) and its compute time in ms (older workers: none). */
type TimedFitOutput = (FitOutput | FitScores) & { ms?: number };

export interface FitExecutor {
  /** The refits' outputs in the batch's order, equal to runFitTask's. */
  fitMany(batch: FitBatch): Promise<FitOutput[]>;
  /** Workers connected now (for /train status). */
  workers(): Promise<number>;
  close(): Promise<void>;
}

/**
 * The executor of one bot or CLI process. This is the one place that decides where refits run:
 * - a Redis URL: BullMQ workers, on any machine;
 * - else worker threads of this process (training.fit_threads; 0 = one per core, at most 4, and
 *   only for a search big enough to repay starting them, FIT_THREADS_FROM backtests);
 * - else null: each refit in this thread when its cycle comes.
 */
export async function fitExecutorFor(
  cfg: { redis_url: string; queue_prefix: string; training?: { fit_threads: number; fit_chunk: number } },
  o: { runId: string; onProgress?(p: FitProgress): void; pollMs?: number; /** Each job's compute time where it ran. */ onJobTimed?(ms: number, where: FitWhere): void },
): Promise<FitExecutor | null> {
  const chunk = cfg.training?.fit_chunk ?? FIT_CHUNK;
  if (!cfg.redis_url) return threadExecutor(cfg.training?.fit_threads ?? 1, chunk, o.onProgress, o.onJobTimed);
  const { FlowProducer, Queue } = await import('bullmq');
  const connection = redisOptions(cfg.redis_url);
  const prefix = cfg.queue_prefix;
  const flow = new FlowProducer({ connection, prefix });
  const runs = new Queue(RUN_QUEUE, { connection, prefix });
  const fits = new Queue(FIT_QUEUE, { connection, prefix });
  const pollMs = o.pollMs ?? 250;
  const workers = async () => (await fits.getWorkers()).length;
  return {
    workers,
    async fitMany(batch) {
      const inputs = inputsOf(batch);
      const plan = planJobs(inputs, chunk);
      // The flow's id names its jobs (tasks and chunks): a coordinator restarted mid-run re-adds the
      // same flow, and BullMQ keeps the jobs (and results) it already has instead of queueing them
      // twice; one restarted with another fit_chunk makes a new flow, not a mix of both splits.
      const key = crypto.createHash('sha256').update(JSON.stringify(plan.jobs.map((x) => ('chunk' in x ? [x.task, x.chunk] : x.task)))).digest('hex').slice(0, 16);
      const parentId = `run-${o.runId}-${key}`;
      const childId = (n: number) => `${parentId}-${n}`;
      const childKey = (n: number) => `${prefix}:${FIT_QUEUE}:${childId(n)}`;
      const largestJob = largestPayload(inputs, plan);
      const progress = (done: number) => ({ done, total: inputs.length, jobs: plan.jobs.length, largestJob, where: 'queue' as const });
      await flow.add({
        name: 'run',
        queueName: RUN_QUEUE,
        data: { runId: o.runId, refits: inputs.length, jobs: plan.jobs.length },
        opts: { jobId: parentId },
        children: plan.jobs.map((data, n) => ({
          name: 'fit',
          queueName: FIT_QUEUE,
          data,
          // A job that throws is tried again; one that keeps throwing fails the run (with its reason).
          opts: { jobId: childId(n), attempts: 3, backoff: { type: 'fixed', delay: 500 }, failParentOnFailure: true },
        })),
      });
      let last = -1;
      let downSince = 0;
      // One look at the run: its results when every job is done, else null (progress reported).
      const look = async (): Promise<FitOutput[] | null> => {
        const parent = await runs.getJob(parentId);
        if (!parent) throw new RunFailed(`distributed run ${parentId} vanished from Redis`);
        const state = await parent.getState();
        if (state === 'failed') {
          const failed = await parent.getFailedChildrenValues().catch(() => ({}));
          throw new RunFailed(`a distributed refit failed: ${Object.values(failed)[0] ?? parent.failedReason ?? 'unknown reason'}`);
        }
        if (state === 'waiting-children') {
          const c = await parent.getDependenciesCount({ processed: true });
          const jobsDone = c.processed ?? 0;
          if (jobsDone !== last) {
            last = jobsDone;
            const pending = await pendingChildren(parent);
            o.onProgress?.({ ...progress(refitsDone(plan, (n) => !pending.has(childKey(n)))), workers: await workers() });
          }
          return null;
        }
        const values = await parent.getChildrenValues<TimedFitOutput>();
        const timed = plan.jobs.map((_, n) => values[childKey(n)]);
        const missing = timed.findIndex((v) => v === undefined);
        if (missing >= 0) throw new RunFailed(`distributed run ${parentId}: no result for job ${missing}`);
        // The compute time travels with each result; the run keeps only the fit or scores.
        const results = timed.map(({ ms, ...result }) => {
          if (ms !== undefined) o.onJobTimed?.(ms, 'queue');
          return result;
        });
        const out = mergeOrFail(inputs, plan, results);
        o.onProgress?.({ ...progress(inputs.length), workers: await workers() });
        // The run's record is its own (SQLite); Redis keeps nothing of it once collected.
        await parent.remove({ removeChildren: true }).catch(() => undefined);
        return out;
      };
      for (;;) {
        try {
          const out = await look();
          downSince = 0;
          if (out) return out;
        } catch (e) {
          if (e instanceof RunFailed) throw e;
          // Redis restarting: wait for it (the jobs are in its persistence), up to a limit.
          downSince ||= Date.now();
          if (Date.now() - downSince > REDIS_OUTAGE_MS) throw new Error(`Redis at ${redisLabel(cfg.redis_url)} unreachable for ${REDIS_OUTAGE_MS / 60_000} minutes: ${(e as Error).message}`);
        }
        await new Promise((r) => setTimeout(r, downSince ? 1_000 : pollMs));
      }
    },
    async close() {
      await Promise.allSettled([flow.close(), runs.close(), fits.close()]);
    },
  };
}

/** Backtests (refits x configurations) from which fit_threads 0 (auto) starts threads: about a second's work. */
export const FIT_THREADS_FROM = 2_000;
/** fit_threads 0: one thread per core, at most this many. */
const AUTO_THREADS_MAX = 4;

/**
 * The largest job's payload (its candles and settings), bytes of JSON. Each refit is serialised
 * once: a chunk's JSON is its refit's with `,"chunk":{...}` before the closing brace (the chunk
 * is the last key), and serialising every chunk's candles again would cost the main thread
 * seconds on a big search.
 */
function largestPayload(inputs: FitInput[], plan: FitJobPlan): number {
  let largest = 0;
  inputs.forEach((x, i) => {
    const bytes = Buffer.byteLength(JSON.stringify(x));
    for (const job of plan.jobs.slice(plan.starts[i], plan.starts[i + 1])) largest = Math.max(largest, bytes + ('chunk' in job ? Buffer.byteLength(`,"chunk":${JSON.stringify(job.chunk)}`) : 0));
  });
  return largest;
}

/** The refits' outputs from their jobs'; a result that cannot be merged fails the run (retrying would not help). */
function mergeOrFail(inputs: FitInput[], plan: FitJobPlan, results: Array<FitOutput | FitScores>): FitOutput[] {
  try {
    return mergeJobs(inputs, plan, results);
  } catch (e) {
    throw new RunFailed((e as Error).message);
  }
}

/** Keys of a run's children not yet done (SSCAN pages: a big run has thousands of children). */
async function pendingChildren(parent: Job): Promise<Set<string>> {
  const keys = new Set<string>();
  let cursor = 0;
  do {
    const d = await parent.getDependencies({ unprocessed: { cursor, count: 1_000 } });
    for (const k of d.unprocessed ?? []) keys.add(k);
    cursor = d.nextUnprocessedCursor ?? 0;
  } while (cursor);
  return keys;
}

function threadExecutor(setting: number, chunk: number, onProgress?: (p: FitProgress) => void, onJobTimed?: (ms: number, where: FitWhere) => void): FitExecutor | null {
  const auto = setting === 0;
  const threads = auto ? Math.min(AUTO_THREADS_MAX, os.availableParallelism()) : setting;
  if (threads < 2) return null;
  let open: Promise<FitPool> | null = null;
  return {
    workers: async () => threads,
    async fitMany(batch) {
      // A small search: threads would cost more to start than they save (the same results here).
      // Each refit's input is built as it runs, so only one window is held at a time.
      if (auto && backtestsOf(batch) < FIT_THREADS_FROM)
        return Array.from({ length: batch.length }, (_, n) => {
          const t0 = performance.now();
          const out = runFitTask(batch.at(n));
          onJobTimed?.(performance.now() - t0, 'main');
          return out;
        });
      open ??= createFitPool(threads);
      const pool = await open;
      // Jobs are built as threads ask for them: the candles of the jobs in flight, not of the search.
      const plan = planBatch(batch, chunk);
      const finished: boolean[] = new Array(plan.jobs.length).fill(false);
      const say = () => onProgress?.({ done: refitsDone(plan, (n) => finished[n]), total: batch.length, jobs: plan.jobs.length, workers: threads, where: 'threads' });
      say();
      // Progress at most twice a second (a job can take a few milliseconds), and the last one.
      let said = Date.now();
      const results = await pool.run(plan.jobs, (done, ms, job) => {
        finished[job] = true;
        onJobTimed?.(ms, 'threads');
        if (done === plan.jobs.length || Date.now() - said >= 500) {
          said = Date.now();
          say();
        }
      });
      return mergeBatch(batch, plan, results);
    },
    async close() {
      if (open) await (await open).close();
    },
  };
}

/**
 * A worker: takes jobs (refits, or chunks of them) from the queue, one at a time (CPU-bound; run
 * one worker per core). `lockMs`: how long a job stays claimed without a heartbeat; a worker
 * killed mid-job loses its claim after that and another worker takes the job (BullMQ's
 * stalled-job recovery).
 */
export async function startFitWorker(cfg: { redis_url: string; queue_prefix: string }, o: { lockMs?: number; name?: string; onJob?(id: string, event: 'start' | 'done'): void } = {}): Promise<Worker<FitJob, TimedFitOutput>> {
  const { Worker } = await import('bullmq');
  const lockDuration = o.lockMs ?? 30_000;
  return new Worker<FitJob, TimedFitOutput>(
    FIT_QUEUE,
    async (job) => {
      o.onJob?.(job.id ?? '?', 'start');
      const t0 = performance.now();
      const out = runFitJob(job.data);
      o.onJob?.(job.id ?? '?', 'done');
      return { ...out, ms: performance.now() - t0 };
    },
    {
      connection: redisOptions(cfg.redis_url),
      prefix: cfg.queue_prefix,
      concurrency: 1,
      lockDuration,
      stalledInterval: lockDuration,
      // A long job on a busy machine can miss a heartbeat: it is then computed twice, which is
      // harmless (pure), rather than failed.
      maxStalledCount: 10,
      ...(o.name ? { name: o.name } : {}),
    },
  );
}
