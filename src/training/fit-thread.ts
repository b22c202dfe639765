import { parentPort } from 'node:worker_threads';
import { runFitJob, type FitJob } from './fit-task.js';

/** One worker thread of src/training/fit-pool.ts: jobs in (refits or chunks), fits or scores out, in order of arrival. */
parentPort!.on('message', (m: { batch: number; id: number; input: FitJob }) => {
  try {
    const t0 = performance.now();
    const output = runFitJob(m.input);
    parentPort!.postMessage({ batch: m.batch, id: m.id, output, ms: performance.now() - t0 });
  } catch (e) {
    parentPort!.postMessage({ batch: m.batch, id: m.id, error: (e as Error).stack ?? String(e) });
  }
});
