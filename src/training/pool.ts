import path from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import { Piscina } from 'piscina';
import { closeReaders, runAgentSegment, type AgentSegmentInput, type AgentSegmentOutput } from './agent-cycle.js';

export interface CycleRunner {
  run(input: AgentSegmentInput): Promise<AgentSegmentOutput>;
  close(): Promise<void>;
  readonly threads: number;
}

/**
 * Threads worth starting. Each worker pays ~0.5 s to start (TypeScript is loaded in every thread)
 * and every task a message round trip, so small runs finish sooner in this thread. An explicit
 * request is honoured (at most one thread per agent).
 */
export function threadsFor(opts: { requested?: number; maxAgents: number; symbols: number; totalCandles: number }): number {
  const cap = Math.max(1, Math.min(opts.maxAgents, opts.symbols, os.availableParallelism()));
  if (opts.requested !== undefined) return Math.max(1, Math.min(opts.requested, opts.symbols));
  // Measured here (bench/training.bench.ts): below ~2M agent-candles a run is done before the
  // workers have paid for their start.
  return opts.totalCandles >= 2_000_000 ? cap : 1;
}

/**
 * Runs agent cycles on a bounded pool of worker threads (at most `threads` at once), or in this
 * thread when threads <= 1. Workers inherit `--import tsx` through execArgv.
 */
export function createCycleRunner(threads: number): CycleRunner {
  if (threads <= 1) {
    return {
      threads: 1,
      run: async (input) => runAgentSegment(structuredClone(input)),
      close: async () => closeReaders(),
    };
  }
  const here = path.dirname(fileURLToPath(import.meta.url));
  const pool = new Piscina({
    filename: path.join(here, 'worker.ts'),
    minThreads: threads,
    maxThreads: threads,
    execArgv: process.execArgv.includes('tsx') || process.execArgv.some((a) => a.includes('tsx')) ? process.execArgv : ['--import', 'tsx'],
    idleTimeout: 1000,
  });
  return {
    threads,
    run: (input) => pool.run(input) as Promise<AgentSegmentOutput>,
    close: () => pool.destroy(),
  };
}
