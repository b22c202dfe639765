import type { App } from '../src/app/context.js';
import type { Command, CommandContext } from '../src/chat/command.js';
import { configSchema } from '../src/config/schema.js';
import { backfillSymbol } from '../src/market/refresh.js';
import { simpleMessage } from '../src/render/views.js';
import { audit } from '../src/store/audit.js';
import { openTrades, quoteCurrency } from '../src/trading/account.js';
import { pendingProposals, rejectProposal } from '../src/trading/proposals.js';
import { addSymbol, managedSymbols, removeSymbol } from '../src/trading/whitelist.js';
import { maxArgs, symbolArg, t, usage } from './args.js';

/**
 * /whitelist shows the traded symbols (anyone); /whitelist add|remove <symbol> changes them
 * (traders only, audited, kept across restarts: src/trading/whitelist.ts).
 */

/** A symbol as typed (ltc, LTCUSDT, ltc/usdt) in the config's form, with the account's quote. */
function symbolToAdd(app: App, raw: string | undefined): string {
  if (!raw) throw usage(app, 'err_whitelist_symbol');
  const quote = quoteCurrency(app);
  let v = raw.trim().toUpperCase().replace(/[-_]/g, '/');
  if (!v.includes('/')) v = v.endsWith(quote) && v.length > quote.length ? `${v.slice(0, -quote.length)}/${quote}` : `${v}/${quote}`;
  if (!configSchema.shape.symbols.element.safeParse(v).success) throw usage(app, 'err_whitelist_form', { value: raw });
  // One account, one quote currency: PnL, exposure and the balance are all counted in it.
  if (v.split('/')[1] !== quote) throw usage(app, 'err_whitelist_quote', { value: v, quote });
  return v;
}

/**
 * Only a trader may change the list. Audited as the router audits a trader command (it cannot:
 * the command itself is open to viewers for showing the list); a viewer's try changes nothing.
 */
function traderOnly(ctx: CommandContext): boolean {
  const action = `/whitelist ${ctx.args.join(' ')}`.trim();
  const allowed = ctx.role === 'trader';
  audit(ctx.app.db, { adapter: ctx.adapter, userId: ctx.user.id, userName: ctx.user.name, action, allowed, ...(allowed ? {} : { detail: 'needs trader' }) });
  if (!allowed) ctx.reply(simpleMessage('', t(ctx.app, 'forbidden_viewer', { command: `whitelist ${ctx.args[0]}` })));
  return allowed;
}

function show(ctx: CommandContext): void {
  const { app } = ctx;
  const offList = managedSymbols(app).filter((s) => !app.cfg.symbols.includes(s));
  const lines = [t(app, 'whitelist_title', { n: app.cfg.symbols.length, market: app.demo ? t(app, 'market_demo') : app.cfg.exchange.id }), app.cfg.symbols.map((s) => `• ${s}`).join('\n')];
  if (offList.length) lines.push(t(app, 'whitelist_off_list', { symbols: offList.join(', ') }));
  ctx.reply(simpleMessage('📋', lines.join('\n')));
}

async function add(ctx: CommandContext): Promise<void> {
  const { app } = ctx;
  if (!traderOnly(ctx)) return;
  maxArgs(ctx, 2);
  const symbol = symbolToAdd(app, ctx.args[1]);
  if (app.cfg.symbols.includes(symbol)) {
    ctx.reply(simpleMessage('ℹ️', t(app, 'whitelist_already', { symbol })));
    return;
  }
  let listed: boolean;
  try {
    listed = (await app.source.hasSymbol?.(symbol)) ?? false;
  } catch (e) {
    ctx.reply(simpleMessage('⚠️', t(app, 'whitelist_market_unreachable', { symbol, error: app.scrub((e as Error).message).slice(0, 200) })));
    return;
  }
  const market = app.demo ? t(app, 'market_demo') : app.cfg.exchange.id;
  if (!listed) throw usage(app, 'err_whitelist_unlisted', { symbol, market });
  // Its history first: the scan needs its indicators warmed up before it can decide anything.
  await backfillSymbol(app, symbol);
  addSymbol(app, symbol);
  app.log.info({ symbol, by: ctx.user.name }, 'whitelist: symbol added');
  ctx.reply(simpleMessage('➕', t(app, 'whitelist_added', { symbol, symbols: app.cfg.symbols.join(', ') })));
}

function remove(ctx: CommandContext): void {
  const { app } = ctx;
  if (!traderOnly(ctx)) return;
  maxArgs(ctx, 2);
  const symbol = symbolArg(app, ctx.args[1]);
  if (app.cfg.symbols.length === 1) throw usage(app, 'err_whitelist_last', { symbol });
  const by = `${ctx.user.name} (${ctx.adapter})`;
  removeSymbol(app, symbol);
  // A proposal waiting for it would open what the trader just took off the list.
  const dropped = pendingProposals(app).filter((p) => p.symbol === symbol && p.status === 'pending');
  for (const p of dropped) rejectProposal(app, p.id, `${by}: removed from the whitelist`);
  app.log.info({ symbol, by: ctx.user.name, rejected: dropped.map((p) => p.id) }, 'whitelist: symbol removed');
  const lines = [t(app, 'whitelist_removed', { symbol, symbols: app.cfg.symbols.join(', ') })];
  const pos = openTrades(app.db).find((x) => x.symbol === symbol);
  if (pos) lines.push(t(app, 'whitelist_removed_position', { symbol, id: pos.id }));
  if (dropped.length) lines.push(t(app, 'whitelist_removed_proposals', { ids: dropped.map((p) => p.id).join(', ') }));
  ctx.reply(simpleMessage('➖', lines.join('\n')));
}

export const whitelist: Command = {
  name: 'whitelist',
  description: 'The traded symbols; add or remove one at runtime',
  usage: '/whitelist [add|remove <symbol>]',
  details: 'add: the symbol must be listed on the market (the exchange, or the demo market) in the account’s quote currency. remove: nothing new opens on it; an open position in it is still managed until it exits. Changes are kept across restarts; traders only.',
  role: 'viewer',
  options: [
    { name: 'action', description: 'add or remove (empty: show the list)', type: 'string', choices: ['add', 'remove'] },
    { name: 'symbol', description: 'e.g. LTC/USDT', type: 'string' },
  ],
  async run(ctx) {
    const action = ctx.args[0]?.toLowerCase();
    if (action === undefined) return show(ctx);
    if (action === 'add') return add(ctx);
    if (action === 'remove') return remove(ctx);
    throw usage(ctx.app, 'err_whitelist_action', { value: ctx.args[0] });
  },
};
