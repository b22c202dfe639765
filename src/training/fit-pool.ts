import { Worker } from 'node:worker_threads';
import type { JobSource } from './fit-chunks.js';
import type { FitOutput, FitScores } from './fit-task.js';

/**
 * Walk-forward refits on this machine's cores: worker threads that each run runFitJob (a whole
 * refit, or a chunk of one), the same pure function the BullMQ workers run, so the output is the
 * same whatever the thread count and whichever thread finishes first (results come back in the
 * jobs' order).
 *
 * Hand-written rather than piscina or tinypool: a queue and `threads` workers is all it needs, and
 * a thread must load this project's TypeScript through tsx in development as well as the build.
 */
export interface FitPool {
  readonly threads: number;
  /**
   * Runs every job of `inputs` (an array, or jobs built as they are handed out); `onDone`: after
   * each job, the count done, how long it took in its thread and its index.
   */
  run(inputs: JobSource, onDone?: (done: number, ms: number, job: number) => void): Promise<Array<FitOutput | FitScores>>;
  close(): Promise<void>;
}

export async function createFitPool(threads: number): Promise<FitPool> {
  if (!(Number.isInteger(threads) && threads >= 1)) throw new Error(`fit threads must be a whole number >= 1, got ${threads}`);
  // The source (.ts, under tsx: the thread inherits --import tsx) or the build (.js).
  // The source under tsx (development, tests): a worker does not inherit the parent's --import
  // hooks, so its entry is a line of script that registers tsx, then imports the .ts.
  const source = import.meta.url.endsWith('.ts');
  const file = new URL(`./fit-thread${source ? '.ts' : '.js'}`, import.meta.url);
  const start = () => (source ? new Worker(`import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => { tsx.register(); return import(${JSON.stringify(file.href)}); })`, { eval: true }) : new Worker(file));
  const workers = Array.from({ length: threads }, start);
  await Promise.all(workers.map((w) => new Promise<void>((resolve, reject) => {
    w.once('online', resolve);
    w.once('error', reject);
  })));
  let busy = false;
  // Each batch's number travels with its jobs: a thread still busy with a job of a batch that
  // failed answers late, and that answer must not land in the next batch.
  let batch = 0;
  return {
    threads,
    async run(inputs, onDone) {
      if (busy) throw new Error('the fit pool is already running a batch');
      busy = true;
      const out: Array<FitOutput | FitScores> = new Array(inputs.length);
      let next = 0;
      let done = 0;
      const b = ++batch;
      try {
        await new Promise<void>((resolve, reject) => {
          if (!inputs.length) return resolve();
          let over = false;
          const fail = (e: Error) => {
            over = true; // the other threads' answers to this batch are dropped, nothing more is fed
            reject(e);
          };
          const feed = (w: Worker) => {
            if (!over && next < inputs.length) {
              const id = next++;
              w.postMessage({ batch: b, id, input: inputs.at(id) });
            }
          };
          for (const w of workers) {
            w.removeAllListeners('message');
            w.removeAllListeners('error');
            w.on('message', (m: { batch: number; id: number; output?: FitOutput | FitScores; ms?: number; error?: string }) => {
              if (over || m.batch !== b) return;
              if (m.error) return fail(new Error(`fit job ${m.id} failed in a fit thread: ${m.error}`));
              out[m.id] = m.output!;
              done++;
              onDone?.(done, m.ms ?? 0, m.id);
              if (done === inputs.length) {
                over = true;
                resolve();
              } else feed(w);
            });
            w.on('error', fail);
            feed(w);
          }
        });
      } finally {
        busy = false;
      }
      return out;
    },
    async close() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}

