/**
 * `npm run worker`: a process that takes walk-forward refits from Redis (BullMQ) for any bot or
 * CLI run that shares the same TRADECREW_REDIS_URL and queue prefix. Stop it with Ctrl-C (or
 * SIGTERM): the job in hand is finished first; kill -9 is safe too (the job is retried elsewhere).
 */
import { loadConfig } from '../config/load.js';
import { redisLabel, startFitWorker } from '../distributed/fits.js';

async function main(): Promise<void> {
  const cfg = loadConfig();
  if (!cfg.redis_url) {
    process.stderr.write('worker: no Redis to take jobs from: set TRADECREW_REDIS_URL (e.g. redis://127.0.0.1:6379), the same as the bot\'s\n');
    process.exit(2);
  }
  const worker = await startFitWorker(cfg, {
    lockMs: cfg.worker_lock_seconds * 1000,
    name: `worker-${process.pid}`,
    onJob: (id, event) => process.stdout.write(`${event === 'start' ? 'fit started' : 'fit done'} ${id}\n`),
  });
  worker.on('error', (e) => process.stderr.write(`worker: ${e.message}\n`));
  await worker.waitUntilReady();
  process.stdout.write(`worker ready: queue ${cfg.queue_prefix}:fits on ${redisLabel(cfg.redis_url)}, pid ${process.pid}\n`);
  const stop = async () => {
    await worker.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

main().catch((e) => {
  process.stderr.write(`worker: ${(e as Error).message}\n`);
  process.exit(1);
});
