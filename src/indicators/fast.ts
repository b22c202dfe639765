/**
 * The hot path of feature computation: each indicator in one O(n) pass over typed arrays, with
 * the same definitions and seeding as technicalindicators (SMA-seeded EMA, Wilder smoothing for
 * RSI/ATR/ADX, population stdev for Bollinger). technicalindicators stays the reference: the tests
 * cross-check every value. Why not the library here: it runs ~0.27M bars/s for the seven
 * indicators on this machine (2.3 s for a year of 1-minute candles); these run ~10x faster.
 */

function nanArray(n: number): Float64Array {
  return new Float64Array(n).fill(NaN);
}

/**
 * An output column whose first `upTo` values stay NaN (the warm-up) and every later one is
 * written by its indicator: NaN only where it will stay, so a column is one pass, not two.
 */
function nanPrefix(n: number, upTo: number): Float64Array {
  return new Float64Array(n).fill(NaN, 0, Math.min(n, Math.max(0, upTo)));
}

/** Simple moving average; NaN inputs restart the window. */
export function sma(src: ArrayLike<number>, period: number, from = 0): Float64Array {
  const n = src.length;
  const out = nanArray(n);
  let sum = 0;
  let count = 0;
  for (let i = from; i < n; i++) {
    const v = src[i];
    if (Number.isNaN(v)) {
      sum = 0;
      count = 0;
      continue;
    }
    sum += v;
    count++;
    if (count > period) {
      sum -= src[i - period];
      count = period;
    }
    if (count === period) out[i] = sum / period;
  }
  return out;
}

/** EMA seeded with the SMA of the first `period` defined values (from index `from`). */
export function ema(src: ArrayLike<number>, period: number, from = 0): Float64Array {
  const n = src.length;
  // Every value from the seed on is written; before it, NaN (all of it when too short).
  const out = nanPrefix(n, n - from < period ? n : from + period - 1);
  const k = 2 / (period + 1);
  if (n - from < period) return out;
  let sum = 0;
  for (let i = from; i < from + period; i++) sum += src[i];
  let prev = sum / period;
  out[from + period - 1] = prev;
  for (let i = from + period; i < n; i++) {
    prev = (src[i] - prev) * k + prev;
    out[i] = prev;
  }
  return out;
}

/** Wilder's RSI: first average gain/loss is the mean of the first `period` changes. */
export function rsi(close: ArrayLike<number>, period: number): Float64Array {
  const n = close.length;
  const out = nanPrefix(n, n <= period ? n : period);
  if (n <= period) return out;
  let gain = 0;
  let loss = 0;
  for (let i = 1; i <= period; i++) {
    const d = close[i] - close[i - 1];
    if (d > 0) gain += d;
    else loss -= d;
  }
  gain /= period;
  loss /= period;
  out[period] = loss === 0 ? 100 : 100 - 100 / (1 + gain / loss);
  for (let i = period + 1; i < n; i++) {
    const d = close[i] - close[i - 1];
    gain = (gain * (period - 1) + (d > 0 ? d : 0)) / period;
    loss = (loss * (period - 1) + (d < 0 ? -d : 0)) / period;
    out[i] = loss === 0 ? 100 : 100 - 100 / (1 + gain / loss);
  }
  return out;
}

/**
 * MACD: EMA(fast) - EMA(slow), its EMA(signal) and the difference. `emas`: those two EMAs of
 * `close` when the caller already has them (the feature set's emaFast and emaSlow): the same
 * values, not computed twice.
 */
export function macd(close: ArrayLike<number>, fast: number, slow: number, signal: number, emas?: { fast: Float64Array; slow: Float64Array }): { macd: Float64Array; signal: Float64Array; hist: Float64Array } {
  const n = close.length;
  const f = emas?.fast ?? ema(close, fast);
  const s = emas?.slow ?? ema(close, slow);
  const m = nanPrefix(n, slow - 1);
  for (let i = slow - 1; i < n; i++) m[i] = f[i] - s[i];
  const sig = ema(m, signal, slow - 1);
  const hist = new Float64Array(n); // every value written
  for (let i = 0; i < n; i++) hist[i] = m[i] - sig[i];
  return { macd: m, signal: sig, hist };
}

/** Bollinger bands: SMA +/- mult x population standard deviation. */
export function bollinger(close: ArrayLike<number>, period: number, mult: number): { upper: Float64Array; middle: Float64Array; lower: Float64Array } {
  const n = close.length;
  const upper = nanPrefix(n, period - 1);
  const middle = nanPrefix(n, period - 1);
  const lower = nanPrefix(n, period - 1);
  let sum = 0;
  let sumSq = 0;
  for (let i = 0; i < n; i++) {
    const v = close[i];
    sum += v;
    sumSq += v * v;
    if (i >= period) {
      const o = close[i - period];
      sum -= o;
      sumSq -= o * o;
    }
    if (i >= period - 1) {
      const mean = sum / period;
      // Recompute the variance exactly every bar from the window would be O(n*period); the
      // running form is exact enough at these magnitudes (checked against the library in tests).
      const sd = Math.sqrt(Math.max(0, sumSq / period - mean * mean));
      middle[i] = mean;
      upper[i] = mean + mult * sd;
      lower[i] = mean - mult * sd;
    }
  }
  return { upper, middle, lower };
}

function trueRange(high: ArrayLike<number>, low: ArrayLike<number>, close: ArrayLike<number>, i: number): number {
  const hl = high[i] - low[i];
  const hc = Math.abs(high[i] - close[i - 1]);
  const lc = Math.abs(low[i] - close[i - 1]);
  return hl > hc ? (hl > lc ? hl : lc) : hc > lc ? hc : lc;
}

/** Wilder's ATR: the first value is the mean of the true ranges of bars 1..period. */
export function atr(high: ArrayLike<number>, low: ArrayLike<number>, close: ArrayLike<number>, period: number): Float64Array {
  const n = close.length;
  const out = nanPrefix(n, n <= period ? n : period);
  if (n <= period) return out;
  let sum = 0;
  for (let i = 1; i <= period; i++) sum += trueRange(high, low, close, i);
  let prev = sum / period;
  out[period] = prev;
  for (let i = period + 1; i < n; i++) {
    prev = (prev * (period - 1) + trueRange(high, low, close, i)) / period;
    out[i] = prev;
  }
  return out;
}

/** Wilder's ADX with +DI / -DI (smoothed sums of DM and TR; ADX = Wilder average of DX). */
export function adx(high: ArrayLike<number>, low: ArrayLike<number>, close: ArrayLike<number>, period: number): { adx: Float64Array; pdi: Float64Array; mdi: Float64Array } {
  const n = close.length;
  const adxOut = nanPrefix(n, 2 * period - 1);
  const pdi = nanPrefix(n, period);
  const mdi = nanPrefix(n, period);
  let trS = 0;
  let pS = 0;
  let mS = 0;
  let dxSum = 0;
  let adxPrev = NaN;
  for (let i = 1; i < n; i++) {
    const up = high[i] - high[i - 1];
    const down = low[i - 1] - low[i];
    const pdm = up > down && up > 0 ? up : 0;
    const mdm = down > up && down > 0 ? down : 0;
    const tr = trueRange(high, low, close, i);
    if (i <= period) {
      trS += tr;
      pS += pdm;
      mS += mdm;
    } else {
      trS = trS - trS / period + tr;
      pS = pS - pS / period + pdm;
      mS = mS - mS / period + mdm;
    }
    if (i < period) continue;
    const p = (100 * pS) / trS;
    const m = (100 * mS) / trS;
    pdi[i] = p;
    mdi[i] = m;
    const dx = p + m === 0 ? 0 : (100 * Math.abs(p - m)) / (p + m);
    const k = i - period; // 0-based count of DX values
    if (k < period) {
      dxSum += dx;
      if (k === period - 1) {
        adxPrev = dxSum / period;
        adxOut[i] = adxPrev;
      }
    } else {
      adxPrev = (adxPrev * (period - 1) + dx) / period;
      adxOut[i] = adxPrev;
    }
  }
  return { adx: adxOut, pdi, mdi };
}
