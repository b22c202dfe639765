import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../config/load.js';
import { timeframeMs } from '../market/timeframe.js';
import { candleDigest } from '../store/candles.js';
import type { DB } from '../store/db.js';
import { runConfigJson, runResult } from '../store/training.js';
import type { CyclePlan } from './plan.js';
import type { TrainingParams } from './run.js';
import { candidatesFor } from './select.js';

/**
 * A run's manifest: what it takes to run it again and get every figure back. The parameters (the
 * config and overrides as resolved, the seed) and the plan are already the run's own record; the
 * manifest adds the code version, what the data was (per symbol: candles read, their range and a
 * SHA-256), and the size of the search (configurations per refit, refits).
 */
export interface RunManifest {
  code: { version: string; commit: string | null };
  createdAt: number;
  seed: number;
  strategy: string;
  data: Record<string, { timeframe: string; candles: number; from: number | null; to: number | null; sha256: string }>;
  search: { strategies: string[]; configurationsPerRefit: number; refits: number } | null;
  /** Set on a replay: the run it replays. */
  replayOf?: string;
}

/** package.json's version and, in a git checkout, the commit (null elsewhere, e.g. a Docker image). */
export function codeVersion(): RunManifest['code'] {
  const version = (JSON.parse(fs.readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
  const git = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: PROJECT_ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return { version, commit: git.status === 0 ? git.stdout.trim() : null };
}

/** Every candle the run can read ends before this: the last cycle's end plus the candle it fills on. */
export function dataEnd(params: TrainingParams, plan: CyclePlan[]): number {
  return plan[plan.length - 1].to + timeframeMs(params.timeframe);
}

export function dataDigests(db: DB, params: TrainingParams, plan: CyclePlan[]): RunManifest['data'] {
  const end = dataEnd(params, plan);
  return Object.fromEntries(params.symbols.map((s) => [s, { timeframe: params.timeframe, ...candleDigest(db, s, params.timeframe, end) }]));
}

export function buildManifest(db: DB, params: TrainingParams, plan: CyclePlan[], now: number): RunManifest {
  const wf = params.walkForward ?? null;
  return {
    code: codeVersion(),
    createdAt: now,
    seed: params.seed,
    strategy: params.crew ? `crew (${params.strategy})` : params.strategy,
    data: dataDigests(db, params, plan),
    search: wf
      ? {
          strategies: wf.strategies,
          configurationsPerRefit: wf.strategies.includes('ml_forest') ? 1 : candidatesFor(wf.strategies).length,
          refits: plan.filter((_, k) => k % wf.refitCycles === 0).length * params.symbols.length,
        }
      : null,
  };
}

/** A run's status and manifest (null: no such run; manifest null: a run older than manifests). */
export function manifestOf(db: DB, runId: string): { status: string; manifest: RunManifest | null } | null {
  const row = runResult(db, runId);
  if (!row) return null;
  const cfg = JSON.parse(runConfigJson(db, runId)) as { manifest?: RunManifest };
  return { status: row.status, manifest: cfg.manifest ?? null };
}
