import type { Features } from '../indicators/features.js';
import { EXIT, HOLD, OPEN_LONG, OPEN_SHORT, type Signal, type Strategy } from './types.js';

/**
 * Features are NaN during warm-up; no rule fires on an undefined value. Fixed arity, not a rest
 * parameter: this runs on every candle of every configuration of a search, and a rest parameter
 * allocated an array each time (trend_following's engine time was 4x its signal-free cost).
 */
function ready(a: number, b = 0, c = 0, d = 0, e = 0, g = 0): boolean {
  return !(Number.isNaN(a) || Number.isNaN(b) || Number.isNaN(c) || Number.isNaN(d) || Number.isNaN(e) || Number.isNaN(g));
}

/**
 * trend_following: trade in the direction of the EMA(12)/EMA(26) trend when ADX says there is a
 * trend (>= 20), price is on the right side of SMA(50), DI agrees, and RSI is not overextended.
 * Exit when the EMAs cross back.
 */
export const trendFollowing: Strategy = {
  name: 'trend_following',
  features: ['emaFast', 'emaSlow', 'adx', 'sma50', 'rsi', 'pdi', 'mdi'],
  signal(f: Features, i: number, pos: number, _s, ctx): Signal {
    const ef = f.emaFast[i];
    const es = f.emaSlow[i];
    const adx = f.adx[i];
    if (!ready(ef, es, adx, f.sma50[i], f.rsi[i], f.pdi[i])) return HOLD;
    if (pos > 0) return ef < es ? EXIT : HOLD;
    if (pos < 0) return ef > es ? EXIT : HOLD;
    const c = f.close[i];
    if (adx < 20) return HOLD;
    if (ef > es && c > f.sma50[i] && f.pdi[i] > f.mdi[i] && f.rsi[i] < 75) return OPEN_LONG;
    if (ctx.allowShort && ef < es && c < f.sma50[i] && f.mdi[i] > f.pdi[i] && f.rsi[i] > 25) return OPEN_SHORT;
    return HOLD;
  },
};

/**
 * mean_reversion: fade a close outside the Bollinger band (20, 2) when RSI(14) agrees
 * (< 30 / > 70) and there is no strong trend (ADX < 30). Exit at the middle band.
 */
export const meanReversion: Strategy = {
  name: 'mean_reversion',
  features: ['bbMiddle', 'bbLower', 'bbUpper', 'rsi', 'adx'],
  signal(f, i, pos, _s, ctx): Signal {
    const c = f.close[i];
    const mid = f.bbMiddle[i];
    if (!ready(mid, f.rsi[i], f.adx[i])) return HOLD;
    if (pos > 0) return c >= mid ? EXIT : HOLD;
    if (pos < 0) return c <= mid ? EXIT : HOLD;
    if (f.adx[i] >= 30) return HOLD;
    if (c < f.bbLower[i] && f.rsi[i] < 30) return OPEN_LONG;
    if (ctx.allowShort && c > f.bbUpper[i] && f.rsi[i] > 70) return OPEN_SHORT;
    return HOLD;
  },
};

/**
 * breakout: a close beyond the previous 20 candles' high (low) with volume above its 20-candle
 * average and volatility not collapsing. Exit when the close falls back through the middle band.
 */
export const breakout: Strategy = {
  name: 'breakout',
  features: ['donchianHigh', 'donchianLow', 'volSma', 'bbMiddle', 'volatility', 'volatilityAvg'],
  signal(f, i, pos, _s, ctx): Signal {
    const c = f.close[i];
    if (!ready(f.donchianHigh[i], f.volSma[i], f.bbMiddle[i], f.volatilityAvg[i])) return HOLD;
    if (pos > 0) return c < f.bbMiddle[i] ? EXIT : HOLD;
    if (pos < 0) return c > f.bbMiddle[i] ? EXIT : HOLD;
    const volumeOk = f.volume[i] > 1.2 * f.volSma[i];
    const volOk = f.volatility[i] >= 0.8 * f.volatilityAvg[i];
    if (!volumeOk || !volOk) return HOLD;
    if (c > f.donchianHigh[i]) return OPEN_LONG;
    if (ctx.allowShort && c < f.donchianLow[i]) return OPEN_SHORT;
    return HOLD;
  },
};

/** Candles of the two simple moving averages trend_participation compares. */
export const PARTICIPATION = { fast: 48, slow: 240, atrStopMult: 5, atrTargetMult: 100 } as const;

/** Simple moving average (NaN until `n` values): exact over any window of at least n candles. */
function smaOf(x: Float64Array, n: number): Float64Array {
  const out = new Float64Array(x.length).fill(NaN);
  let sum = 0;
  for (let i = 0; i < x.length; i++) {
    sum += x[i];
    if (i >= n) sum -= x[i - n];
    if (i >= n - 1) out[i] = sum / n;
  }
  return out;
}

/** The two averages of one feature set, computed once per series (not per bar). */
const participationCache = new WeakMap<Features, { fast: Float64Array; slow: Float64Array }>();
function participationAverages(f: Features) {
  let a = participationCache.get(f);
  if (!a) {
    a = { fast: smaOf(f.close, PARTICIPATION.fast), slow: smaOf(f.close, PARTICIPATION.slow) };
    participationCache.set(f, a);
  }
  return a;
}

/**
 * trend_participation: long-only participation in slow uptrends, few trades (costs are the first
 * enemy at 1h). Enter when the close is above the 240-candle average and the 48-candle average is
 * above it; leave when the 48-candle average falls below the 240-candle one, or at a wide stop
 * (5 ATR); no near target and no time stop (exits below). Sizing is the risk gate's: risk per
 * trade over the stop distance, so a more volatile market gets a smaller position. Chosen on the
 * first 70% of the crypto series only (see README: results, held out).
 */
export const trendParticipation: Strategy = {
  name: 'trend_participation',
  // Its two averages come from the closes (participationAverages), no feature column.
  features: [],
  exits: { atrStopMult: PARTICIPATION.atrStopMult, atrTargetMult: PARTICIPATION.atrTargetMult, maxHoldCandles: Number.MAX_SAFE_INTEGER },
  signal(f, i, pos): Signal {
    const { fast, slow } = participationAverages(f);
    if (!ready(fast[i], slow[i])) return HOLD;
    if (pos > 0) return fast[i] < slow[i] ? EXIT : HOLD;
    if (pos < 0) return EXIT;
    return fast[i] > slow[i] && f.close[i] > slow[i] ? OPEN_LONG : HOLD;
  },
};
