import { createRng, gaussian, hashString } from '../util/rng.js';
import { timeframeMs } from './timeframe.js';
import { emptySeries, type Series } from './types.js';

/**
 * The seeded demo market: candles with trending, ranging, volatile and crashing regimes, the same
 * for the same seed, symbol and timeframe. Candle k of a symbol depends only on (seed, symbol,
 * timeframe, k), so the market can be regenerated after a restart and continue where it was.
 */
export type DemoRegime = 'trend_up' | 'trend_down' | 'ranging' | 'volatile' | 'crash';

interface RegimeParams {
  drift: number; // per-candle log drift, in units of the base volatility
  vol: number; // multiple of the base volatility
  revert: number; // pull towards the anchor price (ranging)
  volume: number; // volume multiple
}

const REGIMES: Record<DemoRegime, RegimeParams> = {
  trend_up: { drift: 0.18, vol: 0.9, revert: 0, volume: 1.3 },
  trend_down: { drift: -0.16, vol: 1.0, revert: 0, volume: 1.2 },
  ranging: { drift: 0, vol: 0.7, revert: 0.06, volume: 0.8 },
  volatile: { drift: 0, vol: 2.2, revert: 0.02, volume: 1.6 },
  crash: { drift: -1.2, vol: 2.6, revert: 0, volume: 2.5 },
};

// How often each regime is drawn; crashes are rare and short.
const DRAW: Array<[DemoRegime, number]> = [
  ['trend_up', 0.3],
  ['trend_down', 0.22],
  ['ranging', 0.3],
  ['volatile', 0.12],
  ['crash', 0.06],
];

const BASE_PRICE: Record<string, number> = { BTC: 42000, ETH: 2300, SOL: 95, LTC: 70, XRP: 0.6, BNB: 310 };

/** What the demo market lists (besides any configured symbol): its coins against USDT. */
export const DEMO_SYMBOLS: readonly string[] = Object.keys(BASE_PRICE).map((b) => `${b}/USDT`);

export interface DemoSpec {
  seed: number;
  symbol: string;
  timeframe: string;
  /** ts of candle 0. */
  startTs: number;
}

/** Base volatility per candle: ~0.6% an hour, scaled by sqrt(time). */
function baseVol(tfMs: number): number {
  return 0.006 * Math.sqrt(tfMs / 3_600_000);
}

/** Candles [0, n) of the demo market for one symbol, as columns. */
export function generateDemoSeries(spec: DemoSpec, n: number): Series {
  const tf = timeframeMs(spec.timeframe);
  const rng = createRng((spec.seed ^ hashString(spec.symbol + '|' + spec.timeframe)) >>> 0);
  const sigma = baseVol(tf);
  const base = spec.symbol.split('/')[0];
  let price = (BASE_PRICE[base] ?? 50 + (hashString(base) % 200)) * (0.9 + 0.2 * rng());
  let anchor = price;
  // Regime blocks last a number of candles that scales with the timeframe: about 2-10 days.
  const blockMin = Math.max(8, Math.round((2 * 86_400_000) / tf));
  const blockMax = Math.max(blockMin + 4, Math.round((10 * 86_400_000) / tf));
  let regime: DemoRegime = 'ranging';
  let left = 0;
  const s = emptySeries(spec.symbol, spec.timeframe, n);
  const baseVolume = 1_000_000 / price;
  for (let k = 0; k < n; k++) {
    if (left <= 0) {
      regime = drawRegime(rng);
      left = regime === 'crash' ? Math.max(3, Math.round(blockMin / 4)) : blockMin + Math.floor(rng() * (blockMax - blockMin));
      anchor = price;
    }
    left--;
    const p = REGIMES[regime];
    const open = price;
    const shock = gaussian(rng) * sigma * p.vol;
    const pull = p.revert * Math.log(anchor / open);
    const close = open * Math.exp(p.drift * sigma + pull + shock);
    const wick = sigma * p.vol * 0.6;
    const high = Math.max(open, close) * (1 + Math.abs(gaussian(rng)) * wick);
    const low = Math.min(open, close) * (1 - Math.abs(gaussian(rng)) * wick);
    s.ts[k] = spec.startTs + k * tf;
    s.open[k] = open;
    s.high[k] = high;
    s.low[k] = low;
    s.close[k] = close;
    s.volume[k] = baseVolume * p.volume * (0.5 + rng()) * (1 + Math.abs(shock) / sigma / 3);
    price = close;
  }
  return s;
}

function drawRegime(rng: () => number): DemoRegime {
  let u = rng();
  for (const [r, w] of DRAW) {
    if ((u -= w) <= 0) return r;
  }
  return 'ranging';
}
