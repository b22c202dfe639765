import type { DB } from './db.js';
import { claimWork, dropClaim, entryClaim, type Claim } from './orders.js';

/**
 * Proposals in SQLite. Every change of status is a conditional UPDATE (`... AND status=<from>`),
 * so of two racing presses, scans or restarts exactly one wins; callers read `changes`. An approved
 * proposal's order is sent only by the holder of its execution claim (claimExecution), so a press
 * and a scan that both see it `approved` never both send.
 */
/** The note of a proposal whose resting limit order a person cancelled (/cancel): its message says so. */
export const CANCELLED_BY = 'cancelled by ';

export type ProposalStatus = 'pending' | 'approved' | 'executed' | 'rejected' | 'expired' | 'failed';

export interface ProposalRow {
  id: string;
  symbol: string;
  direction: 'LONG' | 'SHORT';
  strategy: string;
  entry: number;
  stop: number;
  target: number;
  quantity: number;
  confidence: number;
  decision_json: string;
  status: ProposalStatus;
  created_at: number;
  candle_ts: number;
  expires_at: number;
  decided_by: string | null;
  decided_at: number | null;
  note: string | null;
}

export function getProposal(db: DB, id: string): ProposalRow | undefined {
  return db.prepare('SELECT * FROM proposals WHERE id=?').get(id) as ProposalRow | undefined;
}

/** Proposals still waiting for a person or for their order, oldest first. */
export function openProposals(db: DB): ProposalRow[] {
  return db.prepare(`SELECT * FROM proposals WHERE status IN ('pending','approved') ORDER BY created_at`).all() as ProposalRow[];
}

export function approvedProposalIds(db: DB): string[] {
  return (db.prepare(`SELECT id FROM proposals WHERE status='approved'`).all() as Array<{ id: string }>).map((r) => r.id);
}

/** Pending proposals whose time is up. */
export function dueProposals(db: DB, now: number): ProposalRow[] {
  return db.prepare(`SELECT * FROM proposals WHERE status='pending' AND expires_at<=?`).all(now) as ProposalRow[];
}

export function insertProposal(db: DB, row: ProposalRow): void {
  db.prepare(
    `INSERT INTO proposals (id, symbol, direction, strategy, entry, stop, target, quantity, confidence, decision_json, status, created_at, candle_ts, expires_at)
     VALUES (@id, @symbol, @direction, @strategy, @entry, @stop, @target, @quantity, @confidence, @decision_json, @status, @created_at, @candle_ts, @expires_at)`,
  ).run(row);
}

/** A person (or auto-approval) decides a pending proposal; true when this call made the change. */
export function decidePending(db: DB, id: string, to: 'approved' | 'rejected', by: string, at: number): boolean {
  return db.prepare(`UPDATE proposals SET status=?, decided_by=?, decided_at=? WHERE id=? AND status='pending'`).run(to, by, at, id).changes === 1;
}

export function expirePending(db: DB, id: string, at: number): boolean {
  return db.prepare(`UPDATE proposals SET status='expired', decided_at=? WHERE id=? AND status='pending'`).run(at, id).changes === 1;
}

/** An approved proposal's order ended: executed, failed (with the reason) or expired unfilled. Its claim goes with it. */
export function finishApproved(db: DB, id: string, to: 'executed' | 'failed' | 'expired', note?: string): boolean {
  const done =
    (note === undefined
      ? db.prepare(`UPDATE proposals SET status=? WHERE id=? AND status='approved'`).run(to, id)
      : db.prepare(`UPDATE proposals SET status=?, note=? WHERE id=? AND status='approved'`).run(to, note, id)
    ).changes === 1;
  if (done) dropClaim(db, entryClaim(id));
  return done;
}

/**
 * The right to send an approved proposal's order, won by one caller (see claimWork in
 * store/orders.ts): null when the proposal is not approved any more, or another caller of this
 * app is executing it right now. A claim left by a process that died is taken over.
 */
export function claimExecution(db: DB, id: string, owner: string, at: number): Claim | null {
  return claimWork(db, entryClaim(id), owner, at, () => (db.prepare(`SELECT status FROM proposals WHERE id=?`).get(id) as { status: string } | undefined)?.status === 'approved');
}

/** Proposals the trader turned down (rejected, or let expire) created since `since`, oldest first. */
export function turnedDown(db: DB, since: number): ProposalRow[] {
  return db.prepare(`SELECT * FROM proposals WHERE status IN ('rejected','expired') AND created_at>=? ORDER BY created_at`).all(since) as ProposalRow[];
}

/** Closed trades that came from a proposal, entered since `since`: how many, and their PnL. */
export function executedFromProposals(db: DB, since: number): { n: number; pnl: number; wins: number } {
  return db.prepare(`SELECT COUNT(*) AS n, COALESCE(SUM(pnl),0) AS pnl, COALESCE(SUM(pnl>0),0) AS wins FROM trades WHERE proposal_id IS NOT NULL AND status='closed' AND entry_ts>=?`).get(since) as { n: number; pnl: number; wins: number };
}
