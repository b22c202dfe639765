import crypto from 'node:crypto';
import path from 'node:path';
import { withoutSecrets } from '../config/load.js';
import type { Config } from '../config/schema.js';
import type { Series } from '../market/types.js';
import { backtestRun, saveBacktestRun } from '../store/backtests.js';
import type { DB } from '../store/db.js';
import { codeVersion, type RunManifest } from '../training/manifest.js';
import { InputError } from './args.js';
import { backtestReport, evaluate, prepareBacktest, type BacktestArgs, type BacktestReport, type PreparedBacktest } from './backtest.js';

/**
 * Backtests as replayable runs (issue #15): each CLI backtest is recorded in the data folder's
 * database with its arguments (candle files by absolute path), the config as resolved (secrets
 * blanked: a backtest reads none), a manifest (code version, seed, strategy, a SHA-256 of the
 * candles of each file it read) and its report. `replay <id>` runs it again from that record.
 */

export interface BacktestManifest {
  kind: 'backtest';
  code: RunManifest['code'];
  createdAt: number;
  seed: number;
  strategy: string;
  /** Per file read (--data, and --train-data when given): candles, range, SHA-256 of the values. */
  data: Record<'data' | 'trainData', { file: string; candles: number; from: number | null; to: number | null; sha256: string } | undefined>;
}

/** Backtest run ids start with "b" (training runs with "r"), so replay knows which it holds. */
export function newBacktestId(): string {
  return 'b' + Date.now().toString(36) + crypto.randomBytes(2).toString('hex');
}
export const isBacktestId = (id: string) => id.startsWith('b');

/** The candles as read (every value's 8 bytes, in column order): a file re-saved with other spacing hashes the same. */
export function seriesDigest(s: Series, file: string): NonNullable<BacktestManifest['data']['data']> {
  const h = crypto.createHash('sha256');
  for (const col of [s.ts, s.open, s.high, s.low, s.close, s.volume]) h.update(Buffer.from(col.buffer, col.byteOffset, col.byteLength));
  const n = s.ts.length;
  return { file, candles: n, from: n ? s.ts[0] : null, to: n ? s.ts[n - 1] : null, sha256: h.digest('hex') };
}

/** Records a finished backtest; returns its run id. */
export function recordBacktest(db: DB, cfg: Config, p: PreparedBacktest, report: BacktestReport, train: Series | null, now: number): string {
  const id = newBacktestId();
  const args: BacktestArgs = { ...p.args, data: path.resolve(p.args.data), ...(p.args.trainData ? { trainData: path.resolve(p.args.trainData) } : {}) };
  const manifest: BacktestManifest = {
    kind: 'backtest',
    code: codeVersion(),
    createdAt: now,
    seed: p.args.seed,
    strategy: p.name === 'crew' ? `crew (${p.strategy.name})` : p.name,
    data: { data: seriesDigest(p.series, args.data), trainData: train && args.trainData ? seriesDigest(train, args.trainData) : undefined },
  };
  saveBacktestRun(db, { id, created_at: now, args_json: JSON.stringify(args), config_json: JSON.stringify(withoutSecrets(cfg)), manifest_json: JSON.stringify(manifest), result_json: JSON.stringify(report) });
  return id;
}

/**
 * Runs a recorded backtest again on the same files, arguments and config. Refuses when a file is
 * gone or its candles changed; otherwise returns both reports for the caller to compare.
 */
export function rerunBacktest(db: DB, id: string): { manifest: BacktestManifest; before: BacktestReport; after: BacktestReport; trades: number } {
  const row = backtestRun(db, id);
  if (!row) throw new InputError(`replay: no backtest run ${id} in this data folder`);
  const args = JSON.parse(row.args_json) as BacktestArgs;
  const manifest = JSON.parse(row.manifest_json) as BacktestManifest;
  let p: PreparedBacktest;
  try {
    p = prepareBacktest(args, JSON.parse(row.config_json) as Config);
  } catch (e) {
    throw new InputError(`replay: backtest ${id} cannot read its candles again: ${(e as Error).message}`);
  }
  for (const [what, s] of [['data', p.series], ['trainData', p.train]] as const) {
    const was = manifest.data[what];
    if (!was || !s) continue;
    const now = seriesDigest(s, was.file);
    if (now.sha256 !== was.sha256) {
      throw new InputError(`replay: the candles of ${was.file} changed since backtest ${id} (then ${was.candles} candles, sha256 ${was.sha256.slice(0, 12)}; now ${now.candles}, ${now.sha256.slice(0, 12)}): a replay needs the data the run read`);
    }
  }
  const run = evaluate(p);
  return { manifest, before: JSON.parse(row.result_json) as BacktestReport, after: JSON.parse(JSON.stringify(backtestReport(p, run))) as BacktestReport, trades: run.trades.length };
}
