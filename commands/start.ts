import type { Command } from '../src/chat/command.js';
import { renderTemplate, str } from '../src/render/template.js';

export const start: Command = {
  name: 'start',
  description: 'Introduction and what to try first',
  usage: '/start',
  role: 'viewer',
  options: [],
  run(ctx) {
    const { cfg } = ctx.app;
    ctx.reply({
      rich: renderTemplate(cfg.language, 'start', {
        mode: cfg.mode,
        market: ctx.app.demo ? str(cfg.language, 'market_demo') : cfg.exchange.id,
        symbols: cfg.symbols.join(', '),
        user: ctx.user.name,
        role: str(cfg.language, ctx.role === 'trader' ? 'role_trader' : 'role_viewer'),
        // A viewer cannot train: suggest what a viewer can do.
        tip: str(cfg.language, ctx.role === 'trader' ? 'start_tip_trader' : 'start_tip_viewer'),
      }),
    });
  },
};
