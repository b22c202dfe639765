import { UsageError, type Command } from '../src/chat/command.js';
import { renderTemplate } from '../src/render/template.js';

export const help: Command = {
  name: 'help',
  description: 'List commands, or explain one',
  usage: '/help [command]',
  role: 'viewer',
  async run(ctx) {
    const { COMMANDS } = await import('./index.js');
    const L = ctx.app.cfg.language;
    const wanted = ctx.args[0]?.replace(/^\//, '').toLowerCase();
    if (wanted) {
      const c = COMMANDS.find((x) => x.name === wanted);
      if (!c) throw new UsageError(`no command /${wanted}`);
      ctx.reply({ rich: renderTemplate(L, 'help_command', { name: c.name, description: c.description, usage: c.usage, details: c.details, role: c.role }) });
      return;
    }
    const visible = COMMANDS.filter((c) => ctx.role === 'trader' || c.role === 'viewer');
    const lines = visible.map((c) => `${c.usage} — ${c.description}${c.role === 'trader' ? ' 🔑' : ''}`).join('\n');
    ctx.reply({ rich: renderTemplate(L, 'help', { role: ctx.role === 'trader' ? 'trader 🔑' : 'viewer 👀', commands: lines }) });
  },
};
