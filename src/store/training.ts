import type { DB } from './db.js';

/**
 * Training runs in SQLite: the run's row (config, checkpoint, result), its cycles and trades as
 * they finish, and the learned agent states it hands to the live crew. The JSON columns are
 * training's own shapes: this module stores and returns them as text, src/training parses them.
 */

export interface RunRow {
  config_json: string;
  checkpoint_json: string | null;
  status: string;
}

export interface LatestRunRow {
  id: string;
  status: string;
  cycles_done: number;
  cycles_total: number;
  result_json: string | null;
}

export function insertRun(db: DB, runId: string, configJson: string, startedAt: number, cyclesTotal: number): void {
  db.prepare(`INSERT INTO training_runs (id, status, config_json, started_at, cycles_total) VALUES (?,?,?,?,?)`).run(runId, 'running', configJson, startedAt, cyclesTotal);
}

export function loadRun(db: DB, runId: string): RunRow | undefined {
  return db.prepare('SELECT config_json, checkpoint_json, status FROM training_runs WHERE id=?').get(runId) as RunRow | undefined;
}

/** The run's config JSON; the run must exist (a missing one throws, as reading its field would). */
export function runConfigJson(db: DB, runId: string): string {
  return (db.prepare('SELECT config_json FROM training_runs WHERE id=?').get(runId) as { config_json: string }).config_json;
}

/** Cycles total and done; the run must exist. */
export function runProgress(db: DB, runId: string): { cycles_total: number; cycles_done: number } {
  return db.prepare('SELECT cycles_total, cycles_done FROM training_runs WHERE id=?').get(runId) as { cycles_total: number; cycles_done: number };
}

/** The saved checkpoint, or null (no run, or none saved yet). */
export function checkpointJsonOf(db: DB, runId: string): string | null {
  const row = db.prepare('SELECT checkpoint_json FROM training_runs WHERE id=?').get(runId) as { checkpoint_json: string | null } | undefined;
  return row?.checkpoint_json ?? null;
}

/** The newest run that did not finish (killed while running, or stopped), to resume. */
export function interruptedRun(db: DB): { id: string; config_json: string } | undefined {
  return db.prepare(`SELECT id, config_json FROM training_runs WHERE status IN ('running','stopped') ORDER BY started_at DESC LIMIT 1`).get() as
    | { id: string; config_json: string }
    | undefined;
}

export function latestRun(db: DB): LatestRunRow | undefined {
  return db.prepare('SELECT id, status, cycles_done, cycles_total, result_json FROM training_runs ORDER BY started_at DESC LIMIT 1').get() as LatestRunRow | undefined;
}

/**
 * Back to the checkpoint: whatever was stored after it is dropped (the resumed run redoes it,
 * identically) and the run is running again. Three statements, each committed on its own; a crash
 * between them leaves rows the next resume drops again.
 */
export function rewindRun(db: DB, runId: string, nextCycle: number): void {
  db.prepare('DELETE FROM training_trades WHERE run_id=? AND cycle>?').run(runId, nextCycle);
  db.prepare('DELETE FROM training_cycles WHERE run_id=? AND cycle>?').run(runId, nextCycle);
  db.prepare(`UPDATE training_runs SET status='running', cycles_done=? WHERE id=?`).run(nextCycle, runId);
}

/** Stored cycles of a run in order, read lazily (a long run holds many). */
export function trainingCyclesOf(db: DB, runId: string): Iterable<{ summary_json: string }> {
  return db.prepare('SELECT summary_json FROM training_cycles WHERE run_id=? ORDER BY cycle').iterate(runId) as Iterable<{ summary_json: string }>;
}

/** Stored trades of a run in the order they were written, read lazily. */
export function trainingTradesOf(db: DB, runId: string): Iterable<{ symbol: string; metric_json: string }> {
  return db.prepare('SELECT symbol, metric_json FROM training_trades WHERE run_id=? ORDER BY rowid').iterate(runId) as Iterable<{ symbol: string; metric_json: string }>;
}

export interface RunWriter {
  appendTrade(cycle: number, symbol: string, metricJson: string): void;
  /** A cycle's row; a redone cycle replaces the one stored before. */
  putCycle(cycle: number, summaryJson: string): void;
  saveCheckpoint(checkpointJson: string, cyclesDone: number): void;
  setCyclesDone(cyclesDone: number): void;
}

/**
 * The writes a run makes every cycle, prepared once for the run. They do not open a transaction:
 * the caller groups one cycle's writes in db.transaction so a cycle is stored whole or not at all.
 */
export function runWriter(db: DB, runId: string): RunWriter {
  const insertTrade = db.prepare('INSERT INTO training_trades (run_id, cycle, symbol, metric_json) VALUES (?,?,?,?)');
  const insertCycle = db.prepare('INSERT OR REPLACE INTO training_cycles (run_id, cycle, summary_json) VALUES (?,?,?)');
  const checkpoint = db.prepare('UPDATE training_runs SET checkpoint_json=?, cycles_done=? WHERE id=?');
  const cyclesDone = db.prepare('UPDATE training_runs SET cycles_done=? WHERE id=?');
  return {
    appendTrade: (cycle, symbol, metricJson) => void insertTrade.run(runId, cycle, symbol, metricJson),
    putCycle: (cycle, summaryJson) => void insertCycle.run(runId, cycle, summaryJson),
    saveCheckpoint: (checkpointJson, done) => void checkpoint.run(checkpointJson, done, runId),
    setCyclesDone: (done) => void cyclesDone.run(done, runId),
  };
}

export function markRunStopped(db: DB, runId: string): void {
  db.prepare(`UPDATE training_runs SET status='stopped' WHERE id=?`).run(runId);
}

export function markRunDone(db: DB, runId: string, finishedAt: number, resultJson: string): void {
  db.prepare(`UPDATE training_runs SET status='done', finished_at=?, result_json=? WHERE id=?`).run(finishedAt, resultJson, runId);
}

export function markRunFailed(db: DB, runId: string, error: string): void {
  db.prepare(`UPDATE training_runs SET status='failed', error=? WHERE id=?`).run(error, runId);
}

/**
 * Upserts learned agent states (key "<symbol>:<strategy>") in one transaction, so the live crew
 * never sees half of a run's states. `now` is asked per row, as the rows are written.
 */
export function saveAgentStates(db: DB, states: ReadonlyArray<{ agent: string; state: unknown }>, now: () => number): void {
  const save = db.prepare('INSERT INTO agent_state (agent, state_json, updated_at) VALUES (?,?,?) ON CONFLICT(agent) DO UPDATE SET state_json=excluded.state_json, updated_at=excluded.updated_at');
  db.transaction(() => {
    for (const s of states) save.run(s.agent, JSON.stringify(s.state), now());
  })();
}

/** A run's status and final result (null until done); undefined when there is no such run. */
export function runResult(db: DB, runId: string): { status: string; result_json: string | null } | undefined {
  return db.prepare('SELECT status, result_json FROM training_runs WHERE id=?').get(runId) as { status: string; result_json: string | null } | undefined;
}
