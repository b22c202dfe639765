import type { DB } from './db.js';

/**
 * The crew LLM's spending per UTC day (`day` is YYYY-MM-DD): tokens, calls and failed calls. The
 * daily token budget is checked against it before every request, so it survives restarts.
 */
export interface LlmDayUsage {
  tokens: number;
  calls: number;
  failures: number;
}

/** The day's figures; zeros for a day without a call. */
export function llmUsageOn(db: DB, day: string): LlmDayUsage {
  const r = db.prepare('SELECT tokens, calls, failures FROM llm_usage WHERE day=?').get(day) as LlmDayUsage | undefined;
  return { tokens: r?.tokens ?? 0, calls: r?.calls ?? 0, failures: r?.failures ?? 0 };
}

/** Counts one call on the day: the tokens it spent, and whether it failed. */
export function recordLlmCall(db: DB, day: string, tokens: number, failed: boolean): void {
  db.prepare(
    `INSERT INTO llm_usage (day, tokens, calls, failures) VALUES (?,?,1,?)
     ON CONFLICT(day) DO UPDATE SET tokens=tokens+excluded.tokens, calls=calls+1, failures=failures+excluded.failures`,
  ).run(day, tokens, failed ? 1 : 0);
}
