import type { DB } from './db.js';
import { insertTrade, type TradeRow } from './trades.js';

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

/**
 * An exit that filled in part, recorded (inside the caller's transaction): the trade closes for the
 * part that filled (its quantity, share of the entry fee and slippage, exit and PnL), the rest
 * opens as a new trade with the same entry, stop, target and watch position, and the order is
 * marked partly filled. False (nothing written) when the trade was no longer open.
 */
export function recordPartialExit(
  db: DB,
  x: {
    trade: TradeRow;
    clientOrderId: string;
    fill: FilledOrder;
    closed: { quantity: number; entryFee: number; entrySlippage: number; exitPrice: number; exitTs: number; reason: string; pnl: number; metricJson: string; exitCandleTs: number };
    remainder: Omit<TradeRow, 'status' | 'exit_price' | 'exit_ts' | 'exit_reason' | 'pnl' | 'metric_json'>;
  },
): boolean {
  const c = x.closed;
  const closed = db
    .prepare(`UPDATE trades SET status='closed', quantity=?, entry_fee=?, entry_slippage=?, exit_price=?, exit_ts=?, exit_reason=?, pnl=?, metric_json=?, exit_candle_ts=? WHERE id=? AND status='open'`)
    .run(c.quantity, c.entryFee, c.entrySlippage, c.exitPrice, c.exitTs, c.reason, c.pnl, c.metricJson, c.exitCandleTs, x.trade.id).changes === 1;
  if (!closed) return false;
  insertTrade(db, x.remainder);
  const f = x.fill;
  db.prepare(`UPDATE orders SET status='partly_filled', exchange_order_id=?, price=?, fee=?, filled_at=?, amount=? WHERE client_order_id=?`).run(f.orderId, f.price, f.fee, f.ts, f.amount, x.clientOrderId);
  return true;
}

export function sendingExitOrders(db: DB): OrderRow[] {
  return db.prepare(`SELECT * FROM orders WHERE purpose='exit' AND status='sending'`).all() as OrderRow[];
}

export function orderIdsWithStatus(db: DB, status: 'open' | 'sending'): string[] {
  return (db.prepare(`SELECT client_order_id FROM orders WHERE status=?`).all(status) as Array<{ client_order_id: string }>).map((r) => r.client_order_id);
}

/* ------------------------------------------------------------------------------------------------
 * Claims. A money path (executing an approved proposal, closing a trade) is claimed once in SQLite
 * before anything is sent: a row `claim.<what>` in kv, inserted in the same transaction that checks
 * the work is still to be done, so of two racing callers (a button press and a scan, two presses, a
 * scan and the faster watch) exactly one wins, and only the winner talks to the exchange. The row
 * names its owner, one per running app: a claim owned by this app is in flight and is left alone; a
 * claim owned by another is what a process that died (kill -9) left behind (one bot runs per data
 * directory), and is taken over by a conditional UPDATE, again by one caller only. The holder drops
 * the claim when it is done (or failed without knowing, so the next scan can try again).
 * --------------------------------------------------------------------------------------------- */

export interface Claim {
  key: string;
  /** The exact kv value written, so a release removes this claim and no other. */
  token: string;
  /** The owner of a claim taken over (left by a process that died), when there was one. */
  tookOverFrom?: string;
}

const claimKey = (what: string) => `claim.${what}`;

/** Claims `what` for `owner` when `stillToDo()` holds (evaluated inside the transaction); null when someone holds it or it is done. */
export function claimWork(db: DB, what: string, owner: string, at: number, stillToDo: () => boolean): Claim | null {
  return db.transaction((): Claim | null => {
    if (!stillToDo()) return null;
    const key = claimKey(what);
    const token = JSON.stringify({ owner, at });
    const held = db.prepare('SELECT value FROM kv WHERE key=?').get(key) as { value: string } | undefined;
    if (held) {
      const prior = (JSON.parse(held.value) as { owner?: string }).owner ?? '?';
      if (prior === owner) return null; // in flight in this app
      return db.prepare('UPDATE kv SET value=? WHERE key=? AND value=?').run(token, key, held.value).changes === 1 ? { key, token, tookOverFrom: prior } : null;
    }
    return db.prepare('INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT(key) DO NOTHING').run(key, token).changes === 1 ? { key, token } : null;
  })();
}

/** Gives a claim up (the work is not done; the next caller may claim it). Only this claim, if still held. */
export function releaseClaim(db: DB, c: Claim): void {
  db.prepare('DELETE FROM kv WHERE key=? AND value=?').run(c.key, c.token);
}

/** The work is done: its claim goes, whoever held it (inside the transaction that records the result). */
export function dropClaim(db: DB, what: string): void {
  db.prepare('DELETE FROM kv WHERE key=?').run(claimKey(what));
}

/** Who holds the claim on `what`, if anyone (tests, /status). */
export function claimHolder(db: DB, what: string): string | null {
  const r = db.prepare('SELECT value FROM kv WHERE key=?').get(claimKey(what)) as { value: string } | undefined;
  return r ? ((JSON.parse(r.value) as { owner?: string }).owner ?? '?') : null;
}

/** The claim names of the money paths. */
export const entryClaim = (proposalId: string) => `entry.${proposalId}`;
export const exitClaim = (tradeId: string) => `exit.${tradeId}`;
