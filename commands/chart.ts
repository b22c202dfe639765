import type { Command } from '../src/chat/command.js';
import { CHART_CANDLES, marketChart } from '../src/reports/charts.js';
import { chartMessage, simpleMessage } from '../src/render/views.js';
import { lastCandles } from '../src/store/candles.js';
import { openTrades } from '../src/trading/account.js';
import { maxArgs, symbolArg, t, usage } from './args.js';

export const chart: Command = {
  name: 'chart',
  description: 'Candle chart of a symbol with indicators, trades and the open position',
  usage: '/chart <symbol> [timeframe]',
  details: 'From the candle cache; the timeframe, when given, must be the configured one.',
  role: 'viewer',
  options: [
    { name: 'symbol', description: 'e.g. BTC/USDT', type: 'string', required: true },
    { name: 'timeframe', description: 'the configured timeframe (e.g. 1h)', type: 'string' },
  ],
  async run(ctx) {
    maxArgs(ctx, 2);
    const { app } = ctx;
    const symbol = symbolArg(app, ctx.args[0]);
    const tf = app.cfg.timeframe;
    const want = ctx.args[1]?.toLowerCase();
    if (want !== undefined && want !== tf.toLowerCase()) throw usage(app, 'err_timeframe', { timeframe: tf, value: ctx.args[1] });
    const candles = lastCandles(app.db, symbol, tf, CHART_CANDLES);
    if (candles.length === 0) {
      ctx.reply(simpleMessage('', t(app, 'chart_no_data', { symbol })));
      return;
    }
    const image = await marketChart(app, symbol, `${symbol} ${tf}`);
    const pos = openTrades(app.db).find((x) => x.symbol === symbol);
    ctx.reply(
      chartMessage(
        app.fmt,
        {
          symbol,
          timeframe: tf,
          candles: candles.length,
          first: candles[0].open,
          last: candles[candles.length - 1].close,
          high: Math.max(...candles.map((c) => c.high)),
          low: Math.min(...candles.map((c) => c.low)),
          position: pos,
        },
        image,
      ),
    );
  },
};
