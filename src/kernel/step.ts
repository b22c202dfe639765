import { calibrateDecision, describeEntry, type Decision } from '../agents/decision.js';
import { EXIT, HOLD, OPEN_LONG, OPEN_SHORT, type AgentState, type Signal, type Strategy, type StrategyContext } from '../agents/types.js';
import type { Features } from '../indicators/features.js';
import type { ExitReason } from '../metrics/types.js';
import { accountRefusal, gate, type RiskState } from '../risk/gate.js';
import { killSwitchTripped, riskView, type Portfolio } from './portfolio.js';
import { stopOrTarget, timedOut, trailedStop } from './position.js';
import type { EngineSettings } from './settings.js';

/**
 * The kernel's step, pure: what one agent does with one closed candle, given the shared account.
 * Every clock calls these two functions in this order for each closed candle of each symbol:
 *
 *   1. watchCandle   - the open position against the candle's range: stop first, then target
 *                      (a gap fills at the open); then the trailing stop moves (after the candle).
 *   2. markCandle    - (portfolio.ts) the account is marked at the close: peak, day start.
 *   3. decideAtClose - the strategy's signal on the close, turned into an intent: exit at the next
 *                      open (signal, time stop, kill switch), or an entry sized and limited by the
 *                      risk gate, or a refusal with its reason.
 *
 * The caller executes intents with its own broker: the backtest fills them at the next candle's
 * open with the cost model; paper and live turn an entry into a proposal (approved in chat or
 * automatically) and fill through the broker port at the current price, which is that same open.
 */

export interface AgentView {
  symbol: string;
  strategy: Strategy;
  state: AgentState;
  features: Features;
  ctx: StrategyContext;
}

export interface CandleRange {
  /** Open time of the candle. */
  ts: number;
  open: number;
  high: number;
  low: number;
  /** ATR at this candle (for the trailing stop). */
  atr: number;
}

export interface WatchResult {
  exit: { reason: ExitReason; ref: number } | null;
  /** The trailing stop's new level when it moved (the position's stop is already set to it). */
  stopMoved: number | null;
}

export function watchCandle(p: Portfolio, symbol: string, c: CandleRange, settings: EngineSettings): WatchResult {
  const pos = p.positions[symbol];
  if (!pos) return { exit: null, stopMoved: null };
  const hit = stopOrTarget(pos, c.open, c.high, c.low);
  if (hit) return { exit: hit, stopMoved: null };
  const moved = trailedStop(pos, c.high, c.low, c.atr, settings.trailingStopAtr);
  if (moved !== null) pos.stop = moved;
  return { exit: null, stopMoved: moved };
}

export type CloseIntent =
  | { kind: 'none'; signal: Signal }
  | { kind: 'exit'; reason: ExitReason; signal: Signal }
  | { kind: 'entry'; decision: Decision; quantity: number; risk: RiskState; signal: Signal }
  /** `key` is short and stable (counting refusals), `reason` says it in full words. */
  | { kind: 'refused'; key: string; reason: string; /** The same as a key and figures, for the chat's language. */ refusal: { code: string; params: Record<string, number> }; signal: Signal };

/**
 * The decision on the close of bar `i` (features 0..i only). `candle` is the bar's candle number
 * (open time / timeframe), the unit of cooldowns and time stops in every clock.
 */
/** The exit rules in force for a strategy: its own where it has them, else the configured ones. */
export function exitRulesFor(strategy: Strategy, settings: EngineSettings): { atrStopMult: number; atrTargetMult: number; maxHoldCandles: number } {
  const x = strategy.exits;
  return { atrStopMult: x?.atrStopMult ?? settings.atrStopMult, atrTargetMult: x?.atrTargetMult ?? settings.atrTargetMult, maxHoldCandles: x?.maxHoldCandles ?? settings.maxHoldCandles };
}

export function decideAtClose(p: Portfolio, a: AgentView, i: number, candleTs: number, candle: number, settings: EngineSettings, paused = false): CloseIntent {
  const risk = settings.risk;
  // exitRulesFor only where an entry or a time stop needs the rules, not on every bar (an object each).
  const pos = p.positions[a.symbol];
  // The kill switch closes what is open at the next open, and nothing new opens: a drawdown limit
  // that let open positions run on would not be a limit.
  const sig = a.strategy.signal(a.features, i, pos ? pos.dir : 0, a.state, a.ctx);
  if (killSwitchTripped(p, risk.max_drawdown)) {
    if (pos) return { kind: 'exit', reason: 'KILL_SWITCH', signal: sig };
    if (sig === OPEN_LONG || sig === OPEN_SHORT) {
      const rs = riskView(p, a.symbol, candleTs, candle, paused);
      const g = gate(describeEntry(a.features, i, sig, a.strategy.name, candleTs, exitRulesFor(a.strategy, settings)), rs, risk);
      return { kind: 'refused', key: 'kill switch: max_drawdown', reason: g.ok ? 'kill switch: max_drawdown' : g.reason, refusal: g.ok ? { code: 'kill_switch_on', params: { max: risk.max_drawdown } } : { code: g.code, params: g.params }, signal: sig };
    }
    return { kind: 'none', signal: sig };
  }
  if (pos) {
    if (sig === EXIT) return { kind: 'exit', reason: 'SIGNAL', signal: sig };
    if (timedOut(pos, candle, exitRulesFor(a.strategy, settings).maxHoldCandles)) return { kind: 'exit', reason: 'TIMEOUT', signal: sig };
    return { kind: 'none', signal: sig };
  }
  if (sig !== OPEN_LONG && sig !== OPEN_SHORT) {
    if (sig !== HOLD && sig !== EXIT) throw new Error(`strategy ${a.strategy.name} returned an unknown signal ${sig}`);
    return { kind: 'none', signal: sig };
  }
  const rs = riskView(p, a.symbol, candleTs, candle, paused);
  const decision = calibrateDecision(describeEntry(a.features, i, sig, a.strategy.name, candleTs, exitRulesFor(a.strategy, settings)), a.state.calibration);
  const g = gate(decision, rs, risk);
  if (!g.ok) return { kind: 'refused', key: accountRefusal(rs, risk) ?? g.reason.replace(/[\d.]+%?/g, '#'), reason: g.reason, refusal: { code: g.code, params: g.params }, signal: sig };
  return { kind: 'entry', decision, quantity: g.quantity, risk: rs, signal: sig };
}
