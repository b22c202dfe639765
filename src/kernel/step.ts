import { calibrateDecision, describeEntry, DESCRIBE_FEATURES, priceEntry, type Decision } from '../agents/decision.js';
import { EXIT, HOLD, OPEN_LONG, OPEN_SHORT, type AgentState, type Signal, type Strategy, type StrategyContext } from '../agents/types.js';
import { ensureFeatures, type Features } from '../indicators/features.js';
import type { ExitReason } from '../metrics/types.js';
import { accountRefusal, gate, type RiskState } from '../risk/gate.js';
import { equityOf, killSwitchTripped, riskView, type Portfolio } from './portfolio.js';
import { stopOrTarget, timedOut, trailedStop, type OpenPosition } from './position.js';
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
  /**
   * Ranking runs only (a search scoring configurations on equity and trade counts): entries carry
   * their price, stop and target but not their description (confluence, regime, reason), so the
   * features the description reads are never computed. Fills and equity are the same either way.
   */
  priceOnly?: boolean;
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
  const before = pos.stop;
  const exit = watchBar(pos, c.open, c.high, c.low, c.atr, settings.trailingStopAtr);
  return exit ? { exit, stopMoved: null } : { exit: null, stopMoved: pos.stop !== before ? pos.stop : null };
}

/**
 * watchCandle on scalars, for the historical clock's hot loop (no object per bar): the exit when
 * the candle reached the stop or target, else null after the trailing stop moved (in place).
 */
export function watchBar(pos: OpenPosition, open: number, high: number, low: number, atr: number, trailingStopAtr: number): { reason: ExitReason; ref: number } | null {
  const hit = stopOrTarget(pos, open, high, low);
  if (hit) return hit;
  const moved = trailedStop(pos, high, low, atr, trailingStopAtr);
  if (moved !== null) pos.stop = moved;
  return null;
}

export type CloseIntent =
  | { kind: 'none'; signal: Signal }
  | { kind: 'exit'; reason: ExitReason; signal: Signal }
  | { kind: 'entry'; decision: Decision; quantity: number; risk: RiskState; signal: Signal }
  /** `key` is short and stable (counting refusals), `reason` says it in full words. */
  | { kind: 'refused'; key: string; reason: string; /** The same as a key and figures, for the chat's language. */ refusal: { code: string; params: Record<string, number> }; signal: Signal };

/** The exit rules in force for a strategy: its own where it has them, else the configured ones. */
export function exitRulesFor(strategy: Strategy, settings: EngineSettings): { atrStopMult: number; atrTargetMult: number; maxHoldCandles: number } {
  const x = strategy.exits;
  return { atrStopMult: x?.atrStopMult ?? settings.atrStopMult, atrTargetMult: x?.atrTargetMult ?? settings.atrTargetMult, maxHoldCandles: maxHoldFor(strategy, settings) };
}

/** exitRulesFor's time stop alone, without an object: read on every held bar. */
function maxHoldFor(strategy: Strategy, settings: EngineSettings): number {
  return strategy.exits?.maxHoldCandles ?? settings.maxHoldCandles;
}

/** The "nothing to do" intents, one per signal (index signal + 1), shared: a quiet bar allocates nothing. */
const NONE_INTENTS: readonly CloseIntent[] = ([OPEN_SHORT, HOLD, OPEN_LONG, EXIT] as Signal[]).map((signal) => Object.freeze({ kind: 'none' as const, signal }));

const none = (sig: Signal): CloseIntent => NONE_INTENTS[sig + 1] ?? { kind: 'none', signal: sig };

/**
 * An entry signal's levels (price, stop, target, R:R): all the risk gate reads. The gate judges
 * these, so an entry it refuses (a cooldown, a full book, a signal that keeps firing) is never
 * described; the description is built only for an entry that goes ahead.
 */
function entryLevels(a: AgentView, i: number, sig: 1 | -1, candleTs: number, settings: EngineSettings): Decision {
  return priceEntry(a.features, i, sig, a.strategy.name, candleTs, exitRulesFor(a.strategy, settings));
}

/** The full decision of an entry that passed the gate (confluence, regime, reason), or its levels only when `a.priceOnly`. */
function entryDecision(a: AgentView, levels: Decision, i: number, sig: 1 | -1, candleTs: number, settings: EngineSettings): Decision {
  if (a.priceOnly) return levels;
  ensureFeatures(a.features, DESCRIBE_FEATURES);
  return describeEntry(a.features, i, sig, a.strategy.name, candleTs, exitRulesFor(a.strategy, settings));
}

/** A candle's number: its open time / the timeframe, rounded (the same in every clock). */
const candleNumber = (ts: number, tfMs: number) => Math.round(ts / tfMs);

/**
 * The decision on the close of bar `i` (features 0..i only), the candle opened at `candleTs` on a
 * timeframe of `tfMs`. Its candle number (open time / timeframe, rounded) is the unit of cooldowns
 * and time stops in every clock; it is worked out only where a rule needs it (a quiet bar does not:
 * the historical clock decides on every candle). `equity`: the account's equity now, when the
 * caller already has it (the historical clock, per candle).
 */
export function decideAtClose(p: Portfolio, a: AgentView, i: number, candleTs: number, tfMs: number, settings: EngineSettings, paused = false, equity?: number): CloseIntent {
  // Called on every candle of every agent: the common cases stay small here (V8 inlines it into
  // the historical clock's loop); an entry signal's gate and description are in entryIntent.
  const pos = p.positions[a.symbol];
  const sig = a.strategy.signal(a.features, i, pos ? pos.dir : 0, a.state, a.ctx);
  // The kill switch closes what is open at the next open, and nothing new opens: a drawdown limit
  // that let open positions run on would not be a limit.
  if (killSwitchTripped(p, settings.risk.max_drawdown, equity ?? equityOf(p))) {
    if (pos) return { kind: 'exit', reason: 'KILL_SWITCH', signal: sig };
    if (sig === OPEN_LONG || sig === OPEN_SHORT) return entryIntent(p, a, i, sig, candleTs, tfMs, settings, paused, true);
    return none(sig);
  }
  if (pos) {
    if (sig === EXIT) return { kind: 'exit', reason: 'SIGNAL', signal: sig };
    if (timedOut(pos, candleNumber(candleTs, tfMs), maxHoldFor(a.strategy, settings))) return { kind: 'exit', reason: 'TIMEOUT', signal: sig };
    return none(sig);
  }
  if (sig === OPEN_LONG || sig === OPEN_SHORT) return entryIntent(p, a, i, sig, candleTs, tfMs, settings, paused, false);
  if (sig !== HOLD && sig !== EXIT) throw new Error(`strategy ${a.strategy.name} returned an unknown signal ${sig}`);
  return none(sig);
}

/**
 * An entry signal with no position open: the risk gate judges its levels, and only an entry that
 * goes ahead is described. With the kill switch tripped (`killed`) it is refused either way, with
 * the gate's reason when the gate refuses it too.
 */
function entryIntent(p: Portfolio, a: AgentView, i: number, sig: 1 | -1, candleTs: number, tfMs: number, settings: EngineSettings, paused: boolean, killed: boolean): CloseIntent {
  const risk = settings.risk;
  const rs = riskView(p, a.symbol, candleTs, candleNumber(candleTs, tfMs), paused);
  const levels = entryLevels(a, i, sig, candleTs, settings);
  const g = gate(levels, rs, risk);
  if (killed) return { kind: 'refused', key: 'kill switch: max_drawdown', reason: g.ok ? 'kill switch: max_drawdown' : g.reason, refusal: g.ok ? { code: 'kill_switch_on', params: { max: risk.max_drawdown } } : { code: g.code, params: g.params }, signal: sig };
  if (!g.ok) return { kind: 'refused', key: accountRefusal(rs, risk) ?? g.reason.replace(/[\d.]+%?/g, '#'), reason: g.reason, refusal: { code: g.code, params: g.params }, signal: sig };
  // Calibration moves only the confidence, which the gate does not read.
  const decision = calibrateDecision(entryDecision(a, levels, i, sig, candleTs, settings), a.state.calibration);
  return { kind: 'entry', decision, quantity: g.quantity, risk: rs, signal: sig };
}
