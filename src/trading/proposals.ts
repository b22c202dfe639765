import crypto from 'node:crypto';
import * as store from '../store/proposals.js';
import type { ProposalRow, ProposalStatus } from '../store/proposals.js';
import { claimEntryOrder, getOrder, markOrderCancelled, markOrderFilled, markOrderOpen, markOrderRejected, releaseClaim, type Claim } from '../store/orders.js';
import { insertTrade, openTrades as openTradesOf } from '../store/trades.js';
import type { Decision } from '../agents/decision.js';
import type { App } from '../app/context.js';
import type { Candle } from '../market/types.js';
import { anchorLevels } from '../kernel/position.js';
import { timeframeMs } from '../market/timeframe.js';
import { formingCandleTs } from './clock.js';
import { addToBalance, applyToLedger, feeSlack, getLedger, refreshLiveBalance } from './account.js';
import { OrderRejectedError, type OrderFill } from './broker.js';
import { isCcxtBroker, type CcxtFill } from './ccxt-broker.js';
import { recordConsult, type CrewConsult } from '../crew/service.js';

export type { ProposalRow, ProposalStatus } from '../store/proposals.js';

/** Short, typeable ids (`/approve p7k2x9`): time-ordered base36 plus randomness. */
export function newProposalId(now: number): string {
  return 'p' + (now % 60_466_176).toString(36) + crypto.randomBytes(2).toString('hex');
}

export function getProposal(app: App, id: string): ProposalRow | undefined {
  return store.getProposal(app.db, id);
}

export function pendingProposals(app: App): ProposalRow[] {
  return store.openProposals(app.db);
}

export function clientOrderId(proposalId: string): string {
  return `tc-${proposalId}`;
}

const owners = new WeakMap<App, string>();

/**
 * Who this running app is, for the claims on money paths (store/orders.ts): a claim with this
 * owner is in flight here; one with another owner was left by a process that is gone.
 */
export function claimOwner(app: App): string {
  let o = owners.get(app);
  if (!o) owners.set(app, (o = `${process.pid}-${crypto.randomBytes(6).toString('hex')}`));
  return o;
}

/** When a new proposal expires: the configured TTL, or the close of the next candle. */
export function expiryFor(app: App, candleTs: number, tfMs: number): number {
  const now = app.now();
  if (app.demo) return now + app.cfg.approval.demo_ttl_seconds * 1000;
  if (app.cfg.approval.ttl_seconds > 0) return now + app.cfg.approval.ttl_seconds * 1000;
  // The decision candle opened at candleTs and closed at candleTs + tf; the next closes a tf later.
  return Math.max(now + 60_000, candleTs + 2 * tfMs - 5_000);
}

/**
 * Persists a proposal and queues its message to every push chat, in one transaction: if the
 * process dies right after, the proposal exists and its message is still sent. One symbol, one
 * agent, one position: when the symbol already has a proposal open or a trade open by the time
 * the transaction runs (a scan and a trader's /buy raced), nothing is created and null is returned.
 */
export async function createProposal(app: App, x: { symbol: string; decision: Decision; quantity: number; candles: Candle[]; tfMs: number; crew?: CrewConsult }): Promise<ProposalRow | null> {
  const now = app.now();
  const id = newProposalId(now);
  const d = x.decision;
  const row: ProposalRow = {
    id,
    symbol: x.symbol,
    direction: d.direction,
    strategy: d.strategy,
    entry: d.price,
    stop: d.stop,
    target: d.target,
    quantity: x.quantity,
    confidence: d.confidence,
    decision_json: JSON.stringify(d),
    status: 'pending',
    created_at: now,
    candle_ts: d.candleTs,
    expires_at: expiryFor(app, d.candleTs, x.tfMs),
    decided_by: null,
    decided_at: null,
    note: null,
  };
  const created = { type: 'proposal_created' as const, proposal: row, candles: x.candles };
  await app.events.prepare(created);
  const made = app.db.transaction((): boolean => {
    if (symbolBusy(app, x.symbol)) return false;
    store.insertProposal(app.db, row);
    // The crew's deliberation is stored with the proposal: a proposal never exists without its reasons.
    if (x.crew) recordConsult(app, x.crew, id);
    app.events.emit(created);
    return true;
  })();
  if (!made) {
    app.log.info({ symbol: x.symbol }, 'proposal not created: the symbol already has a proposal or a position');
    return null;
  }
  app.events.flush();
  app.log.info({ id, symbol: x.symbol, direction: d.direction, confidence: d.confidence }, 'proposal created');
  return row;
}

/** Does `symbol` have a proposal waiting or executing, or an open trade? (Call inside a transaction.) */
export function symbolBusy(app: App, symbol: string): boolean {
  return store.openProposals(app.db).some((p) => p.symbol === symbol) || openTradesOf(app.db).some((t) => t.symbol === symbol);
}

/**
 * What a press or a command achieved, as data: the chat layer says it in the bot's language
 * (src/notify/notices.ts).
 */
export type DecisionOutcome =
  | { ok: true; code: 'approved' | 'rejected'; id: string }
  /** Approved, but the exchange did not answer: the order is retried at the next scan. */
  | { ok: true; code: 'approved_unconfirmed'; id: string; error: string }
  | { ok: false; code: 'unknown'; id: string }
  | { ok: false; code: 'expired'; id: string; at: number }
  | { ok: false; code: 'already'; id: string; status: ProposalStatus }
  | { ok: false; code: 'failed'; id: string; by: string; error: string };

/**
 * Why a button press or command cannot decide this proposal (unknown, expired — which it
 * expires now — or already decided), or null when it is pending. Call inside the transaction.
 */
function refusalIfNotPending(app: App, id: string, now: number): DecisionOutcome | null {
  const p = getProposal(app, id);
  if (!p) return { ok: false, code: 'unknown', id };
  if (p.status === 'pending' && p.expires_at <= now) {
    expireOne(app, p);
    return { ok: false, code: 'expired', id, at: p.expires_at };
  }
  if (p.status !== 'pending') return { ok: false, code: 'already', id, status: p.status };
  return null;
}

/**
 * Approve: only one transition out of `pending` can win (a conditional UPDATE inside a
 * transaction), so ten presses on two platforms execute the order once. The winner claims the
 * execution in the same transaction, so a scan running meanwhile never sends it too.
 */
export async function approveProposal(app: App, id: string, by: string): Promise<DecisionOutcome> {
  const now = app.now();
  const outcome = app.db.transaction((): DecisionOutcome | Claim | null => {
    const refused = refusalIfNotPending(app, id, now);
    if (refused) return refused;
    if (!store.decidePending(app.db, id, 'approved', by, now)) return { ok: false, code: 'already', id, status: 'approved' };
    // Just approved in this transaction: nobody else can hold the claim yet.
    return store.claimExecution(app.db, id, claimOwner(app), now);
  })();
  if (outcome && 'code' in outcome) return outcome;
  app.log.info({ id, by }, 'proposal approved');
  // (No claim would mean another caller executes it; never the case right after approving.)
  if (!outcome) return { ok: true, code: 'approved', id };
  try {
    await executeClaimed(app, id, outcome);
  } catch (e) {
    // Not placed (or not known to be placed) yet: it stays approved and the next scan finishes it,
    // looking the order up by its client id first, so it can never be placed twice.
    return { ok: true, code: 'approved_unconfirmed', id, error: app.scrub((e as Error)?.message ?? String(e)).slice(0, 160) };
  }
  const p = getProposal(app, id)!;
  if (p.status === 'failed') return { ok: false, code: 'failed', id, by, error: p.note ?? '' };
  return { ok: true, code: 'approved', id };
}

export function rejectProposal(app: App, id: string, by: string): DecisionOutcome {
  const now = app.now();
  const out = app.db.transaction((): DecisionOutcome => {
    const refused = refusalIfNotPending(app, id, now);
    if (refused) return refused;
    store.decidePending(app.db, id, 'rejected', by, now);
    app.events.emit({ type: 'proposal_updated', proposal: getProposal(app, id)! });
    return { ok: true, code: 'rejected', id };
  })();
  app.events.flush();
  return out;
}

function expireOne(app: App, p: ProposalRow): void {
  if (store.expirePending(app.db, p.id, app.now())) {
    app.events.emit({ type: 'proposal_updated', proposal: { ...p, status: 'expired' } });
    app.events.flush();
  }
}

/** Expires every pending proposal past its time; returns how many. */
export function expireDue(app: App): number {
  const due = store.dueProposals(app.db, app.now());
  app.db.transaction(() => due.forEach((p) => expireOne(app, p)))();
  return due.length;
}

/**
 * Places the order of an approved proposal and records the fill, if this caller wins the
 * proposal's execution claim (a press, a scan and the start-up recovery may all try; one sends).
 * Nothing happens when another caller of this app is executing it now, or it is not approved any
 * more. The client order id is derived from the proposal id and the broker is asked for it first,
 * so running this again after a crash (between "order sent" and "order recorded") finds the order
 * instead of placing a second one: a claim left by the dead process is taken over, the order looked
 * up and adopted, or sent then if the exchange never saw it.
 *
 * Live limit orders may rest on the book: the order is then recorded as open, the proposal stays
 * approved, and every scan looks again (and cancels it once the proposal's time is up).
 */
export async function executeApproved(app: App, id: string): Promise<void> {
  const claim = store.claimExecution(app.db, id, claimOwner(app), app.now());
  if (!claim) return;
  if (claim.tookOverFrom) app.log.warn({ id, from: claim.tookOverFrom }, 'taking over an execution left unfinished by a previous run; looking the order up first');
  await executeClaimed(app, id, claim);
}

/** executeApproved for the holder of the claim; the claim is given up when the proposal stays approved. */
async function executeClaimed(app: App, id: string, claim: Claim): Promise<void> {
  try {
    await sendOrAdopt(app, id);
  } finally {
    // Recorded (executed, failed, expired): finishApproved dropped it. Otherwise (resting, or the
    // exchange did not answer) the next scan claims it again.
    releaseClaim(app.db, claim);
  }
}

async function sendOrAdopt(app: App, id: string): Promise<void> {
  const p = getProposal(app, id);
  if (!p || p.status !== 'approved') return;
  const coid = clientOrderId(p.id);
  const side = p.direction === 'LONG' ? 'buy' : 'sell';
  const live = isCcxtBroker(app.broker);
  // Paper fills are market fills with the engine's cost model, whatever the live order type.
  const type = live ? app.cfg.exchange.order_type : 'market';
  claimEntryOrder(app.db, { clientOrderId: coid, proposalId: p.id, symbol: p.symbol, side, amount: p.quantity, at: app.now(), type, refPrice: p.entry, candleTs: p.candle_ts });
  let fill: OrderFill | CcxtFill;
  try {
    // The decision price is the limit of a limit order and, for a market order, the reference
    // the broker checks the market's minimum order value against.
    const found = await app.broker.findOrder(coid, p.symbol);
    if (!found) await refuseStalePrice(app, p);
    fill = found ?? (await app.broker.placeOrder({ clientOrderId: coid, symbol: p.symbol, side, amount: p.quantity, type, price: p.entry }));
    if (live && isResting(fill)) {
      const done = await workingOrder(app, p, coid, fill as CcxtFill);
      if (!done) return;
      fill = done;
    }
    if (live && (fill as CcxtFill).status === 'canceled' && !(fill.amount > 0)) {
      throw new OrderRejectedError(`the exchange cancelled order ${coid} before anything filled`, 'other');
    }
  } catch (e) {
    if (e instanceof OrderRejectedError) {
      const msg = app.scrub(e.message);
      app.db.transaction(() => {
        store.finishApproved(app.db, p.id, 'failed', msg);
        markOrderRejected(app.db, coid, msg);
        app.events.emit({ type: 'proposal_updated', proposal: { ...p, status: 'failed', note: msg } });
        app.events.emit({ type: 'order_rejected', proposal: p, message: msg });
      })();
      app.events.flush();
      app.log.warn({ id, reason: e.reason, err: msg }, 'order rejected');
      return;
    }
    // Transient: the proposal stays `approved`; the next scan or restart retries it.
    app.log.warn({ id, err: app.scrub(String(e)) }, 'order not placed yet; will retry');
    throw e;
  }
  if (live) {
    const bal = await refreshLiveBalance(app, 0).catch((e) => (app.log.warn({ err: app.scrub(String(e)) }, 'balance refresh failed'), null));
    const f = fill as CcxtFill;
    if (bal && !f.feeKnown && side === 'buy') {
      // Found by lookup after a crash: the answer carries no fee, so how many coins arrived is not
      // known. The ledger knows what the account held before this fill; the coins beyond that
      // arrived with it, and the shortfall is the fee taken in coins (binance's default without BNB).
      const base = p.symbol.split('/')[0];
      const before = getLedger(app.db)?.assets[base];
      const arrived = before === undefined ? undefined : (bal.assets[base]?.total ?? 0) - before;
      // Plausible only as a fee of at most 1%; anything else means other changes, so stay unknown.
      if (arrived !== undefined && arrived < f.amount && arrived >= f.amount * 0.99) {
        const coinFee = f.amount - arrived;
        fill = { ...f, baseFee: coinFee, fee: coinFee * f.price, feeKnown: true, deltas: { ...f.deltas, [base]: (f.deltas[base] ?? 0) - coinFee } };
      }
    }
  }
  recordEntry(app, p, coid, fill);
}

/**
 * A person's approval may come long after the proposal: if the price has since moved from the
 * proposed entry by more than approval.max_price_move of the entry-to-stop distance, the trade is
 * no longer the one proposed (its risk, its reward), so it is refused with the figures. Auto-
 * approval executes at once, at the fill the backtest assumes, and is not checked.
 */
async function refuseStalePrice(app: App, p: ProposalRow): Promise<void> {
  const max = app.cfg.approval.max_price_move;
  if (!(max > 0) || p.decided_by === 'auto') return;
  const stopDistance = Math.abs(p.entry - p.stop);
  if (!(stopDistance > 0)) return;
  const now = await app.source.lastPrice(p.symbol);
  const moved = Math.abs(now - p.entry);
  if (moved > max * stopDistance) {
    throw new OrderRejectedError(`the price moved from ~${fmtPrice(p.entry)} to ${fmtPrice(now)} since the proposal: ${Math.round((moved / stopDistance) * 100)}% of the way to the stop, more than the ${Math.round(max * 100)}% allowed (approval.max_price_move); not executed, the next signal decides again`, 'stale_price');
  }
}

const fmtPrice = (v: number) => (v >= 100 ? v.toFixed(2) : v.toPrecision(6));

function isResting(f: OrderFill | CcxtFill): boolean {
  return 'status' in f && f.status === 'open';
}

/**
 * A live limit order on the book. Recorded as open; once the proposal's time is up it is
 * cancelled, and whatever filled by then becomes the trade. Returns the fill to record, or null
 * while there is nothing to record yet.
 */
async function workingOrder(app: App, p: ProposalRow, coid: string, fill: CcxtFill): Promise<CcxtFill | null> {
  if (!isCcxtBroker(app.broker)) return fill;
  if (markOrderOpen(app.db, coid, fill.orderId)) {
    app.events.emit({ type: 'order_resting', proposal: p });
    app.events.flush();
  }
  if (app.now() < p.expires_at) return null;
  const final = (await app.broker.cancelOrder(coid, p.symbol)) ?? fill;
  if (final.amount > 0) return final; // partly filled: that part is the trade
  recordCancelled(app, p, coid, 'limit order not filled in time; cancelled');
  return null;
}

/** A resting entry cancelled with nothing filled: the proposal ends (expired), the order is cancelled, the chat told. */
function recordCancelled(app: App, p: ProposalRow, coid: string, note: string, by?: string): void {
  app.db.transaction(() => {
    store.finishApproved(app.db, p.id, 'expired', note);
    markOrderCancelled(app.db, coid);
    app.events.emit({ type: 'proposal_updated', proposal: { ...p, status: 'expired', note } });
    app.events.emit({ type: 'order_cancelled', proposal: p, ...(by ? { by } : {}) });
  })();
  app.events.flush();
}

/** What /cancel did with one resting limit order, as data (the command says it in the chat's language). */
export type CancelOutcome =
  | { code: 'cancelled'; id: string; symbol: string }
  | { code: 'partly_filled'; id: string; symbol: string; amount: number; price: number }
  | { code: 'unknown'; id: string }
  | { code: 'not_resting'; id: string; status: string }
  | { code: 'busy'; id: string };

/** Approved proposals whose live limit entry rests on the book now. */
export function restingEntries(app: App): ProposalRow[] {
  return store.openProposals(app.db).filter((p) => p.status === 'approved' && getOrder(app.db, clientOrderId(p.id))?.status === 'open');
}

/**
 * Cancels a resting limit entry now instead of at its expiry (/cancel). The proposal's execution
 * claim is taken first, so a scan looking at the same order meanwhile leaves it alone, and a second
 * /cancel finds it no longer resting: cancelling is idempotent. What filled before the cancel
 * reached the exchange is not lost: that part becomes the trade, as at expiry.
 */
export async function cancelResting(app: App, id: string, by: string): Promise<CancelOutcome> {
  const p = getProposal(app, id);
  if (!p) return { code: 'unknown', id };
  const coid = clientOrderId(p.id);
  const order = getOrder(app.db, coid);
  if (p.status !== 'approved' || order?.status !== 'open' || !isCcxtBroker(app.broker)) return { code: 'not_resting', id, status: order?.status === 'cancelled' ? 'cancelled' : p.status };
  const claim = store.claimExecution(app.db, p.id, claimOwner(app), app.now());
  if (!claim) return getProposal(app, id)?.status === 'approved' ? { code: 'busy', id } : { code: 'not_resting', id, status: getProposal(app, id)!.status };
  try {
    const final = (await app.broker.cancelOrder(coid, p.symbol)) ?? (await app.broker.findOrder(coid, p.symbol));
    if (final && final.amount > 0) {
      recordEntry(app, p, coid, final);
      app.log.info({ id, by, amount: final.amount }, 'limit order cancelled after a partial fill');
      return { code: 'partly_filled', id, symbol: p.symbol, amount: final.amount, price: final.price };
    }
    recordCancelled(app, p, coid, `${store.CANCELLED_BY}${by}`, by);
    app.log.info({ id, by }, 'limit order cancelled');
    return { code: 'cancelled', id, symbol: p.symbol };
  } finally {
    releaseClaim(app.db, claim);
  }
}

/** Records an entry fill: proposal executed, order filled, trade opened, chat told, in one transaction. */
function recordEntry(app: App, p: ProposalRow, coid: string, fill: OrderFill | CcxtFill): void {
  const decision = JSON.parse(p.decision_json) as Decision;
  const tradeId = `T${p.id.slice(1)}`;
  const live = 'deltas' in fill;
  // A live buy whose fee was taken in coins holds less than it bought; that is what an exit can sell.
  const held = live ? fill.amount - fill.baseFee : fill.amount;
  app.db.transaction(() => {
    if (!store.finishApproved(app.db, p.id, 'executed')) return; // someone else recorded it first
    markOrderFilled(app.db, coid, fill);
    // Stop and target keep their distance from the actual fill (the kernel's rule); the trade's
    // candles count from the candle the fill landed in, and its watch starts there.
    const levels = anchorLevels(decision, fill.price);
    const shift = fill.price - decision.price;
    const tfMs = timeframeMs(app.cfg.timeframe);
    const fillCandle = Math.max(p.candle_ts + tfMs, formingCandleTs(app));
    insertTrade(app.db, {
      id: tradeId,
      proposal_id: p.id,
      symbol: p.symbol,
      direction: p.direction,
      strategy: p.strategy,
      quantity: held,
      entry_price: fill.price,
      entry_ts: fill.ts,
      entry_fee: fill.fee,
      entry_slippage: Math.abs(shift) * fill.amount,
      stop: levels.stop,
      target: levels.target,
      leverage: app.cfg.risk.leverage,
      entry_candle_ts: fillCandle,
      checked_ts: fillCandle - tfMs,
      decision_json: p.decision_json,
    });
    if (live) {
      applyToLedger(app.db, fill.deltas, feeSlack(app, p.symbol, fill), app.now());
    } else {
      addToBalance(app.db, app.cfg.starting_balance, -fill.fee);
    }
    app.events.emit({ type: 'proposal_updated', proposal: { ...p, status: 'executed' }, fillPrice: fill.price });
    app.events.emit({ type: 'order_filled', proposal: p, quantity: held, price: fill.price, fee: fill.fee, stop: levels.stop, target: levels.target, broker: app.broker.name });
    app.log.info({ id: p.id, tradeId, price: fill.price, amount: fill.amount }, 'order filled');
  })();
  app.events.flush();
}

/** How far the ledger may be off for a fill whose fees the exchange did not tell (see account.ts). */
export { feeSlack };

/**
 * On start: approved proposals whose fill was never recorded are finished (found or placed once),
 * including those a dead process held the claim of.
 */
export async function recoverApproved(app: App): Promise<number> {
  const ids = store.approvedProposalIds(app.db);
  for (const id of ids) {
    try {
      await executeApproved(app, id);
    } catch {
      // logged in executeApproved; retried on the next scan
    }
  }
  return ids.length;
}
