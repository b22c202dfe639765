import { decisionForProposal, recordTradeScores, trackRows, votesOf } from '../store/crew.js';
import type { DB } from '../store/db.js';
import { ANALYST_NAMES, isVote, type AnalystName } from './types.js';

/** The crew's track record: who was right about the trades it proposed, and the weights it earns. */

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
  const by = new Map(trackRows(db).map((r) => [r.analyst, r]));
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
 * and it lost. Abstentions are not scored. Counted once per trade (the store marks it). Returns
 * the analysts scored, or null when the trade had no crew decision or was counted already.
 */
export function scoreClosedTrade(db: DB, x: { tradeId: string; proposalId: string | null; direction: 'LONG' | 'SHORT'; pnl: number; ts: number }): Array<{ analyst: AnalystName; right: boolean }> | null {
  if (!x.proposalId) return null;
  const d = decisionForProposal(db, x.proposalId);
  if (!d) return null;
  const side = x.direction === 'LONG' ? 'BUY' : 'SELL';
  const won = x.pnl > 0;
  const scores: Array<{ analyst: AnalystName; right: boolean }> = [];
  for (const v of votesOf(d)) {
    if (!isVote(v.analysis)) continue;
    const backed = v.analysis.recommendation === side;
    scores.push({ analyst: v.analyst, right: backed === won });
  }
  return recordTradeScores(db, { tradeId: x.tradeId, decisionId: d.id, pnl: x.pnl, ts: x.ts, scores }) ? scores : null;
}
