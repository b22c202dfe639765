import { newAgentState, OPEN_LONG, OPEN_SHORT, type AgentState, type StrategyName } from '../agents/types.js';
import { tradedStrategy } from '../agents/fitted.js';
import type { App } from '../app/context.js';
import { computeFeatures, WARMUP } from '../indicators/features.js';
import { timeframeMs } from '../market/timeframe.js';
import { seriesFromCandles, type Candle } from '../market/types.js';
import type { DetailedTradeMetric, ExitReason } from '../metrics/types.js';
import type { RiskState } from '../risk/gate.js';
import { recordRefusal } from '../store/audit.js';
import { lastCandles, loadCandles } from '../store/candles.js';
import { getKv, setKv } from '../store/kv.js';
import { addToBalance, applyToLedger, getBalance, liveBalance, openTrades, recordPartialLiveExit, refreshLiveBalance, type OpenTradeRow } from './account.js';
import { OrderRejectedError } from './broker.js';
import { isCcxtBroker, tradableAmount, type CcxtFill } from './ccxt-broker.js';
import { createRng } from '../util/rng.js';
import { consultCrew, crewFor, crewTradeClosed, liveSnapshot, recordConsult, type CrewConsult } from '../crew/service.js';
import { closePosition, heldCandles } from '../kernel/position.js';
import { equityOf, killSwitchTripped, markCandle, riskView, type Portfolio } from '../kernel/portfolio.js';
import type { EngineSettings } from '../kernel/settings.js';
import { decideAtClose, watchCandle, type AgentView } from '../kernel/step.js';
import { formingCandleTs } from './clock.js';
import { managedSymbols } from './whitelist.js';
import { evidenceOf } from '../evaluation/evidence.js';
import { tradeReturnsLike } from '../store/evidence.js';
import { loadAgentState } from '../store/agents.js';
import { claimExitOrder, claimWork, exitClaim, getOrder, markOrderFilled, markOrderRejected, releaseClaim, sendingExitOrders, setExitDecision, voidSendingOrder, type OrderRow } from '../store/orders.js';
import { closeTradeRow, getTrade, markChecked } from '../store/trades.js';
import { loadPortfolio, positionOfRow, saveAccountFigures } from '../store/portfolio.js';
import { appEngineSettings } from '../risk/settings.js';
import type { Features } from '../indicators/features.js';
import { approveProposal, claimOwner, createProposal, executeApproved, expireDue, feeSlack, pendingProposals } from './proposals.js';

/** Candles the live clock feeds the features: enough for every indicator to settle. */
export const LIVE_WINDOW = 400;

export function agentStateFor(app: App, symbol: string): AgentState {
  let s = app.agents.get(symbol);
  if (!s) {
    s = loadAgentState(app.db, `${symbol}:${app.cfg.strategy}`) ?? newAgentState(symbol, app.cfg.strategy as StrategyName);
    app.agents.set(symbol, s);
  }
  return s;
}

/** Latest close per symbol from the candle cache, for marking positions to market. */
export function lastPrices(app: App): Record<string, number> {
  const out: Record<string, number> = {};
  // A position in a symbol taken off the whitelist is still marked to market.
  for (const s of managedSymbols(app)) {
    const c = lastCandles(app.db, s, app.cfg.timeframe, 1)[0];
    if (c) out[s] = c.close;
  }
  return out;
}

/** Which account the peak and day-start figures belong to: a paper peak must not trip a live kill switch. */
function accountKey(app: App): string {
  return isCcxtBroker(app.broker) ? `live:${app.cfg.exchange.id}` : 'paper';
}

/**
 * The kernel's portfolio as it stands (src/store/portfolio.ts). Paper: the kv balance plus
 * unrealised PnL. Live: the exchange's quote balance (last fetched, see refreshLiveBalance) plus
 * the open positions' market value; until the exchange has answered once, the paper figure stands in.
 */
export function currentPortfolio(app: App, lastTs?: number): Portfolio {
  const b = isCcxtBroker(app.broker) ? liveBalance(app.db) : null;
  const tfMs = timeframeMs(app.cfg.timeframe);
  const prices = lastPrices(app);
  return loadPortfolio(app.db, {
    accountKey: accountKey(app),
    quoteCash: b ? b.total : getBalance(app.db, app.cfg.starting_balance),
    live: b !== null,
    prices,
    tfMs,
    lastTs: lastTs ?? Math.max(0, ...app.cfg.symbols.map((s) => lastCandles(app.db, s, app.cfg.timeframe, 1)[0]?.ts ?? 0)),
  });
}

/**
 * A tripped kill switch stays tripped (the peak does not fall back on its own). A trader's /resume
 * re-arms it: the peak counts from today's equity. Returns the drawdown it was at, or null when it
 * had not tripped.
 */
export function rearmKillSwitch(app: App): { drawdown: number; peak: number; equity: number } | null {
  const pf = currentPortfolio(app);
  const settings = appEngineSettings(app);
  if (!killSwitchTripped(pf, settings.risk.max_drawdown)) return null;
  const equity = equityOf(pf);
  const out = { drawdown: 1 - equity / pf.peak, peak: pf.peak, equity };
  pf.peak = equity;
  saveAccountFigures(app.db, accountKey(app), pf);
  return out;
}

/** Equity the gate sizes with and /status shows. */
export function currentEquity(app: App): number {
  return equityOf(currentPortfolio(app));
}

/** What the risk gate sees for a decision on `symbol` at the close of the candle that opened at lastTs. */
export function riskState(app: App, symbol: string, lastTs: number, tfMs: number): RiskState {
  return riskView(currentPortfolio(app, lastTs), symbol, lastTs, Math.round(lastTs / tfMs), getKv(app.db, 'paused', false));
}

/**
 * Client order id of a trade's exit (binance allows 36 characters). `attempt` counts exits the
 * exchange refused or cancelled with nothing filled: the next try needs a fresh id, or the lookup
 * by id finds the dead order every time and the position can never be closed.
 */
export function exitOrderId(tradeId: string, attempt = 0): string {
  const suffix = attempt > 0 ? `-${attempt}` : '';
  return `tc-x-${tradeId}`.slice(0, 36 - suffix.length) + suffix;
}

const exitAttemptKey = (tradeId: string) => `exit.attempt.${tradeId}`;

type ExitRow = OrderRow;

/**
 * Closes an open trade and queues the "trade completed" report. Paper exits use the engine's cost
 * model at the stop/target level or the last price. Live exits are claimed once in SQLite first
 * (a press, the faster watch and a scan may all try: one sends; the others return null), then
 * place a market order whose client order id is derived from the trade id, looked up first, so a
 * retry or a restart never sells twice; the decision (reason, price, candle) is stored with the
 * order so that an exit whose answer was lost is finished as it was decided. A rejected exit is
 * reported once and leaves the trade open (the next scan tries again). An exit the exchange filled
 * only in part is recorded for that part, and the rest carries on as an open trade with its stop
 * (reported; the next watch or scan closes it): null is returned then, as for an exit not done.
 * `onlyIfSent` (resolvePendingExits): finish an exit whose sending was interrupted, never send one.
 */
export async function closeTrade(app: App, t: OpenTradeRow, x: { ref: number; reason: ExitReason; exitCandleTs: number; onlyIfSent?: boolean }): Promise<DetailedTradeMetric | null> {
  if (!isCcxtBroker(app.broker)) {
    return recordClose(app, t, { ref: x.ref, reason: x.reason, exitCandleTs: x.exitCandleTs, costs: app.cfg.costs });
  }
  const broker = app.broker;
  const claim = claimWork(app.db, exitClaim(t.id), claimOwner(app), app.now(), () => getTrade(app.db, t.id)?.status === 'open');
  if (!claim) return null; // closed already, or being closed right now by another caller of this app
  try {
    const side = t.direction === 'LONG' ? 'sell' : 'buy';
    const coid = exitOrderId(t.id, getKv(app.db, exitAttemptKey(t.id), 0));
    if (x.onlyIfSent && getOrder(app.db, coid)?.status !== 'sending') return null;
    let row: ExitRow = claimExitOrder(app.db, { clientOrderId: coid, tradeId: t.id, symbol: t.symbol, side, amount: t.quantity, at: app.now(), reason: x.reason, refPrice: x.ref, candleTs: x.exitCandleTs });
    let fill: CcxtFill | null;
    try {
      fill = await broker.findOrder(coid, t.symbol);
      if (!fill && x.onlyIfSent) {
        // Never reached the exchange: nothing to finish; the watch decides again.
        voidSendingOrder(app.db, coid);
        return null;
      }
      if (!fill) {
        // Never reached the exchange: this decision is the one the order carries.
        setExitDecision(app.db, coid, x.reason, x.ref, x.exitCandleTs);
        row = { ...row, reason: x.reason, ref_price: x.ref, candle_ts: x.exitCandleTs };
        let amount = t.quantity;
        if (side === 'sell') {
          // Sell what the account holds of it at most (a fee taken in coins, dust): never more than ours.
          const free = (await refreshLiveBalance(app, 0))?.assets[t.symbol.split('/')[0]]?.free;
          if (free !== undefined && free < amount) amount = free;
        }
        fill = await broker.placeOrder({ clientOrderId: coid, symbol: t.symbol, side, amount, type: 'market', price: x.ref });
      }
      if (fill.status === 'open') {
        // Still working on the book (partly filled): an exit does not wait. The rest is cancelled;
        // what filled is recorded below, and what did not stays open with its stop.
        const working: CcxtFill = fill;
        fill = (await broker.cancelOrder(coid, t.symbol)) ?? fill;
        if (fill.status === 'open') throw new Error(`exit order ${coid} is still open on the exchange after cancelling it`);
        // The lookup after the cancel tells no fees; the send's answer did, for the same fills.
        if (!fill.feeKnown && working.feeKnown && fill.amount === working.amount) fill = { ...fill, fee: working.fee, baseFee: working.baseFee, feeKnown: true, deltas: working.deltas };
      }
      if (fill.status === 'canceled' && !(fill.amount > 0)) throw new OrderRejectedError(`the exchange cancelled exit order ${coid} before anything filled`, 'other');
    } catch (e) {
      if (!(e instanceof OrderRejectedError)) throw e; // outcome unknown: the row stays 'sending', resolved next scan
      const msg = app.scrub(e.message);
      app.db.transaction(() => {
        markOrderRejected(app.db, coid, msg);
        // Nothing of it filled: the next try goes out under a fresh client id.
        setKv(app.db, exitAttemptKey(t.id), getKv(app.db, exitAttemptKey(t.id), 0) + 1);
      })();
      const key = `exit.rejected.${t.id}`;
      if (!getKv(app.db, key, false)) {
        app.db.transaction(() => {
          setKv(app.db, key, true);
          app.events.emit({ type: 'exit_rejected', symbol: t.symbol, tradeId: t.id, reason: x.reason, message: msg });
        })();
        app.events.flush();
      }
      app.log.error({ trade: t.id, err: msg }, 'exit order rejected');
      return null;
    }
    // Cancelled or expired with a part filled: unless what is left is dust no order could close,
    // that part is the close and the rest stays an open trade.
    if (fill.status === 'canceled' && tradableAmount(broker.exchange, t.symbol, t.quantity - fill.amount, fill.price)) {
      const reason = (row.reason ?? x.reason) as ExitReason;
      await recordPartialLiveExit(app, t, { clientOrderId: coid, reason, exitCandleTs: row.candle_ts ?? x.exitCandleTs, fill });
      return null;
    }
    return await finishLiveClose(app, t, row, fill);
  } finally {
    releaseClaim(app.db, claim);
  }
}

/** Records a live exit fill (found or placed) as the decided exit of the trade. */
async function finishLiveClose(app: App, t: OpenTradeRow, row: ExitRow, fill: CcxtFill): Promise<DetailedTradeMetric | null> {
  const costs = { fee: fill.fee / Math.max(1e-12, fill.price * fill.amount), slippage: 0 };
  const before = liveBalance(app.db);
  const fresh = await refreshLiveBalance(app, 0).catch(() => null);
  // The report's "new balance" is the exchange's, after this exit.
  const balanceAfter = fresh?.total ?? (before ? before.total + (fill.deltas[before.quote] ?? 0) : undefined);
  return recordClose(app, t, {
    ref: fill.price,
    reason: (row.reason ?? 'MANUAL') as ExitReason,
    exitCandleTs: row.candle_ts ?? Math.floor(app.now() / timeframeMs(app.cfg.timeframe)) * timeframeMs(app.cfg.timeframe),
    costs,
    fill,
    balanceAfter,
  });
}

/** Writes the close: trade, order, balance or ledger, report; one transaction guarded by the trade's status. */
async function recordClose(
  app: App,
  t: OpenTradeRow,
  x: { ref: number; reason: ExitReason; exitCandleTs: number; costs: { fee: number; slippage: number }; fill?: CcxtFill; balanceAfter?: number },
): Promise<DetailedTradeMetric | null> {
  const tfMs = timeframeMs(app.cfg.timeframe);
  const pos = positionOfRow(t, tfMs);
  const balance = getBalance(app.db, app.cfg.starting_balance);
  const metric = closePosition(pos, {
    ref: x.ref,
    reason: x.reason,
    // Simulated markets stamp fills with the candle they happen in, as the backtest does.
    ts: app.demo ? x.exitCandleTs : app.now(),
    candles: heldCandles(Math.round(t.entry_candle_ts / tfMs), Math.round(x.exitCandleTs / tfMs), x.reason),
    costs: x.costs,
    balanceBefore: balance + t.entry_fee,
    timeframeMs: tfMs,
    symbol: t.symbol,
    timeframe: app.cfg.timeframe,
  });
  if (x.balanceAfter !== undefined) metric.balanceAfter = x.balanceAfter;
  const closedEvent = { type: 'trade_closed' as const, trade: metric, candles: loadCandles(app.db, t.symbol, app.cfg.timeframe, t.entry_candle_ts - 60 * tfMs, x.exitCandleTs + tfMs) };
  await app.events.prepare(closedEvent);
  const fill = x.fill;
  const closed = app.db.transaction(() => {
    if (!closeTradeRow(app.db, t.id, { exitPrice: metric.exitPrice, exitTs: metric.exitTime, reason: metric.exitReason, pnl: metric.pnl, metricJson: JSON.stringify(metric), exitCandleTs: x.exitCandleTs })) return false;
    if (fill) {
      markOrderFilled(app.db, fill.clientOrderId, fill);
      applyToLedger(app.db, fill.deltas, feeSlack(app, t.symbol, fill), app.now());
    } else {
      addToBalance(app.db, app.cfg.starting_balance, metric.pnl + t.entry_fee);
    }
    app.events.emit(closedEvent);
    return true;
  })();
  app.events.flush();
  if (closed) {
    app.log.info({ trade: t.id, reason: metric.exitReason, pnl: metric.pnl }, 'trade closed');
    // The analysts that voted on this trade were right or wrong: their learned weights move.
    crewTradeClosed(app, t, metric.pnl);
  }
  return closed ? metric : null;
}

/**
 * Live exits whose outcome is not known (the answer was lost, or the process died between "sent"
 * and "recorded"): found on the exchange by client order id -> recorded as decided (in part, when
 * only part of it filled); not there -> marked void, the trade stays open and the watch decides
 * again. An exit being sent right now by this app is left to its sender. Run on start and before
 * each scan.
 */
export async function resolvePendingExits(app: App): Promise<{ recorded: number; voided: number }> {
  const out = { recorded: 0, voided: 0 };
  if (!isCcxtBroker(app.broker)) return out;
  const tfMs = timeframeMs(app.cfg.timeframe);
  for (const row of sendingExitOrders(app.db)) {
    const t = row.trade_id ? getTrade(app.db, row.trade_id) : undefined;
    if (!t || t.status !== 'open') {
      voidSendingOrder(app.db, row.client_order_id);
      continue;
    }
    await closeTrade(app, t, {
      ref: row.ref_price ?? 0,
      reason: (row.reason ?? 'MANUAL') as ExitReason,
      exitCandleTs: row.candle_ts ?? Math.floor(app.now() / tfMs) * tfMs,
      onlyIfSent: true,
    });
    const status = getOrder(app.db, row.client_order_id)?.status;
    if (status === 'void') out.voided++;
    else if (status === 'filled' || status === 'partly_filled') out.recorded++;
  }
  if (out.recorded || out.voided) app.log.info(out, 'unfinished exits resolved');
  return out;
}

/**
 * Watches one symbol's open trade against the candles closed since it was last checked, with the
 * kernel's rule (watchCandle): stop and target in each candle in turn, then the trailing stop moves.
 * Returns true when the trade closed.
 */
async function watchSymbol(app: App, symbol: string, candles: Candle[], atr: ArrayLike<number>, settings: EngineSettings): Promise<boolean> {
  const t = openTrades(app.db).find((x) => x.symbol === symbol);
  if (!t) return false;
  const pf = currentPortfolio(app);
  for (let j = 0; j < candles.length; j++) {
    const c = candles[j];
    if (c.ts <= t.checked_ts) continue;
    const w = watchCandle(pf, symbol, { ts: c.ts, open: c.open, high: c.high, low: c.low, atr: atr[j] }, settings);
    if (w.exit) {
      await closeTrade(app, t, { ref: w.exit.ref, reason: w.exit.reason, exitCandleTs: c.ts });
      return true;
    }
    if (w.stopMoved !== null) app.log.info({ trade: t.id, from: t.stop, to: w.stopMoved }, 'trailing stop moved');
    markChecked(app.db, t.id, c.ts, pf.positions[symbol].stop);
    t.checked_ts = c.ts;
    t.stop = pf.positions[symbol].stop;
  }
  return false;
}

/**
 * The faster watch (scan.watch_schedule): every open position's stop and target against the live
 * price, between candle closes. Exits at the price seen; trailing and time stops stay with the
 * candle scans. Returns how many positions it closed.
 */
export async function watchPositions(app: App): Promise<number> {
  const tfMs = timeframeMs(app.cfg.timeframe);
  let closed = 0;
  for (const t of openTrades(app.db)) {
    try {
      const price = await app.source.lastPrice(t.symbol);
      const long = t.direction === 'LONG';
      const reason: ExitReason | null = long ? (price <= t.stop ? 'STOP_LOSS' : price >= t.target ? 'TAKE_PROFIT' : null) : price >= t.stop ? 'STOP_LOSS' : price <= t.target ? 'TAKE_PROFIT' : null;
      if (!reason) continue;
      const candleTs = app.demo ? (lastCandles(app.db, t.symbol, app.cfg.timeframe, 1)[0]?.ts ?? t.checked_ts) : Math.floor(app.now() / tfMs) * tfMs;
      if (await closeTrade(app, t, { ref: price, reason, exitCandleTs: candleTs })) closed++;
    } catch (e) {
      app.log.error({ trade: t.id, err: app.scrub(String(e)) }, 'watch failed');
    }
  }
  return closed;
}

export interface ScanOutcome {
  symbol: string;
  action: 'none' | 'proposal' | 'refused' | 'waiting' | 'warmup';
  detail?: string;
}

/**
 * The candles a decision may see: closed ones only. The exchange source already drops the candle
 * still forming; this guards the cache against any other writer. (The demo market's clock is its
 * own, so its candles are all closed by construction.)
 */
export function closedCandles(app: App, symbol: string, n = LIVE_WINDOW): Candle[] {
  const tfMs = timeframeMs(app.cfg.timeframe);
  const cs = lastCandles(app.db, symbol, app.cfg.timeframe, n);
  if (app.demo) return cs;
  const now = app.now();
  let end = cs.length;
  while (end > 0 && cs[end - 1].ts + tfMs > now) end--;
  return end === cs.length ? cs : cs.slice(0, end);
}

/** One symbol's closed candles and features for a scan. */
interface SymbolView {
  symbol: string;
  candles: Candle[];
  f: Features;
}

function symbolView(app: App, symbol: string): SymbolView | ScanOutcome {
  const candles = closedCandles(app, symbol);
  if (candles.length < WARMUP + 2) return { symbol, action: 'warmup', detail: `${candles.length}/${WARMUP + 2} candles` };
  return { symbol, candles, f: computeFeatures(seriesFromCandles(symbol, app.cfg.timeframe, candles)) };
}

/**
 * The live clock of the kernel, for one symbol after its watch and the account's mark: the same
 * decideAtClose as the backtest on the latest closed candle, then a proposal for the human (or
 * auto-approval); an exit decided on the close fills now, at the forming candle's open. Each closed
 * candle is decided once per symbol (remembered in SQLite), so a faster scan schedule or a restart
 * never proposes twice on the same candle.
 */
async function decideSymbol(app: App, v: SymbolView, settings: EngineSettings): Promise<ScanOutcome> {
  const { symbol, candles, f } = v;
  const tf = app.cfg.timeframe;
  const tfMs = timeframeMs(tf);
  const i = candles.length - 1;
  const last = candles[i];
  if (pendingProposals(app).some((p) => p.symbol === symbol)) return { symbol, action: 'waiting', detail: 'proposal pending' };
  // Taken off the whitelist: its open position is still managed (exits below), nothing new opens.
  const listed = app.cfg.symbols.includes(symbol);
  if (!listed && !openTrades(app.db).some((t) => t.symbol === symbol)) return { symbol, action: 'none', detail: 'not on the whitelist' };
  const decidedKey = `scan.decided.${symbol}.${tf}`;
  if (last.ts <= getKv(app.db, decidedKey, -1)) return { symbol, action: 'none', detail: 'candle already decided' };
  const decided = () => setKv(app.db, decidedKey, last.ts);

  const pf = currentPortfolio(app, last.ts);
  // What training fitted (or the configured strategy); an agent without an edge opens nothing.
  const state = agentStateFor(app, symbol);
  const traded = tradedStrategy(state, app.cfg.strategy, app.cfg.training.require_edge);
  const agent: AgentView = { symbol, strategy: traded.strategy, state, features: f, ctx: { learn: false, rng: createRng(Math.floor(last.ts / tfMs)), allowShort: settings.risk.allow_short } };
  const intent = decideAtClose(pf, agent, i, last.ts, tfMs, settings, getKv(app.db, 'paused', false));
  if (intent.kind === 'exit') {
    const t = openTrades(app.db).find((x) => x.symbol === symbol)!;
    const ref = await app.source.lastPrice(symbol);
    // Decided once it is done: an exit the exchange refused or did not answer is decided again
    // at the next scan, not a candle later.
    if (await closeTrade(app, t, { ref, reason: intent.reason, exitCandleTs: formingCandleTs(app) })) decided();
    return { symbol, action: 'none', detail: `exit: ${intent.reason}` };
  }
  if (intent.kind === 'none') {
    decided();
    if (pf.positions[symbol]) return { symbol, action: 'waiting', detail: 'position open' };
    // The rule wanted in, but the agent stands aside: say so (/scan), and why.
    const wanted = traded.aside ? traded.base.signal(f, i, 0, state, agent.ctx) : 0;
    if (wanted === OPEN_LONG || wanted === OPEN_SHORT) return { symbol, action: 'none', detail: traded.aside === 'no_edge' ? 'standing aside: no edge in training' : 'standing aside: nothing fitted beat luck' };
    return { symbol, action: 'none' };
  }
  if (!listed && (intent.kind === 'refused' || intent.kind === 'entry')) {
    decided();
    return { symbol, action: 'none', detail: 'not on the whitelist' };
  }
  if (intent.kind === 'refused') {
    recordRefusal(app.db, symbol, intent.reason, app.now(), intent.refusal);
    decided();
    return { symbol, action: 'refused', detail: intent.reason };
  }
  const decision = intent.decision;
  if (isCcxtBroker(app.broker) && !liveBalance(app.db)) {
    const reason = 'the exchange balance is not known yet (it did not answer); no trade is sized on a guess';
    recordRefusal(app.db, symbol, reason, app.now());
    decided();
    return { symbol, action: 'refused', detail: reason };
  }
  // The analyst crew votes on the entry (crew.enabled): agreement -> proposal; a split -> a
  // proposal marked "no consensus" for the human; HOLD or the other side -> no proposal, recorded.
  let crew: CrewConsult | undefined;
  if (app.cfg.crew.enabled) {
    const snapshot = liveSnapshot(app, crewFor(app), { symbol, f, i, candleTs: last.ts, tfMs, decision, risk: intent.risk, riskSettings: settings.risk, positions: Object.values(pf.positions) });
    crew = await consultCrew(app, snapshot);
    if (crew.outcome === 'hold' || crew.outcome === 'disagree') {
      recordConsult(app, crew, null);
      decided();
      return { symbol, action: 'none', detail: `crew: ${crew.outcome === 'hold' ? 'HOLD consensus' : `consensus ${crew.verdict.consensus} against the agent's ${decision.action}`}` };
    }
  }
  // The evidence the trader weighs it by: this agent's out-of-sample record for setups like this.
  decision.evidence = evidenceOf(tradeReturnsLike(app.db, { symbol, strategy: decision.strategy, direction: decision.direction }));
  const p = await createProposal(app, { symbol, decision, quantity: intent.quantity, candles, tfMs, crew });
  decided();
  // A trader's /buy got there first: its proposal stands, this one is not made.
  if (!p) return { symbol, action: 'waiting', detail: 'proposal pending' };
  const auto = autoApprove(app);
  // Without consensus the human decides: a split crew is never auto-approved.
  // Auto-approval trusts a calibrated probability only (min 0 = approve everything).
  if (auto.on && (auto.min === 0 || (decision.calibrated === true && decision.confidence >= auto.min)) && (!crew || crew.outcome === 'proposal')) await approveProposal(app, p.id, 'auto');
  return { symbol, action: 'proposal', detail: p.id };
}

/**
 * One symbol through the kernel's step on its latest closed candles: watch the open position,
 * mark the account at the close, decide. (scanAll does the same for every symbol, watching and
 * marking all of them before any decides, as the backtest does.)
 */
export async function scanSymbol(app: App, symbol: string): Promise<ScanOutcome> {
  return (await scanSymbols(app, [symbol]))[0];
}

async function scanSymbols(app: App, symbols: string[]): Promise<ScanOutcome[]> {
  const settings = appEngineSettings(app);
  const views = new Map<string, SymbolView>();
  const out = new Map<string, ScanOutcome>();
  // 1. Each symbol's open trade against its new candles.
  for (const symbol of symbols) {
    try {
      const v = symbolView(app, symbol);
      if (!('candles' in v)) {
        out.set(symbol, v);
        continue;
      }
      views.set(symbol, v);
      if (await watchSymbol(app, symbol, v.candles, v.f.atr, settings)) out.set(symbol, { symbol, action: 'none', detail: 'position closed' });
    } catch (e) {
      app.log.error({ symbol, err: app.scrub(String(e)) }, 'scan failed');
      out.set(symbol, { symbol, action: 'none', detail: `error: ${app.scrub(String(e))}` });
      views.delete(symbol);
    }
  }
  // 2. The account marked at every symbol's latest close: peak and day start move on every
  //    candle, not only when a signal comes.
  if (views.size) {
    const lastTs = Math.max(...[...views.values()].map((v) => v.candles[v.candles.length - 1].ts));
    const pf = currentPortfolio(app, lastTs);
    for (const v of views.values()) {
      const c = v.candles[v.candles.length - 1];
      markCandle(pf, v.symbol, c.ts, c.close);
    }
    saveAccountFigures(app.db, accountKey(app), pf);
  }
  // 3. Each symbol decides on its close.
  for (const symbol of symbols) {
    const v = views.get(symbol);
    if (!v) continue;
    try {
      const o = await decideSymbol(app, v, settings);
      const prior = out.get(symbol);
      out.set(symbol, prior && o.action === 'none' && !o.detail ? prior : o);
    } catch (e) {
      app.log.error({ symbol, err: app.scrub(String(e)) }, 'scan failed');
      out.set(symbol, { symbol, action: 'none', detail: `error: ${app.scrub(String(e))}` });
    }
  }
  return symbols.map((s) => out.get(s)!);
}

/** Auto-approval as set by /autoapprove (kept in SQLite), defaulting to the config. */
export function autoApprove(app: App): { on: boolean; min: number } {
  return getKv(app.db, 'autoapprove', { on: app.cfg.approval.auto_approve, min: app.cfg.approval.auto_min_confidence });
}

/**
 * One full scan: expire proposals, finish exits and approved orders left unfinished, refresh the
 * live balance, then every symbol in turn.
 */
export async function scanAll(app: App): Promise<ScanOutcome[]> {
  expireDue(app);
  if (isCcxtBroker(app.broker)) {
    try {
      await resolvePendingExits(app);
    } catch (e) {
      app.log.warn({ err: app.scrub(String(e)) }, 'could not resolve unfinished exits; retrying next scan');
    }
    try {
      await refreshLiveBalance(app);
    } catch (e) {
      app.log.warn({ err: app.scrub(String(e)) }, 'balance refresh failed; using the last known balance');
    }
  }
  // Approved proposals not executed yet (the exchange did not answer, a limit order rests, a
  // restart): each is executed by whoever wins its claim, so one whose button press is still
  // sending its order is left to that press, never sent a second time.
  for (const p of pendingProposals(app).filter((x) => x.status === 'approved')) {
    try {
      await executeApproved(app, p.id);
    } catch {
      /* logged; retried next scan */
    }
  }
  const out = await scanSymbols(app, managedSymbols(app));
  app.scans.last = app.now();
  app.metrics?.scans.inc();
  return out;
}
