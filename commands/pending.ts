import type { Command } from '../src/chat/command.js';
import { simpleMessage } from '../src/render/views.js';
import { recentRefusals } from '../src/store/audit.js';
import { pendingProposals } from '../src/trading/proposals.js';

export const pending: Command = {
  name: 'pending',
  description: 'Proposals waiting for a decision, and recent risk refusals',
  usage: '/pending',
  role: 'viewer',
  run(ctx) {
    const { fmt } = ctx.app;
    const rows = pendingProposals(ctx.app);
    const list = rows.map((p) => `• ${p.id} ${p.direction} ${p.symbol} @ ${fmt.price(p.entry)} · conf ${fmt.pct(p.confidence, 0)} · ${p.status} · expires ${fmt.dateTime(p.expires_at)}`);
    const refusals = recentRefusals(ctx.app.db, 5).map((r) => `• ${fmt.shortDate(r.ts)} ${r.symbol}: ${r.reason}`);
    ctx.reply(simpleMessage('🔔', [`Pending proposals (${rows.length}):`, ...(list.length ? list : ['none']), '', '🚫 Recent risk refusals:', ...(refusals.length ? refusals : ['none'])].join('\n')));
  },
};
