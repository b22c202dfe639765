import type { Command } from '../src/chat/command.js';
import { recentClosed } from '../src/reports/stats.js';
import { tradesMessage } from '../src/render/views.js';
import { intArg, maxArgs } from './args.js';

export const MAX_TRADES = 200;

export const trades: Command = {
  name: 'trades',
  description: 'The last closed trades with their PnL and exit reason',
  usage: '/trades [n]',
  details: `n: how many, 1-${MAX_TRADES} (default 10). Long lists arrive as several messages.`,
  role: 'viewer',
  options: [{ name: 'n', description: `how many trades, 1-${MAX_TRADES} (default 10)`, type: 'integer' }],
  run(ctx) {
    maxArgs(ctx, 1);
    const n = intArg(ctx.app, ctx.args[0], 'n', 1, MAX_TRADES) ?? 10;
    ctx.reply(tradesMessage(ctx.app.fmt, recentClosed(ctx.app, n)));
  },
};
