import type { DB } from './db.js';

/** A trade row: open until its exit is recorded, then closed with its metric. */
export interface TradeRow {
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

export function openTrades(db: DB): TradeRow[] {
  return db.prepare(`SELECT * FROM trades WHERE status='open' ORDER BY entry_ts`).all() as TradeRow[];
}

export function closedTrades(db: DB, limit: number, since = 0): TradeRow[] {
  return db.prepare(`SELECT * FROM trades WHERE status='closed' AND exit_ts>=? ORDER BY exit_ts DESC LIMIT ?`).all(since, limit) as TradeRow[];
}

export function getTrade(db: DB, id: string): TradeRow | undefined {
  return db.prepare(`SELECT * FROM trades WHERE id=?`).get(id) as TradeRow | undefined;
}

export function insertTrade(db: DB, t: Omit<TradeRow, 'status' | 'exit_price' | 'exit_ts' | 'exit_reason' | 'pnl' | 'metric_json'>): void {
  db.prepare(
    `INSERT INTO trades (id, proposal_id, symbol, direction, strategy, quantity, entry_price, entry_ts, entry_fee, entry_slippage, stop, target, leverage, entry_candle_ts, checked_ts, decision_json)
     VALUES (@id, @proposal_id, @symbol, @direction, @strategy, @quantity, @entry_price, @entry_ts, @entry_fee, @entry_slippage, @stop, @target, @leverage, @entry_candle_ts, @checked_ts, @decision_json)`,
  ).run(t);
}

/** Records the exit; true when this call closed the trade (it was still open). */
export function closeTradeRow(db: DB, id: string, x: { exitPrice: number; exitTs: number; reason: string; pnl: number; metricJson: string; exitCandleTs: number }): boolean {
  return (
    db
      .prepare(`UPDATE trades SET status='closed', exit_price=?, exit_ts=?, exit_reason=?, pnl=?, metric_json=?, exit_candle_ts=? WHERE id=? AND status='open'`)
      .run(x.exitPrice, x.exitTs, x.reason, x.pnl, x.metricJson, x.exitCandleTs, id).changes === 1
  );
}

/** The watch went through this candle: the trade's stop (maybe trailed) as it stands after it. */
export function markChecked(db: DB, id: string, candleTs: number, stop: number): void {
  db.prepare(`UPDATE trades SET checked_ts=?, stop=? WHERE id=? AND status='open'`).run(candleTs, stop, id);
}
