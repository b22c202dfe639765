import type { App } from '../app/context.js';
import type { DB } from '../store/db.js';
import { getKv, setKv } from '../store/kv.js';
import { isCcxtBroker } from './ccxt-broker.js';

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
  const wanted = new Set([quote, ...app.cfg.symbols.flatMap((s) => s.split('/'))]);
  const assets: LiveBalance['assets'] = {};
  for (const a of wanted) assets[a] = all[a] ?? { free: 0, total: 0 };
  const b: LiveBalance = { quote, free: assets[quote].free, total: assets[quote].total, assets, at: app.now() };
  saveLiveBalance(app.db, b);
  return b;
}
