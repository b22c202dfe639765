import { parseIntArg, UsageError, type Command, type CommandContext } from '../src/chat/command.js';
import { str } from '../src/render/template.js';
import { simpleMessage } from '../src/render/views.js';
import { candleCount } from '../src/store/candles.js';
import { timeframeMs } from '../src/market/timeframe.js';
import type { Reporter } from '../src/training/trainer.js';

function reporterFor(ctx: CommandContext): Reporter {
  return { send: (m) => ctx.reply(m), edit: (id, m) => ctx.edit(id, m) };
}

export const train: Command = {
  name: 'train',
  description: 'Train the crew on history in cycles, with progress and summaries',
  usage: '/train [days] [symbols] [cycle_hours] | /train status | /train resume',
  details: 'days: 1-3650 (default from config); symbols: comma separated, e.g. BTC/USDT,ETH/USDT (default: all); cycle_hours: length of one cycle (default 24). One run at a time.',
  role: 'trader',
  run(ctx) {
    const { app } = ctx;
    const L = app.cfg.language;
    const sub = ctx.args[0]?.toLowerCase();
    const cur = app.trainer.current();
    if (sub === 'status') {
      if (cur) ctx.reply(simpleMessage('🎓', str(L, 'train_busy', { runId: cur.runId, done: cur.done, total: cur.total })));
      else {
        const l = app.trainer.latest();
        if (!l) ctx.reply(simpleMessage('', str(L, 'train_none')));
        else {
          const p = l.result?.final.portfolio;
          const res = p ? ` · return ${app.fmt.signedPct(p.totalReturn)}, Sharpe ${app.fmt.num(p.sharpe)}, ${p.trades} trades, win rate ${app.fmt.pct(p.winRate, 0)}` : '';
          ctx.reply(simpleMessage('🎓', `Last run ${l.id}: ${l.status}, ${l.done}/${l.total} cycles${res}`));
        }
      }
      return;
    }
    if (cur) {
      ctx.reply(simpleMessage('', str(L, 'train_busy', { runId: cur.runId, done: cur.done, total: cur.total })));
      return;
    }
    if (sub === 'resume') {
      const id = app.trainer.interrupted();
      if (!id) throw new UsageError('there is no interrupted run to resume');
      app.trainer.resume(id, reporterFor(ctx));
      ctx.reply(simpleMessage('🎓', `Resuming training ${id} from its last checkpoint.`));
      return;
    }
    if (ctx.args.length > 3) throw new UsageError('too many arguments');
    const days = parseIntArg(ctx.args[0], 'days', 1, 3650) ?? app.cfg.training.days_back;
    let symbols = app.cfg.symbols;
    if (ctx.args[1]) {
      symbols = ctx.args[1].split(',').map((s) => s.trim().toUpperCase()).filter(Boolean);
      const unknown = symbols.filter((s) => !app.cfg.symbols.includes(s));
      if (unknown.length) throw new UsageError(`unknown symbol ${unknown.join(', ')} (the crew trades ${app.cfg.symbols.join(', ')})`);
    }
    const cycleHours = parseIntArg(ctx.args[2], 'cycle_hours', 1, 24 * 365) ?? app.cfg.training.cycle_size_hours;
    const tfMs = timeframeMs(app.cfg.timeframe);
    const need = Math.ceil((days * 86_400_000) / tfMs);
    const have = Math.min(...symbols.map((s) => candleCount(app.db, s, app.cfg.timeframe)));
    if (have < Math.min(need, 50)) {
      ctx.reply(simpleMessage('', str(L, 'train_no_data', { symbols: symbols.join(', '), have, need })));
      return;
    }
    const { runId, cycles } = app.trainer.start({ days, symbols, cycleHours }, reporterFor(ctx));
    ctx.reply(simpleMessage('', str(L, 'train_started', { days, symbols: symbols.join(', '), cycles, hours: cycleHours, runId })));
  },
};

export const stopTraining: Command = {
  name: 'stop_training',
  description: 'Stop the running training after its current cycle (checkpointed)',
  usage: '/stop_training',
  role: 'trader',
  run(ctx) {
    const cur = ctx.app.trainer.current();
    if (!ctx.app.trainer.stop() || !cur) {
      ctx.reply(simpleMessage('ℹ️', 'No training is running.'));
      return;
    }
    ctx.reply(simpleMessage('⏹️', `Stopping training ${cur.runId} after cycle ${cur.done + 1}/${cur.total}…`));
  },
};
