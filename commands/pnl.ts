import type { Command } from '../src/chat/command.js';
import { barsImage } from '../src/reports/charts.js';
import { closedIn, periods, tradeStats, unrealisedPnl } from '../src/reports/stats.js';
import { pnlMessage } from '../src/render/views.js';
import { openTrades } from '../src/trading/account.js';
import { currentEquity, lastPrices } from '../src/trading/live.js';
import { intArg, maxArgs, t } from './args.js';

export const pnl: Command = {
  name: 'pnl',
  description: 'Profit and loss over the last days, by day, with a chart',
  usage: '/pnl [days]',
  details: 'days: 1-365 (default 7). Days start at midnight in the configured timezone.',
  role: 'viewer',
  options: [{ name: 'days', description: 'how many days back, 1-365 (default 7)', type: 'integer' }],
  async run(ctx) {
    maxArgs(ctx, 1);
    const { app } = ctx;
    const days = intArg(app, ctx.args[0], 'days', 1, 365) ?? 7;
    const byDay = periods(app, 'day', days);
    const from = byDay[byDay.length - 1].start;
    const s = tradeStats(closedIn(app, from, Number.MAX_SAFE_INTEGER));
    const prices = lastPrices(app);
    const upnl = openTrades(app.db).reduce((a, x) => a + unrealisedPnl(x, prices[x.symbol]), 0);
    const bars = [...byDay].reverse().map((d) => ({ label: app.fmt.day(d.start), value: d.pnl }));
    const image = await barsImage(app, `pnl-${days}`, t(app, 'pnl_chart_title', { days }), bars);
    ctx.reply(
      pnlMessage(
        app.fmt,
        { days, pnl: s.pnl, trades: s.trades, winRate: s.winRate, fees: s.fees, best: s.best, worst: s.worst, upnl, equity: currentEquity(app), startingBalance: app.cfg.starting_balance, byDay },
        image,
      ),
    );
  },
};
