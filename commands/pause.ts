import type { Command } from '../src/chat/command.js';
import { simpleMessage } from '../src/render/views.js';
import { getKv, setKv } from '../src/store/kv.js';
import { rearmKillSwitch } from '../src/trading/live.js';
import { maxArgs, t } from './args.js';

export const pause: Command = {
  name: 'pause',
  description: 'Stop opening new trades (open ones are still managed)',
  usage: '/pause',
  role: 'trader',
  options: [],
  run(ctx) {
    maxArgs(ctx, 0);
    if (getKv(ctx.app.db, 'paused', false)) {
      ctx.reply(simpleMessage('', t(ctx.app, 'pause_already')));
      return;
    }
    setKv(ctx.app.db, 'paused', true);
    ctx.reply(simpleMessage('', t(ctx.app, 'pause_done')));
  },
};

export const resume: Command = {
  name: 'resume',
  description: 'Allow opening trades again (and re-arm a tripped kill switch)',
  usage: '/resume',
  role: 'trader',
  options: [],
  run(ctx) {
    maxArgs(ctx, 0);
    setKv(ctx.app.db, 'paused', false);
    const k = rearmKillSwitch(ctx.app);
    const f = ctx.app.fmt;
    const rearmed = k ? '\n' + t(ctx.app, 'resume_kill_switch', { dd: f.pct(k.drawdown, 1), peak: f.money(k.peak), equity: f.money(k.equity) }) : '';
    ctx.reply(simpleMessage('', t(ctx.app, 'resume_done') + rearmed));
  },
};
