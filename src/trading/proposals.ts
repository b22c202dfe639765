import crypto from 'node:crypto';
import type { Decision } from '../agents/decision.js';
import type { App } from '../app/context.js';
import { signButton } from '../chat/buttons.js';
import { enqueue, proposalMessageRows } from '../chat/outbox.js';
import type { Candle } from '../market/types.js';
import { proposalChart } from '../render/chart-files.js';
import { str } from '../render/template.js';
import { fillMessage, proposalMessage, simpleMessage } from '../render/views.js';
import { anchorLevels } from '../kernel/position.js';
import { timeframeMs } from '../market/timeframe.js';
import { formingCandleTs } from './clock.js';
import { addToBalance, applyToLedger, getLedger, refreshLiveBalance } from './account.js';
import { OrderRejectedError, type OrderFill } from './broker.js';
import { isCcxtBroker, type CcxtFill } from './ccxt-broker.js';
import { crewVotesRich } from '../crew/render.js';
import { recordConsult, type CrewConsult } from '../crew/service.js';
import { decisionForProposal } from '../crew/store.js';
import { richToPlain } from '../render/rich.js';

export type ProposalStatus = 'pending' | 'approved' | 'executed' | 'rejected' | 'expired' | 'failed';

export interface ProposalRow {
  id: string;
  symbol: string;
  direction: 'LONG' | 'SHORT';
  strategy: string;
  entry: number;
  stop: number;
  target: number;
  quantity: number;
  confidence: number;
  decision_json: string;
  status: ProposalStatus;
  created_at: number;
  candle_ts: number;
  expires_at: number;
  decided_by: string | null;
  decided_at: number | null;
  note: string | null;
}

/** Short, typeable ids (`/approve p7k2x9`): time-ordered base36 plus randomness. */
export function newProposalId(now: number): string {
  return 'p' + (now % 60_466_176).toString(36) + crypto.randomBytes(2).toString('hex');
}

export function getProposal(app: App, id: string): ProposalRow | undefined {
  return app.db.prepare('SELECT * FROM proposals WHERE id=?').get(id) as ProposalRow | undefined;
}

export function pendingProposals(app: App): ProposalRow[] {
  return app.db.prepare(`SELECT * FROM proposals WHERE status IN ('pending','approved') ORDER BY created_at`).all() as ProposalRow[];
}

export function clientOrderId(proposalId: string): string {
  return `tc-${proposalId}`;
}

function statusLine(app: App, p: ProposalRow, fillPrice?: number): string {
  const L = app.cfg.language;
  const by = p.decided_by ?? '?';
  switch (p.status) {
    case 'pending':
      return str(L, 'status_pending');
    case 'approved':
      return str(L, 'status_approving', { by });
    case 'executed':
      return p.decided_by === 'auto'
        ? str(L, 'status_auto', { conf: app.fmt.pct(p.confidence, 0), min: app.fmt.pct(app.cfg.approval.auto_min_confidence, 0), price: app.fmt.price(fillPrice ?? p.entry) })
        : str(L, 'status_approved', { by, price: app.fmt.price(fillPrice ?? p.entry) });
    case 'rejected':
      return str(L, 'status_rejected', { by });
    case 'expired':
      return str(L, 'status_expired', { at: app.fmt.dateTime(p.expires_at) });
    case 'failed':
      return str(L, 'status_failed', { by, error: p.note ?? '' });
  }
}

/** Plain length a proposal with its crew block is kept under, so it still fits a Telegram photo caption (1024). */
const PROPOSAL_TEXT_BUDGET = 940;

function messageFor(app: App, p: ProposalRow, adapter: string, imagePath?: string, fillPrice?: number) {
  const decision = JSON.parse(p.decision_json) as Decision;
  const L = app.cfg.language;
  const pending = p.status === 'pending';
  const status = statusLine(app, p, fillPrice);
  const msg = proposalMessage(
    app.fmt,
    { id: p.id, symbol: p.symbol, quantity: p.quantity, expiresAt: p.expires_at, decision },
    {
      status,
      buttons: pending
        ? [
            [
              { label: str(L, 'approve'), data: signButton(app.buttonKey, 'ap', p.id), style: 'success' },
              { label: str(L, 'reject'), data: signButton(app.buttonKey, 'rj', p.id), style: 'danger' },
            ],
          ]
        : [],
      hint: pending && adapter === 'console' ? str(L, 'hint_console', { id: p.id }) : undefined,
      imagePath,
    },
  );
  // The crew's votes and reasons (when the crew decided this proposal), before the status line.
  const crew = decisionForProposal(app.db, p.id);
  if (crew) {
    const at = msg.rich.findIndex((line) => line.map((s) => s.text).join('') === status);
    const block = crewVotesRich(L, app.fmt, crew, PROPOSAL_TEXT_BUDGET - richToPlain(msg.rich).length);
    msg.rich.splice(at < 0 ? msg.rich.length : at, 0, ...block);
  }
  return msg;
}

/** Re-renders every copy of the proposal message (all chats) with its current status, no buttons. */
function enqueueEdits(app: App, p: ProposalRow, fillPrice?: number): void {
  for (const row of proposalMessageRows(app.db, p.id)) {
    enqueue(app.db, { adapter: row.adapter, chatId: row.chat_id, kind: 'proposal_edit', message: messageFor(app, p, row.adapter, undefined, fillPrice), proposalId: p.id, editOf: row.id }, app.now());
  }
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
 * process dies right after, the proposal exists and its message is still sent.
 */
export async function createProposal(app: App, x: { symbol: string; decision: Decision; quantity: number; candles: Candle[]; tfMs: number; crew?: CrewConsult }): Promise<ProposalRow> {
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
  const image = await proposalChart(app.chartsDir, app.log, { id, symbol: x.symbol, timeframe: app.cfg.timeframe, candles: x.candles.slice(-120), decision: d });
  app.db.transaction(() => {
    app.db
      .prepare(
        `INSERT INTO proposals (id, symbol, direction, strategy, entry, stop, target, quantity, confidence, decision_json, status, created_at, candle_ts, expires_at)
         VALUES (@id, @symbol, @direction, @strategy, @entry, @stop, @target, @quantity, @confidence, @decision_json, @status, @created_at, @candle_ts, @expires_at)`,
      )
      .run(row);
    // The crew's deliberation is stored with the proposal: a proposal never exists without its reasons.
    if (x.crew) recordConsult(app, x.crew, id);
    for (const a of app.adapters) {
      if (!a.pushChatId) continue;
      enqueue(app.db, { adapter: a.name, chatId: a.pushChatId, kind: 'proposal', message: messageFor(app, row, a.name, image), proposalId: id }, now);
    }
  })();
  app.outbox.kick();
  app.log.info({ id, symbol: x.symbol, direction: d.direction, confidence: d.confidence }, 'proposal created');
  return row;
}

export type DecisionOutcome = { ok: boolean; notice: string };

/**
 * Why a button press or command cannot decide this proposal (unknown, expired — which it
 * expires now — or already decided), or null when it is pending. Call inside the transaction.
 */
function refusalIfNotPending(app: App, id: string, now: number): DecisionOutcome | null {
  const L = app.cfg.language;
  const p = getProposal(app, id);
  if (!p) return { ok: false, notice: str(L, 'notice_unknown', { id }) };
  if (p.status === 'pending' && p.expires_at <= now) {
    expireOne(app, p);
    return { ok: false, notice: str(L, 'notice_expired', { at: app.fmt.dateTime(p.expires_at) }) };
  }
  if (p.status !== 'pending') return { ok: false, notice: str(L, 'notice_already', { status: p.status }) };
  return null;
}

/**
 * Approve: only one transition out of `pending` can win (a conditional UPDATE inside a
 * transaction), so ten presses on two platforms execute the order once.
 */
export async function approveProposal(app: App, id: string, by: string): Promise<DecisionOutcome> {
  const L = app.cfg.language;
  const now = app.now();
  const outcome = app.db.transaction((): DecisionOutcome | 'won' => {
    const refused = refusalIfNotPending(app, id, now);
    if (refused) return refused;
    const r = app.db.prepare(`UPDATE proposals SET status='approved', decided_by=?, decided_at=? WHERE id=? AND status='pending'`).run(by, now, id);
    return r.changes === 1 ? 'won' : { ok: false, notice: str(L, 'notice_already', { status: 'approved' }) };
  })();
  if (outcome !== 'won') return outcome;
  app.log.info({ id, by }, 'proposal approved');
  try {
    await executeApproved(app, id);
  } catch (e) {
    // Not placed (or not known to be placed) yet: it stays approved and the next scan finishes it,
    // looking the order up by its client id first, so it can never be placed twice.
    return { ok: true, notice: `Approved ✅ ${id}, but the exchange did not answer (${app.scrub((e as Error)?.message ?? String(e)).slice(0, 160)}). The order is retried at the next scan.` };
  }
  const p = getProposal(app, id)!;
  if (p.status === 'failed') return { ok: false, notice: str(L, 'status_failed', { by, error: p.note ?? '' }) };
  return { ok: true, notice: str(L, 'notice_approved', { id }) };
}

export function rejectProposal(app: App, id: string, by: string): DecisionOutcome {
  const L = app.cfg.language;
  const now = app.now();
  return app.db.transaction((): DecisionOutcome => {
    const refused = refusalIfNotPending(app, id, now);
    if (refused) return refused;
    app.db.prepare(`UPDATE proposals SET status='rejected', decided_by=?, decided_at=? WHERE id=? AND status='pending'`).run(by, now, id);
    enqueueEdits(app, getProposal(app, id)!);
    app.outbox.kick();
    return { ok: true, notice: str(L, 'notice_rejected', { id }) };
  })();
}

function expireOne(app: App, p: ProposalRow): void {
  const r = app.db.prepare(`UPDATE proposals SET status='expired', decided_at=? WHERE id=? AND status='pending'`).run(app.now(), p.id);
  if (r.changes === 1) {
    enqueueEdits(app, { ...p, status: 'expired' });
    app.outbox.kick();
  }
}

/** Expires every pending proposal past its time; returns how many. */
export function expireDue(app: App): number {
  const due = app.db.prepare(`SELECT * FROM proposals WHERE status='pending' AND expires_at<=?`).all(app.now()) as ProposalRow[];
  app.db.transaction(() => due.forEach((p) => expireOne(app, p)))();
  return due.length;
}

/**
 * Places the order of an approved proposal and records the fill. The client order id is derived
 * from the proposal id and the broker is asked for it first, so running this again after a crash
 * (between "order sent" and "order recorded") finds the order instead of placing a second one.
 *
 * Live limit orders may rest on the book: the order is then recorded as open, the proposal stays
 * approved, and every scan looks again (and cancels it once the proposal's time is up).
 */
export async function executeApproved(app: App, id: string): Promise<void> {
  const p = getProposal(app, id);
  if (!p || p.status !== 'approved') return;
  const coid = clientOrderId(p.id);
  const side = p.direction === 'LONG' ? 'buy' : 'sell';
  const live = isCcxtBroker(app.broker);
  // Paper fills are market fills with the engine's cost model, whatever the live order type.
  const type = live ? app.cfg.exchange.order_type : 'market';
  app.db
    .prepare(`INSERT OR IGNORE INTO orders (client_order_id, proposal_id, purpose, symbol, side, amount, status, created_at, type, ref_price, candle_ts) VALUES (?,?,?,?,?,?,'sending',?,?,?,?)`)
    .run(coid, p.id, 'entry', p.symbol, side, p.quantity, app.now(), type, p.entry, p.candle_ts);
  let fill: OrderFill | CcxtFill;
  try {
    // The decision price is the limit of a limit order and, for a market order, the reference
    // the broker checks the market's minimum order value against.
    fill = (await app.broker.findOrder(coid, p.symbol)) ?? (await app.broker.placeOrder({ clientOrderId: coid, symbol: p.symbol, side, amount: p.quantity, type, price: p.entry }));
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
        app.db.prepare(`UPDATE proposals SET status='failed', note=? WHERE id=? AND status='approved'`).run(msg, p.id);
        app.db.prepare(`UPDATE orders SET status='rejected', error=? WHERE client_order_id=?`).run(msg, coid);
        enqueueEdits(app, { ...p, status: 'failed', note: msg });
        pushAll(app, 'order_rejected', simpleMessage('⚠️', `Order for ${p.symbol} (${p.id}) was rejected: ${msg}. Nothing else changed.`));
      })();
      app.outbox.kick();
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
  const first = app.db.prepare(`UPDATE orders SET status='open', exchange_order_id=? WHERE client_order_id=? AND status='sending'`).run(fill.orderId, coid);
  if (first.changes === 1) {
    pushAll(app, 'order_open', simpleMessage('⏳', `Limit order for ${p.symbol} (${p.id}) is on the book at ${app.fmt.price(p.entry)}; it is cancelled if not filled by ${app.fmt.dateTime(p.expires_at)}.`));
    app.outbox.kick();
  }
  if (app.now() < p.expires_at) return null;
  const final = (await app.broker.cancelOrder(coid, p.symbol)) ?? fill;
  if (final.amount > 0) return final; // partly filled: that part is the trade
  app.db.transaction(() => {
    const note = 'limit order not filled in time; cancelled';
    app.db.prepare(`UPDATE proposals SET status='expired', note=? WHERE id=? AND status='approved'`).run(note, p.id);
    app.db.prepare(`UPDATE orders SET status='cancelled' WHERE client_order_id=?`).run(coid);
    enqueueEdits(app, { ...p, status: 'expired' });
    pushAll(app, 'order_cancelled', simpleMessage('⌛', `Limit order for ${p.symbol} (${p.id}) was not filled by ${app.fmt.dateTime(p.expires_at)} and was cancelled. Nothing else changed.`));
  })();
  app.outbox.kick();
  return null;
}

/** Records an entry fill: proposal executed, order filled, trade opened, chat told, in one transaction. */
function recordEntry(app: App, p: ProposalRow, coid: string, fill: OrderFill | CcxtFill): void {
  const decision = JSON.parse(p.decision_json) as Decision;
  const tradeId = `T${p.id.slice(1)}`;
  const live = 'deltas' in fill;
  // A live buy whose fee was taken in coins holds less than it bought; that is what an exit can sell.
  const held = live ? fill.amount - fill.baseFee : fill.amount;
  app.db.transaction(() => {
    const done = app.db.prepare(`UPDATE proposals SET status='executed' WHERE id=? AND status='approved'`).run(p.id);
    if (done.changes !== 1) return; // someone else recorded it first
    app.db
      .prepare(`UPDATE orders SET status='filled', exchange_order_id=?, price=?, fee=?, filled_at=?, amount=? WHERE client_order_id=?`)
      .run(fill.orderId, fill.price, fill.fee, fill.ts, fill.amount, coid);
    // Stop and target keep their distance from the actual fill (the kernel's rule); the trade's
    // candles count from the candle the fill landed in, and its watch starts there.
    const levels = anchorLevels(decision, fill.price);
    const shift = fill.price - decision.price;
    const tfMs = timeframeMs(app.cfg.timeframe);
    const fillCandle = Math.max(p.candle_ts + tfMs, formingCandleTs(app));
    app.db
      .prepare(
        `INSERT INTO trades (id, proposal_id, symbol, direction, strategy, quantity, entry_price, entry_ts, entry_fee, entry_slippage, stop, target, leverage, entry_candle_ts, checked_ts, decision_json)
         VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
      )
      .run(tradeId, p.id, p.symbol, p.direction, p.strategy, held, fill.price, fill.ts, fill.fee, Math.abs(shift) * fill.amount, levels.stop, levels.target, app.cfg.risk.leverage, fillCandle, fillCandle - tfMs, p.decision_json);
    if (live) {
      applyToLedger(app.db, fill.deltas, feeSlack(app, p.symbol, fill), app.now());
    } else {
      addToBalance(app.db, app.cfg.starting_balance, -fill.fee);
    }
    enqueueEdits(app, { ...p, status: 'executed' }, fill.price);
    pushAll(
      app,
      'fill',
      fillMessage(app.fmt, { id: p.id, symbol: p.symbol, direction: p.direction, quantity: held, price: fill.price, fee: fill.fee, stop: levels.stop, target: levels.target, broker: app.broker.name, approvedBy: p.decided_by === 'auto' ? '🤖 auto-approved' : `👤 approved by ${p.decided_by}` }),
    );
    app.log.info({ id: p.id, tradeId, price: fill.price, amount: fill.amount }, 'order filled');
  })();
  app.outbox.kick();
}

/**
 * How far the ledger may be off for a fill whose fees the exchange did not tell (a lookup after a
 * crash): the configured fee rate, in the asset a fee on that side is usually taken in.
 */
export function feeSlack(app: App, symbol: string, fill: CcxtFill): Record<string, number> {
  if (fill.feeKnown) return {};
  const [base, quote] = symbol.split('/');
  const rate = Math.max(app.cfg.costs.fee, 0.001);
  return fill.side === 'buy' ? { [base]: fill.amount * rate } : { [quote]: fill.amount * fill.price * rate };
}

/** Queues a message to every adapter's push chat (inside the caller's transaction when there is one). */
export function pushAll(app: App, kind: string, msg: import('../chat/types.js').OutgoingMessage, proposalId?: string): void {
  for (const a of app.adapters) if (a.pushChatId) enqueue(app.db, { adapter: a.name, chatId: a.pushChatId, kind, message: msg, proposalId }, app.now());
}

/** On start: approved proposals whose fill was never recorded are finished (found or placed once). */
export async function recoverApproved(app: App): Promise<number> {
  const rows = app.db.prepare(`SELECT id FROM proposals WHERE status='approved'`).all() as Array<{ id: string }>;
  for (const r of rows) {
    try {
      await executeApproved(app, r.id);
    } catch {
      // logged in executeApproved; retried on the next scan
    }
  }
  return rows.length;
}
