/**
 * The start-up check of the exchange against SQLite (live mode): open orders and balances. Every
 * difference is reported in chat in plain words; nothing found is adopted, cancelled or dropped.
 * The only thing that moves is the balance ledger, re-based on the exchange's figures once the
 * difference has been reported (a deposit must not be reported again at every start).
 */
import type { App } from '../app/context.js';
import { getLedger, openTrades, refreshLiveBalance, setLedger, type Ledger } from './account.js';
import { isCcxtBroker } from './ccxt-broker.js';
import { managedSymbols } from './whitelist.js';
import { orderIdsWithStatus } from '../store/orders.js';
import { reconcile, type UnknownOpenOrder } from './reconcile.js';

export interface StartupFindings {
  /** Open on the exchange, not placed by this bot (or lost from its records): left untouched. */
  unknownOpenOrders: UnknownOpenOrder[];
  /** Open in SQLite, not open on the exchange. */
  missingOrders: string[];
  /** Orders whose sending was interrupted and that recovery could not settle yet. */
  unresolved: string[];
  /** Assets whose exchange total differs from what the recorded fills imply. */
  balanceDiffs: Array<{ asset: string; expected: number; actual: number }>;
  /** Open positions hold more coins than the exchange has. */
  positionShortfalls: Array<{ asset: string; needed: number; actual: number }>;
  /** First live start: the ledger was started from the exchange's balances. */
  baselined: boolean;
}

export function findingCount(f: StartupFindings): number {
  return f.unknownOpenOrders.length + f.missingOrders.length + f.unresolved.length + f.balanceDiffs.length + f.positionShortfalls.length;
}

/** Runs the check at start and reports what differs. Paper mode: null (there is nothing on an exchange). */
export async function startupReconcile(app: App): Promise<StartupFindings | null> {
  return reconcileExchange(app, 'start');
}

/**
 * The check itself, at start or on the hourly schedule. Orders still being sent are reported as
 * unresolved, not missing; the scheduled run holds the scan lock, so none is in flight then.
 */
export async function reconcileExchange(app: App, when: 'start' | 'scheduled'): Promise<StartupFindings | null> {
  if (!isCcxtBroker(app.broker)) return null;
  const ex = app.broker.exchange;
  const symbols = managedSymbols(app);
  const openIds = orderIdsWithStatus(app.db, 'open');
  const unresolved = orderIdsWithStatus(app.db, 'sending');
  const r = await reconcile(ex, { openClientOrderIds: openIds, symbols }, { retry: { tries: app.cfg.exchange.retries, baseMs: app.cfg.exchange.retry_base_ms } });
  // An order still being sent is not "missing": it is reported as unresolved instead.
  const missingOrders = r.missingOrders.filter((id) => !unresolved.includes(id));
  const bal = (await refreshLiveBalance(app, 0))!;

  const unknownOpenOrders = r.unknownOpenOrders.filter((o) => !o.clientOrderId || !unresolved.includes(o.clientOrderId));
  const findings: StartupFindings = { unknownOpenOrders, missingOrders, unresolved, balanceDiffs: [], positionShortfalls: [], baselined: false };
  const actual: Record<string, number> = {};
  for (const [a, v] of Object.entries(bal.assets)) actual[a] = v.total;

  const ledger = getLedger(app.db);
  if (!ledger) {
    findings.baselined = true;
  } else {
    for (const [asset, expected] of Object.entries(ledger.assets)) {
      const got = actual[asset] ?? 0;
      const allowed = (ledger.slack[asset] ?? 0) + Math.max(1e-8, Math.abs(expected) * 1e-9);
      if (Math.abs(got - expected) > allowed) findings.balanceDiffs.push({ asset, expected, actual: got });
    }
  }
  const needed: Record<string, number> = {};
  const leeway: Record<string, number> = {};
  for (const t of openTrades(app.db)) {
    if (t.direction !== 'LONG') continue;
    const base = t.symbol.split('/')[0];
    needed[base] = (needed[base] ?? 0) + t.quantity;
    // A fill found by lookup after a crash came without its fee; the coins may be short by it.
    if (!(t.entry_fee > 0)) leeway[base] = (leeway[base] ?? 0) + t.quantity * Math.max(app.cfg.costs.fee, 0.001);
  }
  for (const [asset, need] of Object.entries(needed)) {
    const got = actual[asset] ?? 0;
    if (got + (leeway[asset] ?? 0) + 1e-9 < need * (1 - 1e-6)) findings.positionShortfalls.push({ asset, needed: need, actual: got });
  }

  // From here on the ledger counts from the exchange's figures (any difference was just reported).
  const fresh: Ledger = { assets: actual, slack: {}, at: app.now() };
  setLedger(app.db, fresh);

  const n = findingCount(findings);
  app.log[n ? 'warn' : 'info']({ findings: n, ...findings, when }, `exchange check (${when})`);
  if (n) {
    app.events.emit({ type: 'reconcile_findings', findings, count: n, when });
    app.events.flush();
  }
  return findings;
}

