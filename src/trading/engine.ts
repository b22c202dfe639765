import { describeEntry, type Decision } from '../agents/decision.js';
import { EXIT, HOLD, OPEN_LONG, OPEN_SHORT, type AgentState, type Strategy, type StrategyContext } from '../agents/types.js';
import type { Features } from '../indicators/features.js';
import { timeframeMs } from '../market/timeframe.js';
import type { Series } from '../market/types.js';
import type { DetailedTradeMetric, ExitReason } from '../metrics/types.js';
import { accountRefusal, gate, type RiskSettings } from '../risk/gate.js';
import { closePosition, openPosition, stopOrTarget, unrealised, type Costs, type OpenPosition } from './position.js';

export interface EngineSettings {
  risk: RiskSettings;
  costs: Costs;
  atrStopMult: number;
  atrTargetMult: number;
  maxHoldCandles: number;
}

export interface RunInput {
  series: Series;
  features: Features;
  strategy: Strategy;
  state: AgentState;
  settings: EngineSettings;
  ctx: StrategyContext;
  startingEquity: number;
  /** Bars [from, to) are traded; features may use earlier bars (warm-up). */
  from?: number;
  to?: number;
  cycleId?: number;
  /** Prefix of trade ids, so ids stay unique across cycles and agents. */
  idPrefix?: string;
  /** Keep the per-bar signal log (lookahead check). */
  recordSignals?: boolean;
}

export interface RunResult {
  trades: DetailedTradeMetric[];
  /** Equity at the close of each traded bar (length to - from). */
  equity: Float64Array;
  /** Raw strategy signal at each traded bar (only with recordSignals). */
  signals?: Int8Array;
  finalEquity: number;
  /** Entries the risk gate refused, by reason. */
  refusals: Record<string, number>;
}

/**
 * The historical clock of the one engine. A decision made on the close of candle t fills at the
 * open of t+1 (plus slippage, minus fees); stop and target are checked within every later candle,
 * stop first when both are inside one candle; a time stop closes after max_hold_candles; whatever
 * is open at the end closes at the last close (END_OF_DATA). The live clock (src/trading/live.ts)
 * calls the same decision, gate and position functions one candle at a time.
 */
export function runEngine(input: RunInput): RunResult {
  const { series: s, features: f, strategy, state, settings, ctx } = input;
  const from = input.from ?? 0;
  const to = input.to ?? s.close.length;
  const tfMs = timeframeMs(s.timeframe);
  const cycleId = input.cycleId ?? 0;
  const prefix = input.idPrefix ?? `${s.symbol}-${cycleId}`;
  const equity = new Float64Array(Math.max(0, to - from));
  const signals = input.recordSignals ? new Int8Array(Math.max(0, to - from)) : undefined;
  const trades: DetailedTradeMetric[] = [];
  const refusals: Record<string, number> = {};
  const risk = settings.risk;

  let balance = input.startingEquity;
  let peak = balance;
  let pos: OpenPosition | null = null;
  let pendingEntry: { decision: Decision; quantity: number } | null = null;
  let pendingExit: ExitReason | null = null;
  let lastExitBar = -Infinity;
  let day = -1;
  let dayStartEquity = balance;
  let tradesToday = 0;
  let seq = 0;

  const close = (bar: number, ref: number, reason: ExitReason) => {
    const p = pos!;
    const t = closePosition(p, {
      ref,
      reason,
      ts: s.ts[bar],
      candles: bar - p.entryCandle + (reason === 'END_OF_DATA' || reason === 'STOP_LOSS' || reason === 'TAKE_PROFIT' ? 1 : 0),
      costs: settings.costs,
      balanceBefore: balance + p.entryFee,
      timeframeMs: tfMs,
      symbol: s.symbol,
      timeframe: s.timeframe,
    });
    // entryFee was deducted at entry; the trade's pnl includes it, so add it back before applying.
    balance = t.balanceAfter;
    trades.push(t);
    pos = null;
    lastExitBar = bar;
    if (ctx.learn && strategy.onTradeClosed) strategy.onTradeClosed(state, t, f, bar, ctx);
  };

  for (let i = from; i < to; i++) {
    const o = s.open[i];
    // 0. A new UTC day starts at this candle's open: entries filled now count toward it.
    const d = Math.floor(s.ts[i] / 86_400_000);
    if (d !== day) {
      day = d;
      dayStartEquity = pos ? balance + unrealised(pos, o) : balance;
      tradesToday = 0;
    }
    // 1. Fill what was decided on the previous close, at this open.
    if (pendingExit && pos) close(i, o, pendingExit);
    pendingExit = null;
    if (pendingEntry && !pos) {
      pos = openPosition({
        id: `${prefix}-${++seq}`,
        symbol: s.symbol,
        decision: pendingEntry.decision,
        quantity: pendingEntry.quantity,
        refPrice: o,
        ts: s.ts[i],
        entryCandle: i,
        costs: settings.costs,
        leverage: risk.leverage,
        cycleId,
      });
      balance -= pos.entryFee;
      tradesToday++;
    }
    pendingEntry = null;

    // 2. Stop / target inside this candle.
    if (pos) {
      const hit = stopOrTarget(pos, o, s.high[i], s.low[i]);
      if (hit) close(i, hit.ref, hit.reason);
    }

    // 3. Mark to market at the close.
    const eq = pos ? balance + unrealised(pos, s.close[i]) : balance;
    equity[i - from] = eq;
    if (eq > peak) peak = eq;

    // 4. Decide on this close (nothing is decided on the last bar: there is no next open).
    if (i === to - 1) break;
    const p = pos as OpenPosition | null;
    const sig = strategy.signal(f, i, p ? p.dir : 0, state, ctx);
    if (signals) signals[i - from] = sig;
    if (p) {
      if (sig === EXIT) pendingExit = 'SIGNAL';
      else if (i + 1 - p.entryCandle >= settings.maxHoldCandles) pendingExit = 'TIMEOUT';
    } else if (sig === OPEN_LONG || sig === OPEN_SHORT) {
      const dir = sig === OPEN_LONG ? 1 : -1;
      const rs = { equity: eq, peakEquity: peak, dayStartEquity, openPositions: 0, exposure: 0, tradesToday, candlesSinceExit: i - lastExitBar, paused: false };
      // The account-level refusals (kill switch, limits, cooldown) need no decision: check them
      // first, so a tripped kill switch costs nothing per bar.
      const quick = accountRefusal(rs, risk);
      if (quick) {
        refusals[quick] = (refusals[quick] ?? 0) + 1;
        continue;
      }
      const decision = describeEntry(f, i, dir, strategy.name, s.ts[i], settings);
      const g = gate(decision, rs, risk);
      if (g.ok) pendingEntry = { decision, quantity: g.quantity };
      else {
        const key = g.reason.replace(/[\d.]+%?/g, '#');
        refusals[key] = (refusals[key] ?? 0) + 1;
      }
    } else if (sig !== HOLD && sig !== EXIT) {
      throw new Error(`strategy ${strategy.name} returned an unknown signal ${sig}`);
    }
  }
  if (pos && to > from) close(to - 1, s.close[to - 1], 'END_OF_DATA');
  if (to > from) equity[to - from - 1] = balance;
  return { trades, equity, signals, finalEquity: balance, refusals };
}
