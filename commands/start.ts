import type { Command } from '../src/chat/command.js';
import { renderTemplate } from '../src/render/template.js';

export const start: Command = {
  name: 'start',
  description: 'Introduction and what to try first',
  usage: '/start',
  role: 'viewer',
  run(ctx) {
    const { cfg } = ctx.app;
    ctx.reply({
      rich: renderTemplate(cfg.language, 'start', {
        mode: cfg.mode,
        market: ctx.app.demo ? 'demo (seeded)' : cfg.exchange.id,
        symbols: cfg.symbols.join(', '),
        user: ctx.user.name,
        role: ctx.role,
      }),
    });
  },
};
