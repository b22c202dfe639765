import { timeframeMs } from './timeframe.js';
import { DEMO_SYMBOLS, generateDemoSeries } from './demo.js';
import { candlesFromSeries, type Candle, type CandleSource, type Series } from './types.js';

/**
 * The demo market as a live exchange: candles [0, closed) exist; `advance()` closes one more
 * candle (the fast demo clock). Candle timestamps are virtual: the history ends at the real time
 * the demo was first started, then runs ahead one timeframe per tick.
 */
export interface DemoMarket extends CandleSource {
  readonly timeframe: string;
  /** Number of closed candles (per symbol; all symbols move together). */
  closed(): number;
  /** Open time of the next candle to close. */
  nowTs(): number;
  advance(): void;
  series(symbol: string): Series;
  /** Does this market list `symbol` (/whitelist add checks it)? */
  listed(symbol: string): boolean;
}

export function createDemoMarket(opts: { seed: number; symbols: string[]; timeframe: string; t0: number; closed: number }): DemoMarket {
  const cache = new Map<string, Series>();
  return createSimulatedMarket({
    name: 'demo',
    // Its own listing and whatever the config names (the generator makes any symbol's candles).
    symbols: [...new Set([...opts.symbols, ...DEMO_SYMBOLS])],
    timeframe: opts.timeframe,
    t0: opts.t0,
    closed: opts.closed,
    seriesOf(symbol, need) {
      let s = cache.get(symbol);
      if (!s || s.close.length < need) {
        // The generator is sequential and seeded: a longer run has the same prefix.
        s = generateDemoSeries({ seed: opts.seed, symbol, timeframe: opts.timeframe, startTs: opts.t0 }, need + 2000);
        cache.set(symbol, s);
      }
      return s;
    },
  });
}

/**
 * Recorded candles replayed as a live market (the same clock as the demo): the first `closed`
 * candles exist, `advance()` closes the next. Replay tests feed real series through the live path
 * with it; every symbol's series must start at the same time with the same timeframe.
 */
export function createReplayMarket(series: Series[], closed: number): DemoMarket {
  const bySymbol = new Map(series.map((s) => [s.symbol, s]));
  const first = series[0];
  return createSimulatedMarket({
    name: 'replay',
    symbols: series.map((s) => s.symbol),
    timeframe: first.timeframe,
    t0: first.ts[0],
    closed,
    seriesOf(symbol, need) {
      const s = bySymbol.get(symbol)!;
      if (s.close.length < need) throw new Error(`the replay of ${symbol} has ${s.close.length} candles; ${need} were asked for`);
      return s;
    },
  });
}

function createSimulatedMarket(opts: { name: string; symbols: string[]; timeframe: string; t0: number; closed: number; seriesOf(symbol: string, need: number): Series }): DemoMarket {
  const tf = timeframeMs(opts.timeframe);
  let closed = opts.closed;
  const seriesOf = (symbol: string, need: number) => opts.seriesOf(symbol, Math.max(need, closed));
  const known = (symbol: string) => {
    if (!opts.symbols.includes(symbol)) throw new Error(`unknown symbol ${symbol} on the demo market (it has ${opts.symbols.join(', ')})`);
  };
  return {
    name: opts.name,
    timeframe: opts.timeframe,
    closed: () => closed,
    // Times come from the series (a replay of stock data has weekends); the demo's are contiguous.
    nowTs: () => {
      const s = seriesOf(opts.symbols[0], closed + 1);
      return closed < s.ts.length ? s.ts[closed] : opts.t0 + closed * tf;
    },
    advance() {
      closed++;
    },
    listed: (symbol: string) => opts.symbols.includes(symbol),
    async hasSymbol(symbol: string) {
      return opts.symbols.includes(symbol);
    },
    series(symbol: string) {
      known(symbol);
      return seriesOf(symbol, closed);
    },
    async fetchCandles(symbol: string, timeframe: string, since = 0, limit = Number.MAX_SAFE_INTEGER): Promise<Candle[]> {
      known(symbol);
      if (timeframe !== opts.timeframe) throw new Error(`the demo market only has ${opts.timeframe} candles`);
      const s = seriesOf(symbol, closed);
      let from = Math.max(0, Math.min(closed, Math.ceil((since - opts.t0) / tf)));
      while (from > 0 && s.ts[from - 1] >= since) from--;
      while (from < closed && s.ts[from] < since) from++;
      return candlesFromSeries(s, from, Math.min(closed, from + limit));
    },
    async lastPrice(symbol: string): Promise<number> {
      known(symbol);
      // The price now is the open of the candle forming now: what an order decided on the last
      // close fills at, in the demo as in a backtest.
      return seriesOf(symbol, closed + 1).open[closed];
    },
  };
}
