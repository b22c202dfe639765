import { tradedStrategy } from '../agents/fitted.js';
import { MANUAL_REASON, type Decision } from '../agents/decision.js';
import { strategyByName } from '../agents/registry.js';
import { followDecision } from '../evaluation/counterfactual.js';
import { exitRulesFor } from '../kernel/step.js';
import { loadCandles } from '../store/candles.js';
import { executedFromProposals, turnedDown } from '../store/proposals.js';
import type { App } from '../app/context.js';
import { timeframeMs } from '../market/timeframe.js';
import { maxDrawdown } from '../metrics/series.js';
import type { DetailedTradeMetric, EquityPoint } from '../metrics/types.js';
import type { Activity, AgentRowView } from '../render/views.js';
import { appEngineSettings, effectiveRisk } from '../risk/settings.js';
import { newestCandleTs } from '../store/candles.js';
import { getKv } from '../store/kv.js';
import { closedBetween, closedOfSymbolSince, equitySnapshots, lastClosed, realisedPnlBefore, type ClosedTradeRow } from '../store/reports.js';
import { agentStateFor, currentEquity, lastPrices } from '../trading/live.js';
import { openTrades, type OpenTradeRow } from '../trading/account.js';
import { pendingProposals } from '../trading/proposals.js';

/**
 * Read-only figures for the chat reports (/agents, /pnl, /daily, /weekly, /balance, the daily
 * summary), computed from the trades in SQLite. Nothing here writes.
 */

/**
 * "Now" for the reports. With the demo market, time is the market's: a demo candle closes every
 * few seconds and trades are stamped with candle times, so "today" is the day of the latest
 * closed candle (never earlier than the wall clock). Otherwise the wall clock.
 */
export function marketNow(app: App): number {
  const now = app.now();
  if (!app.demo) return now;
  const ts = newestCandleTs(app.db, app.cfg.timeframe);
  return ts === null ? now : Math.max(now, ts + timeframeMs(app.cfg.timeframe));
}

/**
 * Today, one definition for every view (/status, /daily, /pnl): the day of `marketNow` in the
 * configured timezone; it starts at the equity realised by then (starting balance + PnL of the
 * trades closed before midnight) and ends at the marked-to-market equity now.
 */
export function todaySoFar(app: App): { start: number; startEquity: number; equity: number; pnl: number } {
  const start = app.fmt.dayStart(marketNow(app));
  const startEquity = app.cfg.starting_balance + realisedPnlBefore(app.db, start);
  const equity = currentEquity(app);
  return { start, startEquity, equity, pnl: equity - startEquity };
}

/**
 * A wall-clock instant (a scan, an expiry) on the clock the views show: the demo market's clock
 * runs timeframe / candle_every_seconds times faster than the wall's, so a view that mixes the two
 * says a position is 44 s old in one place and 30 h in another.
 */
export function onMarketClock(app: App, wallTs: number): number {
  if (!app.demo) return wallTs;
  const speed = timeframeMs(app.cfg.timeframe) / (app.cfg.demo.candle_every_seconds * 1000);
  return marketNow(app) - (app.now() - wallTs) * speed;
}

export type { ClosedTradeRow };

/** Closed trades with exit time in [from, to), oldest first. */
export function closedIn(app: App, from: number, to: number): ClosedTradeRow[] {
  return closedBetween(app.db, from, to);
}

/** The last `n` closed trades, newest first. */
export function recentClosed(app: App, n: number, symbol?: string): ClosedTradeRow[] {
  return lastClosed(app.db, n, symbol);
}

export function metricOf(t: ClosedTradeRow): DetailedTradeMetric | null {
  try {
    return t.metric_json ? (JSON.parse(t.metric_json) as DetailedTradeMetric) : null;
  } catch {
    return null;
  }
}

export interface TradeStats {
  trades: number;
  wins: number;
  winRate: number;
  pnl: number;
  fees: number;
  best: ClosedTradeRow | null;
  worst: ClosedTradeRow | null;
}

/** Counts, win rate (pnl > 0 after fees), net PnL, fees, best and worst trade. Pure. */
export function tradeStats(rows: readonly ClosedTradeRow[]): TradeStats {
  let wins = 0;
  let pnl = 0;
  let fees = 0;
  let best: ClosedTradeRow | null = null;
  let worst: ClosedTradeRow | null = null;
  for (const t of rows) {
    if (t.pnl > 0) wins++;
    pnl += t.pnl;
    const m = metricOf(t);
    fees += m ? m.fee : t.entry_fee;
    if (!best || t.pnl > best.pnl) best = t;
    if (!worst || t.pnl < worst.pnl) worst = t;
  }
  return { trades: rows.length, wins, winRate: rows.length ? wins / rows.length : 0, pnl, fees, best, worst };
}

/** Unrealised PnL of an open trade at `price`. */
export function unrealisedPnl(t: OpenTradeRow, price: number | undefined): number {
  return price === undefined ? 0 : (t.direction === 'LONG' ? 1 : -1) * (price - t.entry_price) * t.quantity;
}

/**
 * The account's equity over time, sampled at `samples` evenly spaced times (the charts draw a
 * category axis: even spacing keeps the picture proportional to time). Snapshots in the `equity`
 * table are used when there are any in the window; otherwise the curve is rebuilt from realised
 * PnL: the starting balance plus the net PnL of every trade closed by then, ending at the
 * marked-to-market equity when the window reaches the present.
 */
export function equityCurve(app: App, from: number, to: number, samples = 120): EquityPoint[] {
  const snaps = equitySnapshots(app.db, from, to);
  if (snaps.length >= 2) return snaps;
  const base = app.cfg.starting_balance + realisedPnlBefore(app.db, from);
  const rows = closedIn(app, from, to);
  const now = marketNow(app);
  // With no lower bound the curve starts when the first of these trades was opened.
  const first = from > 0 ? from : rows.length ? rows[0].entry_ts : Math.min(now, to);
  const last = Math.max(first + 1, Math.min(to, Math.max(now, rows.length ? rows[rows.length - 1].exit_ts : first)));
  const n = Math.max(2, samples);
  const points: EquityPoint[] = [];
  let eq = base;
  let k = 0;
  for (let i = 0; i < n; i++) {
    const ts = Math.round(first + ((last - first) * i) / (n - 1));
    while (k < rows.length && rows[k].exit_ts <= ts) eq += rows[k++].pnl;
    points.push({ ts, equity: eq });
  }
  if (now >= from && now < to) points[points.length - 1] = { ts: points[points.length - 1].ts, equity: currentEquity(app) };
  return points;
}

/** An agent's row in /agents and the daily summary, plus what its open position is worth. */
export interface AgentStanding extends AgentRowView {
  /** Unrealised PnL of its open position (0 when flat). */
  openPnl: number;
}

/** Every configured agent's record from its closed trades since `since`, and what it is doing now. */
export function agentStandings(app: App, since = 0): AgentStanding[] {
  const open = openTrades(app.db);
  const pending = pendingProposals(app);
  const prices = lastPrices(app);
  const paused = getKv(app.db, 'paused', false);
  return app.cfg.symbols.map((symbol) => {
    const rows = closedOfSymbolSince(app.db, symbol, since);
    const s = tradeStats(rows);
    let eq = app.cfg.starting_balance;
    const curve = [eq];
    for (const t of rows) curve.push((eq += t.pnl));
    const pos = open.find((t) => t.symbol === symbol);
    const activity: Activity = pos
      ? pos.direction === 'LONG'
        ? 'open_long'
        : 'open_short'
      : pending.some((p) => p.symbol === symbol)
        ? 'proposal'
        : paused
          ? 'paused'
          : tradedStrategy(agentStateFor(app, symbol), app.cfg.strategy, app.cfg.training.require_edge).aside
            ? 'aside'
            : 'watching';
    // The live agent's strategy (its learned state says which); an open trade keeps the one it was opened with.
    const strategy = pos?.strategy ?? agentStateFor(app, symbol).strategy;
    return { symbol, strategy, trades: s.trades, winRate: s.winRate, pnl: s.pnl, maxDrawdown: maxDrawdown(curve), activity, openPnl: pos ? unrealisedPnl(pos, prices[symbol]) : 0 };
  });
}

export interface PeriodRow {
  start: number;
  end: number;
  trades: number;
  wins: number;
  pnl: number;
}

export type PeriodKind = 'day' | 'week' | 'month';

/** The last `n` days, weeks or months, newest first, with the trades closed in each. */
export function periods(app: App, kind: PeriodKind, n: number): PeriodRow[] {
  const { fmt } = app;
  const startOf = (ts: number) => (kind === 'day' ? fmt.dayStart(ts) : kind === 'week' ? fmt.weekStart(ts) : fmt.monthStart(ts));
  // Half of the shortest such period: a month is at least 28 days.
  const halfSpan = (kind === 'day' ? 1 : kind === 'week' ? 7 : 28) * 43_200_000;
  const out: PeriodRow[] = [];
  let end = Number.MAX_SAFE_INTEGER;
  let start = startOf(marketNow(app));
  for (let k = 0; k < n; k++) {
    const s = tradeStats(closedIn(app, start, end));
    out.push({ start, end, trades: s.trades, wins: s.wins, pnl: s.pnl });
    end = start;
    // Half a period back lands inside the previous one whatever DST (or the month's length) did.
    start = startOf(start - halfSpan);
  }
  return out;
}

/** Exposure of open trades at entry prices, as a fraction of equity. */
export function exposure(app: App): { notional: number; fraction: number; limit: number } {
  const notional = openTrades(app.db).reduce((a, t) => a + t.entry_price * t.quantity, 0);
  const eq = currentEquity(app);
  return { notional, fraction: eq > 0 ? notional / eq : 0, limit: effectiveRisk(app).max_total_exposure };
}

/**
 * The trader scored against the crew: every proposal the trader rejected or let expire, followed
 * as if approved at once (src/evaluation/counterfactual.ts), beside what the approved ones did.
 * Positive `turnedDownPnl`: the turned-down proposals would have made money (the decisions cost
 * that much); negative: they saved it.
 */
export function humanScore(app: App, since: number): { rejected: number; expired: number; finished: number; won: number; stillOpen: number; turnedDownPnl: number; executed: { n: number; pnl: number; wins: number } } {
  const tfMs = timeframeMs(app.cfg.timeframe);
  const settings = appEngineSettings(app);
  const out = { rejected: 0, expired: 0, finished: 0, won: 0, stillOpen: 0, turnedDownPnl: 0, executed: executedFromProposals(app.db, since) };
  for (const p of turnedDown(app.db, since)) {
    const d = JSON.parse(p.decision_json) as Decision;
    // A trader's own /buy or /sell that was not carried out is not a crew proposal turned down.
    if (d.reasonCode?.startsWith(MANUAL_REASON)) continue;
    if (p.status === 'rejected') out.rejected++;
    else out.expired++;
    const candles = loadCandles(app.db, p.symbol, app.cfg.timeframe, p.candle_ts + tfMs);
    const rules = exitRulesFor(strategyByName(d.strategy), settings);
    const r = followDecision({ decision: d, quantity: p.quantity, candles, tfMs, costs: settings.costs, maxHoldCandles: rules.maxHoldCandles, symbol: p.symbol, timeframe: app.cfg.timeframe });
    if (!r) continue;
    if (r.pnl === null) out.stillOpen++;
    else {
      out.finished++;
      out.turnedDownPnl += r.pnl;
      if (r.pnl > 0) out.won++;
    }
  }
  return out;
}
