import type { App } from '../src/app/context.js';
import type { Command, CommandContext } from '../src/chat/command.js';
import { decisionNotice } from '../src/notify/notices.js';
import { gateText, simpleMessage } from '../src/render/views.js';
import { appEngineSettings } from '../src/risk/settings.js';
import { quoteCurrency } from '../src/trading/account.js';
import { proposeManualEntry, type ManualOutcome } from '../src/trading/manual.js';
import { maxArgs, symbolArg, t, usage } from './args.js';

/**
 * An amount of the quote currency as a person types it in the chat's language: 100, 2500.50, and
 * in Spanish 2500,50. The other language's separator is read as a decimal point too (as /set does),
 * except when exactly three digits follow it: "1,000" in English or "1.000" in Spanish means a
 * thousand to whoever typed it, and a money amount read a thousand times too small (or large) is
 * refused rather than guessed.
 */
export function amountArg(app: App, raw: string): number {
  const m = /^(\d+)(?:([.,])(\d+))?$/.exec(raw.trim());
  if (!m) throw usage(app, 'err_amount', { value: raw });
  const decimal = app.cfg.language === 'es' ? ',' : '.';
  if (m[2] && m[2] !== decimal && m[3].length === 3) throw usage(app, 'err_amount_ambiguous', { value: raw });
  const v = Number(m[3] ? `${m[1]}.${m[3]}` : m[1]);
  if (!(v > 0)) throw usage(app, 'err_amount_positive', { value: raw });
  return v;
}

function outcomeText(app: App, o: ManualOutcome, symbol: string): { emoji: string; text: string } {
  const f = app.fmt;
  if (o.ok) {
    const p = o.proposal;
    // The expiry as the proposal message beside it says it.
    const base = t(app, 'buy_proposed', { id: p.id, side: t(app, p.direction === 'LONG' ? 'buy_side_long' : 'buy_side_short'), symbol, qty: f.qty(p.quantity), price: f.price(p.entry), notional: f.money(p.quantity * p.entry), stop: f.price(p.stop), target: f.price(p.target), expires: f.dateTime(p.expires_at) });
    if (!o.approval) return { emoji: '📝', text: `${base}\n${t(app, 'buy_waits', { id: p.id })}` };
    return { emoji: o.approval.ok ? '👍' : 'ℹ️', text: `${base}\n${t(app, 'buy_auto')} ${decisionNotice(app.cfg.language, f, o.approval)}` };
  }
  switch (o.code) {
    case 'position_open':
      return { emoji: 'ℹ️', text: t(app, 'buy_position_open', { symbol, id: o.tradeId }) };
    case 'proposal_open':
      return { emoji: 'ℹ️', text: t(app, 'buy_proposal_open', { symbol, id: o.proposalId }) };
    case 'warming_up':
      return { emoji: '⏳', text: t(app, 'buy_warming_up', { symbol, have: o.have, need: o.need }) };
    case 'no_balance':
      return { emoji: '⚠️', text: t(app, 'buy_no_balance') };
    case 'refused':
      return { emoji: '🛡️', text: t(app, 'buy_refused', { symbol, reason: gateText(f, o.refusal, o.reason) }) };
    case 'too_large':
      return { emoji: '🛡️', text: t(app, 'buy_too_large', { wanted: f.money(o.wanted), max: f.money(o.max) }) };
    case 'busy':
      return { emoji: 'ℹ️', text: t(app, 'buy_busy', { symbol }) };
  }
}

async function enter(ctx: CommandContext, direction: 'LONG' | 'SHORT'): Promise<void> {
  maxArgs(ctx, 2);
  const { app } = ctx;
  const symbol = symbolArg(app, ctx.args[0]);
  const notional = ctx.args[1] === undefined ? undefined : amountArg(app, ctx.args[1]);
  const o = await proposeManualEntry(app, { symbol, direction, notional, by: `${ctx.user.name} (${ctx.adapter})` });
  const { emoji, text } = outcomeText(app, o, symbol);
  ctx.reply(simpleMessage(emoji, text));
}

export const buy: Command = {
  name: 'buy',
  description: 'Propose a long entry yourself: sized and checked by the risk gate, then approved like any proposal',
  usage: '/buy <symbol> [amount]',
  details: 'amount: how much to spend in the quote currency (default: what the risk gate sizes); never more than the gate allows. The entry becomes a proposal with ✅ Approve / ❌ Reject; it executes when approved (at once only with /autoapprove 0).',
  role: 'trader',
  options: [
    { name: 'symbol', description: 'e.g. BTC/USDT or BTC', type: 'string', required: true },
    { name: 'amount', description: 'quote currency to spend (default: the gate’s size)', type: 'string' },
  ],
  run: (ctx) => enter(ctx, 'LONG'),
};

export const sell: Command = {
  name: 'sell',
  description: 'Propose a short entry (only where shorts are allowed); to sell what you hold, /close',
  usage: '/sell <symbol> [amount]',
  details: 'Opens a short, like /buy opens a long, only on a market that allows shorts (risk.allow_short on a swap, future or margin market, or a simulated one). On spot the bot is long-only: close a position with /close.',
  role: 'trader',
  options: [
    { name: 'symbol', description: 'e.g. BTC/USDT or BTC', type: 'string', required: true },
    { name: 'amount', description: 'quote currency of the short (default: the gate’s size)', type: 'string' },
  ],
  async run(ctx) {
    const { app } = ctx;
    // The same rule as the engine's: shorts only where the market and risk.allow_short allow them.
    if (!appEngineSettings(app).risk.allow_short) {
      maxArgs(ctx, 2);
      ctx.reply(simpleMessage('ℹ️', t(app, 'sell_long_only', { market: app.demo ? t(app, 'market_demo') : `${app.cfg.exchange.id} ${app.cfg.exchange.market_type}`, quote: quoteCurrency(app) })));
      return;
    }
    await enter(ctx, 'SHORT');
  },
};
