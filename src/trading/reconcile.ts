/**
 * Compares what we believe is on the exchange with what the exchange says, and reports the
 * difference. It never adopts, cancels or changes anything: an order placed by hand on the
 * exchange may be the owner's, and deciding what to do with it is the owner's call.
 */
import type { Exchange, Order } from 'ccxt';
import { DEFAULT_RETRY, type RetryPolicy, ensureMarkets, scrubSecrets, withRetry } from '../market/ccxt-exchange.js';

export interface KnownState {
  /** Client order ids of the orders we think are open. */
  openClientOrderIds: string[];
  /** Markets to look at (binance lists open orders per symbol; without one it costs 40x the weight). */
  symbols: string[];
  /** Total (free + locked) per asset that we expect, e.g. `{ USDT: 1000, BTC: 0.1 }`. */
  expectedBalances?: Record<string, number>;
}

export interface UnknownOpenOrder {
  id: string;
  clientOrderId: string | undefined;
  symbol: string;
  side: string;
  amount: number;
  price: number | undefined;
}

export interface ReconcileReport {
  /** Open on the exchange, unknown to us (placed by hand, by another bot, or lost from our state). */
  unknownOpenOrders: UnknownOpenOrder[];
  /** Client order ids we think are open but the exchange does not list as open (filled, cancelled or never placed). */
  missingOrders: string[];
  /** Assets whose exchange total differs from what we expect. */
  balanceDiffs: Array<{ asset: string; expected: number; actual: number }>;
}

export async function reconcile(ex: Exchange, known: KnownState, opts: { retry?: RetryPolicy } = {}): Promise<ReconcileReport> {
  try {
    return await run(ex, known, opts.retry ?? DEFAULT_RETRY);
  } catch (e) {
    throw scrubSecrets(e, ex);
  }
}

async function run(ex: Exchange, known: KnownState, retry: RetryPolicy): Promise<ReconcileReport> {
  await ensureMarkets(ex, retry);
  const open: Order[] = [];
  for (const symbol of known.symbols) {
    if (!ex.markets?.[symbol]) throw new Error(`unknown symbol ${symbol} on ${ex.id}`);
    open.push(...(await withRetry(() => ex.fetchOpenOrders(symbol), retry)));
  }
  const ours = new Set(known.openClientOrderIds);
  const theirs = new Set(open.map((o) => o.clientOrderId).filter((x): x is string => !!x));

  const unknownOpenOrders = open
    .filter((o) => !o.clientOrderId || !ours.has(o.clientOrderId))
    .map((o) => ({
      id: String(o.id),
      clientOrderId: o.clientOrderId,
      symbol: o.symbol ?? '',
      side: String(o.side),
      amount: Number(o.amount ?? 0),
      price: o.price ?? undefined,
    }));
  const missingOrders = known.openClientOrderIds.filter((id) => !theirs.has(id));

  const balanceDiffs: ReconcileReport['balanceDiffs'] = [];
  const expected = known.expectedBalances;
  if (expected && Object.keys(expected).length) {
    const bal = await withRetry(() => ex.fetchBalance(), retry);
    const totals = (bal.total ?? {}) as unknown as Record<string, number | undefined>;
    for (const [asset, exp] of Object.entries(expected)) {
      const actual = Number(totals[asset] ?? 0);
      // Exchanges print 8 decimals; anything below that is float noise, not a difference.
      if (Math.abs(actual - exp) > Math.max(1e-8, Math.abs(exp) * 1e-9)) balanceDiffs.push({ asset, expected: exp, actual });
    }
  }
  return { unknownOpenOrders, missingOrders, balanceDiffs };
}
