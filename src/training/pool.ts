import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { runAgentCycle, type AgentCycleInput, type AgentCycleOutput } from './agent-cycle.js';

export interface CycleRunner {
  run(input: AgentCycleInput): Promise<AgentCycleOutput>;
  close(): Promise<void>;
  readonly threads: number;
}

/**
 * Runs agent cycles on a bounded pool of worker threads (at most `threads` at once), or in this
 * thread when threads <= 1. Workers inherit `--import tsx` through execArgv.
 */
export function createCycleRunner(threads: number): CycleRunner {
  if (threads <= 1) {
    return {
      threads: 1,
      run: async (input) => runAgentCycle(structuredClone(input)),
      close: async () => undefined,
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
    run: (input) => pool.run(input) as Promise<AgentCycleOutput>,
    close: () => pool.destroy(),
  };
}
