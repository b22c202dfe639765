import { parseArgs } from 'node:util';
import { fitExecutorFor } from '../distributed/fits.js';
import { dbFile, openDb } from '../store/db.js';
import { runResult, runConfigJson } from '../store/training.js';
import { codeVersion, dataDigests, type RunManifest } from '../training/manifest.js';
import type { CyclePlan } from '../training/plan.js';
import { createRun, newRunId, runTraining, type TrainingParams } from '../training/run.js';
import type { DB } from '../store/db.js';
import { InputError, UsageError } from './args.js';
import { isBacktestId, rerunBacktest, type BacktestManifest } from './backtest-runs.js';
import { configOrInputError } from './train.js';

export const REPLAY_USAGE = `replay <run id> [--json]
  Runs a finished training run (id r...) or a backtest (id b..., printed by every backtest) again
  from its manifest: the same parameters, config, seed, plan and candles (a training run: the data
  folder must still hold the candles it read; a backtest: its candle files, unchanged). Reports
  whether every figure of its result matches. Exit 0 when they all match, 1 when any differs (the
  first differences are listed) or the data changed.`;

/** The first `max` paths where two JSON values differ, with both values. */
export function jsonDiff(a: unknown, b: unknown, max = 5, at = '$', out: string[] = []): string[] {
  if (out.length >= max) return out;
  if (a !== null && b !== null && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b)) {
    const keys = new Set([...Object.keys(a as object), ...Object.keys(b as object)]);
    for (const k of keys) jsonDiff((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], max, Array.isArray(a) ? `${at}[${k}]` : `${at}.${k}`, out);
    return out;
  }
  if (JSON.stringify(a) !== JSON.stringify(b)) out.push(`${at}: ${JSON.stringify(a)?.slice(0, 80)} -> ${JSON.stringify(b)?.slice(0, 80)}`);
  return out;
}

export async function replayCommand(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: true });
  } catch (e) {
    throw new UsageError(`replay: ${(e as Error).message.split('\n')[0]} (see: replay --help)`);
  }
  if (parsed.values.help) {
    process.stdout.write(REPLAY_USAGE + '\n');
    return 0;
  }
  const [id, ...extra] = parsed.positionals;
  if (!id || extra.length) throw new UsageError('replay: give exactly one run id (see: replay --help)');
  const cfg = configOrInputError();
  const db = openDb(dbFile(cfg.data_dir));
  try {
    if (isBacktestId(id)) return replayBacktest(db, id, parsed.values.json ?? false);
    const row = runResult(db, id);
    if (!row) throw new InputError(`replay: no training run ${id} in ${cfg.data_dir}`);
    if (row.status !== 'done' || !row.result_json) throw new InputError(`replay: run ${id} is ${row.status}, not finished: only a finished run has figures to compare`);
    const { params, plan, manifest } = JSON.parse(runConfigJson(db, id)) as { params: TrainingParams; plan: CyclePlan[]; manifest?: RunManifest };
    if (!manifest) throw new InputError(`replay: run ${id} has no manifest (it was made before manifests existed)`);
    // The same candles, or the comparison means nothing.
    const now = dataDigests(db, params, plan);
    for (const [s, d] of Object.entries(manifest.data)) {
      const n = now[s];
      if (!n || n.sha256 !== d.sha256) {
        throw new InputError(`replay: the candles of ${s} changed since run ${id} (then ${d.candles} candles, sha256 ${d.sha256.slice(0, 12)}; now ${n?.candles ?? 0}, ${n?.sha256.slice(0, 12) ?? 'none'}): a replay needs the data the run read`);
      }
    }
    const newId = newRunId();
    createRun(db, newId, params, { plan, of: id });
    const remote = await fitExecutorFor(cfg, { runId: newId });
    let result;
    try {
      result = await runTraining(db, newId, remote ? { fitMany: (x) => remote.fitMany(x) } : {});
    } finally {
      await remote?.close();
    }
    const before = { ...(JSON.parse(row.result_json) as object), runId: '-' };
    const after = { ...JSON.parse(JSON.stringify(result)), runId: '-' };
    const diffs = jsonDiff(before, after);
    const code = codeVersion();
    const same = diffs.length === 0;
    if (parsed.values.json) process.stdout.write(JSON.stringify({ runId: id, replayId: newId, match: same, differences: diffs, recordedWith: manifest.code, replayedWith: code }) + '\n');
    else {
      process.stdout.write(
        [
          `replay of ${id} as ${newId}: ${same ? 'every figure matches' : 'DIFFERENT'} (${result.cycles.length} cycles, ${result.trades.length} trades, ${Object.keys(result.verdicts).length} verdicts)`,
          `recorded with ${versionOf(manifest.code)}, replayed with ${versionOf(code)}; seed ${manifest.seed}; data ${Object.entries(manifest.data).map(([s, d]) => `${s} ${d.candles} candles ${d.sha256.slice(0, 12)}`).join(', ')}`,
          ...diffs.map((d) => `  ${d}`),
        ].join('\n') + '\n',
      );
    }
    return same ? 0 : 1;
  } finally {
    db.close();
  }
}

const versionOf = (c: RunManifest['code']) => `tradecrew ${c.version}${c.commit ? ` (${c.commit.slice(0, 10)})` : ''}`;

/** A recorded backtest again: the same report, figure for figure? */
function replayBacktest(db: DB, id: string, json: boolean): number {
  const { manifest, before, after, trades } = rerunBacktest(db, id);
  const diffs = jsonDiff(before, after);
  const code = codeVersion();
  const same = diffs.length === 0;
  const files = (Object.values(manifest.data).filter(Boolean) as Array<NonNullable<BacktestManifest['data']['data']>>).map((d) => `${d.file} ${d.candles} candles ${d.sha256.slice(0, 12)}`);
  if (json) process.stdout.write(JSON.stringify({ runId: id, match: same, differences: diffs, recordedWith: manifest.code, replayedWith: code }) + '\n');
  else
    process.stdout.write(
      [
        `replay of backtest ${id}: ${same ? 'every figure matches' : 'DIFFERENT'} (${manifest.strategy}, ${trades} trades)`,
        `recorded with ${versionOf(manifest.code)}, replayed with ${versionOf(code)}; seed ${manifest.seed}; data ${files.join(', ')}`,
        ...diffs.map((d) => `  ${d}`),
      ].join('\n') + '\n',
    );
  return same ? 0 : 1;
}
