import type { Command } from '../src/chat/command.js';
import { simpleMessage } from '../src/render/views.js';
import { setKv } from '../src/store/kv.js';

export const pause: Command = {
  name: 'pause',
  description: 'Stop opening new trades (open ones are still managed)',
  usage: '/pause',
  role: 'trader',
  run(ctx) {
    setKv(ctx.app.db, 'paused', true);
    ctx.reply(simpleMessage('⏸️', 'Paused: no new trades will be opened. Stops, targets and exits keep running. /resume to restart.'));
  },
};

export const resume: Command = {
  name: 'resume',
  description: 'Allow opening trades again',
  usage: '/resume',
  role: 'trader',
  run(ctx) {
    setKv(ctx.app.db, 'paused', false);
    ctx.reply(simpleMessage('▶️', 'Resumed: the crew may open trades again.'));
  },
};
