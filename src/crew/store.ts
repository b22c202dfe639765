import type { DB } from '../store/db.js';
import { ANALYST_NAMES, isVote, type AnalystName, type FinalVote, type Outcome, type Recommendation, type RoundEntry, type Verdict } from './types.js';

/** Persistence of the crew: decisions (the seed's table), their rounds, the track record. */

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
    `INSERT INTO decision_rounds (decision_id, round, analyst, kind, recommendation, confidence, reasoning, supporting_json, abstained, changed) VALUES (?,?,?,?,?,?,?,?,?,?)`,
  );
  for (const h of v.history) {
    const a = h.analysis;
    if (isVote(a)) ins.run(id, h.round, h.analyst, h.kind, a.recommendation, a.confidence, a.reasoning, JSON.stringify(a.supportingData), 0, h.changed ? 1 : 0);
    else ins.run(id, h.round, h.analyst, h.kind, null, null, a.reason, '{}', 1, h.changed ? 1 : 0);
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

export function votesOf(row: DecisionRow): FinalVote[] {
  return JSON.parse(row.votes_json) as FinalVote[];
}

export interface TrackRecord {
  analyst: AnalystName;
  hits: number;
  misses: number;
  multiplier: number;
}

/**
 * Learned weight multiplier from the track record: 2 x (hits + 1) / (votes + 2) — 1.0 with no
 * history (Laplace), towards 2 for an analyst that is always right and 0 for one always wrong;
 * kept within 0.25-2 so nobody is silenced or made a dictator by a short streak.
 */
export function multiplierOf(hits: number, misses: number): number {
  return Math.max(0.25, Math.min(2, (2 * (hits + 1)) / (hits + misses + 2)));
}

export function trackRecords(db: DB): TrackRecord[] {
  const rows = db.prepare('SELECT analyst, hits, misses FROM crew_track').all() as Array<{ analyst: AnalystName; hits: number; misses: number }>;
  const by = new Map(rows.map((r) => [r.analyst, r]));
  return ANALYST_NAMES.map((a) => {
    const r = by.get(a) ?? { hits: 0, misses: 0 };
    return { analyst: a, hits: r.hits, misses: r.misses, multiplier: multiplierOf(r.hits, r.misses) };
  });
}

/** Configured weight x learned multiplier (multiplier 1 when learning is off). */
export function effectiveWeights(db: DB, configured: Record<AnalystName, number>, learn: boolean): Record<AnalystName, number> {
  const out = { ...configured };
  if (!learn) return out;
  for (const t of trackRecords(db)) out[t.analyst] = configured[t.analyst] * t.multiplier;
  return out;
}

/**
 * A trade the crew proposed closed: each analyst that voted in that decision was right when it
 * backed the trade's side and the trade made money, or voted against it (HOLD or the other side)
 * and it lost. Abstentions are not scored. Counted once per trade (crew_track_trades). Returns
 * the analysts scored, or null when the trade had no crew decision or was counted already.
 */
export function scoreClosedTrade(db: DB, x: { tradeId: string; proposalId: string | null; direction: 'LONG' | 'SHORT'; pnl: number; ts: number }): Array<{ analyst: AnalystName; right: boolean }> | null {
  if (!x.proposalId) return null;
  const d = decisionForProposal(db, x.proposalId);
  if (!d) return null;
  return db.transaction(() => {
    const fresh = db.prepare('INSERT OR IGNORE INTO crew_track_trades (trade_id, decision_id, pnl, ts) VALUES (?,?,?,?)').run(x.tradeId, d.id, x.pnl, x.ts);
    if (fresh.changes !== 1) return null;
    const side = x.direction === 'LONG' ? 'BUY' : 'SELL';
    const won = x.pnl > 0;
    const out: Array<{ analyst: AnalystName; right: boolean }> = [];
    const up = db.prepare(
      `INSERT INTO crew_track (analyst, hits, misses, updated_at) VALUES (?,?,?,?)
       ON CONFLICT(analyst) DO UPDATE SET hits=hits+excluded.hits, misses=misses+excluded.misses, updated_at=excluded.updated_at`,
    );
    for (const v of votesOf(d)) {
      if (!isVote(v.analysis)) continue;
      const backed = v.analysis.recommendation === side;
      const right = backed === won;
      up.run(v.analyst, right ? 1 : 0, right ? 0 : 1, x.ts);
      out.push({ analyst: v.analyst, right });
    }
    return out;
  })();
}

export function historyFromRows(rows: RoundRow[]): RoundEntry[] {
  return rows.map((r) => ({
    round: r.round,
    analyst: r.analyst,
    kind: r.kind,
    changed: r.changed === 1,
    analysis: r.abstained ? { abstain: true as const, reason: r.reasoning } : { recommendation: r.recommendation!, confidence: r.confidence!, reasoning: r.reasoning, supportingData: JSON.parse(r.supporting_json) },
  }));
}
