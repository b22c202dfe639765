import { isVote, type Analysis, type AnalystName, type FinalVote, type Outcome, type Recommendation, type RoundEntry, type Verdict } from '../crew/types.js';
import type { Reason } from '../crew/reasons.js';
import type { DB } from './db.js';

/**
 * The crew as SQLite holds it: decisions (the seed's table), their rounds (for /why) and each
 * analyst's track record. How a closed trade is scored and what the record does to the weights
 * is src/crew/track-record.ts; this module only reads and writes the rows.
 */

export interface DecisionRow {
  id: number;
  ts: number;
  symbol: string;
  candle_ts: number;
  proposal_id: string | null;
  agent_side: string | null;
  consensus: Recommendation | null;
  consensus_reached: number;
  agreement: number;
  threshold: number;
  outcome: Outcome;
  rounds: number;
  votes_json: string;
  reasoning: string;
  notice: string | null;
}

export interface RoundRow {
  decision_id: number;
  round: number;
  analyst: AnalystName;
  kind: 'rule' | 'llm';
  recommendation: Recommendation | null;
  confidence: number | null;
  reasoning: string;
  supporting_json: string;
  /** The reason as a key and figures (JSON of a Reason); null for rounds stored before it existed. */
  reason_json: string | null;
  abstained: number;
  changed: number;
}

/** One line per voter: the decision's reasoning in a sentence each. */
export function reasoningOf(v: Verdict): string {
  return v.votes.map((x) => (isVote(x.analysis) ? `${x.analyst}: ${x.analysis.recommendation} ${Math.round(x.analysis.confidence * 100)}% — ${x.analysis.reasoning}` : `${x.analyst}: abstains — ${x.analysis.reason}`)).join('\n');
}

/**
 * Stores a deliberation with every round. Call inside the transaction that creates the proposal
 * (if any), so a proposal never exists without its reasons.
 */
export function recordDecision(db: DB, x: { ts: number; symbol: string; candleTs: number; proposalId: string | null; agentSide: string | null; outcome: Outcome; verdict: Verdict }): number {
  const v = x.verdict;
  const r = db
    .prepare(
      `INSERT INTO decisions (ts, symbol, candle_ts, proposal_id, agent_side, consensus, consensus_reached, agreement, threshold, outcome, rounds, votes_json, reasoning, notice)
       VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
    )
    .run(x.ts, x.symbol, x.candleTs, x.proposalId, x.agentSide, v.consensus, v.consensus === null ? 0 : 1, v.agreement, v.threshold, x.outcome, v.rounds, JSON.stringify(v.votes), reasoningOf(v), v.notice ?? null);
  const id = Number(r.lastInsertRowid);
  const ins = db.prepare(
    `INSERT INTO decision_rounds (decision_id, round, analyst, kind, recommendation, confidence, reasoning, supporting_json, abstained, changed, reason_json) VALUES (?,?,?,?,?,?,?,?,?,?,?)`,
  );
  for (const h of v.history) {
    const a = h.analysis;
    const why = a.why ? JSON.stringify(a.why) : null;
    if (isVote(a)) ins.run(id, h.round, h.analyst, h.kind, a.recommendation, a.confidence, a.reasoning, JSON.stringify(a.supportingData), 0, h.changed ? 1 : 0, why);
    else ins.run(id, h.round, h.analyst, h.kind, null, null, a.reason, '{}', 1, h.changed ? 1 : 0, why);
  }
  return id;
}

export function decisionForProposal(db: DB, proposalId: string): DecisionRow | undefined {
  return db.prepare('SELECT * FROM decisions WHERE proposal_id=? ORDER BY id DESC LIMIT 1').get(proposalId) as DecisionRow | undefined;
}

export function roundsOf(db: DB, decisionId: number): RoundRow[] {
  return db.prepare('SELECT * FROM decision_rounds WHERE decision_id=? ORDER BY round, rowid').all(decisionId) as RoundRow[];
}

export function recentDecisions(db: DB, limit = 10, symbol?: string): DecisionRow[] {
  return symbol
    ? (db.prepare('SELECT * FROM decisions WHERE symbol=? ORDER BY id DESC LIMIT ?').all(symbol, limit) as DecisionRow[])
    : (db.prepare('SELECT * FROM decisions ORDER BY id DESC LIMIT ?').all(limit) as DecisionRow[]);
}

/** How many decisions ended each way (outcome → count); outcomes never reached are absent. */
export function decisionCounts(db: DB): Record<string, number> {
  const rows = db.prepare('SELECT outcome, COUNT(*) AS n FROM decisions GROUP BY outcome').all() as Array<{ outcome: string; n: number }>;
  return Object.fromEntries(rows.map((r) => [r.outcome, r.n]));
}

export function votesOf(row: DecisionRow): FinalVote[] {
  return JSON.parse(row.votes_json) as FinalVote[];
}

export function historyFromRows(rows: RoundRow[]): RoundEntry[] {
  return rows.map((r) => ({
    round: r.round,
    analyst: r.analyst,
    kind: r.kind,
    changed: r.changed === 1,
    analysis: analysisOf(r),
  }));
}

/** A stored round as the analysis it was (with its reason's key and figures when it has them). */
export function analysisOf(r: RoundRow): Analysis {
  const why = r.reason_json ? (JSON.parse(r.reason_json) as Reason) : undefined;
  return r.abstained
    ? { abstain: true as const, reason: r.reasoning, ...(why ? { why } : {}) }
    : { recommendation: r.recommendation!, confidence: r.confidence!, reasoning: r.reasoning, ...(why ? { why } : {}), supportingData: JSON.parse(r.supporting_json) };
}

/** Stored hits and misses; an analyst never scored has no row. */
export function trackRows(db: DB): Array<{ analyst: AnalystName; hits: number; misses: number }> {
  return db.prepare('SELECT analyst, hits, misses FROM crew_track').all() as Array<{ analyst: AnalystName; hits: number; misses: number }>;
}

/**
 * Adds a closed trade's scores to the track record, once per trade: the trade is marked counted
 * (crew_track_trades) and every analyst's hit or miss added in one transaction. Returns false,
 * writing nothing more, when the trade was counted already.
 */
export function recordTradeScores(
  db: DB,
  x: { tradeId: string; decisionId: number; pnl: number; ts: number; scores: ReadonlyArray<{ analyst: AnalystName; right: boolean }> },
): boolean {
  return db.transaction(() => {
    const fresh = db.prepare('INSERT OR IGNORE INTO crew_track_trades (trade_id, decision_id, pnl, ts) VALUES (?,?,?,?)').run(x.tradeId, x.decisionId, x.pnl, x.ts);
    if (fresh.changes !== 1) return false;
    const up = db.prepare(
      `INSERT INTO crew_track (analyst, hits, misses, updated_at) VALUES (?,?,?,?)
       ON CONFLICT(analyst) DO UPDATE SET hits=hits+excluded.hits, misses=misses+excluded.misses, updated_at=excluded.updated_at`,
    );
    for (const s of x.scores) up.run(s.analyst, s.right ? 1 : 0, s.right ? 0 : 1, x.ts);
    return true;
  })();
}
