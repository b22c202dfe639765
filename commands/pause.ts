import type { Command } from '../src/chat/command.js';
import { simpleMessage } from '../src/render/views.js';
import { setKv } from '../src/store/kv.js';
import { maxArgs, t } from './args.js';

export const pause: Command = {
  name: 'pause',
  description: 'Stop opening new trades (open ones are still managed)',
  usage: '/pause',
  role: 'trader',
  options: [],
  run(ctx) {
    maxArgs(ctx, 0);
    setKv(ctx.app.db, 'paused', true);
    ctx.reply(simpleMessage('', t(ctx.app, 'pause_done')));
  },
};

export const resume: Command = {
  name: 'resume',
  description: 'Allow opening trades again',
  usage: '/resume',
  role: 'trader',
  options: [],
  run(ctx) {
    maxArgs(ctx, 0);
    setKv(ctx.app.db, 'paused', false);
    ctx.reply(simpleMessage('', t(ctx.app, 'resume_done')));
  },
};
