import type { Command } from '../src/chat/command.js';
import { simpleMessage } from '../src/render/views.js';
import { logRingOf } from '../src/util/logger.js';
import { readableLogLine } from '../src/util/log-ring.js';
import { intArg, maxArgs, t } from './args.js';

export const MAX_LOG_LINES = 200;

/**
 * The newest lines of the bot's log, from the in-memory tail the logger keeps (src/util/log-ring.ts).
 * Traders only: a log says more about the bot (order ids, errors) than a viewer needs. Every line
 * is scrubbed of secrets when kept and again here; a long answer is split at line boundaries by the
 * chat layer (Telegram 4096, Discord 2000), each line already clipped to 1000 characters.
 */
export const logs: Command = {
  name: 'logs',
  description: 'The last lines of the bot’s log',
  usage: '/logs [n]',
  details: `n: 1-${MAX_LOG_LINES} lines (default 20), newest last. Secrets are removed from every line.`,
  role: 'trader',
  options: [{ name: 'n', description: `lines, 1-${MAX_LOG_LINES} (default 20)`, type: 'integer' }],
  run(ctx) {
    maxArgs(ctx, 1);
    const { app } = ctx;
    const n = intArg(app, ctx.args[0], 'n', 1, MAX_LOG_LINES) ?? 20;
    const ring = logRingOf(app.log);
    if (!ring) {
      ctx.reply(simpleMessage('📜', t(app, 'logs_off')));
      return;
    }
    const lines = ring.tail(n).map((l) => app.scrub(readableLogLine(l, app.fmt.time)));
    if (!lines.length) {
      ctx.reply(simpleMessage('📜', t(app, 'logs_none', { level: app.cfg.log_level })));
      return;
    }
    ctx.reply(simpleMessage('📜', `${t(app, 'logs_title', { n: lines.length, level: app.cfg.log_level })}\n${lines.join('\n')}`));
  },
};
