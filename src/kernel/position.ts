import type { Decision } from '../agents/decision.js';
import { qualityScore } from '../metrics/quality.js';
import type { DetailedTradeMetric, ExitReason } from '../metrics/types.js';

export interface Costs {
  fee: number;
  slippage: number;
}

/** An open position: the same shape in backtest, paper and live. */
export interface OpenPosition {
  id: string;
  symbol: string;
  dir: 1 | -1;
  quantity: number;
  entryPrice: number;
  entryTs: number;
  /** Candle number of the fill candle (its open time / timeframe): durations count candles. */
  entryCandle: number;
  entryFee: number;
  entrySlippage: number;
  stop: number;
  target: number;
  leverage: number;
  decision: Decision;
  cycleId: number;
}

/** Market fill with slippage against us: buys fill higher, sells lower. */
export function slippedPrice(ref: number, side: 1 | -1, slippage: number): number {
  return ref * (1 + side * slippage);
}

export function openPosition(p: {
  id: string;
  symbol: string;
  decision: Decision;
  quantity: number;
  refPrice: number;
  ts: number;
  entryCandle: number;
  costs: Costs;
  leverage: number;
  cycleId: number;
}): OpenPosition {
  const dir: 1 | -1 = p.decision.direction === 'LONG' ? 1 : -1;
  const entryPrice = slippedPrice(p.refPrice, dir, p.costs.slippage);
  return {
    id: p.id,
    symbol: p.symbol,
    dir,
    quantity: p.quantity,
    entryPrice,
    entryTs: p.ts,
    entryCandle: p.entryCandle,
    entryFee: entryPrice * p.quantity * p.costs.fee,
    entrySlippage: Math.abs(entryPrice - p.refPrice) * p.quantity,
    stop: p.decision.stop,
    target: p.decision.target,
    leverage: p.leverage,
    decision: p.decision,
    cycleId: p.cycleId,
  };
}

/**
 * Did this candle reach the stop or the target? When both lie inside one candle, the stop is
 * assumed hit first (we cannot know the path inside a candle; assume the worse). A candle that
 * opens beyond the level fills at the open (a gap), not at the level.
 */
export function stopOrTarget(pos: OpenPosition, open: number, high: number, low: number): { reason: ExitReason; ref: number } | null {
  if (pos.dir > 0) {
    if (low <= pos.stop) return { reason: 'STOP_LOSS', ref: Math.min(open, pos.stop) };
    if (high >= pos.target) return { reason: 'TAKE_PROFIT', ref: Math.max(open, pos.target) };
  } else {
    if (high >= pos.stop) return { reason: 'STOP_LOSS', ref: Math.max(open, pos.stop) };
    if (low <= pos.target) return { reason: 'TAKE_PROFIT', ref: Math.min(open, pos.target) };
  }
  return null;
}

/**
 * Stop and target of a filled entry: they keep their distance from the actual fill price (the
 * decision priced them from the decision candle's close; the fill comes at the next open, with
 * slippage). One rule for backtest, paper and live.
 */
export function anchorLevels(d: Decision, fillPrice: number): { stop: number; target: number } {
  const shift = fillPrice - d.price;
  return { stop: d.stop + shift, target: d.target + shift };
}

/**
 * The trailing stop after a candle closed (never during it: a candle never triggers the stop it
 * just moved). Long: high - mult x ATR, short: low + mult x ATR; the stop only moves in the
 * position's favour. Returns the new stop, or null when it does not move. mult 0 = off.
 */
export function trailedStop(pos: OpenPosition, high: number, low: number, atr: number, mult: number): number | null {
  if (!(mult > 0)) return null;
  const a = Number.isFinite(atr) && atr > 0 ? atr : pos.decision.atr;
  const level = pos.dir > 0 ? high - mult * a : low + mult * a;
  return (pos.dir > 0 ? level > pos.stop : level < pos.stop) ? level : null;
}

/**
 * Candles a trade was held, counted the same in every clock from candle numbers (candle open
 * time / timeframe). An exit inside a candle (stop, target, end of data) holds that candle too; an
 * exit at a candle's open (signal, time stop, kill switch, manual) does not.
 */
export function heldCandles(entryCandle: number, exitCandle: number, reason: ExitReason): number {
  const inside = reason === 'END_OF_DATA' || reason === 'STOP_LOSS' || reason === 'TAKE_PROFIT';
  return Math.max(1, exitCandle - entryCandle + (inside ? 1 : 0));
}

/** The time stop: decided on the close of candle `candle`, to exit at the next open. */
export function timedOut(pos: OpenPosition, candle: number, maxHoldCandles: number): boolean {
  return candle + 1 - pos.entryCandle >= maxHoldCandles;
}

/** Unrealised PnL at a price, before exit costs. */
export function unrealised(pos: OpenPosition, price: number): number {
  return pos.dir * (price - pos.entryPrice) * pos.quantity;
}

/** What an exit fills at and settles (exitFill). */
export interface ExitFill {
  exitPrice: number;
  exitFee: number;
  exitSlippage: number;
  /** Entry and exit fees. */
  fee: number;
  /** Net of both fees. */
  pnl: number;
}

/**
 * An exit's fill at reference price `ref`: take-profit exits are limit orders and pay no
 * slippage, every other exit is a market order and does. closePosition's arithmetic, alone: a
 * ranking run settles its exits with it and keeps no record.
 */
export function exitFill(pos: OpenPosition, ref: number, reason: ExitReason, costs: Costs): ExitFill {
  const exitPrice = reason === 'TAKE_PROFIT' ? ref : slippedPrice(ref, (-pos.dir) as 1 | -1, costs.slippage);
  const exitFee = exitPrice * pos.quantity * costs.fee;
  const exitSlippage = Math.abs(exitPrice - ref) * pos.quantity;
  const gross = pos.dir * (exitPrice - pos.entryPrice) * pos.quantity;
  const fee = pos.entryFee + exitFee;
  return { exitPrice, exitFee, exitSlippage, fee, pnl: gross - fee };
}

/** A trade's duration in hours from its candles (held candles x the timeframe). */
export const durationHours = (candles: number, timeframeMs: number): number => (candles * timeframeMs) / 3_600_000;

/**
 * Closes a position into the seed's DetailedTradeMetric, filled by exitFill. `balanceBefore` is the account
 * balance before this trade's PnL (entry fee not yet deducted), so balanceAfter = before + pnl.
 */
export function closePosition(
  pos: OpenPosition,
  x: { ref: number; reason: ExitReason; ts: number; candles: number; costs: Costs; balanceBefore: number; timeframeMs: number; symbol: string; timeframe: string },
): DetailedTradeMetric {
  const { exitPrice, exitSlippage, fee, pnl } = exitFill(pos, x.ref, x.reason, x.costs);
  const balanceUsed = (pos.entryPrice * pos.quantity) / pos.leverage;
  const pnlPct = balanceUsed > 0 ? pnl / balanceUsed : 0;
  const d = pos.decision;
  const followedPlan = x.reason === 'TAKE_PROFIT' || x.reason === 'STOP_LOSS' || x.reason === 'SIGNAL';
  const base = {
    pnlPct,
    riskReward: d.riskReward,
    confluenceScore: d.confluence,
    confidence: d.confidence,
    followedPlan,
    exitReason: x.reason,
    volumeConfirmation: d.volumeConfirmed,
  };
  return {
    tradeId: pos.id,
    agentSymbol: x.symbol,
    timestamp: x.ts,
    cycleId: pos.cycleId,
    action: d.action,
    direction: d.direction,
    entryPrice: pos.entryPrice,
    exitPrice,
    quantity: pos.quantity,
    leverage: pos.leverage,
    entryTime: pos.entryTs,
    exitTime: x.ts,
    durationCandles: x.candles,
    durationHours: durationHours(x.candles, x.timeframeMs),
    pnl,
    pnlPct,
    balanceUsed,
    balanceAfter: x.balanceBefore + pnl,
    confidence: d.confidence,
    confidenceLevel: d.confidenceLevel,
    setupScore: d.score ?? d.confidence,
    calibrated: d.calibrated ?? false,
    strategyName: d.strategy,
    confluenceScore: d.confluence,
    riskReward: d.riskReward,
    marketRegime: d.regime,
    volatilityLevel: d.volatility,
    volumeConfirmation: d.volumeConfirmed,
    wasSuccessful: pnl > 0,
    followedPlan,
    exitReason: x.reason,
    slippage: pos.entrySlippage + exitSlippage,
    fee,
    qualityScore: qualityScore(base),
    stop: pos.stop,
    target: pos.target,
    timeframe: x.timeframe,
  };
}
