import type { Command } from '../src/chat/command.js';
import { simpleMessage } from '../src/render/views.js';
import { setKv } from '../src/store/kv.js';
import { autoApprove } from '../src/trading/live.js';
import { maxArgs, t, usage } from './args.js';

export const autoapprove: Command = {
  name: 'autoapprove',
  description: 'Execute proposals without asking above a confidence',
  usage: '/autoapprove on|off|<min confidence 0-1 or %>',
  details: 'Without an argument shows the setting. A number sets the minimum confidence and turns it on (0.8 or 80%).',
  role: 'trader',
  options: [{ name: 'value', description: 'on, off, or the minimum confidence (0.8 or 80%)', type: 'string' }],
  run(ctx) {
    maxArgs(ctx, 1);
    const cur = autoApprove(ctx.app);
    // A decimal comma is a decimal point (0,85 in Spanish), as /set already accepts.
    const a = ctx.args[0]?.toLowerCase().replace(',', '.');
    const { fmt } = ctx.app;
    if (a === undefined) {
      ctx.reply(simpleMessage('', t(ctx.app, 'autoapprove_show', { state: t(ctx.app, cur.on ? 'on' : 'off'), min: fmt.pct(cur.min, Number.isInteger(Math.round(cur.min * 1e6) / 1e4) ? 0 : 1) })));
      return;
    }
    let next = cur;
    if (a === 'on') next = { ...cur, on: true };
    else if (a === 'off') next = { ...cur, on: false };
    else {
      const m = /^(\d+(?:\.\d+)?)(%)?$/.exec(a);
      if (!m) throw usage(ctx.app, 'err_autoapprove', { value: ctx.args[0] });
      // 0.85 and 85% and 85 all mean 85%; a bare 1.5 could be 1.5% or a slip for 0.15: ask.
      if (!m[2] && Number(m[1]) > 1 && !Number.isInteger(Number(m[1]))) throw usage(ctx.app, 'err_autoapprove_ambiguous', { value: m[1] });
      const v = m[2] || Number(m[1]) > 1 ? Number(m[1]) / 100 : Number(m[1]);
      if (!(v > 0 && v <= 1)) throw usage(ctx.app, 'err_autoapprove_range');
      next = { on: true, min: v };
    }
    setKv(ctx.app.db, 'autoapprove', next);
    ctx.reply(simpleMessage('', t(ctx.app, 'autoapprove_set', { state: t(ctx.app, next.on ? 'on' : 'off'), min: fmt.pct(next.min, Number.isInteger(Math.round(next.min * 1e6) / 1e4) ? 0 : 1) })));
  },
};
