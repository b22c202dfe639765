import type { Decision } from '../agents/decision.js';
import type { AgentState, Strategy, StrategyContext } from '../agents/types.js';
import type { Features } from '../indicators/features.js';
import { timeframeMs } from '../market/timeframe.js';
import type { Series } from '../market/types.js';
import { addToTally, newTally } from '../metrics/series.js';
import type { DetailedTradeMetric, ExitReason, TradeTally } from '../metrics/types.js';
import type { RiskState } from '../risk/gate.js';
import { applyEntry, applyExit, equityOf, markAccount, markAccountAt, newPortfolio, type Portfolio } from './portfolio.js';
import { anchorLevels, closePosition, durationHours, exitFill, heldCandles, openPosition, unrealised, type OpenPosition } from './position.js';
import type { EngineSettings } from './settings.js';
import { decideAtClose, watchBar, type AgentView } from './step.js';

export type { EngineSettings } from './settings.js';

/**
 * The historical clock of the kernel: candles as fast as the CPU allows, intents filled by the
 * simulated broker. A decision on the close of candle t fills at the open of t+1 (plus slippage,
 * fees on both sides); stops and targets are checked in every later candle, stop first; whatever
 * is still open at the end closes at the last close (END_OF_DATA) when asked to.
 *
 * Several agents share one account: at each timestamp every agent's candle is watched and marked
 * first, then each agent decides in turn, exactly as the live scan does (src/trading/live.ts).
 */

/** May the crew (or another reviewer) veto an entry the gate allowed? Sync: the historical clock. */
export type EntryReview = (x: { agent: AgentView; i: number; decision: Decision; risk: RiskState; portfolio: Portfolio }) => boolean;

export interface AgentRun extends AgentView {
  series: Series;
  /** Bars [from, to) are traded; features may use earlier bars (warm-up). */
  from: number;
  to: number;
  /** Prefix of trade ids, so ids stay unique across cycles and agents. */
  idPrefix: string;
}

export interface PortfolioRunInput {
  agents: AgentRun[];
  settings: EngineSettings;
  /** The account, moved in place: a training run passes the same one from cycle to cycle. */
  portfolio: Portfolio;
  /** Each agent's share of the account (realised PnL and fees attributed), moved in place. */
  agentCash: Record<string, number>;
  cycleId: number;
  /** Close what is open at the last candle (END_OF_DATA): backtests yes, training cycles no. */
  closeAtEnd: boolean;
  /**
   * Decide on each agent's last bar too, filling at the candle after the window (the series must
   * hold it): a training cycle that is not the run's last. Otherwise nothing is decided there.
   */
  decideLastBar?: boolean;
  review?: EntryReview;
  recordSignals?: boolean;
  /** Trade sequence per agent, continued across calls (unique ids). */
  seq?: Record<string, number>;
  /** false: leave agentEquity empty (one agent on its own account, where it is the account's). */
  agentEquity?: boolean;
  /**
   * A ranking run: closed trades only summed into `tally`, no DetailedTradeMetric each (`trades`
   * and `agentTrades` stay empty). The fills, cash and equity are the same. Not with learning
   * agents (their onTradeClosed reads the record).
   */
  tallyOnly?: boolean;
}

export interface PortfolioRunResult {
  trades: DetailedTradeMetric[];
  /** Open time of every candle stepped (the union of the agents' candles in the window). */
  ts: Float64Array;
  /** Account equity at each close in `ts`, after every agent was marked, before decisions. */
  equity: Float64Array;
  /** Each agent's attributed equity on the same timeline. */
  agentEquity: Record<string, Float64Array>;
  agentTrades: Record<string, DetailedTradeMetric[]>;
  /** Every trade closed in the run, summed (with or without tallyOnly). */
  tally: TradeTally;
  /** Raw strategy signal at each of the agent's traded bars (recordSignals). */
  signals: Record<string, Int8Array>;
  refusals: Record<string, number>;
}

export function runPortfolio(input: PortfolioRunInput): PortfolioRunResult {
  const { agents, settings, portfolio: pf, agentCash } = input;
  const seq = input.seq ?? {};
  const trades: DetailedTradeMetric[] = [];
  const agentTrades: Record<string, DetailedTradeMetric[]> = {};
  const refusals: Record<string, number> = {};
  const signals: Record<string, Int8Array> = {};
  const tally = newTally();
  const tallyOnly = input.tallyOnly === true;
  if (tallyOnly && agents.some((a) => a.ctx.learn && a.strategy.onTradeClosed)) throw new Error('runPortfolio: a tallyOnly run keeps no trade records, and a learning agent reads them');
  // Typed arrays and arrays built by push from a literal, not agents.map: an array map() makes can
  // take another elements kind from one run to the next, and the optimised loop that read the
  // last run's then deoptimises on the first bar ("wrong map"), run after run of a search.
  const cursor = Int32Array.from(agents, (a) => a.from);
  const tfMs = Float64Array.from(agents, (a) => timeframeMs(a.series.timeframe));
  for (const a of agents) {
    agentTrades[a.symbol] = [];
    agentCash[a.symbol] ??= 0;
    seq[a.symbol] ??= 0;
    if (input.recordSignals) signals[a.symbol] = new Int8Array(Math.max(0, a.to - a.from));
  }
  // The timeline: every agent's candle times in the window, merged.
  // One agent (backtests, learning passes, baselines): its own candle times, no merge needed.
  let ts: Float64Array;
  // A view, not a copy (4 MB for a year of minutes): the result's ts is read, never written.
  if (agents.length === 1) ts = agents[0].series.ts.subarray(agents[0].from, Math.max(agents[0].from, agents[0].to));
  else {
    const times = new Set<number>();
    for (const a of agents) for (let i = a.from; i < a.to; i++) times.add(a.series.ts[i]);
    ts = Float64Array.from([...times].sort((x, y) => x - y));
  }
  const equity = new Float64Array(ts.length);
  // One agent on its own account (runEngine) has no use for its attributed column: a length-0 one.
  const agentLength = input.agentEquity === false ? 0 : ts.length;
  const agentEquity: Record<string, Float64Array> = Object.fromEntries(agents.map((a) => [a.symbol, new Float64Array(agentLength)]));
  // By agent index, so the loop below looks nothing up by name per candle: each agent's equity
  // column, open position, attributed cash and mark, kept in step with pf and agentCash (only
  // this function moves them during a run).
  const agentEq: Float64Array[] = [];
  const held: Array<OpenPosition | undefined> = [];
  for (const a of agents) {
    agentEq.push(agentEquity[a.symbol]);
    held.push(pf.positions[a.symbol]);
  }
  const cashOf = Float64Array.from(agents, (a) => agentCash[a.symbol]);
  // Each agent's mark (last close). pf.marks gets it only while the agent holds a position (the
  // only time equityOf reads it; a sole agent, below, only when its position opens) and at the
  // end: a double written to an object property on every bar cost a heap number per bar. With
  // eqNow below, these boxes were half of a ranking run's ~50 MB of allocations on a year of
  // minutes; without them its median run (garbage collection included) is ~9% faster: 7403858
  // against this, alternating processes, 14 pairs, 12 faster.
  const markOf = Float64Array.from(agents, (a) => pf.marks[a.symbol] ?? NaN);
  /**
   * The account's equity now, [0]: set by each mark, summed again only after a fill. The steps
   * below read and write it here and take no number arguments: a double passed to or returned
   * from a function V8 does not inline (decide is not) is boxed, a heap number per bar.
   */
  const eqNow = Float64Array.of(equityOf(pf));
  /**
   * One agent whose symbol is the only one the account may hold (runEngine's own account, and
   * any account holding nothing else at the start: only this function moves it during the run).
   * Its equity at a mark is then the cash plus its own position's unrealised PnL at its mark:
   * equityOf's sum, in the same order, without walking the positions by key on every bar. Nothing
   * reads pf.marks while it holds (equityOf runs after fills and at entry signals, when it is
   * flat), so its mark is written there only when the position opens and at the end.
   */
  const sole = agents.length === 1 && Object.keys(pf.positions).every((sym) => sym === agents[0].symbol);
  const trailing = settings.trailingStopAtr;
  const { recordSignals, closeAtEnd, decideLastBar } = input;

  const closeAt = (k: number, bar: number, ref: number, reason: ExitReason) => {
    const a = agents[k];
    const s = a.series;
    const pos = pf.positions[a.symbol];
    const exitCandle = Math.round(s.ts[bar] / tfMs[k]);
    const candles = heldCandles(pos.entryCandle, exitCandle, reason);
    // A ranking run settles the exit without its record (tallyOnly): the same fill arithmetic.
    const t = tallyOnly
      ? null
      : closePosition(pos, { ref, reason, ts: s.ts[bar], candles, costs: settings.costs, balanceBefore: pf.cash + pos.entryFee, timeframeMs: tfMs[k], symbol: a.symbol, timeframe: s.timeframe });
    const fill = t ?? exitFill(pos, ref, reason, settings.costs);
    applyExit(pf, a.symbol, fill.pnl, exitCandle);
    agentCash[a.symbol] += fill.pnl + pos.entryFee;
    cashOf[k] = agentCash[a.symbol];
    held[k] = undefined;
    addToTally(tally, fill.pnl, t ? t.durationHours : durationHours(candles, tfMs[k]), fill.fee, fill.pnl > 0);
    if (!t) return;
    trades.push(t);
    agentTrades[a.symbol].push(t);
    if (a.ctx.learn && a.strategy.onTradeClosed) a.strategy.onTradeClosed(a.state, t, a.features, bar, a.ctx);
  };

  /**
   * Step 1 for agent k at its bar i: its position against the candle, then the mark at the close
   * (markCandle's two parts). Sets eqNow to the account's equity after this mark (after the last
   * agent's mark of a time, every mark and exit is in it).
   */
  const watchAndMark = (k: number, i: number): void => {
    const a = agents[k];
    const s = a.series;
    const pos = held[k];
    if (pos) {
      const exit = watchBar(pos, s.open[i], s.high[i], s.low[i], a.features.atr[i], trailing);
      if (exit) closeAt(k, i, exit.ref, exit.reason);
    }
    markOf[k] = s.close[i];
    const now = held[k];
    if (now && !sole) pf.marks[a.symbol] = markOf[k];
    eqNow[0] = sole ? markAccountAt(pf, s.ts[i], now ? pf.cash + unrealised(now, markOf[k]) : pf.cash) : markAccount(pf, s.ts[i]);
  };

  /**
   * Step 2: agent k decides on the close of its bar i, given the account's equity eqNow; what it
   * decides fills at its next candle's open, and then eqNow is the equity after the fill.
   */
  const decide = (k: number, i: number): void => {
    const a = agents[k];
    const s = a.series;
    if (i === a.to - 1 && !(decideLastBar && i + 1 < s.ts.length)) {
      // Nothing is decided on the last bar: there is no next open.
      if (closeAtEnd && held[k]) {
        closeAt(k, i, s.close[i], 'END_OF_DATA');
        eqNow[0] = equityOf(pf);
      }
      return;
    }
    const intent = decideAtClose(pf, a, i, s.ts[i], tfMs[k], settings, false, eqNow[0]);
    if (recordSignals) signals[a.symbol][i - a.from] = intent.signal;
    if (intent.kind === 'exit') {
      closeAt(k, i + 1, s.open[i + 1], intent.reason);
      eqNow[0] = equityOf(pf);
      return;
    }
    if (intent.kind === 'refused') refusals[intent.key] = (refusals[intent.key] ?? 0) + 1;
    else if (intent.kind === 'entry') {
      if (input.review && !input.review({ agent: a, i, decision: intent.decision, risk: intent.risk, portfolio: pf })) {
        refusals['crew: no consensus'] = (refusals['crew: no consensus'] ?? 0) + 1;
        return;
      }
      const pos = openPosition({
        id: `${a.idPrefix}-${++seq[a.symbol]}`,
        symbol: a.symbol,
        decision: intent.decision,
        quantity: intent.quantity,
        refPrice: s.open[i + 1],
        ts: s.ts[i + 1],
        entryCandle: Math.round(s.ts[i + 1] / tfMs[k]),
        costs: settings.costs,
        leverage: settings.risk.leverage,
        cycleId: input.cycleId,
      });
      const { stop, target } = anchorLevels(intent.decision, pos.entryPrice);
      pos.stop = stop;
      pos.target = target;
      applyEntry(pf, pos, s.ts[i + 1]);
      agentCash[a.symbol] -= pos.entryFee;
      cashOf[k] = agentCash[a.symbol];
      held[k] = pos;
      pf.marks[a.symbol] = markOf[k]; // held from now: equityOf reads its mark (this close)
      eqNow[0] = equityOf(pf);
    }
  };

  /** Each agent's attributed equity at timeline point n. */
  const attribute = (n: number) => {
    for (let k = 0; k < agents.length; k++) {
      const pos = held[k];
      agentEq[k][n] = cashOf[k] + (pos ? unrealised(pos, markOf[k]) : 0);
    }
  };

  // The hot loop: nothing is allocated on a bar where nothing happens (shared "none" intents,
  // the watch on scalars), and the equity is the last mark's, not summed again. Both walks below
  // run the same two steps; they differ only in how they find each agent's bar.
  if (agents.length === 1) {
    // One agent (backtests, searches, baselines: most runs): the timeline is its own candles, so
    // its bar is from + n, found without a lookup per time (about 6% of a ranking run's engine
    // time, measured against the lookups on a year of minutes).
    const from = agents[0].from;
    for (let n = 0; n < ts.length; n++) {
      watchAndMark(0, from + n);
      equity[n] = eqNow[0];
      if (agentLength) attribute(n);
      decide(0, from + n);
    }
  } else {
    for (let n = 0; n < ts.length; n++) {
      const now = ts[n];
      // 1. Every agent with a candle now: watched and marked, all of them before anyone decides.
      for (let k = 0; k < agents.length; k++) {
        const i = cursor[k];
        if (i < agents[k].to && agents[k].series.ts[i] === now) watchAndMark(k, i);
      }
      equity[n] = eqNow[0];
      if (agentLength) attribute(n);
      // 2. Each agent with a candle now decides on its close, in turn, on the equity so far.
      for (let k = 0; k < agents.length; k++) {
        const i = cursor[k];
        if (i >= agents[k].to || agents[k].series.ts[i] !== now) continue;
        cursor[k]++;
        decide(k, i);
      }
    }
  }
  // Every agent's last mark, held or not (a training run's next cycle starts from these).
  for (let k = 0; k < agents.length; k++) if (markOf[k] === markOf[k]) pf.marks[agents[k].symbol] = markOf[k];
  // The last point of a run that closed everything is the settled balance.
  if (input.closeAtEnd && ts.length) {
    equity[ts.length - 1] = equityOf(pf);
    if (agentLength) for (const a of agents) agentEquity[a.symbol][ts.length - 1] = agentCash[a.symbol];
  }
  return { trades, ts, equity, agentEquity, agentTrades, tally, signals, refusals };
}

/* ---------------------------------------------------------------------------------------------
 * One agent on its own account: backtests, the lookahead check, learning passes.
 * ------------------------------------------------------------------------------------------- */

export interface RunInput {
  series: Series;
  features: Features;
  strategy: Strategy;
  state: AgentState;
  settings: EngineSettings;
  ctx: StrategyContext;
  startingEquity: number;
  from?: number;
  to?: number;
  cycleId?: number;
  idPrefix?: string;
  recordSignals?: boolean;
  review?: EntryReview;
  /** A ranking run: entries without their description (AgentView.priceOnly); the same fills and equity. */
  priceOnly?: boolean;
  /** A ranking run: trades summed into `tally` only, `trades` empty (PortfolioRunInput.tallyOnly). */
  tallyOnly?: boolean;
}

export interface RunResult {
  trades: DetailedTradeMetric[];
  /** The closed trades summed (count, wins, hours, fees, pnl): all a ranking run keeps of them. */
  tally: TradeTally;
  /** Equity at the close of each traded bar (length to - from). */
  equity: Float64Array;
  signals?: Int8Array;
  finalEquity: number;
  /** Entries refused (risk gate, crew), by reason. */
  refusals: Record<string, number>;
}

export function runEngine(input: RunInput): RunResult {
  const s = input.series;
  const from = input.from ?? 0;
  const to = input.to ?? s.close.length;
  const cycleId = input.cycleId ?? 0;
  const pf = newPortfolio(input.startingEquity);
  const agentCash: Record<string, number> = { [s.symbol]: input.startingEquity };
  const r = runPortfolio({
    agents: [{ symbol: s.symbol, strategy: input.strategy, state: input.state, features: input.features, ctx: input.ctx, series: s, from, to, idPrefix: input.idPrefix ?? `${s.symbol}-${cycleId}`, priceOnly: input.priceOnly }],
    settings: input.settings,
    portfolio: pf,
    agentCash,
    cycleId,
    closeAtEnd: true,
    agentEquity: false,
    review: input.review,
    recordSignals: input.recordSignals,
    tallyOnly: input.tallyOnly,
  });
  return { trades: r.trades, tally: r.tally, equity: r.equity, signals: r.signals[s.symbol], finalEquity: equityOf(pf), refusals: r.refusals };
}
