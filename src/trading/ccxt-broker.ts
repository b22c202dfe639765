/**
 * Broker that places real orders through ccxt.
 *
 * The one rule that matters: an order is sent at most once. Every order carries a client order
 * id derived from the proposal id; when the answer to a send is lost (timeout, 5xx, dropped
 * connection) we ask the exchange for that id before sending again, and never re-send while we
 * cannot tell.
 */
import { createHash } from 'node:crypto';
import type { Exchange, Order } from 'ccxt';
import { type Broker, type OrderFill, type OrderRequest, OrderRejectedError } from './broker.js';
import { type RetryPolicy, backoffMs, ensureMarkets, isTransient, scrubSecrets, sleep, withRetry } from '../market/ccxt-exchange.js';
import { ccxtErrors } from '../market/ccxt-load.js';

export interface CcxtBrokerOptions {
  /** Default order type; a request's own `type` wins. */
  orderType: 'market' | 'limit';
  retry?: RetryPolicy;
}

/** What the exchange told us about one order, beyond the common fill. */
export interface CcxtFill extends OrderFill {
  /** open = a limit order still resting; closed = done; canceled = cancelled/expired/rejected. */
  status: 'open' | 'closed' | 'canceled';
  /** Base amount the order asked for (after precision). */
  requested: number;
  /**
   * Fee taken in the base asset (binance takes a buy's commission from the coins bought): the
   * account holds `amount - baseFee` of the base afterwards, and that is all an exit can sell.
   */
  baseFee: number;
  /** False when the exchange did not say what the fees were (a lookup by id usually does not). */
  feeKnown: boolean;
  /** How each asset's balance changed through this fill, fees included as far as known. */
  deltas: Record<string, number>;
}

export type Balances = Record<string, { free: number; total: number }>;

/** The ccxt broker also answers for the account: balances, open orders, cancellation. */
export interface CcxtBroker extends Broker {
  readonly name: 'ccxt';
  readonly exchange: Exchange;
  placeOrder(req: OrderRequest): Promise<CcxtFill>;
  findOrder(clientOrderId: string, symbol: string): Promise<CcxtFill | null>;
  /** Free and total per asset, straight from the exchange (retried, never cached here). */
  balances(): Promise<Balances>;
  /** Cancels an open order by client order id; returns its final state (null when unknown). */
  cancelOrder(clientOrderId: string, symbol: string): Promise<CcxtFill | null>;
}

export function isCcxtBroker(b: Broker): b is CcxtBroker {
  return b.name === 'ccxt';
}

const CLIENT_ID_RE = /^[a-zA-Z0-9-_]{1,36}$/;

/**
 * A deterministic client order id valid on binance (`^[a-zA-Z0-9-_]{1,36}$`), so a restart that
 * re-executes the same proposal produces the same id and the exchange lookup finds the first try.
 * Ids that are already safe stay readable (`tc-<id>`); others get a readable prefix plus a hash
 * of the whole id, so two proposals never share an order id.
 */
export function clientOrderIdFor(proposalId: string): string {
  if (!proposalId) throw new Error('clientOrderIdFor needs a non-empty proposal id');
  const plain = `tc-${proposalId}`;
  if (CLIENT_ID_RE.test(plain)) return plain;
  const hash = createHash('sha256').update(proposalId).digest('hex').slice(0, 16);
  const readable = proposalId.replace(/[^a-zA-Z0-9_-]/g, '').slice(0, 36 - 3 - 1 - hash.length);
  return readable ? `tc-${readable}-${hash}` : `tc-${hash}`;
}

export function createCcxtBroker(ex: Exchange, opts: CcxtBrokerOptions): CcxtBroker {
  const retry = opts.retry ?? { tries: 3, baseMs: 500 };
  // ccxt's error classes: loaded with the exchange (ccxt-load.ts), never by importing all of ccxt.
  const ccxt = ccxtErrors();
  if (!ccxt) throw new Error(`ccxt is not loaded: build the exchange with createExchange after loadExchange('${ex.id}')`);
  // binance and its siblings (binanceus, ...) take newClientOrderId / origClientOrderId.
  const isBinance = ex.id.startsWith('binance');

  const toFill = (o: Order, req: { clientOrderId: string; symbol: string; side?: string }): CcxtFill => {
    const market = ex.markets?.[o.symbol ?? req.symbol];
    const base = market?.base ?? '';
    const quote = market?.quote ?? '';
    const price = Number(o.average ?? o.price ?? 0);
    const amount = Number(o.filled ?? o.amount ?? 0);
    const side = (o.side ?? req.side) as OrderFill['side'];
    const fees = feesOf(o);
    const deltas: Record<string, number> = {};
    const add = (asset: string, d: number) => {
      if (asset && d) deltas[asset] = (deltas[asset] ?? 0) + d;
    };
    const cost = Number(o.cost ?? amount * price);
    add(base, side === 'buy' ? amount : -amount);
    add(quote, side === 'buy' ? -cost : cost);
    for (const f of fees) add(String(f.currency ?? ''), -Number(f.cost ?? 0));
    const st = o.status === 'open' ? 'open' : o.status === 'closed' ? 'closed' : o.status === undefined ? (amount > 0 ? 'closed' : 'open') : 'canceled';
    return {
      orderId: String(o.id),
      clientOrderId: o.clientOrderId ?? req.clientOrderId,
      symbol: o.symbol ?? req.symbol,
      side,
      price,
      amount,
      fee: feeInQuote(o, base, quote, price),
      ts: o.lastTradeTimestamp ?? o.timestamp ?? Date.now(),
      status: st,
      requested: Number(o.amount ?? amount),
      baseFee: fees.filter((f) => f.currency === base).reduce((a, f) => a + Number(f.cost ?? 0), 0),
      // A filled order that lists no fee at all: the answer did not carry them (binance's GET /order).
      feeKnown: fees.length > 0 || amount === 0,
      deltas,
    };
  };

  /** One lookup, no retries. null = the exchange says it has no such order. */
  const lookupOnce = async (clientOrderId: string, symbol: string): Promise<CcxtFill | null> => {
    try {
      if (isBinance) {
        const o = await ex.fetchOrder(undefined as unknown as string, symbol, { origClientOrderId: clientOrderId });
        return toFill(o, { clientOrderId, symbol });
      }
      // Generic path: scan what the exchange lists for this market.
      const lists: Order[] = [];
      if (ex.has['fetchOpenOrders']) lists.push(...(await ex.fetchOpenOrders(symbol)));
      if (ex.has['fetchClosedOrders']) lists.push(...(await ex.fetchClosedOrders(symbol)));
      const o = lists.find((x) => x.clientOrderId === clientOrderId);
      return o ? toFill(o, { clientOrderId, symbol }) : null;
    } catch (e) {
      if (e instanceof ccxt.OrderNotFound) return null;
      throw e;
    }
  };

  const findOrder = async (clientOrderId: string, symbol: string): Promise<CcxtFill | null> => {
    try {
      await ensureMarkets(ex, retry);
      if (!ex.markets?.[symbol]) throw new Error(`unknown symbol ${symbol} on ${ex.id}`);
      return await withRetry(() => lookupOnce(clientOrderId, symbol), retry);
    } catch (e) {
      throw scrubSecrets(e, ex);
    }
  };

  const placeOrder = async (req: OrderRequest): Promise<CcxtFill> => {
    try {
      return await place(req);
    } catch (e) {
      throw scrubSecrets(e, ex);
    }
  };

  const place = async (req: OrderRequest): Promise<CcxtFill> => {
    if (!CLIENT_ID_RE.test(req.clientOrderId)) {
      throw new OrderRejectedError(`client order id '${req.clientOrderId}' is not valid (use clientOrderIdFor)`, 'invalid_order');
    }
    await ensureMarkets(ex, retry);
    const market = ex.markets?.[req.symbol];
    if (!market) throw new OrderRejectedError(`unknown symbol ${req.symbol} on ${ex.id}`, 'unknown_symbol');
    const type = req.type ?? opts.orderType;
    const base = market.base ?? '';
    const quote = market.quote ?? '';

    let amountStr: string;
    try {
      amountStr = String(ex.amountToPrecision(req.symbol, req.amount));
    } catch {
      throw new OrderRejectedError(
        `order of ${fmt(req.amount)} ${base} rounds to zero at ${req.symbol}'s step of ${fmt(Number(market.precision.amount))} ${base}`,
        'precision',
      );
    }
    const amount = Number(amountStr);
    let limitPrice: number | undefined;
    if (type === 'limit') {
      if (req.price === undefined) throw new OrderRejectedError(`a limit order on ${req.symbol} needs a price`, 'invalid_order');
      limitPrice = Number(ex.priceToPrecision(req.symbol, req.price));
    }

    // Check the market's limits here: a rejection in plain words, and no request the exchange
    // would refuse anyway (nor a rate-limit hit for it).
    const minAmount = market.limits?.amount?.min;
    if (minAmount !== undefined && minAmount !== null && amount < minAmount) {
      throw new OrderRejectedError(
        `order of ${amountStr} ${base} is below ${req.symbol}'s minimum amount of ${fmt(minAmount)} ${base}`,
        'min_notional',
      );
    }
    const minCost = market.limits?.cost?.min;
    const refPrice = limitPrice ?? req.price ?? (minCost ? await lastPrice(req.symbol) : undefined);
    if (minCost && refPrice !== undefined && amount * refPrice < minCost) {
      throw new OrderRejectedError(
        `order of ${amountStr} ${base} (${(amount * refPrice).toFixed(2)} ${quote}) is below ${req.symbol}'s minimum of ${fmt(minCost)} ${quote}`,
        'min_notional',
      );
    }

    const params: Record<string, string> = isBinance ? { newClientOrderId: req.clientOrderId } : { clientOrderId: req.clientOrderId };
    const ctx = { clientOrderId: req.clientOrderId, symbol: req.symbol, side: req.side };
    // Already placed (a restart re-running an approved proposal)? binance only refuses a re-used
    // client id while the first order is still open, so a filled one must be looked for first.
    let earlier: CcxtFill | null;
    try {
      earlier = await withRetry(() => lookupOnce(req.clientOrderId, req.symbol), retry);
    } catch (e) {
      throw new Error(
        `could not check ${ex.id} for an earlier order ${req.clientOrderId}, so nothing was sent: ${stripPrefix(errMsg(e), ex.id)}`,
      );
    }
    if (earlier) return earlier;
    let lastErr: unknown;
    for (let attempt = 1; attempt <= retry.tries; attempt++) {
      try {
        // Market orders get no price: binance would turn amount*price into a quote-sized order.
        const o = await ex.createOrder(req.symbol, type, req.side, amount, limitPrice, params);
        return toFill(o, ctx);
      } catch (e) {
        if (e instanceof ccxt.InsufficientFunds) {
          const asset = req.side === 'buy' ? quote : base;
          const need = req.side === 'buy' && refPrice !== undefined ? ` (about ${(amount * refPrice).toFixed(2)} ${quote})` : '';
          throw new OrderRejectedError(
            `not enough ${asset}: ${req.side === 'buy' ? 'buying' : 'selling'} ${amountStr} ${base} on ${req.symbol} needs more ${asset} than the account has free${need}`,
            'insufficient_funds',
          );
        }
        if (e instanceof ccxt.BadSymbol) throw new OrderRejectedError(`unknown symbol ${req.symbol} on ${ex.id}`, 'unknown_symbol');
        if (e instanceof ccxt.InvalidOrder) {
          // binance answers a re-used client id with -2010 "Duplicate order sent.": an earlier send
          // landed after all (between our lookup and this send). Return that order.
          if (/duplicate/i.test(e.message)) {
            const found = await findOrder(req.clientOrderId, req.symbol).catch(() => null);
            if (found) return found;
          }
          throw new OrderRejectedError(`${ex.id} refused the ${req.side} order on ${req.symbol}: ${stripPrefix(e.message, ex.id)}`, 'invalid_order');
        }
        if (!isTransient(e)) throw e;
        lastErr = e;
      }
      // The answer was lost: the order may or may not be on the exchange. Look before re-sending.
      await sleep(backoffMs(attempt, retry.baseMs));
      let found: CcxtFill | null;
      try {
        found = await withRetry(() => lookupOnce(req.clientOrderId, req.symbol), retry);
      } catch (e) {
        throw new Error(
          `order ${req.clientOrderId} (${req.side} ${amountStr} ${req.symbol}) may or may not be on ${ex.id}: ` +
            `the send failed and the lookup failed too (${stripPrefix(errMsg(e), ex.id)}); check the exchange before retrying`,
        );
      }
      if (found) return found;
    }
    throw new Error(
      `could not place order ${req.clientOrderId} (${req.side} ${amountStr} ${req.symbol}) on ${ex.id} after ${retry.tries} tries; ` +
        `the exchange has no such order: ${stripPrefix(errMsg(lastErr), ex.id)}`,
    );
  };

  const lastPrice = async (symbol: string): Promise<number> => {
    const t = await withRetry(() => ex.fetchTicker(symbol), retry);
    const p = t.last ?? t.close;
    if (typeof p !== 'number') throw new Error(`${ex.id} returned no last price for ${symbol}`);
    return p;
  };

  const balances = async (): Promise<Balances> => {
    try {
      const b = await withRetry(() => ex.fetchBalance(), retry);
      const free = (b.free ?? {}) as unknown as Record<string, number | undefined>;
      const total = (b.total ?? {}) as unknown as Record<string, number | undefined>;
      const out: Balances = {};
      for (const asset of new Set([...Object.keys(free), ...Object.keys(total)])) {
        out[asset] = { free: Number(free[asset] ?? 0), total: Number(total[asset] ?? free[asset] ?? 0) };
      }
      return out;
    } catch (e) {
      throw scrubSecrets(e, ex);
    }
  };

  const cancelOrder = async (clientOrderId: string, symbol: string): Promise<CcxtFill | null> => {
    try {
      await ensureMarkets(ex, retry);
      try {
        await withRetry(() => ex.cancelOrder(undefined as unknown as string, symbol, isBinance ? { origClientOrderId: clientOrderId } : { clientOrderId }), retry);
      } catch (e) {
        // Already filled or gone: the lookup below says which.
        if (!(e instanceof ccxt.OrderNotFound) && !(e instanceof ccxt.InvalidOrder)) throw e;
      }
      return await withRetry(() => lookupOnce(clientOrderId, symbol), retry);
    } catch (e) {
      throw scrubSecrets(e, ex);
    }
  };

  return { name: 'ccxt', exchange: ex, placeOrder, findOrder, balances, cancelOrder };
}

/**
 * Could `amount` of `symbol` be sent as an order at about `price`: something left after the
 * market's step, at least its minimum amount and value? (What an exit leaves unfilled below that
 * is dust that no order can close.)
 */
export function tradableAmount(ex: Exchange, symbol: string, amount: number, price: number): boolean {
  if (!(amount > 0)) return false;
  const market = ex.markets?.[symbol];
  if (!market) return true;
  let a: number;
  try {
    a = Number(ex.amountToPrecision(symbol, amount));
  } catch {
    return false;
  }
  if (!(a > 0)) return false;
  const minAmount = market.limits?.amount?.min;
  if (minAmount !== undefined && minAmount !== null && a < minAmount) return false;
  const minCost = market.limits?.cost?.min;
  return !(minCost && price > 0 && a * price < minCost);
}

function feesOf(o: Order): NonNullable<Order['fee']>[] {
  // ccxt fills `fees` (one per currency) from binance's fills; its Order type only declares `fee`.
  const listed = (o as Order & { fees?: Order['fee'][] }).fees;
  const fees = listed && listed.length ? listed : o.fee ? [o.fee] : [];
  return fees.filter((f): f is NonNullable<Order['fee']> => !!f && !!Number(f.cost ?? 0));
}

/** Fee in quote currency: quote fees as they are, base fees at the fill price, others (e.g. BNB) unknown → 0. */
function feeInQuote(o: Order, base: string | undefined, quote: string | undefined, price: number): number {
  // ccxt fills `fees` (one per currency) from binance's fills; its Order type only declares `fee`.
  const listed = (o as Order & { fees?: Order['fee'][] }).fees;
  const fees = listed && listed.length ? listed : o.fee ? [o.fee] : [];
  let total = 0;
  for (const f of fees) {
    const cost = Number(f?.cost ?? 0);
    if (!f || !cost) continue;
    if (f.currency === quote) total += cost;
    else if (f.currency === base) total += cost * price;
  }
  return total;
}

function fmt(n: number): string {
  return String(Number(n.toPrecision(12)));
}

function errMsg(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** ccxt messages start with the exchange id; drop it when we already name the exchange. */
function stripPrefix(msg: string, id: string): string {
  return msg.startsWith(id + ' ') ? msg.slice(id.length + 1) : msg;
}
