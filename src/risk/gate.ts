import type { Decision } from '../agents/decision.js';

export interface RiskSettings {
  risk_per_trade: number;
  max_position_pct: number;
  max_total_exposure: number;
  max_open_positions: number;
  daily_trade_limit: number;
  cooldown_candles: number;
  daily_loss_limit: number;
  max_drawdown: number;
  min_risk_reward: number;
  allow_short: boolean;
  leverage: number;
}

/** The account as the gate sees it at the decision. */
export interface RiskState {
  equity: number;
  peakEquity: number;
  dayStartEquity: number;
  openPositions: number;
  /** Notional of open positions, quote currency. */
  exposure: number;
  tradesToday: number;
  /** Candles since this agent's last exit (Infinity when none). */
  candlesSinceExit: number;
  paused: boolean;
}

/**
 * The refusals that depend only on the account (not on the decision), as a short stable key, or
 * null. The engine checks these before building a decision; gate() says the same in full words.
 */
export function accountRefusal(s: RiskState, r: RiskSettings): string | null {
  if (s.paused) return 'paused';
  if (s.peakEquity > 0 && s.equity < s.peakEquity * (1 - r.max_drawdown)) return 'kill switch: max_drawdown';
  if (s.dayStartEquity > 0 && s.equity < s.dayStartEquity * (1 - r.daily_loss_limit)) return 'daily_loss_limit';
  if (s.openPositions >= r.max_open_positions) return 'max_open_positions';
  if (s.tradesToday >= r.daily_trade_limit) return 'daily_trade_limit';
  if (s.candlesSinceExit < r.cooldown_candles) return 'cooldown';
  return null;
}

/**
 * The gate's risk:reward test alone (the search asks it of a configuration's levels before it
 * runs one: src/training/select.ts). A relative tolerance: a 3 ATR target over a 2 ATR stop is
 * 1.5 on paper but 1.4999999999 or 1.5000000001 in floating point, depending on the ATR's last
 * bits; an exact compare refused such entries by a coin flip (and made results depend on how far
 * back the indicators warmed up).
 */
export function riskRewardOk(riskReward: number, r: RiskSettings): boolean {
  return riskReward >= r.min_risk_reward * (1 - 1e-9);
}

/**
 * A refusal's key and figures, for the chat to say in its language (`gate.<code>` in strings.txt);
 * `reason` is the same in English words (logs, the backtest CLI).
 */
export type GateCode = 'paused' | 'short_off' | 'kill_switch' | 'daily_loss' | 'max_open' | 'daily_trades' | 'cooldown' | 'risk_reward' | 'no_stop' | 'exposure_full' | 'size_zero';
export type GateRefusal = { ok: false; reason: string; code: GateCode; params: Record<string, number> };
export type GateResult = { ok: true; quantity: number; notional: number } | GateRefusal;

/**
 * The risk gate, pure: may this decision open a position, and how large? Size = equity x
 * risk_per_trade / stop distance, capped by max_position_pct x equity x leverage and by the room
 * left under max_total_exposure. Every refusal says why in plain words.
 */
export function gate(d: Decision, s: RiskState, r: RiskSettings): GateResult {
  if (s.paused) return { ok: false, reason: 'trading is paused (/resume to restart)', code: 'paused', params: {} };
  if (d.direction === 'SHORT' && !r.allow_short) return { ok: false, reason: 'short positions are switched off (risk.allow_short)', code: 'short_off', params: {} };
  if (s.peakEquity > 0 && s.equity < s.peakEquity * (1 - r.max_drawdown)) {
    return { ok: false, reason: `kill switch: drawdown ${(100 * (1 - s.equity / s.peakEquity)).toFixed(1)}% is past max_drawdown ${(100 * r.max_drawdown).toFixed(1)}%`, code: 'kill_switch', params: { drawdown: 1 - s.equity / s.peakEquity, max: r.max_drawdown } };
  }
  if (s.dayStartEquity > 0 && s.equity < s.dayStartEquity * (1 - r.daily_loss_limit)) {
    return { ok: false, reason: `daily loss limit ${(100 * r.daily_loss_limit).toFixed(1)}% reached`, code: 'daily_loss', params: { limit: r.daily_loss_limit } };
  }
  if (s.openPositions >= r.max_open_positions) return { ok: false, reason: `max_open_positions ${r.max_open_positions} reached`, code: 'max_open', params: { n: r.max_open_positions } };
  if (s.tradesToday >= r.daily_trade_limit) return { ok: false, reason: `daily_trade_limit ${r.daily_trade_limit} reached`, code: 'daily_trades', params: { n: r.daily_trade_limit } };
  if (s.candlesSinceExit < r.cooldown_candles) return { ok: false, reason: `cooldown: ${s.candlesSinceExit}/${r.cooldown_candles} candles since the last exit`, code: 'cooldown', params: { since: s.candlesSinceExit, need: r.cooldown_candles } };
  if (!riskRewardOk(d.riskReward, r)) return { ok: false, reason: `risk:reward ${d.riskReward.toFixed(2)} is below min_risk_reward ${r.min_risk_reward}`, code: 'risk_reward', params: { rr: d.riskReward, min: r.min_risk_reward } };
  const stopDist = Math.abs(d.price - d.stop);
  if (!(stopDist > 0) || !(d.price > 0)) return { ok: false, reason: 'no valid stop distance', code: 'no_stop', params: {} };
  let qty = (s.equity * r.risk_per_trade) / stopDist;
  const maxNotional = s.equity * r.max_position_pct * r.leverage;
  const room = s.equity * r.max_total_exposure * r.leverage - s.exposure;
  const cap = Math.min(maxNotional, room);
  if (cap <= 0) return { ok: false, reason: `max_total_exposure ${(100 * r.max_total_exposure).toFixed(0)}% of equity is used`, code: 'exposure_full', params: { max: r.max_total_exposure } };
  if (qty * d.price > cap) qty = cap / d.price;
  if (!(qty > 0)) return { ok: false, reason: 'position size is zero', code: 'size_zero', params: {} };
  return { ok: true, quantity: qty, notional: qty * d.price };
}
