import type { Command } from '../src/chat/command.js';
import { simpleMessage } from '../src/render/views.js';
import { recentRefusals } from '../src/store/audit.js';
import { pendingProposals } from '../src/trading/proposals.js';
import { maxArgs, t } from './args.js';

export const pending: Command = {
  name: 'pending',
  description: 'Proposals waiting for a decision, and recent risk refusals',
  usage: '/pending',
  role: 'viewer',
  options: [],
  run(ctx) {
    maxArgs(ctx, 0);
    const { app } = ctx;
    const { fmt } = app;
    const rows = pendingProposals(app);
    const list = rows.map((p) => t(app, 'pending_line', { id: p.id, direction: p.direction, symbol: p.symbol, entry: fmt.price(p.entry), conf: fmt.pct(p.confidence, 0), status: p.status, expires: fmt.dateTime(p.expires_at) }));
    const refusals = recentRefusals(app.db, 5).map((r) => t(app, 'refusal_line', { time: fmt.shortDate(r.ts), symbol: r.symbol, reason: r.reason }));
    const none = t(app, 'none');
    ctx.reply(simpleMessage('🔔', [t(app, 'pending_title', { count: rows.length }), ...(list.length ? list : [none]), '', t(app, 'refusals_title'), ...(refusals.length ? refusals : [none])].join('\n')));
  },
};
