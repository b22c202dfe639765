/** One OHLCV candle. `ts` is the candle's open time, UTC epoch milliseconds. */
export interface Candle {
  ts: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

/**
 * A candle series in columns. The engine walks millions of bars, so it reads typed arrays,
 * never arrays of objects.
 */
export interface Series {
  symbol: string;
  timeframe: string;
  ts: Float64Array;
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  volume: Float64Array;
}

/** Where candles come from: the demo market, ccxt, a CSV import, the SQLite cache. */
export interface CandleSource {
  readonly name: string;
  /** Closed candles only, ascending by ts, starting at `since` (inclusive) when given. */
  fetchCandles(symbol: string, timeframe: string, since?: number, limit?: number): Promise<Candle[]>;
  /** The latest traded price, for filling approved orders on live prices. */
  lastPrice(symbol: string): Promise<number>;
  /** Does the market list `symbol`? Throws when the market cannot be asked (network). */
  hasSymbol?(symbol: string): Promise<boolean>;
}

/** A series of n zeroed candles, to be filled column by column. */
export function emptySeries(symbol: string, timeframe: string, n: number): Series {
  return {
    symbol,
    timeframe,
    ts: new Float64Array(n),
    open: new Float64Array(n),
    high: new Float64Array(n),
    low: new Float64Array(n),
    close: new Float64Array(n),
    volume: new Float64Array(n),
  };
}

export function seriesFromCandles(symbol: string, timeframe: string, candles: readonly Candle[]): Series {
  const n = candles.length;
  const s = emptySeries(symbol, timeframe, n);
  for (let i = 0; i < n; i++) {
    const c = candles[i];
    s.ts[i] = c.ts;
    s.open[i] = c.open;
    s.high[i] = c.high;
    s.low[i] = c.low;
    s.close[i] = c.close;
    s.volume[i] = c.volume;
  }
  return s;
}

export function candleAt(s: Series, i: number): Candle {
  return { ts: s.ts[i], open: s.open[i], high: s.high[i], low: s.low[i], close: s.close[i], volume: s.volume[i] };
}

export function candlesFromSeries(s: Series, from = 0, to = s.ts.length): Candle[] {
  const out: Candle[] = [];
  for (let i = Math.max(0, from); i < Math.min(to, s.ts.length); i++) out.push(candleAt(s, i));
  return out;
}

/** A slice [from, to) sharing no memory with the original (subarray would pin the parent). */
export function sliceSeries(s: Series, from: number, to: number): Series {
  return {
    symbol: s.symbol,
    timeframe: s.timeframe,
    ts: s.ts.slice(from, to),
    open: s.open.slice(from, to),
    high: s.high.slice(from, to),
    low: s.low.slice(from, to),
    close: s.close.slice(from, to),
    volume: s.volume.slice(from, to),
  };
}
