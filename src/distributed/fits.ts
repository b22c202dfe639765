import crypto from 'node:crypto';
// bullmq (and ioredis under it: ~140 ms and ~27 MiB) loads only when a Redis URL is set.
import type { ConnectionOptions, Worker } from 'bullmq';
import type { FitInput, FitOutput } from '../training/fit-task.js';
import { runFitTask } from '../training/fit-task.js';

/**
 * Walk-forward refits as BullMQ jobs on Redis, for runs past one machine. A run is a flow: one
 * parent job (queue `runs`) whose children (queue `fits`) are the run's refits, one per agent and
 * window. Workers (`npm run worker`, any number, any machine, the same Redis URL and prefix) take
 * the children; each carries its candles, so no worker reads another machine's disk. A refit is
 * pure, so whichever worker computes it, in whatever order, and however often (a retried job after
 * a killed worker), the result is the same as in the bot's own process.
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
  done: number;
  total: number;
  /** Workers connected to the fits queue now. */
  workers: number;
  /** The largest job's payload (its candles and settings), bytes of JSON. */
  largestJob: number;
}

export interface FitExecutor {
  fitMany(inputs: FitInput[]): Promise<FitOutput[]>;
  /** Workers connected now (for /train status). */
  workers(): Promise<number>;
  close(): Promise<void>;
}

/**
 * The executor of one bot or CLI process; null without a Redis URL (then refits run in-process).
 * This is the one place that decides where refits run.
 */
export async function fitExecutorFor(cfg: { redis_url: string; queue_prefix: string }, o: { runId: string; onProgress?(p: FitProgress): void; pollMs?: number }): Promise<FitExecutor | null> {
  if (!cfg.redis_url) return null;
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
    async fitMany(inputs) {
      // The flow's id names its tasks: a coordinator restarted mid-run re-adds the same flow, and
      // BullMQ keeps the jobs (and results) it already has instead of queueing them twice.
      const key = crypto.createHash('sha256').update(JSON.stringify(inputs.map((x) => x.task))).digest('hex').slice(0, 16);
      const parentId = `run-${o.runId}-${key}`;
      const childId = (n: number) => `${parentId}-${n}`;
      const largestJob = Math.max(0, ...inputs.map((x) => Buffer.byteLength(JSON.stringify(x))));
      await flow.add({
        name: 'run',
        queueName: RUN_QUEUE,
        data: { runId: o.runId, jobs: inputs.length },
        opts: { jobId: parentId },
        children: inputs.map((data, n) => ({
          name: 'fit',
          queueName: FIT_QUEUE,
          data,
          // A job that throws is tried again; one that keeps throwing fails the run (with its reason).
          opts: { jobId: childId(n), attempts: 3, backoff: { type: 'fixed', delay: 500 }, failParentOnFailure: true },
        })),
      });
      let last = -1;
      let downSince = 0;
      // One look at the run: its results when every refit is done, else null (progress reported).
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
          const done = c.processed ?? 0;
          if (done !== last) {
            last = done;
            o.onProgress?.({ done, total: inputs.length, workers: await workers(), largestJob });
          }
          return null;
        }
        const values = await parent.getChildrenValues<FitOutput>();
        const out = inputs.map((_, n) => values[`${prefix}:${FIT_QUEUE}:${childId(n)}`]);
        const missing = out.findIndex((v) => v === undefined);
        if (missing >= 0) throw new RunFailed(`distributed run ${parentId}: no result for refit ${missing}`);
        o.onProgress?.({ done: inputs.length, total: inputs.length, workers: await workers(), largestJob });
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

/**
 * A worker: takes refits from the queue, one at a time (a refit is CPU-bound; run one worker per
 * core). `lockMs`: how long a job stays claimed without a heartbeat; a worker killed mid-job loses
 * its claim after that and another worker takes the job (BullMQ's stalled-job recovery).
 */
export async function startFitWorker(cfg: { redis_url: string; queue_prefix: string }, o: { lockMs?: number; name?: string; onJob?(id: string, event: 'start' | 'done'): void } = {}): Promise<Worker<FitInput, FitOutput>> {
  const { Worker } = await import('bullmq');
  const lockDuration = o.lockMs ?? 30_000;
  return new Worker<FitInput, FitOutput>(
    FIT_QUEUE,
    async (job) => {
      o.onJob?.(job.id ?? '?', 'start');
      const out = runFitTask(job.data);
      o.onJob?.(job.id ?? '?', 'done');
      return out;
    },
    {
      connection: redisOptions(cfg.redis_url),
      prefix: cfg.queue_prefix,
      concurrency: 1,
      lockDuration,
      stalledInterval: lockDuration,
      // A long refit on a busy machine can miss a heartbeat: it is then computed twice, which is
      // harmless (pure), rather than failed.
      maxStalledCount: 10,
      ...(o.name ? { name: o.name } : {}),
    },
  );
}
