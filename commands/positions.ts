import type { Command } from '../src/chat/command.js';
import { exposure, marketNow } from '../src/reports/stats.js';
import { positionsMessage } from '../src/render/views.js';
import { openTrades } from '../src/trading/account.js';
import { lastPrices } from '../src/trading/live.js';
import { maxArgs } from './args.js';

export const positions: Command = {
  name: 'positions',
  description: 'Open positions with live PnL, stop and target',
  usage: '/positions',
  role: 'viewer',
  options: [],
  run(ctx) {
    maxArgs(ctx, 0);
    const { app } = ctx;
    const prices = lastPrices(app);
    const ex = exposure(app);
    ctx.reply(
      positionsMessage(app.fmt, {
        time: marketNow(app),
        positions: openTrades(app.db).map((t) => ({ ...t, price: prices[t.symbol] })),
        exposure: ex.fraction,
        limit: ex.limit,
      }),
    );
  },
};
