import type { DB } from './db.js';

/** A backtest run as recorded (src/cli/backtest.ts) for `replay <id>`: the JSON columns as text. */
export interface BacktestRunRow {
  id: string;
  created_at: number;
  args_json: string;
  config_json: string;
  manifest_json: string;
  result_json: string;
}

export function saveBacktestRun(db: DB, row: BacktestRunRow): void {
  db.prepare('INSERT INTO backtest_runs (id, created_at, args_json, config_json, manifest_json, result_json) VALUES (@id, @created_at, @args_json, @config_json, @manifest_json, @result_json)').run(row);
}

export function backtestRun(db: DB, id: string): BacktestRunRow | null {
  return (db.prepare('SELECT * FROM backtest_runs WHERE id = ?').get(id) as BacktestRunRow | undefined) ?? null;
}
