/**
 * Builds a ccxt exchange from plain settings, and keeps credentials out of error messages.
 *
 * Everything that talks to an exchange (candle source, broker, reconciliation) receives the
 * `Exchange` built here, so a test can point it at a local stand-in with `apiUrl` and drive the
 * real ccxt code over real HTTP.
 */
import pRetry from 'p-retry';
import type { Exchange } from 'ccxt';
import { ccxtErrors, exchangeClass, knownExchanges } from './ccxt-load.js';

export { loadExchange } from './ccxt-load.js';

export type { Exchange };

export interface ExchangeSettings {
  /** ccxt exchange id, e.g. `binance`. */
  id: string;
  apiKey?: string;
  secret?: string;
  /** Override every REST base URL (a proxy, a testnet, a local stand-in); each entry keeps its path. */
  apiUrl?: string;
  /** The exchange's public testnet (needs network access; not an offline option). */
  sandbox?: boolean;
  /** ccxt's client-side throttle; default true. Tests against a stand-in turn it off. */
  enableRateLimit?: boolean;
  /** Per-request timeout; ccxt's default (10 s) when unset. */
  timeoutMs?: number;
}

/** Builds the exchange; its class must have been loaded first with `await loadExchange(id)`. */
export function createExchange(s: ExchangeSettings): Exchange {
  const known = knownExchanges();
  if (!known.includes(s.id)) {
    const near = known.filter((id) => editDistance(id, s.id.toLowerCase()) <= 2);
    const hint = near.length ? `did you mean ${near.map((n) => `'${n}'`).join(' or ')}? ` : '';
    throw new Error(
      `unknown exchange id '${s.id}' (${hint}ccxt knows: ${known.slice(0, 8).join(', ')}, ... ${known.length} in all)`,
    );
  }
  const config: Record<string, unknown> = {
    enableRateLimit: s.enableRateLimit ?? true,
  };
  // Only pass credentials that are set: ccxt treats '' and undefined differently in places.
  if (s.apiKey) config.apiKey = s.apiKey;
  if (s.secret) config.secret = s.secret;
  if (s.timeoutMs !== undefined) config.timeout = s.timeoutMs;
  if (s.apiUrl && s.id === 'binance') {
    // A proxy or stand-in serves the spot API only: skip futures/options exchangeInfo, the
    // authenticated currency list and the margin pair lists that loadMarkets would otherwise ask for.
    config.options = { fetchMarkets: { types: ['spot'] }, fetchCurrencies: false, fetchMargins: false };
  }
  const Ctor = exchangeClass(s.id);
  const ex = new Ctor(config);
  if (s.sandbox) {
    try {
      ex.setSandboxMode(true);
    } catch {
      throw new Error(`exchange '${s.id}' has no sandbox/testnet in ccxt; unset sandbox or use apiUrl`);
    }
  }
  if (s.apiUrl) {
    const base = parseBase(s.apiUrl);
    ex.urls = { ...ex.urls, api: rewriteApiUrls(ex.urls.api, base) } as Exchange['urls'];
  }
  return ex;
}

function parseBase(apiUrl: string): string {
  let u: URL;
  try {
    u = new URL(apiUrl);
  } catch {
    throw new Error(`apiUrl '${apiUrl}' is not a URL (expected e.g. http://127.0.0.1:8080)`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`apiUrl '${apiUrl}' must start with http:// or https://`);
  // Keep a path prefix the caller gave (a proxy mounted under /binance), drop a trailing slash.
  return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`;
}

/**
 * Replaces scheme+host of every entry (strings, nested per-API dicts) and keeps each entry's
 * path. Works on templated hosts like okx's `https://{hostname}` too, since it never parses them.
 */
export function rewriteApiUrls(api: unknown, base: string): unknown {
  if (typeof api === 'string') return api.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, base);
  if (Array.isArray(api)) return api.map((v) => rewriteApiUrls(v, base));
  if (api && typeof api === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(api)) out[k] = rewriteApiUrls(v, base);
    return out;
  }
  return api;
}

/**
 * Removes the API key, the secret and request signatures from an error's message and stack,
 * in place (so `instanceof ccxt.InsufficientFunds` etc. still work), and returns it.
 * ccxt puts the full request URL in many messages; signed GETs carry `signature=` there.
 */
export function scrubSecrets(err: unknown, ex: Pick<Exchange, 'apiKey' | 'secret'>): Error {
  const e = err instanceof Error ? err : new Error(String(err));
  const secrets = [ex.apiKey, ex.secret].filter((x): x is string => typeof x === 'string' && x.length >= 4);
  const clean = (text: string): string => {
    let t = text.replace(/([?&]signature=)[^&\s"']+/gi, '$1[redacted]');
    for (const sec of secrets) t = t.split(sec).join('[redacted]');
    return t;
  };
  e.message = clean(e.message);
  if (e.stack) e.stack = clean(e.stack);
  return e;
}

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0];
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j];
      dp[j] = Math.min(dp[j] + 1, dp[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length];
}

export interface RetryPolicy {
  /** Attempts in all, including the first. */
  tries: number;
  /** First back-off delay; doubles each time, with jitter. */
  baseMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { tries: 3, baseMs: 400 };

/**
 * Failures worth another try: the network, timeouts, 5xx, rate limits, and exchange replies like
 * binance's -1001 "internal error" (ccxt's OperationFailed family). A rejection (bad symbol,
 * insufficient funds, invalid order, auth) is final.
 */
export function isTransient(err: unknown): boolean {
  // No exchange loaded yet: then no ccxt error can exist either.
  const ccxt = ccxtErrors();
  return ccxt !== null && err instanceof ccxt.OperationFailed;
}

/** Exponential back-off with "equal jitter": half fixed, half random, so retries from many agents spread out. */
export function backoffMs(attempt: number, baseMs: number): number {
  const d = baseMs * 2 ** (attempt - 1);
  return d / 2 + Math.random() * (d / 2);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Runs `fn` until it succeeds, a non-transient error occurs, or the tries are used up (p-retry):
 * the waits are backoffMs's, baseMs doubling with equal jitter (p-retry draws each in
 * [min, 2 × min] × 2^(n-1) with min = baseMs / 2).
 */
export function withRetry<T>(fn: () => Promise<T>, policy: RetryPolicy = DEFAULT_RETRY): Promise<T> {
  return pRetry(() => fn(), { retries: Math.max(0, policy.tries - 1), factor: 2, minTimeout: policy.baseMs / 2, randomize: true, shouldRetry: ({ error }) => isTransient(error) });
}

/**
 * Loads the market list once, retrying transient failures. ccxt keeps a failed loadMarkets()
 * promise and hands the same rejection to every later call, so retries must ask for a reload.
 */
export async function ensureMarkets(ex: Exchange, policy: RetryPolicy = DEFAULT_RETRY, onRequest?: () => void): Promise<void> {
  if (ex.markets && Object.keys(ex.markets).length) return;
  let attempt = 0;
  await withRetry(() => {
    onRequest?.();
    return ex.loadMarkets(attempt++ > 0);
  }, policy);
}
