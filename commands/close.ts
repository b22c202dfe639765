import crypto from 'node:crypto';
import type { App } from '../src/app/context.js';
import { signButton } from '../src/chat/buttons.js';
import type { ButtonPress, Command } from '../src/chat/command.js';
import { enqueue } from '../src/chat/outbox.js';
import type { AdapterName, OutgoingMessage } from '../src/chat/types.js';
import { closeConfirmMessage, simpleMessage, type PositionView } from '../src/render/views.js';
import { lastCandles } from '../src/store/candles.js';
import { getKv, setKv } from '../src/store/kv.js';
import { openTrades, remainderTradeId, type OpenTradeRow } from '../src/trading/account.js';
import { getTrade } from '../src/store/trades.js';
import { closeTrade, lastPrices } from '../src/trading/live.js';
import { maxArgs, t, usage } from './args.js';

/** How long the Confirm button stays good: prices move, so a stale confirmation must not act. */
export const CLOSE_CONFIRM_TTL_MS = 5 * 60_000;

/**
 * A pending /close, kept in SQLite so a confirmation survives a restart and so the ONE press that
 * flips it from `pending` (in a synchronous transaction) is the only one that closes anything.
 */
interface CloseRequest {
  id: string;
  tradeIds: string[];
  positions: PositionView[];
  by: string;
  createdAt: number;
  expiresAt: number;
  status: 'pending' | 'confirmed' | 'cancelled' | 'expired';
  adapter: AdapterName;
  chatId: string;
  outboxId: number | null;
}

const key = (id: string) => `close.${id}`;

function message(app: App, r: CloseRequest, status: string, results?: string[]): OutgoingMessage {
  const pending = r.status === 'pending';
  return closeConfirmMessage(app.fmt, {
    // The console has no buttons: it confirms by typing.
    hint: pending && r.adapter === 'console' ? t(app, 'close_hint_console', { id: r.id }) : undefined,
    positions: r.positions,
    now: app.now(),
    minutes: Math.round(CLOSE_CONFIRM_TTL_MS / 60_000),
    by: r.by,
    status,
    results,
    buttons: pending
      ? [
          [
            { label: t(app, 'close_confirm'), data: signButton(app.buttonKey, 'cc', r.id), style: 'danger' },
            { label: t(app, 'close_cancel'), data: signButton(app.buttonKey, 'cx', r.id), style: 'secondary' },
          ],
        ]
      : [],
  });
}

/** Replaces the confirmation message (every edit goes through the outbox). */
function editRequest(app: App, r: CloseRequest, msg: OutgoingMessage): void {
  if (r.outboxId === null) return;
  enqueue(app.db, { adapter: r.adapter, chatId: r.chatId, kind: 'reply_edit', message: msg, editOf: r.outboxId }, app.now());
  app.outbox.kick();
}

/** Closes one trade at the last cached price; null when it was no longer open. */
async function closeOne(app: App, id: string): Promise<{ row: OpenTradeRow; price: number; pnl: number } | null> {
  const row = openTrades(app.db).find((x) => x.id === id);
  if (!row) return null;
  const price = lastPrices(app)[row.symbol];
  const candle = lastCandles(app.db, row.symbol, app.cfg.timeframe, 1)[0];
  if (price === undefined || !candle) throw new Error(`no price for ${row.symbol}`);
  const m = await closeTrade(app, row, { ref: price, reason: 'MANUAL', exitCandleTs: Math.max(candle.ts, row.entry_candle_ts) });
  return m ? { row, price: m.exitPrice, pnl: m.pnl } : null;
}

/**
 * Why a trade was not closed, in words: closed before (by a stop, another press), filled only in
 * part (the rest carries on as <id>-r1 and is retried), or still open (the exchange did not fill
 * the exit: the alert says why, and the next scan tries again).
 */
function notClosedLine(app: App, id: string, symbol: string): string {
  const now = getTrade(app.db, id);
  const rest = getTrade(app.db, remainderTradeId(id));
  if (now?.status === 'closed' && rest?.status === 'open') return t(app, 'close_partial_line', { id, symbol, rest: rest.id });
  if (now?.status === 'open') return t(app, 'close_pending_line', { id, symbol });
  return t(app, 'close_skipped_line', { id, symbol });
}

export const close: Command = {
  name: 'close',
  description: 'Close a position (or all) at market, after a confirmation',
  usage: '/close <trade id>|all',
  details: `Shows what would be closed with ✅ Confirm / ✖️ Cancel buttons (or type /close confirm <code> / /close cancel <code>); the confirmation is good for ${CLOSE_CONFIRM_TTL_MS / 60_000} minutes and acts once.`,
  role: 'trader',
  options: [
    { name: 'trade', description: 'a trade id from /positions, or all (or confirm / cancel)', type: 'string', required: true },
    { name: 'code', description: 'with confirm / cancel: the code in the confirmation', type: 'string' },
  ],
  buttonActions: ['cc', 'cx'],
  async run(ctx) {
    maxArgs(ctx, 2);
    const { app } = ctx;
    const arg = ctx.args[0];
    const sub = arg?.toLowerCase();
    if (sub === 'confirm' || sub === 'cancel') {
      const id = ctx.args[1];
      if (!id || !/^[\w-]{2,40}$/.test(id)) throw usage(app, 'err_close_code');
      const notice = await press({ app, action: sub === 'confirm' ? 'cc' : 'cx', id, adapter: ctx.adapter, chatId: ctx.chatId, user: ctx.user });
      ctx.reply(simpleMessage('', notice));
      return;
    }
    if (ctx.args.length > 1) throw usage(app, 'err_too_many');
    if (!arg || !/^[\w.-]{1,40}$/.test(arg)) throw usage(app, 'err_close_target');
    const open = openTrades(app.db);
    if (open.length === 0) {
      ctx.reply(simpleMessage('', t(app, 'close_none')));
      return;
    }
    const chosen = arg.toLowerCase() === 'all' ? open : open.filter((x) => x.id.toLowerCase() === arg.toLowerCase());
    if (chosen.length === 0) {
      ctx.reply(simpleMessage('', t(app, 'close_unknown', { id: arg, open: open.map((x) => x.id).join(', ') })));
      return;
    }
    const prices = lastPrices(app);
    const now = app.now();
    const r: CloseRequest = {
      id: 'c' + (now % 60_466_176).toString(36) + crypto.randomBytes(3).toString('hex'),
      tradeIds: chosen.map((x) => x.id),
      positions: chosen.map((x) => ({ id: x.id, symbol: x.symbol, direction: x.direction, quantity: x.quantity, entry_price: x.entry_price, entry_ts: x.entry_ts, stop: x.stop, target: x.target, price: prices[x.symbol] })),
      by: `${ctx.user.name} (${ctx.adapter})`,
      createdAt: now,
      expiresAt: now + CLOSE_CONFIRM_TTL_MS,
      status: 'pending',
      adapter: ctx.adapter,
      chatId: ctx.chatId,
      outboxId: null,
    };
    // Queued and stored in one synchronous step: no press can arrive in between.
    r.outboxId = ctx.reply(message(app, r, t(app, 'close_pending')));
    setKv(app.db, key(r.id), r);
  },

  onButton: (p) => press(p),
};

/** A Confirm / Cancel press (button or typed): the first one on a pending request acts, once. */
async function press(p: ButtonPress): Promise<string> {
  const { app } = p;
  const by = `${p.user.name} (${p.adapter})`;
  const now = app.now();
  type Claim = { r: CloseRequest; won: boolean; notice?: string };
  const claim = app.db.transaction((): Claim | null => {
    const r = getKv<CloseRequest | null>(app.db, key(p.id), null);
    if (!r) return null;
    if (r.status !== 'pending') return { r, won: false, notice: t(app, 'notice_close_already', { status: t(app, `close_status_${r.status}`) }) };
    if (now >= r.expiresAt) {
      r.status = 'expired';
      setKv(app.db, key(r.id), r);
      editRequest(app, r, message(app, r, t(app, 'close_expired')));
      return { r, won: false, notice: t(app, 'notice_close_expired') };
    }
    r.status = p.action === 'cc' ? 'confirmed' : 'cancelled';
    setKv(app.db, key(r.id), r);
    return { r, won: true };
  })();
  if (!claim) return t(app, 'notice_bad_button');
  if (!claim.won) return claim.notice!;
  const r = claim.r;
  if (p.action === 'cx') {
    editRequest(app, r, message(app, r, t(app, 'close_cancelled', { by })));
    return t(app, 'notice_close_cancelled');
  }
  const results: string[] = [];
  let closed = 0;
  for (const id of r.tradeIds) {
    const symbol = r.positions.find((x) => x.id === id)?.symbol ?? '';
    try {
      const done = await closeOne(app, id);
      if (!done) results.push(notClosedLine(app, id, symbol));
      else {
        closed++;
        results.push(t(app, 'close_result_line', { id, symbol, price: app.fmt.price(done.price), pnl: app.fmt.signed(done.pnl) }));
      }
    } catch (e) {
      app.log.error({ trade: id, err: app.scrub(String(e)) }, 'manual close failed');
      results.push(t(app, 'close_failed_line', { id, symbol, error: app.scrub((e as Error).message ?? String(e)) }));
    }
  }
  editRequest(app, r, message(app, r, t(app, 'close_done', { by }), results));
  return t(app, 'notice_closed', { count: closed });
}
