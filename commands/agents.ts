import type { Command } from '../src/chat/command.js';
import { agentStandings, recentClosed } from '../src/reports/stats.js';
import { marketChart } from '../src/reports/charts.js';
import { agentMessage, agentName, agentsMessage } from '../src/render/views.js';
import { openTrades } from '../src/trading/account.js';
import { agentStateFor, lastPrices } from '../src/trading/live.js';
import { pendingProposals } from '../src/trading/proposals.js';
import { maxArgs, symbolArg } from './args.js';

export const agents: Command = {
  name: 'agents',
  description: 'Every agent: strategy, trades, win rate, PnL, drawdown, what it is doing, whether it may propose',
  usage: '/agents',
  details: 'From the closed trades in the database and the live agents. DD is the deepest fall of the starting balance plus that agent\'s cumulative PnL.',
  role: 'viewer',
  options: [],
  run(ctx) {
    maxArgs(ctx, 0);
    ctx.reply(agentsMessage(ctx.app.fmt, { time: ctx.app.now(), agents: agentStandings(ctx.app).map((a) => ({ ...a, edge: agentStateFor(ctx.app, a.symbol).edge, fit: agentStateFor(ctx.app, a.symbol).fit })), requireEdge: ctx.app.cfg.training.require_edge }));
  },
};

export const agent: Command = {
  name: 'agent',
  description: 'One agent in detail: record, position, recent trades, training verdict, calibration, chart',
  usage: '/agent <symbol>',
  details: 'symbol: BTC/USDT, BTCUSDT or BTC.',
  role: 'viewer',
  options: [{ name: 'symbol', description: 'e.g. BTC/USDT', type: 'string', required: true }],
  async run(ctx) {
    maxArgs(ctx, 1);
    const { app } = ctx;
    const symbol = symbolArg(app, ctx.args[0]);
    const standing = agentStandings(app).find((a) => a.symbol === symbol)!;
    const state = agentStateFor(app, symbol);
    const pos = openTrades(app.db).find((t) => t.symbol === symbol);
    const proposal = pendingProposals(app).find((p) => p.symbol === symbol);
    const image = await marketChart(app, symbol, `${agentName(symbol)} · ${state.strategy} · ${app.cfg.timeframe}`);
    ctx.reply(
      agentMessage(
        app.fmt,
        {
          symbol,
          strategy: state.strategy,
          timeframe: app.cfg.timeframe,
          activity: standing.activity,
          trades: standing.trades,
          winRate: standing.winRate,
          pnl: standing.pnl,
          maxDrawdown: standing.maxDrawdown,
          position: pos ? { ...pos, price: lastPrices(app)[symbol] } : undefined,
          proposal,
          recent: recentClosed(app, 5, symbol),
          qStates: Object.keys(state.q ?? {}).length,
          episodes: state.episodes ?? 0,
          weights: state.weights ?? {},
          learned: state,
          requireEdge: app.cfg.training.require_edge,
        },
        image,
      ),
    );
  },
};
