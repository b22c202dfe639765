import crypto from 'node:crypto';
import type { Command } from '../src/chat/command.js';
import type { Button } from '../src/chat/types.js';
import { dashboardUrl } from '../src/dashboard/url.js';
import { simpleMessage } from '../src/render/views.js';
import { insertLink } from '../src/store/dashboard.js';
import { maxArgs, t } from './args.js';

/**
 * /dashboard: a one-time sign-in link to the web dashboard (good for dashboard.link_ttl_minutes,
 * stored hashed), and on Telegram a button opening it as a Mini App (which signs in by Telegram's
 * signed initData instead). A link is personal: on Telegram it is given in a private chat only,
 * on Discord as an answer only the asker sees.
 */
export const dashboard: Command = {
  name: 'dashboard',
  description: 'Open the dashboard: live charts, positions and proposals (a Mini App on Telegram, a one-time link elsewhere)',
  usage: '/dashboard',
  role: 'viewer',
  options: [],
  run(ctx) {
    maxArgs(ctx, 0);
    const { app } = ctx;
    const d = app.cfg.dashboard;
    if (!d.port) {
      ctx.reply(simpleMessage('', t(app, 'dashboard_off')));
      return;
    }
    if (ctx.adapter === 'telegram' && ctx.chatId !== ctx.user.id) {
      ctx.reply(simpleMessage('', t(app, 'dashboard_private_only')));
      return;
    }
    const token = crypto.randomBytes(24).toString('base64url');
    const now = app.now();
    insertLink(app.db, token, { adapter: ctx.adapter, userId: ctx.user.id, userName: ctx.user.name }, now, now + d.link_ttl_minutes * 60_000);
    const base = dashboardUrl(app.cfg);
    // Telegram opens Mini Apps from https addresses only.
    const buttons: Button[][] = ctx.adapter === 'telegram' && base.startsWith('https://') ? [[{ label: t(app, 'dashboard_open'), data: '', webApp: `${base}/` }]] : [];
    ctx.reply({ ...simpleMessage('', `${t(app, 'dashboard_link', { minutes: d.link_ttl_minutes })}\n${base}/login?t=${token}`), buttons, private: true });
  },
};
