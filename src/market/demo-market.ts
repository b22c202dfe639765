import { timeframeMs } from './timeframe.js';
import { generateDemoSeries } from './demo.js';
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
}

export function createDemoMarket(opts: { seed: number; symbols: string[]; timeframe: string; t0: number; closed: number }): DemoMarket {
  const tf = timeframeMs(opts.timeframe);
  let closed = opts.closed;
  const cache = new Map<string, Series>();
  const seriesOf = (symbol: string, need: number): Series => {
    let s = cache.get(symbol);
    if (!s || s.close.length < need) {
      // The generator is sequential and seeded: a longer run has the same prefix.
      s = generateDemoSeries({ seed: opts.seed, symbol, timeframe: opts.timeframe, startTs: opts.t0 }, Math.max(need, closed) + 2000);
      cache.set(symbol, s);
    }
    return s;
  };
  const known = (symbol: string) => {
    if (!opts.symbols.includes(symbol)) throw new Error(`unknown symbol ${symbol} on the demo market (it has ${opts.symbols.join(', ')})`);
  };
  return {
    name: 'demo',
    timeframe: opts.timeframe,
    closed: () => closed,
    nowTs: () => opts.t0 + closed * tf,
    advance() {
      closed++;
    },
    series(symbol: string) {
      known(symbol);
      return seriesOf(symbol, closed);
    },
    async fetchCandles(symbol: string, timeframe: string, since = 0, limit = Number.MAX_SAFE_INTEGER): Promise<Candle[]> {
      known(symbol);
      if (timeframe !== opts.timeframe) throw new Error(`the demo market only has ${opts.timeframe} candles`);
      const s = seriesOf(symbol, closed);
      const from = Math.max(0, Math.ceil((since - opts.t0) / tf));
      return candlesFromSeries(s, from, Math.min(closed, from + limit));
    },
    async lastPrice(symbol: string): Promise<number> {
      known(symbol);
      return seriesOf(symbol, closed).close[closed - 1];
    },
  };
}
