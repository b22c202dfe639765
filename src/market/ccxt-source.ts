/**
 * CandleSource over ccxt, with a small in-process cache in front of the exchange.
 *
 * The cache is the "market connection proxy": when several agents ask for the same market
 * within the TTL, they share one in-flight request and its result instead of each hitting the
 * exchange (and its rate limits).
 */
import type { Exchange } from 'ccxt';
import type { Candle, CandleSource } from './types.js';
import { timeframeMs } from './timeframe.js';
import { DEFAULT_RETRY, type RetryPolicy, ensureMarkets, scrubSecrets, withRetry } from './ccxt-exchange.js';

/** binance's (and most exchanges') largest klines page. */
const PAGE_LIMIT = 1000;

export interface CcxtSourceOptions {
  /** How long a fetched result (or an in-flight request) is shared with identical requests. */
  cacheTtlMs: number;
  /** Clock, for deciding which candle is still open and for the cache TTL. */
  now?: () => number;
  /** Retries for network errors, timeouts and 5xx; tests use a small baseMs. */
  retry?: RetryPolicy;
}

export type CcxtSource = CandleSource & {
  /** Network requests made so far (each page, ticker and markets load counts one; retries too). */
  readonly requests: number;
};

interface CacheEntry {
  at: number;
  value: Promise<unknown>;
}

export function createCcxtSource(ex: Exchange, opts: CcxtSourceOptions): CcxtSource {
  const now = opts.now ?? Date.now;
  const retry = opts.retry ?? DEFAULT_RETRY;
  const cache = new Map<string, CacheEntry>();
  let requests = 0;

  /** One counted network call, retried when transient, with credentials scrubbed from any error. */
  const net = async <T>(fn: () => Promise<T>): Promise<T> => {
    try {
      return await withRetry(() => {
        requests++;
        return fn();
      }, retry);
    } catch (e) {
      throw scrubSecrets(e, ex);
    }
  };

  const cached = <T>(key: string, load: () => Promise<T>): Promise<T> => {
    const t = now();
    for (const [k, e] of cache) if (t - e.at >= opts.cacheTtlMs) cache.delete(k); // keep the map small
    const hit = cache.get(key);
    if (hit) return hit.value as Promise<T>;
    const value = load();
    cache.set(key, { at: t, value });
    // A failure must not be served to the next caller for the rest of the TTL.
    value.catch(() => {
      if (cache.get(key)?.value === value) cache.delete(key);
    });
    return value;
  };

  const ensureMarket = async (symbol: string): Promise<void> => {
    try {
      await ensureMarkets(ex, retry, () => requests++);
    } catch (e) {
      throw scrubSecrets(e, ex);
    }
    if (!ex.markets?.[symbol]) throw new Error(`unknown symbol ${symbol} on ${ex.id}`);
  };

  const fetchAll = async (symbol: string, timeframe: string, since?: number, limit?: number): Promise<Candle[]> => {
    const tf = timeframeMs(timeframe);
    await ensureMarket(symbol);
    const t = now();
    // Without `since`, start far enough back to cover `limit` (default one page) closed candles.
    const from = since ?? Math.floor(t / tf) * tf - (limit ?? PAGE_LIMIT) * tf;
    const byTs = new Map<number, Candle>();
    let cursor = from;
    while (cursor <= t) {
      const page = await net(() => ex.fetchOHLCV(symbol, timeframe, cursor, PAGE_LIMIT));
      let last = -Infinity;
      for (const row of page) {
        const [ts, open, high, low, close, volume] = row as number[];
        if (typeof ts !== 'number') continue;
        last = Math.max(last, ts);
        if (ts < from || ts + tf > t) continue; // before the window, or still open
        byTs.set(ts, { ts, open, high, low, close, volume: volume ?? 0 });
      }
      // A short page is the end of the data; a page that did not move forward would loop forever.
      if (page.length < PAGE_LIMIT || last < cursor) break;
      if (since !== undefined && limit !== undefined && byTs.size >= limit) break;
      cursor = last + tf;
    }
    const out = [...byTs.values()].sort((a, b) => a.ts - b.ts);
    if (limit === undefined) return out;
    // With `since` the window starts there; without it the caller wants the latest candles.
    return since !== undefined ? out.slice(0, limit) : out.slice(-limit);
  };

  return {
    name: `ccxt:${ex.id}`,
    get requests() {
      return requests;
    },
    async fetchCandles(symbol, timeframe, since, limit) {
      timeframeMs(timeframe); // a bad timeframe fails here, with the timeframe module's plain message
      const rows = await cached(`ohlcv|${symbol}|${timeframe}|${since ?? ''}|${limit ?? ''}`, () =>
        fetchAll(symbol, timeframe, since, limit),
      );
      return rows.slice(); // callers may sort or push; the shared cached array stays intact
    },
    async lastPrice(symbol) {
      return cached(`ticker|${symbol}`, async () => {
        await ensureMarket(symbol);
        const ticker = await net(() => ex.fetchTicker(symbol));
        const p = ticker.last ?? ticker.close;
        if (typeof p !== 'number' || !Number.isFinite(p)) throw new Error(`${ex.id} returned no last price for ${symbol}`);
        return p;
      });
    },
    async hasSymbol(symbol) {
      try {
        await ensureMarkets(ex, retry, () => requests++);
      } catch (e) {
        throw scrubSecrets(e, ex);
      }
      // Listed and not switched off by the exchange (ccxt leaves `active` undefined when unknown).
      const m = ex.markets?.[symbol];
      return !!m && m.active !== false;
    },
  };
}

/**
 * Holes in a candle series: runs of missing candles between two present ones.
 * `from`/`to` are the open times of the first and last missing candle. Gaps are reported,
 * never filled: an invented candle would be a price that never traded.
 */
export function findGaps(candles: readonly Candle[], tfMs: number): Array<{ from: number; to: number; missing: number }> {
  const ts = candles.map((c) => c.ts).sort((a, b) => a - b);
  const gaps: Array<{ from: number; to: number; missing: number }> = [];
  for (let i = 1; i < ts.length; i++) {
    const missing = Math.round((ts[i] - ts[i - 1]) / tfMs) - 1;
    if (missing > 0) gaps.push({ from: ts[i - 1] + tfMs, to: ts[i] - tfMs, missing });
  }
  return gaps;
}
