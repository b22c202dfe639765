import type { App } from '../app/context.js';
import { timeframeMs } from '../market/timeframe.js';

/**
 * The open time of the candle forming now: where an order decided on the last close fills (its
 * open, in the backtest's words). The demo market keeps its own clock; a real market follows the
 * wall clock.
 */
export function formingCandleTs(app: App): number {
  if (app.demo) return app.demo.nowTs();
  const tfMs = timeframeMs(app.cfg.timeframe);
  return Math.floor(app.now() / tfMs) * tfMs;
}
