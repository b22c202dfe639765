import type { Decision } from '../agents/decision.js';
import { anchorLevels, closePosition, openPosition, stopOrTarget, timedOut, type Costs } from '../kernel/position.js';
import type { Candle } from '../market/types.js';
import type { ExitReason } from '../metrics/types.js';

/**
 * What a proposal the trader turned down would have done, had it been approved at once: filled at
 * the open after its decision candle (as auto-approval and the backtest fill), then the kernel's
 * own exits: stop first, then target (gaps fill at the open), and the time stop at the next open.
 * The trailing stop is not followed (it needs the live ATR). Pure.
 */
export interface Counterfactual {
  /** null while the position would still be open at the last candle known. */
  pnl: number | null;
  reason: ExitReason | null;
  /** Open PnL at the last close when still open. */
  openPnl: number;
}

export function followDecision(x: { decision: Decision; quantity: number; candles: readonly Candle[]; tfMs: number; costs: Costs; maxHoldCandles: number; symbol: string; timeframe: string }): Counterfactual | null {
  const c = x.candles;
  if (!c.length || !(x.quantity > 0)) return null;
  const entryCandle = Math.round(c[0].ts / x.tfMs);
  const pos = openPosition({ id: 'cf', symbol: x.symbol, decision: x.decision, quantity: x.quantity, refPrice: c[0].open, ts: c[0].ts, entryCandle, costs: x.costs, leverage: 1, cycleId: 0 });
  Object.assign(pos, anchorLevels(x.decision, pos.entryPrice));
  const close = (ref: number, reason: ExitReason, k: number) =>
    closePosition(pos, { ref, reason, ts: c[k].ts, candles: Math.round(c[k].ts / x.tfMs) - entryCandle + 1, costs: x.costs, balanceBefore: 0, timeframeMs: x.tfMs, symbol: x.symbol, timeframe: x.timeframe }).pnl;
  for (let k = 0; k < c.length; k++) {
    const hit = stopOrTarget(pos, c[k].open, c[k].high, c[k].low);
    if (hit) return { pnl: close(hit.ref, hit.reason, k), reason: hit.reason, openPnl: 0 };
    if (timedOut(pos, Math.round(c[k].ts / x.tfMs), x.maxHoldCandles) && k + 1 < c.length) return { pnl: close(c[k + 1].open, 'TIMEOUT', k + 1), reason: 'TIMEOUT', openPnl: 0 };
  }
  const last = c[c.length - 1].close;
  return { pnl: null, reason: null, openPnl: pos.dir * (last - pos.entryPrice) * pos.quantity - pos.entryFee };
}
