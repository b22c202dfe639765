import type { Features } from '../indicators/features.js';
import { EXIT, HOLD, OPEN_LONG, OPEN_SHORT, type Signal, type Strategy } from './types.js';

/** Features are NaN during warm-up; no rule fires on an undefined value. */
function ready(...v: number[]): boolean {
  for (const x of v) if (Number.isNaN(x)) return false;
  return true;
}

/**
 * trend_following: trade in the direction of the EMA(12)/EMA(26) trend when ADX says there is a
 * trend (>= 20), price is on the right side of SMA(50), DI agrees, and RSI is not overextended.
 * Exit when the EMAs cross back.
 */
export const trendFollowing: Strategy = {
  name: 'trend_following',
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
