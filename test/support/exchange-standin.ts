/**
 * A local stand-in for the binance spot REST API, for driving the real ccxt client over real
 * HTTP on 127.0.0.1. It implements what ccxt's binance uses for loadMarkets, fetchOHLCV,
 * fetchTicker, fetchTime, createOrder, fetchOrder, fetchOpenOrders and fetchBalance, with
 * binance's error codes and messages, HMAC-SHA256 request signing, exchange filters, balances,
 * and switches for failures (5xx, lost answers) that tests turn on.
 *
 * Like binance, a client order id must be unique only among OPEN orders (NEW, PARTIALLY_FILLED):
 * once an order with that id filled, expired or was cancelled, the id may be used again and a
 * second order goes through. Fault injection: latency on every request (setLatency), orders that
 * fill only in part and then expire or rest on the book (partialFillNext), cancellation (DELETE).
 */
import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Candle } from '../../src/market/types.js';

export interface SymbolSpec {
  base: string;
  quote: string;
  tickSize: number;
  stepSize: number;
  minQty: number;
  minNotional: number;
}

/** Filters as binance lists them for these pairs (minNotional raised to 10 for the tests). */
export const DEFAULT_SYMBOLS: Record<string, SymbolSpec> = {
  BTCUSDT: { base: 'BTC', quote: 'USDT', tickSize: 0.01, stepSize: 0.00001, minQty: 0.00001, minNotional: 10 },
  ETHUSDT: { base: 'ETH', quote: 'USDT', tickSize: 0.01, stepSize: 0.0001, minQty: 0.0001, minNotional: 10 },
  SOLUSDT: { base: 'SOL', quote: 'USDT', tickSize: 0.01, stepSize: 0.001, minQty: 0.001, minNotional: 10 },
};

/** Taker commission, charged in the asset received (binance's default without BNB). */
const COMMISSION = 0.001;

export interface StandinOrder {
  orderId: number;
  clientOrderId: string;
  symbol: string;
  side: 'BUY' | 'SELL';
  type: 'MARKET' | 'LIMIT';
  /** Limit price; 0 for market orders (as binance reports it). */
  price: number;
  origQty: number;
  executedQty: number;
  cummulativeQuoteQty: number;
  /** NEW / PARTIALLY_FILLED are open; the rest are final (EXPIRED: a market order that ran out of liquidity). */
  status: 'NEW' | 'PARTIALLY_FILLED' | 'FILLED' | 'CANCELED' | 'EXPIRED';
  timeInForce: string;
  time: number;
  updateTime: number;
  fillPrice?: number;
  commission: number;
  commissionAsset: string;
}

export type FailAction =
  | { status: number; body?: string; method?: string; recorded?: boolean }
  | { hangMs: number; method?: string; recorded?: boolean };

/** How the next matching orders fill: only `ratio` of the quantity, then the rest expires or rests. */
export interface PartialFill {
  ratio: number;
  /** expire = the rest is dropped (status EXPIRED, as binance does with a market order short of liquidity); rest = the order stays open, PARTIALLY_FILLED. */
  then: 'expire' | 'rest';
  side?: 'BUY' | 'SELL';
}

export interface ExchangeStandin {
  baseUrl: string;
  apiKey: string;
  secret: string;
  setCandles(symbol: string, candles: Candle[]): void;
  setPrice(symbol: string, price: number): void;
  setBalance(asset: string, free: number): void;
  balance(asset: string): { free: number; locked: number };
  readonly orders: StandinOrder[];
  readonly requests: Array<{ method: string; path: string; params: Record<string, string> }>;
  /**
   * The next `n` requests whose path matches fail. `{status, body}` answers with that status
   * (not processed unless `recorded: true`); `{hangMs}` holds the answer that long — by default
   * the request IS processed first, which for POST /order is the "order placed, answer lost" case.
   */
  failNext(pathRegex: RegExp, n: number, action: FailAction): void;
  /** An outage ends: every failure still queued by failNext is dropped. */
  endFailures(): void;
  /**
   * Every request (or those whose path and method match) takes `ms` to go through: it is
   * processed half-way, and answered at the end (0 = off). Requests overlap as on the wire.
   */
  setLatency(ms: number, filter?: { path?: RegExp; method?: string }): void;
  /** The next `n` orders that would fill (of `side`, when given) fill only in part (see PartialFill). */
  partialFillNext(n: number, how: PartialFill): void;
  /** Fills the rest of an open order at the market price (a resting order meeting liquidity). */
  fillRest(clientOrderId: string): void;
  close(): Promise<void>;
}

export interface StandinOptions {
  apiKey?: string;
  secret?: string;
  symbols?: Record<string, SymbolSpec>;
  now?: () => number;
}

class ApiError extends Error {
  constructor(
    public readonly status: number,
    public readonly code: number,
    msg: string,
  ) {
    super(msg);
  }
}

const SIGNED = new Set(['/api/v3/order', '/api/v3/openOrders', '/api/v3/account']);
const f8 = (n: number): string => n.toFixed(8);
const norm = (symbol: string): string => symbol.replace('/', '');

function intervalMs(interval: string): number {
  const m = /^(\d+)([mhdwM])$/.exec(interval);
  if (!m) throw new ApiError(400, -1120, 'Invalid interval.');
  const unit: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, M: 2_592_000_000 };
  return Number(m[1]) * unit[m[2]];
}

/** True when `x` is a whole multiple of `step` (within float noise). */
function onStep(x: number, step: number): boolean {
  const k = x / step;
  return Math.abs(k - Math.round(k)) < 1e-6;
}

export async function startExchangeStandin(opts: StandinOptions = {}): Promise<ExchangeStandin> {
  const apiKey = opts.apiKey ?? 'standin-api-key-0001';
  const secret = opts.secret ?? 'standin-secret-0001';
  const symbols = opts.symbols ?? DEFAULT_SYMBOLS;
  const now = opts.now ?? Date.now;
  const candles = new Map<string, Candle[]>();
  const prices = new Map<string, number>();
  const balances = new Map<string, { free: number; locked: number }>();
  const orders: StandinOrder[] = [];
  const requests: ExchangeStandin['requests'] = [];
  const rules: Array<{ re: RegExp; left: number; action: FailAction }> = [];
  const partials: Array<{ left: number; how: PartialFill }> = [];
  let latency: { ms: number; path?: RegExp; method?: string } = { ms: 0 };
  const timers = new Set<NodeJS.Timeout>();
  let nextOrderId = 1000;

  const bal = (asset: string) => {
    let b = balances.get(asset);
    if (!b) balances.set(asset, (b = { free: 0, locked: 0 }));
    return b;
  };
  const spec = (symbol: string | undefined): SymbolSpec & { symbol: string } => {
    if (!symbol) throw new ApiError(400, -1102, "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed.");
    const s = symbols[symbol];
    if (!s) throw new ApiError(400, -1121, 'Invalid symbol.');
    return { ...s, symbol };
  };
  const lastPrice = (symbol: string): number => {
    const p = prices.get(symbol) ?? candles.get(symbol)?.at(-1)?.close;
    if (p === undefined) throw new ApiError(400, -1013, 'No trades on this market yet.');
    return p;
  };

  const orderJson = (o: StandinOrder) => ({
    symbol: o.symbol,
    orderId: o.orderId,
    orderListId: -1,
    clientOrderId: o.clientOrderId,
    price: f8(o.price),
    origQty: f8(o.origQty),
    executedQty: f8(o.executedQty),
    cummulativeQuoteQty: f8(o.cummulativeQuoteQty),
    status: o.status,
    timeInForce: o.timeInForce,
    type: o.type,
    side: o.side,
    stopPrice: '0.00000000',
    icebergQty: '0.00000000',
    time: o.time,
    updateTime: o.updateTime,
    isWorking: true,
    workingTime: o.time,
    origQuoteOrderQty: '0.00000000',
    selfTradePreventionMode: 'EXPIRE_MAKER',
  });

  const latest = (pred: (o: StandinOrder) => boolean): StandinOrder | undefined => {
    for (let i = orders.length - 1; i >= 0; i--) if (pred(orders[i])) return orders[i];
    return undefined;
  };
  const isOpen = (o: StandinOrder): boolean => o.status === 'NEW' || o.status === 'PARTIALLY_FILLED';

  /** Fills `qty` more of the order at `price` (commission in the asset received), from locked funds when it rested. */
  const fillQty = (o: StandinOrder, s: SymbolSpec, price: number, qty: number, fromLocked: boolean): void => {
    if (!(qty > 0)) return;
    const cost = qty * price;
    if (o.side === 'BUY') {
      if (fromLocked) {
        // Funds were locked at the limit price; the fill uses them and frees what it did not need.
        const lockedFor = qty * o.price;
        bal(s.quote).locked -= lockedFor;
        bal(s.quote).free += lockedFor - cost;
      } else bal(s.quote).free -= cost;
      const commission = qty * COMMISSION;
      o.commission += commission;
      o.commissionAsset = s.base;
      bal(s.base).free += qty - commission;
    } else {
      if (fromLocked) bal(s.base).locked -= qty;
      else bal(s.base).free -= qty;
      const commission = cost * COMMISSION;
      o.commission += commission;
      o.commissionAsset = s.quote;
      bal(s.quote).free += cost - commission;
    }
    o.fillPrice = o.executedQty > 0 ? (o.cummulativeQuoteQty + cost) / (o.executedQty + qty) : price;
    o.executedQty += qty;
    o.cummulativeQuoteQty += cost;
    o.status = o.executedQty >= o.origQty - 1e-12 ? 'FILLED' : 'PARTIALLY_FILLED';
    o.updateTime = now();
  };

  /** Unlocks what an open order still holds back (cancelled or expired). */
  const release = (o: StandinOrder, s: SymbolSpec): void => {
    if (!isOpen(o)) return;
    const rest = o.origQty - o.executedQty;
    if (o.side === 'BUY') {
      bal(s.quote).locked -= rest * o.price;
      bal(s.quote).free += rest * o.price;
    } else {
      bal(s.base).locked -= rest;
      bal(s.base).free += rest;
    }
  };

  const newOrder = (p: Record<string, string>) => {
    const s = spec(p.symbol);
    const side = p.side as 'BUY' | 'SELL';
    const type = p.type as 'MARKET' | 'LIMIT';
    if (side !== 'BUY' && side !== 'SELL') throw new ApiError(400, -1100, "Illegal characters found in parameter 'side'.");
    if (type !== 'MARKET' && type !== 'LIMIT') throw new ApiError(400, -1116, 'Invalid orderType.');
    const cid = p.newClientOrderId ?? `standin-${nextOrderId}`;
    if (!/^[a-zA-Z0-9-_]{1,36}$/.test(cid)) throw new ApiError(400, -1100, "Illegal characters found in parameter 'newClientOrderId'; legal range is '^[a-zA-Z0-9-_]{1,36}$'.");
    // binance: "newClientOrderId: a unique id among open orders". A filled, expired or cancelled
    // order does not hold its id: the same id sent again is a new order.
    if (orders.some((o) => o.clientOrderId === cid && isOpen(o))) throw new ApiError(400, -2010, 'Duplicate order sent.');
    const market = lastPrice(s.symbol);
    let qty = Number(p.quantity);
    if (type === 'MARKET' && p.quoteOrderQty !== undefined) qty = Math.floor(Number(p.quoteOrderQty) / market / s.stepSize) * s.stepSize;
    if (!(qty > 0)) throw new ApiError(400, -1013, 'Invalid quantity.');
    if (qty < s.minQty || !onStep(qty, s.stepSize)) throw new ApiError(400, -1013, 'Filter failure: LOT_SIZE');
    let price = 0;
    if (type === 'LIMIT') {
      price = Number(p.price);
      if (!(price > 0) || !onStep(price, s.tickSize)) throw new ApiError(400, -1013, 'Filter failure: PRICE_FILTER');
      if (!p.timeInForce) throw new ApiError(400, -1102, "Mandatory parameter 'timeInForce' was not sent, was empty/null, or malformed.");
    }
    const refPrice = type === 'LIMIT' ? price : market;
    if (qty * refPrice < s.minNotional) throw new ApiError(400, -1013, 'Filter failure: NOTIONAL');
    const crosses = type === 'MARKET' || (side === 'BUY' ? price >= market : price <= market);
    // Funds: what this order needs, at the price it will fill at (or rest at).
    const needAsset = side === 'BUY' ? s.quote : s.base;
    const need = side === 'BUY' ? qty * (crosses ? market : price) : qty;
    if (bal(needAsset).free + 1e-12 < need) throw new ApiError(400, -2010, 'Account has insufficient balance for requested action.');
    const t = now();
    const o: StandinOrder = {
      orderId: nextOrderId++,
      clientOrderId: cid,
      symbol: s.symbol,
      side,
      type,
      price,
      origQty: qty,
      executedQty: 0,
      cummulativeQuoteQty: 0,
      status: 'NEW',
      timeInForce: type === 'LIMIT' ? p.timeInForce : 'GTC',
      time: t,
      updateTime: t,
      commission: 0,
      commissionAsset: s.quote,
    };
    const pi = partials.findIndex((x) => x.left > 0 && (!x.how.side || x.how.side === side));
    const partial = crosses && pi >= 0 ? partials[pi].how : undefined;
    if (partial) partials[pi].left--;
    if (crosses && !partial) fillQty(o, s, market, qty, false);
    else if (partial) {
      const part = Math.floor((qty * partial.ratio) / s.stepSize + 1e-9) * s.stepSize;
      fillQty(o, s, market, Number(part.toFixed(12)), false);
      if (partial.then === 'expire') o.status = 'EXPIRED';
      else {
        // The rest rests at the limit (or, for a market order, at the price it filled at).
        if (o.type === 'MARKET') o.price = market;
        const rest = qty - o.executedQty;
        const lock = side === 'BUY' ? rest * o.price : rest;
        bal(needAsset).free -= lock;
        bal(needAsset).locked += lock;
        if (o.executedQty > 0) o.status = 'PARTIALLY_FILLED';
      }
    } else {
      bal(needAsset).free -= need;
      bal(needAsset).locked += need;
    }
    orders.push(o);
    const fills = o.executedQty > 0 ? [{ price: f8(o.fillPrice!), qty: f8(o.executedQty), commission: f8(o.commission), commissionAsset: o.commissionAsset, tradeId: o.orderId }] : [];
    return { ...orderJson(o), transactTime: t, fills };
  };

  const cancelOrder = (p: Record<string, string>) => {
    const o = findOrder(p);
    if (!isOpen(o)) throw new ApiError(400, -2011, 'Unknown order sent.');
    release(o, symbols[o.symbol]);
    o.status = 'CANCELED';
    o.updateTime = now();
    return { ...orderJson(o), origClientOrderId: o.clientOrderId };
  };

  const findOrder = (p: Record<string, string>): StandinOrder => {
    const s = spec(p.symbol);
    // The latest order with that client id (an id can be reused once its first order is done).
    const o = latest((x) => x.symbol === s.symbol && (p.origClientOrderId ? x.clientOrderId === p.origClientOrderId : String(x.orderId) === p.orderId));
    if (!o) throw new ApiError(400, -2013, 'Order does not exist.');
    return o;
  };

  const route = (method: string, path: string, p: Record<string, string>): unknown => {
    const key = `${method} ${path}`;
    switch (key) {
      case 'GET /api/v3/ping':
        return {};
      case 'GET /api/v3/time':
        return { serverTime: now() };
      case 'GET /api/v3/exchangeInfo':
        return exchangeInfo();
      case 'GET /api/v3/klines': {
        const s = spec(p.symbol);
        const tf = intervalMs(p.interval ?? '');
        const limit = Math.min(Number(p.limit ?? 500), 1000);
        const all = candles.get(s.symbol) ?? [];
        let rows = all.filter(
          (c) => (p.startTime === undefined || c.ts >= Number(p.startTime)) && (p.endTime === undefined || c.ts <= Number(p.endTime)),
        );
        // Like binance: with a startTime the first `limit` from there, otherwise the latest `limit`.
        rows = p.startTime !== undefined ? rows.slice(0, limit) : rows.slice(-limit);
        return rows.map((c) => [
          c.ts, f8(c.open), f8(c.high), f8(c.low), f8(c.close), f8(c.volume), c.ts + tf - 1,
          f8(c.volume * c.close), 100, f8(c.volume / 2), f8((c.volume * c.close) / 2), '0',
        ]);
      }
      case 'GET /api/v3/ticker/price': {
        const s = spec(p.symbol);
        return { symbol: s.symbol, price: f8(lastPrice(s.symbol)) };
      }
      case 'GET /api/v3/ticker/24hr': {
        const s = spec(p.symbol);
        const last = lastPrice(s.symbol);
        const series = candles.get(s.symbol) ?? [];
        const open = series.length ? series[Math.max(0, series.length - 24)].open : last;
        const t = now();
        return {
          symbol: s.symbol, priceChange: f8(last - open), priceChangePercent: ((100 * (last - open)) / open).toFixed(3),
          weightedAvgPrice: f8(last), prevClosePrice: f8(open), lastPrice: f8(last), lastQty: '0.01000000',
          bidPrice: f8(last - s.tickSize), bidQty: '1.00000000', askPrice: f8(last + s.tickSize), askQty: '1.00000000',
          openPrice: f8(open), highPrice: f8(last * 1.01), lowPrice: f8(last * 0.99), volume: '1000.00000000',
          quoteVolume: f8(1000 * last), openTime: t - 86_400_000, closeTime: t, firstId: 1, lastId: 1000, count: 1000,
        };
      }
      case 'POST /api/v3/order':
        return newOrder(p);
      case 'GET /api/v3/order':
        return orderJson(findOrder(p));
      case 'DELETE /api/v3/order':
        return cancelOrder(p);
      case 'GET /api/v3/openOrders': {
        const sym = p.symbol ? spec(p.symbol).symbol : undefined;
        return orders.filter((o) => isOpen(o) && (!sym || o.symbol === sym)).map(orderJson);
      }
      case 'GET /api/v3/account':
        return {
          makerCommission: 10, takerCommission: 10, buyerCommission: 0, sellerCommission: 0,
          canTrade: true, canWithdraw: true, canDeposit: true, brokered: false, requireSelfTradePrevention: false,
          updateTime: now(), accountType: 'SPOT', permissions: ['SPOT'], uid: 1,
          balances: [...balances].map(([asset, b]) => ({ asset, free: f8(b.free), locked: f8(b.locked) })),
        };
      default:
        throw new ApiError(404, -1000, `no such endpoint in the stand-in: ${key}`);
    }
  };

  const exchangeInfo = () => ({
    timezone: 'UTC',
    serverTime: now(),
    rateLimits: [{ rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 6000 }],
    exchangeFilters: [],
    symbols: Object.entries(symbols).map(([symbol, s]) => ({
      symbol, status: 'TRADING', baseAsset: s.base, baseAssetPrecision: 8, quoteAsset: s.quote, quotePrecision: 8,
      quoteAssetPrecision: 8, baseCommissionPrecision: 8, quoteCommissionPrecision: 8,
      orderTypes: ['LIMIT', 'LIMIT_MAKER', 'MARKET', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT_LIMIT'],
      icebergAllowed: true, ocoAllowed: true, quoteOrderQtyMarketAllowed: true, allowTrailingStop: true,
      cancelReplaceAllowed: true, isSpotTradingAllowed: true, isMarginTradingAllowed: false,
      filters: [
        { filterType: 'PRICE_FILTER', minPrice: f8(s.tickSize), maxPrice: '1000000.00000000', tickSize: f8(s.tickSize) },
        { filterType: 'LOT_SIZE', minQty: f8(s.minQty), maxQty: '9000.00000000', stepSize: f8(s.stepSize) },
        { filterType: 'ICEBERG_PARTS', limit: 10 },
        { filterType: 'MARKET_LOT_SIZE', minQty: '0.00000000', maxQty: '100.00000000', stepSize: '0.00000000' },
        { filterType: 'TRAILING_DELTA', minTrailingAboveDelta: 10, maxTrailingAboveDelta: 2000, minTrailingBelowDelta: 10, maxTrailingBelowDelta: 2000 },
        { filterType: 'PERCENT_PRICE_BY_SIDE', bidMultiplierUp: '5', bidMultiplierDown: '0.2', askMultiplierUp: '5', askMultiplierDown: '0.2', avgPriceMins: 5 },
        { filterType: 'NOTIONAL', minNotional: f8(s.minNotional), applyMinToMarket: true, maxNotional: '9000000.00000000', applyMaxToMarket: false, avgPriceMins: 5 },
        { filterType: 'MAX_NUM_ORDERS', maxNumOrders: 200 },
        { filterType: 'MAX_NUM_ALGO_ORDERS', maxNumAlgoOrders: 5 },
      ],
      permissions: [],
      permissionSets: [['SPOT', 'MARGIN']],
      defaultSelfTradePreventionMode: 'EXPIRE_MAKER',
      allowedSelfTradePreventionModes: ['EXPIRE_TAKER', 'EXPIRE_MAKER', 'EXPIRE_BOTH'],
    })),
  });

  /** Checks X-MBX-APIKEY, the HMAC-SHA256 signature over the exact query/body, and the recvWindow. */
  const authenticate = (req: http.IncomingMessage, payload: string, p: Record<string, string>): void => {
    if (req.headers['x-mbx-apikey'] !== apiKey) throw new ApiError(401, -2015, 'Invalid API-key, IP, or permissions for action.');
    const at = payload.lastIndexOf('&signature=');
    if (at < 0) throw new ApiError(400, -1102, "Mandatory parameter 'signature' was not sent, was empty/null, or malformed.");
    const expected = createHmac('sha256', secret).update(payload.slice(0, at)).digest('hex');
    if (payload.slice(at + '&signature='.length) !== expected) throw new ApiError(400, -1022, 'Signature for this request is not valid.');
    const ts = Number(p.timestamp);
    const window = Number(p.recvWindow ?? 5000);
    if (!(Math.abs(Date.now() - ts) <= window)) throw new ApiError(400, -1021, "Timestamp for this request is outside of the recvWindow.");
  };

  const handle = (req: http.IncomingMessage, res: http.ServerResponse, body: string): void => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    const path = url.pathname;
    const query = url.search.slice(1);
    const payload = method === 'POST' || method === 'PUT' ? body : query;
    const p = Object.fromEntries(new URLSearchParams(payload));
    const logged = { ...p };
    delete logged.signature;
    requests.push({ method, path, params: logged });

    const send = (status: number, text: string, delayMs = 0): void => {
      const write = () => {
        if (res.destroyed || res.writableEnded) return;
        res.writeHead(status, { 'content-type': text.startsWith('{') || text.startsWith('[') ? 'application/json' : 'text/html' });
        res.end(text);
      };
      if (!delayMs) return write();
      const t = setTimeout(() => {
        timers.delete(t);
        write();
      }, delayMs);
      timers.add(t);
      res.on('close', () => {
        clearTimeout(t);
        timers.delete(t);
      });
    };
    const run = (): { status: number; text: string } => {
      try {
        if (SIGNED.has(path)) authenticate(req, payload, p);
        return { status: 200, text: JSON.stringify(route(method, path, p)) };
      } catch (e) {
        if (e instanceof ApiError) return { status: e.status, text: JSON.stringify({ code: e.code, msg: e.message }) };
        return { status: 500, text: JSON.stringify({ code: -1000, msg: String(e) }) };
      }
    };

    const go = (extraMs: number): void => {
      const rule = rules.find((r) => r.left > 0 && r.re.test(path) && (!r.action.method || r.action.method === method));
      if (rule) {
        rule.left--;
        const a = rule.action;
        if ('hangMs' in a) {
          // The answer is lost on the way back; by default the work was done (order recorded).
          if (a.recorded ?? true) {
            const r = run();
            return send(r.status, r.text, a.hangMs + extraMs);
          }
          return send(504, '<html><body><h1>504 Gateway Time-out</h1></body></html>', a.hangMs + extraMs);
        }
        if (a.recorded) run();
        return send(a.status, a.body ?? `<html><body><h1>${a.status} Service Unavailable</h1></body></html>`, extraMs);
      }
      const r = run();
      send(r.status, r.text, extraMs);
    };
    const lag = latency.ms > 0 && (!latency.path || latency.path.test(path)) && (!latency.method || latency.method === method) ? latency.ms : 0;
    if (!lag) return go(0);
    // On the wire: the exchange sees the request half-way and answers the other half later,
    // whether or not the client is still waiting (it processes what it received).
    const t = setTimeout(() => {
      timers.delete(t);
      go(lag - lag / 2);
    }, lag / 2);
    timers.add(t);
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}`,
    apiKey,
    secret,
    setCandles(symbol, cs) {
      candles.set(norm(symbol), [...cs].sort((a, b) => a.ts - b.ts));
    },
    setPrice(symbol, price) {
      prices.set(norm(symbol), price);
    },
    setBalance(asset, free) {
      bal(asset).free = free;
    },
    balance(asset) {
      return { ...bal(asset) };
    },
    orders,
    requests,
    failNext(re, n, action) {
      rules.push({ re, left: n, action });
    },
    endFailures() {
      rules.length = 0;
    },
    setLatency(ms, filter) {
      latency = { ms, path: filter?.path, method: filter?.method };
    },
    partialFillNext(n, how) {
      partials.push({ left: n, how });
    },
    fillRest(clientOrderId) {
      const o = latest((x) => x.clientOrderId === clientOrderId && isOpen(x));
      if (!o) throw new Error(`no open order ${clientOrderId}`);
      fillQty(o, symbols[o.symbol], lastPrice(o.symbol), o.origQty - o.executedQty, true);
    },
    async close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Deterministic candles: a seeded random walk, `n` bars of `tfMs` from `startTs`. */
export function makeCandles(startTs: number, tfMs: number, n: number, seed = 1, startPrice = 30_000): Candle[] {
  let s = seed >>> 0;
  const rnd = () => {
    // mulberry32
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out: Candle[] = [];
  let price = startPrice;
  for (let i = 0; i < n; i++) {
    const open = price;
    const close = Math.max(1, open * (1 + (rnd() - 0.5) * 0.004));
    const high = Math.max(open, close) * (1 + rnd() * 0.001);
    const low = Math.min(open, close) * (1 - rnd() * 0.001);
    out.push({
      ts: startTs + i * tfMs,
      open: round2(open),
      high: round2(high),
      low: round2(low),
      close: round2(close),
      volume: Math.round(rnd() * 100_000) / 1000,
    });
    price = close;
  }
  return out;
}

const round2 = (x: number): number => Math.round(x * 100) / 100;

/** The settings of a bot trading live (1-minute candles) on this stand-in, with its data in `dataDir`. */
export function liveEnv(standin: { baseUrl: string; apiKey: string; secret: string }, dataDir: string, symbols: string[]): Record<string, string> {
  return {
    TRADECREW_DATA_DIR: dataDir,
    TRADECREW_MODE: 'live',
    EXCHANGE: 'binance',
    EXCHANGE_API_URL: standin.baseUrl,
    EXCHANGE_API_KEY: standin.apiKey,
    EXCHANGE_SECRET: standin.secret,
    TRADECREW_SYMBOLS: symbols.join(','),
    TRADECREW_TIMEFRAME: '1m',
  };
}
