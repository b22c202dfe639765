import type { Command } from '../src/chat/command.js';
import { dailySummaryMessage } from '../src/reports/daily.js';
import { marketNow, periods } from '../src/reports/stats.js';
import { periodsMessage } from '../src/render/views.js';
import { intArg, maxArgs } from './args.js';

export const daily: Command = {
  name: 'daily',
  description: "Today's full summary, or a table of the last n days",
  usage: '/daily [n]',
  details: "n: 1-90 days (default 1: today's summary with the equity chart, positions, proposals and agents).",
  role: 'viewer',
  options: [{ name: 'n', description: 'days, 1-90 (default 1 = today in full)', type: 'integer' }],
  async run(ctx) {
    maxArgs(ctx, 1);
    const { app } = ctx;
    const n = intArg(app, ctx.args[0], 'n', 1, 90) ?? 1;
    if (n === 1) ctx.reply(await dailySummaryMessage(app, app.fmt.dayStart(marketNow(app))));
    else ctx.reply(periodsMessage(app.fmt, 'day', periods(app, 'day', n)));
  },
};

export const weekly: Command = {
  name: 'weekly',
  description: 'Trades, win rate and PnL of the last n weeks',
  usage: '/weekly [n]',
  details: 'n: 1-52 weeks (default 4). Weeks start on Monday in the configured timezone.',
  role: 'viewer',
  options: [{ name: 'n', description: 'weeks, 1-52 (default 4)', type: 'integer' }],
  run(ctx) {
    maxArgs(ctx, 1);
    const n = intArg(ctx.app, ctx.args[0], 'n', 1, 52) ?? 4;
    ctx.reply(periodsMessage(ctx.app.fmt, 'week', periods(ctx.app, 'week', n)));
  },
};

export const monthly: Command = {
  name: 'monthly',
  description: 'Trades, win rate and PnL of the last n months',
  usage: '/monthly [n]',
  details: 'n: 1-36 months (default 6). Months start on the 1st at midnight in the configured timezone (with the demo market, on its clock).',
  role: 'viewer',
  options: [{ name: 'n', description: 'months, 1-36 (default 6)', type: 'integer' }],
  run(ctx) {
    maxArgs(ctx, 1);
    const n = intArg(ctx.app, ctx.args[0], 'n', 1, 36) ?? 6;
    ctx.reply(periodsMessage(ctx.app.fmt, 'month', periods(ctx.app, 'month', n)));
  },
};
