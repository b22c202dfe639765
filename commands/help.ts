import { usageIn, type Command } from '../src/chat/command.js';
import { renderTemplate, str } from '../src/render/template.js';
import { STRATEGY_NAMES } from '../src/config/schema.js';
import { CHAT_SETTABLE } from '../src/risk/settings.js';
import { tOr, usage } from './args.js';

/** Lists the translated details may name (kept out of the translations so they never drift). */
const DETAIL_VARS = { keys: CHAT_SETTABLE.join(', '), strategies: STRATEGY_NAMES.join(', ') };

/** A command's one-line description in the chat's language (templates/<lang>/strings.txt `cmd.<name>`). */
export const describe = (lang: string, c: Pick<Command, 'name' | 'description'>) => tOr(lang, `cmd.${c.name}`, c.description);

export const help: Command = {
  name: 'help',
  description: 'List commands, or explain one',
  usage: '/help [command]',
  role: 'viewer',
  options: [{ name: 'command', description: 'a command name, e.g. close', type: 'string' }],
  async run(ctx) {
    const { COMMANDS } = await import('./index.js');
    const L = ctx.app.cfg.language;
    const wanted = ctx.args[0]?.replace(/^\//, '').toLowerCase();
    if (wanted) {
      const c = COMMANDS.find((x) => x.name === wanted);
      if (!c) throw usage(ctx.app, 'err_no_command', { command: wanted });
      ctx.reply({
        rich: renderTemplate(L, 'help_command', {
          name: c.name,
          description: describe(L, c),
          usage: usageIn(L, c),
          details: c.details === undefined ? undefined : tOr(L, `cmd_details.${c.name}`, c.details, DETAIL_VARS),
          role: str(L, c.role === 'trader' ? 'role_trader' : 'role_viewer'),
        }),
      });
      return;
    }
    const visible = COMMANDS.filter((c) => ctx.role === 'trader' || c.role === 'viewer');
    const lines = visible.map((c) => `${usageIn(L, c)} — ${describe(L, c)}${c.role === 'trader' ? ' 🔑' : ''}`).join('\n');
    ctx.reply({ rich: renderTemplate(L, 'help', { role: str(L, ctx.role === 'trader' ? 'role_trader' : 'role_viewer'), commands: lines }) });
  },
};
