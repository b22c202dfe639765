import type { Command } from '../src/chat/command.js';
import { isNotifyGroup, NOTIFY_GROUPS, NOTIFY_MODES, notifyModes, setNotifyMode, type NotifyMode } from '../src/notify/settings.js';
import { simpleMessage } from '../src/render/views.js';
import { maxArgs, t, usage } from './args.js';

export const notifications: Command = {
  name: 'notifications',
  description: 'What the bot pushes: each kind on, silent or off',
  usage: '/notifications [kind on|silent|off]',
  details: 'Kinds: proposals, orders, trades, alerts, reports, training. silent = delivered without a sound; off = not sent (answers to commands always are). Alerts can be silent, not off.',
  role: 'trader',
  options: [
    { name: 'kind', description: 'proposals, orders, trades, alerts, reports or training', type: 'string', choices: [...NOTIFY_GROUPS] },
    { name: 'mode', description: 'on, silent or off', type: 'string', choices: [...NOTIFY_MODES] },
  ],
  run(ctx) {
    maxArgs(ctx, 2);
    const { app } = ctx;
    const modes = notifyModes(app.cfg, app.db);
    const label = (m: NotifyMode) => t(app, `notify_mode_${m}`);
    if (ctx.args.length === 0) {
      const lines = NOTIFY_GROUPS.map((g) => t(app, 'notify_line', { kind: t(app, `notify_kind_${g}`), mode: label(modes[g]) }));
      ctx.reply(simpleMessage('🔔', [t(app, 'notify_title'), ...lines, t(app, 'notify_hint')].join('\n')));
      return;
    }
    const kind = ctx.args[0].toLowerCase();
    if (!isNotifyGroup(kind)) throw usage(app, 'err_notify_kind', { kind: ctx.args[0], kinds: NOTIFY_GROUPS.join(', ') });
    const mode = ctx.args[1]?.toLowerCase();
    if (mode === undefined) {
      ctx.reply(simpleMessage('🔔', t(app, 'notify_line', { kind: t(app, `notify_kind_${kind}`), mode: label(modes[kind]) })));
      return;
    }
    if (!(NOTIFY_MODES as readonly string[]).includes(mode)) throw usage(app, 'err_notify_mode', { mode: ctx.args[1] });
    if (kind === 'alerts' && mode === 'off') throw usage(app, 'err_notify_alerts_off');
    setNotifyMode(app.db, kind, mode as NotifyMode);
    ctx.reply(simpleMessage('🔔', t(app, 'notify_set', { kind: t(app, `notify_kind_${kind}`), mode: label(mode as NotifyMode), was: label(modes[kind]) }) + (kind === 'proposals' && mode === 'off' ? `\n${t(app, 'notify_proposals_off')}` : '')));
  },
};
