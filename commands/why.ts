import type { Command } from '../src/chat/command.js';
import { whyRich } from '../src/crew/render.js';
import { decisionForProposal, recentDecisions, roundsOf } from '../src/store/crew.js';
import { simpleMessage } from '../src/render/views.js';
import { getProposal } from '../src/trading/proposals.js';
import { tOr, usage } from './args.js';

export const why: Command = {
  name: 'why',
  description: "The analyst crew's debate and votes behind a proposal",
  usage: '/why [proposal id]',
  details: 'Every analysis of every debate round, the final weighted votes and whether the crew reached consensus. Without an id: the latest crew decision (also those that made no proposal).',
  role: 'viewer',
  options: [{ name: 'id', description: 'the proposal id shown in the proposal', type: 'string' }],
  run(ctx) {
    const { app } = ctx;
    const id = ctx.args[0];
    if (ctx.args.length > 1 || (id !== undefined && !/^[\w-]{2,40}$/.test(id))) throw usage(app, 'err_proposal_id');
    const d = id ? decisionForProposal(app.db, id) : recentDecisions(app.db, 1)[0];
    if (!d) {
      const text = id
        ? tOr(app.cfg.language, 'why_missing', `No crew record for ${id}: the id is unknown, or the crew was off when it was proposed.`, { id })
        : tOr(app.cfg.language, 'why_none', 'The crew has not decided anything yet.');
      ctx.reply(simpleMessage('🤷', text));
      return;
    }
    const p = d.proposal_id ? getProposal(app, d.proposal_id) : undefined;
    ctx.reply({ rich: whyRich(app.cfg.language, app.fmt, d, roundsOf(app.db, d.id), p && { id: p.id, direction: p.direction, status: p.status, strategy: p.strategy, confidence: p.confidence }) });
  },
};
