import { parentPort } from 'node:worker_threads';
import { runFitTask, type FitInput } from './fit-task.js';

/** One worker thread of src/training/fit-pool.ts: refits in, fits out, in order of arrival. */
parentPort!.on('message', (m: { batch: number; id: number; input: FitInput }) => {
  try {
    const t0 = performance.now();
    const output = runFitTask(m.input);
    parentPort!.postMessage({ batch: m.batch, id: m.id, output, ms: performance.now() - t0 });
  } catch (e) {
    parentPort!.postMessage({ batch: m.batch, id: m.id, error: (e as Error).stack ?? String(e) });
  }
});
