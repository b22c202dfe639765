import { UsageError, type Command } from '../src/chat/command.js';
import { simpleMessage } from '../src/render/views.js';
import { setKv } from '../src/store/kv.js';
import { autoApprove } from '../src/trading/live.js';

export const autoapprove: Command = {
  name: 'autoapprove',
  description: 'Execute proposals without asking above a confidence',
  usage: '/autoapprove on|off|<min confidence 0-1 or %>',
  details: 'Without an argument shows the setting. A number sets the minimum confidence and turns it on (0.8 or 80%).',
  role: 'trader',
  run(ctx) {
    const cur = autoApprove(ctx.app);
    const a = ctx.args[0]?.toLowerCase();
    const { fmt } = ctx.app;
    if (a === undefined) {
      ctx.reply(simpleMessage('🤝', `Auto-approve is ${cur.on ? 'ON' : 'OFF'} (minimum confidence ${fmt.pct(cur.min, 0)}).`));
      return;
    }
    let next = cur;
    if (a === 'on') next = { ...cur, on: true };
    else if (a === 'off') next = { ...cur, on: false };
    else {
      const m = /^(\d+(?:\.\d+)?)(%)?$/.exec(a);
      if (!m) throw new UsageError(`"${ctx.args[0]}" is not on, off or a confidence`);
      const v = m[2] || Number(m[1]) > 1 ? Number(m[1]) / 100 : Number(m[1]);
      if (!(v > 0 && v <= 1)) throw new UsageError('the minimum confidence must be between 0 and 1 (or 1% and 100%)');
      next = { on: true, min: v };
    }
    setKv(ctx.app.db, 'autoapprove', next);
    ctx.reply(simpleMessage('🤝', `Auto-approve is now ${next.on ? 'ON' : 'OFF'} (minimum confidence ${fmt.pct(next.min, 0)}).`));
  },
};
