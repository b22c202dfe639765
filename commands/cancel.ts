import type { App } from '../src/app/context.js';
import type { Command } from '../src/chat/command.js';
import { simpleMessage } from '../src/render/views.js';
import { isCcxtBroker } from '../src/trading/ccxt-broker.js';
import { cancelResting, restingEntries, type CancelOutcome } from '../src/trading/proposals.js';
import { maxArgs, t, usage } from './args.js';

function outcomeLine(app: App, o: CancelOutcome): string {
  const f = app.fmt;
  switch (o.code) {
    case 'cancelled':
      return t(app, 'cancel_done', { id: o.id, symbol: o.symbol });
    case 'partly_filled':
      return t(app, 'cancel_partly', { id: o.id, symbol: o.symbol, qty: f.qty(o.amount), price: f.price(o.price) });
    case 'unknown':
      return t(app, 'cancel_unknown', { id: o.id });
    case 'not_resting':
      return t(app, 'cancel_not_resting', { id: o.id, status: o.status });
    case 'busy':
      return t(app, 'cancel_busy', { id: o.id });
  }
}

/**
 * /cancel <proposal id|all>: live limit entries resting on the book (exchange.order_type: limit)
 * cancelled now rather than at their proposal's expiry. Idempotent (a second /cancel finds nothing
 * resting), audited by the router like every trader command, and a partial fill becomes the trade.
 */
export const cancel: Command = {
  name: 'cancel',
  description: 'Cancel a limit entry order resting on the book (or all of them)',
  usage: '/cancel <id|all>',
  details: 'id: the proposal id of the order (as in /locks or /status; the client order id tc-<id> works too). Only live limit orders can rest: paper and market orders fill at once. Whatever filled before the cancel is kept as the trade.',
  role: 'trader',
  options: [{ name: 'id', description: 'proposal id of the order, or all', type: 'string', required: true }],
  async run(ctx) {
    maxArgs(ctx, 1);
    const { app } = ctx;
    const raw = ctx.args[0];
    if (!raw) throw usage(app, 'err_cancel_target');
    const all = raw.toLowerCase() === 'all';
    const id = raw.replace(/^tc-/, '');
    if (!all && !/^[\w-]{2,40}$/.test(id)) throw usage(app, 'err_cancel_target');
    const by = `${ctx.user.name} (${ctx.adapter})`;
    if (!all) {
      const o = await cancelResting(app, id, by);
      ctx.reply(simpleMessage(o.code === 'cancelled' || o.code === 'partly_filled' ? '✖️' : 'ℹ️', outcomeLine(app, o)));
      return;
    }
    const resting = restingEntries(app);
    if (!resting.length) {
      // Say why nothing can rest here, when that is the reason.
      const why = !isCcxtBroker(app.broker) ? t(app, 'cancel_none_paper') : app.cfg.exchange.order_type === 'market' ? t(app, 'cancel_none_market') : '';
      ctx.reply(simpleMessage('ℹ️', [t(app, 'cancel_none'), why].filter(Boolean).join(' ')));
      return;
    }
    const lines: string[] = [];
    for (const p of resting) lines.push(outcomeLine(app, await cancelResting(app, p.id, by)));
    ctx.reply(simpleMessage('✖️', lines.join('\n')));
  },
};
