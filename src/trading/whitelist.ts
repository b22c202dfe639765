import type { App } from '../app/context.js';
import type { DB } from '../store/db.js';
import { getKv, setKv } from '../store/kv.js';
import { openTrades } from '../store/trades.js';

/**
 * The traded symbols (freqtrade's whitelist): config `symbols`, changed at runtime by /whitelist
 * add|remove. The changes are kept in SQLite as what was added and what was removed, not as a
 * whole list, so a symbol added to the config file later still appears after a restart.
 * `app.cfg.symbols` always holds the list in force: everything that trades reads it.
 *
 * A removed symbol opens nothing new, but an open position in it is still managed until it exits:
 * its candles are still fetched and scanned (stop, target, trailing stop, time stop, exit signal)
 * and it is still marked to market (managedSymbols).
 */
interface WhitelistChanges {
  added: string[];
  removed: string[];
}

const KEY = 'whitelist.changes';

function changesOf(db: DB): WhitelistChanges {
  return getKv<WhitelistChanges>(db, KEY, { added: [], removed: [] });
}

/** The configured symbols with the chat's changes applied, in config order then added order. */
export function effectiveSymbols(db: DB, configured: readonly string[]): string[] {
  const c = changesOf(db);
  const out = configured.filter((s) => !c.removed.includes(s));
  for (const s of c.added) if (!out.includes(s)) out.push(s);
  return out;
}

/** The symbols whose candles and positions the bot looks after: the whitelist and open positions. */
export function managedSymbols(app: App): string[] {
  const out = [...app.cfg.symbols];
  for (const t of openTrades(app.db)) if (!out.includes(t.symbol)) out.push(t.symbol);
  return out;
}

/** Adds a symbol to the list in force and keeps the change; false when it was already there. */
export function addSymbol(app: App, symbol: string): boolean {
  if (app.cfg.symbols.includes(symbol)) return false;
  const c = changesOf(app.db);
  setKv(app.db, KEY, { added: c.added.includes(symbol) ? c.added : [...c.added, symbol], removed: c.removed.filter((s) => s !== symbol) });
  app.cfg.symbols = [...app.cfg.symbols, symbol];
  return true;
}

/** Removes a symbol from the list in force and keeps the change; false when it was not there. */
export function removeSymbol(app: App, symbol: string): boolean {
  if (!app.cfg.symbols.includes(symbol)) return false;
  const c = changesOf(app.db);
  setKv(app.db, KEY, { added: c.added.filter((s) => s !== symbol), removed: c.removed.includes(symbol) ? c.removed : [...c.removed, symbol] });
  app.cfg.symbols = app.cfg.symbols.filter((s) => s !== symbol);
  return true;
}
