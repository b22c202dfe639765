import type { Decision } from '../agents/decision.js';
import { describeEntry } from '../agents/decision.js';
import { strategyByName } from '../agents/registry.js';
import { EXIT, OPEN_LONG, OPEN_SHORT, newAgentState, type AgentState, type StrategyName } from '../agents/types.js';
import type { App } from '../app/context.js';
import { enqueue } from '../chat/outbox.js';
import { computeFeatures, WARMUP } from '../indicators/features.js';
import { timeframeMs } from '../market/timeframe.js';
import { seriesFromCandles, type Candle } from '../market/types.js';
import type { DetailedTradeMetric, ExitReason } from '../metrics/types.js';
import { tradeChart } from '../render/chart-files.js';
import { tradeCompletedMessage } from '../render/views.js';
import { gate, type RiskState } from '../risk/gate.js';
import { effectiveRisk } from '../risk/settings.js';
import { recordRefusal } from '../store/audit.js';
import { lastCandles, loadCandles } from '../store/candles.js';
import { getKv, setKv } from '../store/kv.js';
import { addToBalance, equityOf, getBalance, openTrades, type OpenTradeRow } from './account.js';
import { createRng } from '../util/rng.js';
import { closePosition, stopOrTarget, type OpenPosition } from './position.js';
import { approveProposal, createProposal, executeApproved, expireDue, pendingProposals } from './proposals.js';

/** Candles the live clock feeds the features: enough for every indicator to settle. */
export const LIVE_WINDOW = 400;

export function agentStateFor(app: App, symbol: string): AgentState {
  let s = app.agents.get(symbol);
  if (!s) {
    const row = app.db.prepare('SELECT state_json FROM agent_state WHERE agent=?').get(`${symbol}:${app.cfg.strategy}`) as { state_json: string } | undefined;
    s = row ? (JSON.parse(row.state_json) as AgentState) : newAgentState(symbol, app.cfg.strategy as StrategyName);
    app.agents.set(symbol, s);
  }
  return s;
}

function positionOf(t: OpenTradeRow, tfMs: number): OpenPosition {
  return {
    id: t.id,
    symbol: t.symbol,
    dir: t.direction === 'LONG' ? 1 : -1,
    quantity: t.quantity,
    entryPrice: t.entry_price,
    entryTs: t.entry_ts,
    entryCandle: Math.round(t.entry_candle_ts / tfMs),
    entryFee: t.entry_fee,
    entrySlippage: t.entry_slippage,
    stop: t.stop,
    target: t.target,
    leverage: t.leverage,
    decision: JSON.parse(t.decision_json) as Decision,
    cycleId: 0,
  };
}

/** Latest close per symbol from the candle cache, for marking positions to market. */
export function lastPrices(app: App): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of app.cfg.symbols) {
    const c = lastCandles(app.db, s, app.cfg.timeframe, 1)[0];
    if (c) out[s] = c.close;
  }
  return out;
}

export function currentEquity(app: App): number {
  return equityOf(getBalance(app.db, app.cfg.starting_balance), openTrades(app.db), lastPrices(app));
}

/** What the risk gate needs to know about the whole account right now. */
export function riskState(app: App, symbol: string, lastTs: number, tfMs: number): RiskState {
  const equity = currentEquity(app);
  const peak = Math.max(getKv(app.db, 'account.peak', app.cfg.starting_balance), equity);
  setKv(app.db, 'account.peak', peak);
  const day = Math.floor(lastTs / 86_400_000);
  let dayStart = getKv(app.db, 'account.day', { day: -1, equity });
  if (dayStart.day !== day) {
    dayStart = { day, equity };
    setKv(app.db, 'account.day', dayStart);
  }
  const open = openTrades(app.db);
  const lastExit = app.db.prepare(`SELECT MAX(exit_ts) AS t FROM trades WHERE symbol=? AND status='closed'`).get(symbol) as { t: number | null };
  const tradesToday = (app.db.prepare(`SELECT COUNT(*) AS n FROM trades WHERE entry_candle_ts>=?`).get(day * 86_400_000) as { n: number }).n;
  return {
    equity,
    peakEquity: peak,
    dayStartEquity: dayStart.equity,
    openPositions: open.length,
    exposure: open.reduce((a, t) => a + t.entry_price * t.quantity, 0),
    tradesToday,
    candlesSinceExit: lastExit.t === null ? Infinity : Math.floor((lastTs - lastExit.t) / tfMs) + 1,
    paused: getKv(app.db, 'paused', false),
  };
}

/**
 * Closes an open trade and queues the "trade completed" report, in one transaction guarded by
 * the trade's status (a second close of the same trade changes nothing). Paper exits use the
 * engine's cost model at the stop/target level or the last price; live exits place a market
 * order with a client order id derived from the trade id.
 */
export async function closeTrade(app: App, t: OpenTradeRow, x: { ref: number; reason: ExitReason; exitCandleTs: number }): Promise<DetailedTradeMetric | null> {
  const tfMs = timeframeMs(app.cfg.timeframe);
  const pos = positionOf(t, tfMs);
  let ref = x.ref;
  let costs = app.cfg.costs;
  if (app.broker.name !== 'paper') {
    const coid = `tc-x-${t.id}`.slice(0, 36);
    const side = pos.dir > 0 ? 'sell' : 'buy';
    app.db
      .prepare(`INSERT OR IGNORE INTO orders (client_order_id, trade_id, purpose, symbol, side, amount, status, created_at) VALUES (?,?,?,?,?,?,'sending',?)`)
      .run(coid, t.id, 'exit', t.symbol, side, t.quantity, app.now());
    const fill = (await app.broker.findOrder(coid, t.symbol)) ?? (await app.broker.placeOrder({ clientOrderId: coid, symbol: t.symbol, side, amount: t.quantity, type: 'market' }));
    app.db.prepare(`UPDATE orders SET status='filled', exchange_order_id=?, price=?, fee=?, filled_at=? WHERE client_order_id=?`).run(fill.orderId, fill.price, fill.fee, fill.ts, coid);
    ref = fill.price;
    costs = { fee: fill.fee / Math.max(1e-12, fill.price * fill.amount), slippage: 0 };
  }
  const balance = getBalance(app.db, app.cfg.starting_balance);
  const metric = closePosition(pos, {
    ref,
    reason: x.reason,
    ts: app.demo ? x.exitCandleTs + tfMs : app.now(),
    candles: Math.max(1, Math.round((x.exitCandleTs - t.entry_candle_ts) / tfMs)),
    costs,
    balanceBefore: balance + t.entry_fee,
    timeframeMs: tfMs,
    symbol: t.symbol,
    timeframe: app.cfg.timeframe,
  });
  const candles = loadCandles(app.db, t.symbol, app.cfg.timeframe, t.entry_candle_ts - 60 * tfMs, x.exitCandleTs + tfMs);
  const image = await tradeChart(app.chartsDir, app.log, metric, candles);
  const closed = app.db.transaction(() => {
    const r = app.db
      .prepare(`UPDATE trades SET status='closed', exit_price=?, exit_ts=?, exit_reason=?, pnl=?, metric_json=? WHERE id=? AND status='open'`)
      .run(metric.exitPrice, metric.exitTime, metric.exitReason, metric.pnl, JSON.stringify(metric), t.id);
    if (r.changes !== 1) return false;
    addToBalance(app.db, app.cfg.starting_balance, metric.pnl + t.entry_fee);
    for (const a of app.adapters) if (a.pushChatId) enqueue(app.db, { adapter: a.name, chatId: a.pushChatId, kind: 'trade_completed', message: tradeCompletedMessage(app.fmt, metric, image) }, app.now());
    return true;
  })();
  app.outbox.kick();
  if (closed) app.log.info({ trade: t.id, reason: metric.exitReason, pnl: metric.pnl }, 'trade closed');
  return closed ? metric : null;
}

/** Watches one open trade against the candles closed since it was last checked. */
async function watchTrade(app: App, t: OpenTradeRow, candles: Candle[], exitSignal: boolean): Promise<void> {
  const tfMs = timeframeMs(app.cfg.timeframe);
  const pos = positionOf(t, tfMs);
  for (const c of candles) {
    if (c.ts <= t.checked_ts) continue;
    const hit = stopOrTarget(pos, c.open, c.high, c.low);
    if (hit) {
      await closeTrade(app, t, { ref: hit.ref, reason: hit.reason, exitCandleTs: c.ts });
      return;
    }
    app.db.prepare('UPDATE trades SET checked_ts=? WHERE id=?').run(c.ts, t.id);
  }
  const last = candles[candles.length - 1];
  const held = Math.round((last.ts - t.entry_candle_ts) / tfMs);
  if (exitSignal) await closeTrade(app, t, { ref: last.close, reason: 'SIGNAL', exitCandleTs: last.ts });
  else if (held >= effectiveRisk(app).max_hold_candles) await closeTrade(app, t, { ref: last.close, reason: 'TIMEOUT', exitCandleTs: last.ts });
}

export interface ScanOutcome {
  symbol: string;
  action: 'none' | 'proposal' | 'refused' | 'waiting' | 'warmup';
  detail?: string;
}

/**
 * The live clock of the one engine: on a closed candle, the same features, strategy signal,
 * decision and risk gate as the backtest, then a proposal for the human (or auto-approval).
 */
export async function scanSymbol(app: App, symbol: string): Promise<ScanOutcome> {
  const tf = app.cfg.timeframe;
  const tfMs = timeframeMs(tf);
  const candles = lastCandles(app.db, symbol, tf, LIVE_WINDOW);
  if (candles.length < WARMUP + 2) return { symbol, action: 'warmup', detail: `${candles.length}/${WARMUP + 2} candles` };
  const series = seriesFromCandles(symbol, tf, candles);
  const f = computeFeatures(series);
  const i = candles.length - 1;
  const strategy = strategyByName(app.cfg.strategy);
  const state = agentStateFor(app, symbol);
  const risk = effectiveRisk(app);
  const ctx = { learn: false, rng: createRng(Math.floor(candles[i].ts / tfMs)), allowShort: risk.allow_short };

  const open = openTrades(app.db).find((t) => t.symbol === symbol);
  if (open) {
    const sig = strategy.signal(f, i, open.direction === 'LONG' ? 1 : -1, state, ctx);
    await watchTrade(app, open, candles, sig === EXIT);
    return { symbol, action: 'waiting', detail: 'position open' };
  }
  if (pendingProposals(app).some((p) => p.symbol === symbol)) return { symbol, action: 'waiting', detail: 'proposal pending' };

  const sig = strategy.signal(f, i, 0, state, ctx);
  if (sig !== OPEN_LONG && sig !== OPEN_SHORT) return { symbol, action: 'none' };
  const settings = { atrStopMult: risk.atr_stop_mult, atrTargetMult: risk.atr_target_mult };
  const decision = describeEntry(f, i, sig === OPEN_LONG ? 1 : -1, strategy.name, candles[i].ts, settings);
  const g = gate(decision, riskState(app, symbol, candles[i].ts, tfMs), risk);
  if (!g.ok) {
    recordRefusal(app.db, symbol, g.reason, app.now());
    return { symbol, action: 'refused', detail: g.reason };
  }
  const p = await createProposal(app, { symbol, decision, quantity: g.quantity, candles, tfMs });
  const auto = autoApprove(app);
  if (auto.on && decision.confidence >= auto.min) await approveProposal(app, p.id, 'auto');
  return { symbol, action: 'proposal', detail: p.id };
}

/** Auto-approval as set by /autoapprove (kept in SQLite), defaulting to the config. */
export function autoApprove(app: App): { on: boolean; min: number } {
  return getKv(app.db, 'autoapprove', { on: app.cfg.approval.auto_approve, min: app.cfg.approval.auto_min_confidence });
}

/** One full scan: expire, retry approved-but-unfilled orders, then every symbol in turn. */
export async function scanAll(app: App): Promise<ScanOutcome[]> {
  expireDue(app);
  for (const p of pendingProposals(app).filter((x) => x.status === 'approved')) {
    try {
      await executeApproved(app, p.id);
    } catch {
      /* logged; retried next scan */
    }
  }
  const out: ScanOutcome[] = [];
  for (const symbol of app.cfg.symbols) {
    try {
      out.push(await scanSymbol(app, symbol));
    } catch (e) {
      app.log.error({ symbol, err: app.scrub(String(e)) }, 'scan failed');
      out.push({ symbol, action: 'none', detail: `error: ${app.scrub(String(e))}` });
    }
  }
  app.scans.last = app.now();
  return out;
}
