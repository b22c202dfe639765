import { decisionNotice } from '../src/notify/notices.js';
import type { Command } from '../src/chat/command.js';
import { simpleMessage } from '../src/render/views.js';
import { rejectProposal } from '../src/trading/proposals.js';
import { usage } from './args.js';

export const reject: Command = {
  name: 'reject',
  description: 'Turn down a pending proposal',
  usage: '/reject <id>',
  details: 'Same as pressing ❌ Reject under the proposal.',
  role: 'trader',
  options: [{ name: 'id', description: 'the proposal id shown in the proposal', type: 'string', required: true }],
  run(ctx) {
    const id = ctx.args[0];
    if (!id || ctx.args.length > 1 || !/^[\w-]{2,40}$/.test(id)) throw usage(ctx.app, 'err_proposal_id');
    const r = rejectProposal(ctx.app, id, `${ctx.user.name} (${ctx.adapter})`);
    ctx.reply(simpleMessage(r.ok ? '👍' : 'ℹ️', decisionNotice(ctx.app.cfg.language, ctx.app.fmt, r)));
  },
};
