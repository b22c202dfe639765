import type { App } from '../src/app/context.js';
import type { Command } from '../src/chat/command.js';
import { simpleMessage } from '../src/render/views.js';
import { str } from '../src/render/template.js';
import { accountBlocks, releaseCooldowns, symbolLocks, type AccountBlock, type SymbolLock } from '../src/trading/locks.js';
import { maxArgs, symbolArg, t, usage } from './args.js';

/** A time on the clock the views use, saying so with the demo market. */
function when(app: App, ts: number): string {
  return app.fmt.dateTime(ts) + (app.demo ? ` ${str(app.cfg.language, 'market_clock')}` : '');
}

function symbolLockLine(app: App, l: SymbolLock): string {
  if (l.kind === 'cooldown') return t(app, 'lock_cooldown', { symbol: l.symbol, since: l.since, cooldown: l.cooldown, until: when(app, l.until) });
  return t(app, l.status === 'approved' ? 'lock_proposal_resting' : 'lock_proposal', { symbol: l.symbol, id: l.proposalId, until: when(app, l.until) });
}

function accountBlockLine(app: App, b: AccountBlock): string {
  const f = app.fmt;
  switch (b.kind) {
    case 'paused':
      return t(app, 'lock_paused');
    case 'kill_switch':
      return t(app, 'lock_kill_switch', { dd: f.pct(b.drawdown, 1), limit: f.pct(b.limit, 1) });
    case 'daily_loss_limit':
      return t(app, 'lock_daily_loss', { limit: f.pct(b.limit, 1), until: when(app, b.until) });
    case 'max_open_positions':
      return t(app, 'lock_max_open', { open: b.open, max: b.max });
    case 'daily_trade_limit':
      return t(app, 'lock_daily_trades', { entries: b.entries, max: b.max, until: when(app, b.until) });
  }
}

export const locks: Command = {
  name: 'locks',
  description: 'What keeps symbols from opening new trades, and until when',
  usage: '/locks',
  details: 'Cooldowns after an exit (/unlock ends them), proposals waiting for a decision, and the account-wide limits.',
  role: 'viewer',
  options: [],
  run(ctx) {
    maxArgs(ctx, 0);
    const { app } = ctx;
    const sym = symbolLocks(app);
    const acct = accountBlocks(app);
    if (!sym.length && !acct.length) {
      ctx.reply(simpleMessage('🔓', t(app, 'locks_none')));
      return;
    }
    const parts = [t(app, 'locks_title')];
    if (sym.length) parts.push(t(app, 'locks_symbols'), ...sym.map((l) => `• ${symbolLockLine(app, l)}`));
    if (acct.length) parts.push(t(app, 'locks_account'), ...acct.map((b) => `• ${accountBlockLine(app, b)}`));
    ctx.reply(simpleMessage('🔒', parts.join('\n')));
  },
};

export const unlock: Command = {
  name: 'unlock',
  description: 'End the cooldown of a symbol (or of all) so it may trade at its next signal',
  usage: '/unlock <symbol|all>',
  details: 'Ends cooldowns only: a waiting proposal is decided with /approve or /reject, the pause and the kill switch with /resume. Kept across restarts.',
  role: 'trader',
  options: [{ name: 'symbol', description: 'a symbol, or all', type: 'string', required: true }],
  run(ctx) {
    maxArgs(ctx, 1);
    const { app } = ctx;
    const raw = ctx.args[0];
    if (!raw) throw usage(app, 'err_unlock_target', { symbols: app.cfg.symbols.join(', ') });
    const targets = raw.toLowerCase() === 'all' ? app.cfg.symbols : [symbolArg(app, raw)];
    const released = releaseCooldowns(app, targets, `${ctx.user.name} (${ctx.adapter})`);
    // What still blocks these symbols after the release, said with its own way out.
    const left = symbolLocks(app).filter((l) => targets.includes(l.symbol));
    const lines: string[] = [];
    for (const l of released) lines.push(t(app, 'unlock_done', { symbol: l.symbol, exit: when(app, l.exitCandleTs) }));
    if (!released.length) lines.push(raw.toLowerCase() === 'all' ? t(app, 'unlock_nothing_all') : t(app, 'unlock_nothing', { symbol: targets[0] }));
    for (const l of left) lines.push(`• ${symbolLockLine(app, l)}`);
    const acct = accountBlocks(app);
    if (acct.length) lines.push(t(app, 'unlock_account_still'), ...acct.map((b) => `• ${accountBlockLine(app, b)}`));
    ctx.reply(simpleMessage(released.length ? '🔓' : 'ℹ️', lines.join('\n')));
  },
};
