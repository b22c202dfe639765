import type { Command } from '../src/chat/command.js';
import { closedIn, exposure, tradeStats } from '../src/reports/stats.js';
import { balanceMessage } from '../src/render/views.js';
import { getKv } from '../src/store/kv.js';
import { getBalance, openTrades } from '../src/trading/account.js';
import { currentEquity } from '../src/trading/live.js';
import { maxArgs } from './args.js';

export const balance: Command = {
  name: 'balance',
  description: 'Cash, equity, return, fees and exposure',
  usage: '/balance',
  role: 'viewer',
  options: [],
  run(ctx) {
    maxArgs(ctx, 0);
    const { app } = ctx;
    const cash = getBalance(app.db, app.cfg.starting_balance);
    const equity = currentEquity(app);
    const all = tradeStats(closedIn(app, 0, Number.MAX_SAFE_INTEGER));
    const ex = exposure(app);
    ctx.reply(
      balanceMessage(app.fmt, {
        time: app.now(),
        mode: app.cfg.mode,
        broker: app.broker.name,
        cash,
        equity,
        starting: app.cfg.starting_balance,
        realised: all.pnl,
        // Both sides of closed trades, plus the entry fee of open ones (already paid).
        fees: all.fees + openTrades(app.db).reduce((a, x) => a + x.entry_fee, 0),
        notional: ex.notional,
        exposure: ex.fraction,
        limit: ex.limit,
        peak: Math.max(getKv(app.db, 'account.peak', app.cfg.starting_balance), equity),
      }),
    );
  },
};
