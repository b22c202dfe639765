import type { DB } from './db.js';

/**
 * Orders in SQLite, keyed by the client order id the exchange also knows. A row is written
 * ('sending') before the order leaves the process, so a restart finds every order whose outcome it
 * must look up before sending anything again.
 */
export interface OrderRow {
  client_order_id: string;
  proposal_id: string | null;
  trade_id: string | null;
  purpose: 'entry' | 'exit';
  symbol: string;
  side: string;
  amount: number;
  status: string;
  reason: string | null;
  ref_price: number | null;
  candle_ts: number | null;
}

export interface FilledOrder {
  orderId: string;
  price: number;
  fee: number;
  ts: number;
  amount: number;
}

export function getOrder(db: DB, clientOrderId: string): OrderRow | undefined {
  return db.prepare('SELECT * FROM orders WHERE client_order_id=?').get(clientOrderId) as OrderRow | undefined;
}

/** The entry order of a proposal, claimed once (a second claim changes nothing). */
export function claimEntryOrder(db: DB, o: { clientOrderId: string; proposalId: string; symbol: string; side: string; amount: number; at: number; type: string; refPrice: number; candleTs: number }): void {
  db.prepare(`INSERT OR IGNORE INTO orders (client_order_id, proposal_id, purpose, symbol, side, amount, status, created_at, type, ref_price, candle_ts) VALUES (?,?,'entry',?,?,?,'sending',?,?,?,?)`).run(
    o.clientOrderId,
    o.proposalId,
    o.symbol,
    o.side,
    o.amount,
    o.at,
    o.type,
    o.refPrice,
    o.candleTs,
  );
}

/**
 * The exit order of a trade: created 'sending' with its decision, or taken up again after it was
 * voided or rejected. An exit already sending or filled keeps its own decision.
 */
export function claimExitOrder(db: DB, o: { clientOrderId: string; tradeId: string; symbol: string; side: string; amount: number; at: number; reason: string; refPrice: number; candleTs: number }): OrderRow {
  db.prepare(
    `INSERT INTO orders (client_order_id, trade_id, purpose, symbol, side, amount, status, created_at, type, reason, ref_price, candle_ts) VALUES (?,?,'exit',?,?,?,'sending',?,'market',?,?,?)
     ON CONFLICT(client_order_id) DO UPDATE SET status='sending', reason=excluded.reason, ref_price=excluded.ref_price, candle_ts=excluded.candle_ts, error=NULL
     WHERE orders.status IN ('void','rejected')`,
  ).run(o.clientOrderId, o.tradeId, o.symbol, o.side, o.amount, o.at, o.reason, o.refPrice, o.candleTs);
  return getOrder(db, o.clientOrderId)!;
}

/** The decision an unsent exit carries (it never reached the exchange: this one is it). */
export function setExitDecision(db: DB, clientOrderId: string, reason: string, refPrice: number, candleTs: number): void {
  db.prepare(`UPDATE orders SET reason=?, ref_price=?, candle_ts=? WHERE client_order_id=?`).run(reason, refPrice, candleTs, clientOrderId);
}

export function markOrderRejected(db: DB, clientOrderId: string, error: string): void {
  db.prepare(`UPDATE orders SET status='rejected', error=? WHERE client_order_id=?`).run(error, clientOrderId);
}

/** A limit order rests on the book; true the first time. */
export function markOrderOpen(db: DB, clientOrderId: string, exchangeOrderId: string): boolean {
  return db.prepare(`UPDATE orders SET status='open', exchange_order_id=? WHERE client_order_id=? AND status='sending'`).run(exchangeOrderId, clientOrderId).changes === 1;
}

export function markOrderCancelled(db: DB, clientOrderId: string): void {
  db.prepare(`UPDATE orders SET status='cancelled' WHERE client_order_id=?`).run(clientOrderId);
}

export function markOrderFilled(db: DB, clientOrderId: string, f: FilledOrder): void {
  db.prepare(`UPDATE orders SET status='filled', exchange_order_id=?, price=?, fee=?, filled_at=?, amount=? WHERE client_order_id=?`).run(f.orderId, f.price, f.fee, f.ts, f.amount, clientOrderId);
}

/** An order that never reached the exchange (or whose trade is gone): nothing to look up any more. */
export function voidSendingOrder(db: DB, clientOrderId: string): void {
  db.prepare(`UPDATE orders SET status='void' WHERE client_order_id=? AND status='sending'`).run(clientOrderId);
}

export function sendingExitOrders(db: DB): OrderRow[] {
  return db.prepare(`SELECT * FROM orders WHERE purpose='exit' AND status='sending'`).all() as OrderRow[];
}

export function orderIdsWithStatus(db: DB, status: 'open' | 'sending'): string[] {
  return (db.prepare(`SELECT client_order_id FROM orders WHERE status=?`).all(status) as Array<{ client_order_id: string }>).map((r) => r.client_order_id);
}
