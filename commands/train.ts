import type { Command, CommandContext } from '../src/chat/command.js';
import { plural, str } from '../src/render/template.js';
import { simpleMessage } from '../src/render/views.js';
import { candleCount, firstCandleTs, lastCandleTs } from '../src/store/candles.js';
import { WARMUP_CANDLES } from '../src/training/run.js';
import { timeframeMs } from '../src/market/timeframe.js';
import type { Reporter } from '../src/training/trainer.js';
import { intArg, t, usage } from './args.js';
import { manifestOf } from '../src/training/manifest.js';

function reporterFor(ctx: CommandContext): Reporter {
  return { send: (m) => ctx.reply(m), edit: (id, m) => ctx.edit(id, m) };
}

export const train: Command = {
  name: 'train',
  description: 'Train the crew on history in cycles, with progress and summaries',
  usage: '/train [days] [symbols] [cycle_hours] | /train status [run id] | /train resume',
  details: 'days: 1-3650 (default from config); symbols: comma separated, e.g. BTC/USDT,ETH/USDT (default: all); cycle_hours: length of one cycle (default 24). One run at a time.',
  role: 'trader',
  run(ctx) {
    const { app } = ctx;
    const L = app.cfg.language;
    const sub = ctx.args[0]?.toLowerCase();
    const cur = app.trainer.current();
    if (sub === 'status' && ctx.args[1]) {
      // One run's manifest: what it was, on what data, and how to replay it.
      const id = ctx.args[1];
      const m = manifestOf(app.db, id);
      if (!m) throw usage(app, 'err_train_no_run', { runId: id });
      if (!m.manifest) {
        ctx.reply(simpleMessage('', t(app, 'train_manifest_none', { runId: id, status: m.status })));
        return;
      }
      const x = m.manifest;
      const data = Object.entries(x.data).map(([s, d]) => `${s} ${d.timeframe}: ${d.candles} (${d.from !== null ? app.fmt.day(d.from) : '–'} → ${d.to !== null ? app.fmt.day(d.to) : '–'}), sha256 ${d.sha256.slice(0, 12)}`).join('\n');
      const search = x.search ? t(app, 'train_manifest_search', { n: x.search.configurationsPerRefit, refits: x.search.refits, strategies: x.search.strategies.join(', ') }) : t(app, 'train_manifest_no_search');
      ctx.reply(simpleMessage('🧾', t(app, 'train_manifest', { runId: id, status: m.status, strategy: x.strategy, seed: x.seed, version: x.code.version, commit: x.code.commit ? ` (${x.code.commit.slice(0, 10)})` : '', data, search, replay: x.replayOf ? t(app, 'train_manifest_replay_of', { runId: x.replayOf }) : '' })));
      return;
    }
    if (sub === 'status') {
      if (cur) {
        // The run itself, not a pointer back to this command.
        const elapsed = app.now() - cur.startedAt;
        const eta = cur.done > 0 && (cur.done / cur.total >= 0.05 || elapsed >= 10_000) ? app.fmt.duration((elapsed / cur.done) * (cur.total - cur.done)) : '…';
        const line = str(L, 'train_status_running', { runId: cur.runId, done: cur.done, total: cur.total, pct: app.fmt.pct(cur.total ? cur.done / cur.total : 0, 0), elapsed: app.fmt.duration(elapsed), eta });
        // A distributed run: how its refits advance and how many workers take them.
        const refits = cur.refits ? plural(L, cur.refits.where === 'threads' ? 'train_status_threads' : 'train_status_refits', cur.refits.workers, { done: cur.refits.done, total: cur.refits.total }) : null;
        ctx.reply(simpleMessage('', refits ? `${line}\n${refits}` : line));
      }
      else {
        const l = app.trainer.latest();
        if (!l) ctx.reply(simpleMessage('', str(L, 'train_none')));
        else {
          const p = l.result?.final.portfolio;
          const result = p ? t(app, 'train_last_result', { ret: app.fmt.signedPct(p.totalReturn), sharpe: app.fmt.num(p.sharpe), trades: p.trades, winRate: app.fmt.pct(p.winRate, 0) }) : '';
          ctx.reply(simpleMessage('', t(app, 'train_last', { runId: l.id, status: l.status, done: l.done, total: l.total, result })));
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
      if (!id) throw usage(app, 'err_train_resume');
      app.trainer.resume(id, reporterFor(ctx));
      ctx.reply(simpleMessage('', t(app, 'train_resuming', { runId: id })));
      return;
    }
    if (ctx.args.length > 3) throw usage(app, 'err_too_many');
    let days = intArg(app, ctx.args[0], 'days', 1, 3650) ?? app.cfg.training.days_back;
    let symbols = app.cfg.symbols;
    if (ctx.args[1]) {
      symbols = ctx.args[1].split(',').map((s) => s.trim().toUpperCase()).filter(Boolean);
      const unknown = symbols.filter((s) => !app.cfg.symbols.includes(s));
      if (unknown.length) throw usage(app, 'err_train_symbol', { value: unknown.join(', '), symbols: app.cfg.symbols.join(', ') });
    }
    const cycleHours = intArg(app, ctx.args[2], 'cycle_hours', 1, 24 * 365) ?? app.cfg.training.cycle_size_hours;
    const tfMs = timeframeMs(app.cfg.timeframe);
    // Training covers the history there is (after the indicators' warm-up), and says so: 365
    // days asked of a 120-day history used to run 245 empty cycles and still say "365 days".
    const asked = days;
    const spans = symbols.map((s) => {
      const first = firstCandleTs(app.db, s, app.cfg.timeframe);
      const last = lastCandleTs(app.db, s, app.cfg.timeframe);
      return first === null || last === null ? 0 : Math.floor((last - first - WARMUP_CANDLES * tfMs) / 86_400_000);
    });
    const available = Math.min(...spans);
    if (available >= 1 && days > available) days = available;
    const need = Math.ceil((days * 86_400_000) / tfMs);
    const have = Math.min(...symbols.map((s) => candleCount(app.db, s, app.cfg.timeframe)));
    if (have < Math.min(need, 50)) {
      ctx.reply(simpleMessage('', str(L, 'train_no_data', { symbols: symbols.join(', '), have, need })));
      return;
    }
    const { runId, cycles } = app.trainer.start({ days, symbols, cycleHours }, reporterFor(ctx));
    const clipped = days < asked ? str(L, 'train_clipped', { asked, days }) : '';
    ctx.reply(simpleMessage('', str(L, 'train_started', { days, symbols: symbols.join(', '), cycles, hours: cycleHours, runId }) + clipped));
  },
};

export const stopTraining: Command = {
  name: 'stop_training',
  description: 'Stop the running training after its current cycle (checkpointed)',
  usage: '/stop_training',
  role: 'trader',
  options: [],
  run(ctx) {
    const cur = ctx.app.trainer.current();
    if (!ctx.app.trainer.stop() || !cur) {
      ctx.reply(simpleMessage('', t(ctx.app, 'training_not_running')));
      return;
    }
    ctx.reply(simpleMessage('', t(ctx.app, 'training_stopping', { runId: cur.runId, next: cur.done + 1, total: cur.total })));
  },
};
