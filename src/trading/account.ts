import type { App } from '../app/context.js';
import { crewTradeClosed } from '../crew/service.js';
import { closePosition, heldCandles } from '../kernel/position.js';
import { timeframeMs } from '../market/timeframe.js';
import type { DetailedTradeMetric, ExitReason } from '../metrics/types.js';
import type { DB } from '../store/db.js';
import { getKv, setKv } from '../store/kv.js';
import { recordPartialExit } from '../store/orders.js';
import { positionOfRow } from '../store/portfolio.js';
import { getTrade, type TradeRow } from '../store/trades.js';
import { isCcxtBroker, type CcxtFill } from './ccxt-broker.js';
import { managedSymbols } from './whitelist.js';

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

export type { TradeRow as OpenTradeRow } from '../store/trades.js';
export { openTrades, closedTrades } from '../store/trades.js';

/* ------------------------------------------------------------------------------------------------
 * Live mode: the account is the exchange's. Its balance is fetched (cached for the market-data TTL)
 * and kept in kv, so synchronous readers (/status, the risk gate) see the last figures and a
 * restart knows them; the paper `account.balance` key mirrors the quote total for the same readers.
 * --------------------------------------------------------------------------------------------- */

export interface LiveBalance {
  /** Quote currency the bot trades in (that of the first configured symbol). */
  quote: string;
  free: number;
  total: number;
  /** Every asset the exchange listed, free and total. */
  assets: Record<string, { free: number; total: number }>;
  at: number;
}

export function liveBalance(db: DB): LiveBalance | null {
  return getKv<LiveBalance | null>(db, 'live.balance', null);
}

export function saveLiveBalance(db: DB, b: LiveBalance): void {
  db.transaction(() => {
    setKv(db, 'live.balance', b);
    setKv(db, 'account.balance', b.total);
  })();
}

/**
 * The balances SQLite expects on the exchange: a baseline taken from the exchange, moved by every
 * fill the bot records. `slack` is how far an asset may be off because an exchange answer did not
 * say what a fill's fee was (a fill found by lookup after a crash), estimated at the configured fee.
 */
export interface Ledger {
  assets: Record<string, number>;
  slack: Record<string, number>;
  at: number;
}

export function getLedger(db: DB): Ledger | null {
  return getKv<Ledger | null>(db, 'live.ledger', null);
}

export function setLedger(db: DB, l: Ledger): void {
  setKv(db, 'live.ledger', l);
}

/** Moves the ledger by one fill (inside the caller's transaction). No ledger yet = nothing to move. */
export function applyToLedger(db: DB, deltas: Record<string, number>, slack: Record<string, number>, at: number): void {
  const l = getLedger(db);
  if (!l) return;
  for (const [a, d] of Object.entries(deltas)) l.assets[a] = (l.assets[a] ?? 0) + d;
  for (const [a, d] of Object.entries(slack)) l.slack[a] = (l.slack[a] ?? 0) + Math.abs(d);
  l.at = at;
  setLedger(db, l);
}

/** The quote currency the bot counts in: that of the first configured symbol. */
export function quoteCurrency(app: App): string {
  return app.cfg.symbols[0].split('/')[1] ?? 'USDT';
}

/**
 * Live mode: the exchange balance, fetched when the cached one is older than `maxAgeMs` (default
 * the market-data TTL; 0 = always ask). Paper mode: null. Errors propagate: a caller that sizes a
 * trade must not size it on a guess.
 */
export async function refreshLiveBalance(app: App, maxAgeMs = app.cfg.exchange.cache_ttl_seconds * 1000): Promise<LiveBalance | null> {
  if (!isCcxtBroker(app.broker)) return null;
  const have = liveBalance(app.db);
  if (have && maxAgeMs > 0 && app.now() - have.at < maxAgeMs) return have;
  const all = await app.broker.balances();
  const quote = quoteCurrency(app);
  // A symbol taken off the whitelist may still hold a position: its coins count too.
  const wanted = new Set([quote, ...managedSymbols(app).flatMap((s) => s.split('/'))]);
  const assets: LiveBalance['assets'] = {};
  for (const a of wanted) assets[a] = all[a] ?? { free: 0, total: 0 };
  const b: LiveBalance = { quote, free: assets[quote].free, total: assets[quote].total, assets, at: app.now() };
  saveLiveBalance(app.db, b);
  return b;
}

/**
 * How far the ledger may be off for a fill whose fees the exchange did not tell (a lookup after a
 * crash): the configured fee rate, in the asset a fee on that side is usually taken in.
 */
export function feeSlack(app: App, symbol: string, fill: CcxtFill): Record<string, number> {
  if (fill.feeKnown) return {};
  const [base, quote] = symbol.split('/');
  const rate = Math.max(app.cfg.costs.fee, 0.001);
  return fill.side === 'buy' ? { [base]: fill.amount * rate } : { [quote]: fill.amount * fill.price * rate };
}

/** The id of the trade that carries on what an exit left open: T1 -> T1-r1 -> T1-r2. */
export function remainderTradeId(tradeId: string): string {
  const m = /^(.*)-r(\d+)$/.exec(tradeId);
  return m ? `${m[1]}-r${Number(m[2]) + 1}` : `${tradeId}-r1`;
}

/**
 * A live exit the exchange filled only in part (the rest expired or was cancelled). What filled is
 * recorded as the trade's close: its quantity, its share of the entry fee, the exit at the fill's
 * price and fee, the PnL of that part only. What did not fill is still held on the exchange: it
 * carries on as a new open trade (remainderTradeId) with the same entry, stop, target and watch
 * position, so the next watch or scan closes it; the chat is told. One transaction, guarded by the
 * trade's status, with the order row and the ledger. Returns the closed part's metric and the
 * remainder's id, or null when the trade was no longer open.
 */
export async function recordPartialLiveExit(
  app: App,
  t: TradeRow,
  x: { clientOrderId: string; reason: ExitReason; exitCandleTs: number; fill: CcxtFill },
): Promise<{ metric: DetailedTradeMetric; remainderId: string } | null> {
  const { fill } = x;
  const tfMs = timeframeMs(app.cfg.timeframe);
  const filled = Math.min(fill.amount, t.quantity);
  const share = filled / t.quantity;
  const part: TradeRow = { ...t, quantity: filled, entry_fee: t.entry_fee * share, entry_slippage: t.entry_slippage * share };
  const metric = closePosition(positionOfRow(part, tfMs), {
    ref: fill.price,
    reason: x.reason,
    ts: app.demo ? x.exitCandleTs : app.now(),
    candles: heldCandles(Math.round(t.entry_candle_ts / tfMs), Math.round(x.exitCandleTs / tfMs), x.reason),
    costs: { fee: fill.fee / Math.max(1e-12, fill.price * fill.amount), slippage: 0 },
    balanceBefore: getBalance(app.db, app.cfg.starting_balance) + part.entry_fee,
    timeframeMs: tfMs,
    symbol: t.symbol,
    timeframe: app.cfg.timeframe,
  });
  const before = liveBalance(app.db);
  const fresh = await refreshLiveBalance(app, 0).catch(() => null);
  const after = fresh?.total ?? (before ? before.total + (fill.deltas[before.quote] ?? 0) : undefined);
  if (after !== undefined) metric.balanceAfter = after;
  const remainderId = remainderTradeId(t.id);
  const done = app.db.transaction((): boolean => {
    // The trade as it stands now (its stop may have trailed since `t` was read).
    const cur = getTrade(app.db, t.id);
    if (!cur || cur.status !== 'open') return false;
    const rest = cur.quantity - filled;
    const ok = recordPartialExit(app.db, {
      trade: cur,
      clientOrderId: x.clientOrderId,
      fill,
      closed: {
        quantity: filled,
        entryFee: part.entry_fee,
        entrySlippage: part.entry_slippage,
        exitPrice: metric.exitPrice,
        exitTs: metric.exitTime,
        reason: metric.exitReason,
        pnl: metric.pnl,
        metricJson: JSON.stringify(metric),
        exitCandleTs: x.exitCandleTs,
      },
      remainder: {
        id: remainderId,
        proposal_id: null,
        symbol: cur.symbol,
        direction: cur.direction,
        strategy: cur.strategy,
        quantity: rest,
        entry_price: cur.entry_price,
        entry_ts: cur.entry_ts,
        entry_fee: cur.entry_fee - part.entry_fee,
        entry_slippage: cur.entry_slippage - part.entry_slippage,
        stop: cur.stop,
        target: cur.target,
        leverage: cur.leverage,
        entry_candle_ts: cur.entry_candle_ts,
        checked_ts: cur.checked_ts,
        decision_json: cur.decision_json,
      },
    });
    if (!ok) return false;
    applyToLedger(app.db, fill.deltas, feeSlack(app, t.symbol, fill), app.now());
    app.events.emit({ type: 'exit_partial', trade: metric, requested: fill.requested, remainder: { id: remainderId, quantity: rest, stop: cur.stop, target: cur.target } });
    return true;
  })();
  app.events.flush();
  if (!done) return null;
  app.log.warn({ trade: t.id, filled, of: fill.requested, remainder: remainderId, pnl: metric.pnl }, 'exit filled in part; the rest stays open');
  crewTradeClosed(app, part, metric.pnl);
  return { metric, remainderId };
}
