import type { DB } from '../store/db.js';
import { getKv, setKv } from '../store/kv.js';

/**
 * The paper account. Cash balance lives in kv and changes only inside the same transaction as
 * the fill that changes it, so balance and trades can never disagree after a crash.
 */
export function getBalance(db: DB, starting: number): number {
  return getKv<number>(db, 'account.balance', starting);
}

export function addToBalance(db: DB, starting: number, delta: number): number {
  const b = getBalance(db, starting) + delta;
  setKv(db, 'account.balance', b);
  return b;
}

export interface OpenTradeRow {
  id: string;
  proposal_id: string | null;
  symbol: string;
  direction: 'LONG' | 'SHORT';
  strategy: string;
  quantity: number;
  entry_price: number;
  entry_ts: number;
  entry_fee: number;
  entry_slippage: number;
  stop: number;
  target: number;
  leverage: number;
  entry_candle_ts: number;
  checked_ts: number;
  decision_json: string;
  status: string;
  exit_price: number | null;
  exit_ts: number | null;
  exit_reason: string | null;
  pnl: number | null;
  metric_json: string | null;
}

export function openTrades(db: DB): OpenTradeRow[] {
  return db.prepare(`SELECT * FROM trades WHERE status='open' ORDER BY entry_ts`).all() as OpenTradeRow[];
}

export function closedTrades(db: DB, limit: number, since = 0): OpenTradeRow[] {
  return db.prepare(`SELECT * FROM trades WHERE status='closed' AND exit_ts>=? ORDER BY exit_ts DESC LIMIT ?`).all(since, limit) as OpenTradeRow[];
}

/** Equity = cash + unrealised PnL of open trades at the given prices. */
export function equityOf(balance: number, trades: OpenTradeRow[], prices: Record<string, number>): number {
  let eq = balance;
  for (const t of trades) {
    const p = prices[t.symbol];
    if (p === undefined) continue;
    eq += (t.direction === 'LONG' ? 1 : -1) * (p - t.entry_price) * t.quantity;
  }
  return eq;
}
