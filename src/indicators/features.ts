import { createRequire } from 'node:module';
import type * as TI from 'technicalindicators';
import type { Series } from '../market/types.js';
import * as fast from './fast.js';

/**
 * Everything the strategies look at, computed ONCE per series (never per step from a slice), as
 * columns aligned with the candles. Warm-up bars hold NaN. Value at bar i uses candles 0..i only.
 */
export interface Features {
  n: number;
  close: Float64Array;
  high: Float64Array;
  low: Float64Array;
  volume: Float64Array;
  rsi: Float64Array; // RSI(14), Wilder
  emaFast: Float64Array; // EMA(12)
  emaSlow: Float64Array; // EMA(26)
  sma50: Float64Array; // SMA(50)
  macd: Float64Array; // MACD(12,26)
  macdSignal: Float64Array; // EMA(9) of MACD
  macdHist: Float64Array;
  bbUpper: Float64Array; // Bollinger(20, 2)
  bbMiddle: Float64Array;
  bbLower: Float64Array;
  atr: Float64Array; // ATR(14), Wilder
  adx: Float64Array; // ADX(14)
  pdi: Float64Array; // +DI(14)
  mdi: Float64Array; // -DI(14)
  donchianHigh: Float64Array; // highest high of the 20 candles BEFORE i
  donchianLow: Float64Array; // lowest low of the 20 candles BEFORE i
  volSma: Float64Array; // SMA(20) of volume
  volatility: Float64Array; // ATR / close
  volatilityAvg: Float64Array; // SMA(100) of volatility
  momentum: Float64Array; // close / close[i-10] - 1
}

export const FEATURE_PERIODS = {
  rsi: 14,
  emaFast: 12,
  emaSlow: 26,
  sma: 50,
  macdSignal: 9,
  bb: 20,
  bbStd: 2,
  atr: 14,
  adx: 14,
  donchian: 20,
  volSma: 20,
  volAvg: 100,
  momentum: 10,
} as const;

/** Bars before every feature is defined; strategies hold until then. */
export const WARMUP = 2 * FEATURE_PERIODS.adx + FEATURE_PERIODS.volAvg;

function nanArray(n: number): Float64Array {
  return new Float64Array(n).fill(NaN);
}

/** Library outputs are shorter than the input (warm-up dropped): align them to the end. */
function alignEnd(n: number, values: ArrayLike<number | undefined>): Float64Array {
  const out = nanArray(n);
  const off = n - values.length;
  for (let j = 0; j < values.length; j++) {
    const v = values[j];
    out[off + j] = v === undefined ? NaN : v;
  }
  return out;
}

function rollingExtreme(src: Float64Array, period: number, max: boolean): Float64Array {
  // Window is the `period` bars strictly before i, so a breakout compares against the past only.
  const n = src.length;
  const out = nanArray(n);
  const dq = new Int32Array(n);
  let head = 0;
  let tail = 0;
  for (let i = 0; i < n; i++) {
    if (i >= period) out[i] = src[dq[head]];
    // push i for future windows
    while (tail > head && (max ? src[dq[tail - 1]] <= src[i] : src[dq[tail - 1]] >= src[i])) tail--;
    dq[tail++] = i;
    if (dq[head] <= i - period) head++;
  }
  return out;
}

export type IndicatorImpl = 'fast' | 'technicalindicators';

/** The indicator columns of Features (close, high, low and volume are the candles' own). */
export type FeatureName = Exclude<keyof Features, 'n' | 'close' | 'high' | 'low' | 'volume'>;

export const FEATURE_NAMES: readonly FeatureName[] = [
  'rsi', 'emaFast', 'emaSlow', 'sma50', 'macd', 'macdSignal', 'macdHist', 'bbUpper', 'bbMiddle', 'bbLower',
  'atr', 'adx', 'pdi', 'mdi', 'donchianHigh', 'donchianLow', 'volSma', 'volatility', 'volatilityAvg', 'momentum',
];

/**
 * A column not computed yet (computeFeatures was given a list): empty, so a strategy that reads a
 * column it did not declare finds undefined, and test/declared-features.test.ts notices the change.
 */
const NOT_COMPUTED = new Float64Array(0);

/** The series a partial feature set was computed from, to compute further columns on demand. */
const sources = new WeakMap<Features, Series>();

/**
 * Features of a whole series. `fast` (default) is the typed-array hot path in ./fast.ts;
 * `technicalindicators` computes the same columns with the library, for cross-checks.
 *
 * `only`: compute just these columns (a strategy's declared features and the kernel's ATR); the
 * others are computed on first need by ensureFeatures. Each column has one computation
 * (columnsOf), so it has the same bits whichever way it came. A search over one series computes
 * each column once and shares it across every configuration.
 */
export function computeFeatures(s: Series, impl: IndicatorImpl = 'fast', only?: readonly FeatureName[]): Features {
  if (impl === 'fast') {
    // Every column named in one literal, in a fixed order: the object keeps V8's fast properties
    // (adding 20 by computed name made it a hash table, slow in every strategy's loop).
    const x = NOT_COMPUTED;
    const f: Features = {
      n: s.close.length, close: s.close, high: s.high, low: s.low, volume: s.volume,
      rsi: x, emaFast: x, emaSlow: x, sma50: x, macd: x, macdSignal: x, macdHist: x, bbUpper: x, bbMiddle: x, bbLower: x,
      atr: x, adx: x, pdi: x, mdi: x, donchianHigh: x, donchianLow: x, volSma: x, volatility: x, volatilityAvg: x, momentum: x,
    };
    sources.set(f, s);
    ensureFeatures(f, only ?? FEATURE_NAMES);
    return f;
  }
  // The library's columns, to cross-check the fast ones (tests, the backtest bench).
  const n = s.close.length;
  const P = FEATURE_PERIODS;
  const core = libraryCore(s);
  return {
    n,
    close: s.close,
    high: s.high,
    low: s.low,
    volume: s.volume,
    ...core,
    donchianHigh: rollingExtreme(s.high, P.donchian, true),
    donchianLow: rollingExtreme(s.low, P.donchian, false),
    volSma: fast.sma(s.volume, P.volSma),
    ...volatilityOf(core.atr, s.close),
    momentum: momentumOf(s.close),
  };
}

/** Computes the columns of `names` still missing (in place); a no-op on a full feature set. */
export function ensureFeatures(f: Features, names: readonly FeatureName[]): void {
  for (const name of names) {
    if (f[name] !== NOT_COMPUTED) continue;
    const s = sources.get(f);
    if (!s) throw new Error(`feature ${name} was not computed and its series is unknown`);
    Object.assign(f, columnsOf(f, s, name));
  }
}

/** Is this column computed (for tests and the declared-features check)? */
export function hasFeature(f: Features, name: FeatureName): boolean {
  return f[name] !== NOT_COMPUTED;
}

/** One column, with the columns computed alongside it (MACD's three, Bollinger's three, ADX's three). */
function columnsOf(f: Features, s: Series, name: FeatureName): Partial<Features> {
  const P = FEATURE_PERIODS;
  switch (name) {
    case 'rsi':
      return { rsi: fast.rsi(s.close, P.rsi) };
    case 'emaFast':
      return { emaFast: fast.ema(s.close, P.emaFast) };
    case 'emaSlow':
      return { emaSlow: fast.ema(s.close, P.emaSlow) };
    case 'sma50':
      return { sma50: fast.sma(s.close, P.sma) };
    case 'macd':
    case 'macdSignal':
    case 'macdHist': {
      // MACD's two EMAs are the emaFast and emaSlow columns (the same periods): computed once.
      ensureFeatures(f, ['emaFast', 'emaSlow']);
      const m = fast.macd(s.close, P.emaFast, P.emaSlow, P.macdSignal, { fast: f.emaFast, slow: f.emaSlow });
      return { macd: m.macd, macdSignal: m.signal, macdHist: m.hist };
    }
    case 'bbUpper':
    case 'bbMiddle':
    case 'bbLower': {
      const bb = fast.bollinger(s.close, P.bb, P.bbStd);
      return { bbUpper: bb.upper, bbMiddle: bb.middle, bbLower: bb.lower };
    }
    case 'atr':
      return { atr: fast.atr(s.high, s.low, s.close, P.atr) };
    case 'adx':
    case 'pdi':
    case 'mdi':
      return adxOf(s);
    case 'donchianHigh':
      return { donchianHigh: rollingExtreme(s.high, P.donchian, true) };
    case 'donchianLow':
      return { donchianLow: rollingExtreme(s.low, P.donchian, false) };
    case 'volSma':
      return { volSma: fast.sma(s.volume, P.volSma) };
    case 'volatility':
    case 'volatilityAvg':
      ensureFeatures(f, ['atr']);
      return volatilityOf(f.atr, s.close);
    case 'momentum':
      return { momentum: momentumOf(s.close) };
  }
}

/** ATR / close, and its SMA(100). */
function volatilityOf(atr: Float64Array, close: Float64Array): Pick<Features, 'volatility' | 'volatilityAvg'> {
  const n = close.length;
  const volatility = nanArray(n);
  for (let i = 0; i < n; i++) volatility[i] = atr[i] / close[i];
  return { volatility, volatilityAvg: fast.sma(volatility, FEATURE_PERIODS.volAvg) };
}

function momentumOf(close: Float64Array): Float64Array {
  const P = FEATURE_PERIODS;
  const momentum = nanArray(close.length);
  for (let i = P.momentum; i < close.length; i++) momentum[i] = close[i] / close[i - P.momentum] - 1;
  return momentum;
}

function adxOf(s: Series): Pick<Features, 'adx' | 'pdi' | 'mdi'> {
  const a = fast.adx(s.high, s.low, s.close, FEATURE_PERIODS.adx);
  // The library reports DI only where ADX exists; keep the same so both impls agree exactly.
  return { adx: a.adx, pdi: maskWhereNaN(a.pdi, a.adx), mdi: maskWhereNaN(a.mdi, a.adx) };
}

type Core = Pick<Features, 'rsi' | 'emaFast' | 'emaSlow' | 'sma50' | 'macd' | 'macdSignal' | 'macdHist' | 'bbUpper' | 'bbMiddle' | 'bbLower' | 'atr' | 'adx' | 'pdi' | 'mdi'>;

function maskWhereNaN(values: Float64Array, mask: Float64Array): Float64Array {
  for (let i = 0; i < values.length; i++) if (Number.isNaN(mask[i])) values[i] = NaN;
  return values;
}

// The library is only the cross-check: required on first use, not at every bot start (~60 ms).
let library: typeof TI | null = null;

function libraryCore(s: Series): Core {
  const { ADX, ATR, BollingerBands, EMA, MACD, RSI, SMA } = (library ??= createRequire(import.meta.url)('technicalindicators') as typeof TI);
  const n = s.close.length;
  const P = FEATURE_PERIODS;
  const close = Array.from(s.close);
  const high = Array.from(s.high);
  const low = Array.from(s.low);
  const macd = MACD.calculate({ values: close, fastPeriod: P.emaFast, slowPeriod: P.emaSlow, signalPeriod: P.macdSignal, SimpleMAOscillator: false, SimpleMASignal: false });
  const bb = BollingerBands.calculate({ values: close, period: P.bb, stdDev: P.bbStd });
  const adx = ADX.calculate({ high, low, close, period: P.adx });
  return {
    rsi: alignEnd(n, RSI.calculate({ values: close, period: P.rsi })),
    emaFast: alignEnd(n, EMA.calculate({ values: close, period: P.emaFast })),
    emaSlow: alignEnd(n, EMA.calculate({ values: close, period: P.emaSlow })),
    sma50: alignEnd(n, SMA.calculate({ values: close, period: P.sma })),
    macd: alignEnd(n, macd.map((m) => m.MACD)),
    macdSignal: alignEnd(n, macd.map((m) => m.signal)),
    macdHist: alignEnd(n, macd.map((m) => m.histogram)),
    bbUpper: alignEnd(n, bb.map((b) => b.upper)),
    bbMiddle: alignEnd(n, bb.map((b) => b.middle)),
    bbLower: alignEnd(n, bb.map((b) => b.lower)),
    atr: alignEnd(n, ATR.calculate({ high, low, close, period: P.atr })),
    adx: alignEnd(n, adx.map((a) => a.adx)),
    pdi: alignEnd(n, adx.map((a) => a.pdi)),
    mdi: alignEnd(n, adx.map((a) => a.mdi)),
  };
}
