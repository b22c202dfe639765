import { catchUpLine } from '../app/catch-up.js';
import type { App } from '../app/context.js';
import { audit } from '../store/audit.js';
import { isStorageError } from '../store/health.js';
import { str } from '../render/template.js';
import { simpleMessage } from '../render/views.js';
import { approveProposal, rejectProposal } from '../trading/proposals.js';
import { decisionNotice } from '../notify/notices.js';
import { allows, envHintFor, roleOf } from './auth.js';
import { verifyButton } from './buttons.js';
import { UsageError, usageIn, type Command, type CommandContext } from './command.js';
import { enqueue } from './outbox.js';
import type { InboundButton, InboundCommand, InboundHandlers } from './types.js';

/** Commands that only read; anyone with a role may use them (unknown users are still refused). */
const PUBLIC = new Set(['start']);

/**
 * Turns inbound chat events into command runs: role check (refusals are audited and leak
 * nothing), argument errors answered with the usage, everything else answered in plain words.
 */
export function createRouter(app: App, commands: Command[]): InboundHandlers {
  const byName = new Map(commands.map((c) => [c.name, c]));
  const L = app.cfg.language;
  return {
    isRefusal(c) {
      const role = roleOf(app.cfg, c.adapter, c.user.id);
      const cmd = byName.get(c.command);
      return !role || !cmd || (!allows(role, cmd.role) && !PUBLIC.has(cmd.name));
    },
    async onCommand(c: InboundCommand) {
      const reply = (answer: Parameters<CommandContext['reply']>[0]) => {
        // Answered where it was asked: a command typed in a forum topic is answered in that topic.
        const msg = c.thread ? { ...answer, thread: c.thread } : answer;
        try {
          const id = enqueue(app.db, { adapter: c.adapter, chatId: c.chatId, kind: 'reply', message: msg }, app.now());
          app.outbox.kick();
          return id;
        } catch (e) {
          if (!isStorageError(e)) throw e;
          // The outbox is in the database that cannot be written (a full disk): answer directly,
          // and say why, so the user is not met with silence.
          const a = app.adapters.find((x) => x.name === c.adapter);
          const note = simpleMessage('🚨', str(L, 'storage_full_reply'));
          void a?.send(c.chatId, { ...msg, rich: [...msg.rich, ...note.rich] }).catch((err) => app.log.warn({ err: app.scrub(String(err)) }, 'direct reply failed'));
          return -1;
        }
      };
      const cmd = byName.get(c.command);
      const role = roleOf(app.cfg, c.adapter, c.user.id);
      if (!role) {
        audit(app.db, { adapter: c.adapter, userId: c.user.id, userName: c.user.name, action: `/${c.command}`, allowed: false, detail: 'unknown user' });
        app.log.warn({ adapter: c.adapter, user: c.user.id, command: c.command }, 'refused unknown user');
        reply({ ...simpleMessage('', str(L, 'forbidden', { command: c.command, userId: c.user.id, hint: envHintFor(c.adapter) })), private: true });
        return;
      }
      if (!cmd) {
        reply({ ...simpleMessage('❓', str(L, 'unknown_command', { command: c.command })), private: true });
        return;
      }
      if (!allows(role, cmd.role) && !PUBLIC.has(cmd.name)) {
        audit(app.db, { adapter: c.adapter, userId: c.user.id, userName: c.user.name, action: `/${c.command}`, allowed: false, detail: `needs ${cmd.role}` });
        reply({ ...simpleMessage('', str(L, 'forbidden_viewer', { command: c.command })), private: true });
        return;
      }
      // While the bot catches up after a start, what may change something waits for it (startup-gate.ts).
      if (cmd.role === 'trader' && !(await app.startup.whenReady())) {
        audit(app.db, { adapter: c.adapter, userId: c.user.id, userName: c.user.name, action: `/${c.command} ${c.args.join(' ')}`.trim(), allowed: false, detail: 'still catching up after a start' });
        reply({ ...simpleMessage('⏳', str(L, 'catchup_refused', { command: c.command, doing: catchUpLine(app) ?? '' })), private: true });
        return;
      }
      if (cmd.role === 'trader') audit(app.db, { adapter: c.adapter, userId: c.user.id, userName: c.user.name, action: `/${c.command} ${c.args.join(' ')}`.trim(), allowed: true });
      const ctx: CommandContext = {
        app,
        adapter: c.adapter,
        chatId: c.chatId,
        user: c.user,
        role,
        args: c.args,
        reply,
        edit(outboxId, msg) {
          enqueue(app.db, { adapter: c.adapter, chatId: c.chatId, kind: 'reply_edit', message: msg, editOf: outboxId }, app.now());
          app.outbox.kick();
        },
      };
      try {
        await cmd.run(ctx);
      } catch (e) {
        // Only the asker needs to see their mistake (Discord: ephemeral).
        if (e instanceof UsageError) reply({ ...simpleMessage('⚠️', str(L, 'usage_error', { error: e.message, usage: usageIn(L, cmd) })), private: true });
        else {
          app.log.error({ command: c.command, err: app.scrub(String((e as Error)?.stack ?? e)) }, 'command failed');
          reply(simpleMessage('', str(L, 'failed', { command: c.command, error: app.scrub((e as Error)?.message ?? String(e)) })));
        }
      }
    },

    async onButton(b: InboundButton): Promise<string> {
      const role = roleOf(app.cfg, b.adapter, b.user.id);
      const parsed = verifyButton(app.buttonKey, b.data);
      if (!role || role !== 'trader') {
        audit(app.db, { adapter: b.adapter, userId: b.user.id, userName: b.user.name, action: `button ${parsed?.action ?? '?'} ${parsed?.id ?? ''}`.trim(), allowed: false, detail: role ? 'viewer' : 'unknown user' });
        return str(L, 'notice_forbidden');
      }
      if (!parsed) {
        audit(app.db, { adapter: b.adapter, userId: b.user.id, userName: b.user.name, action: 'button (bad signature)', allowed: false, detail: b.data.slice(0, 60) });
        return str(L, 'notice_bad_button');
      }
      if (!(await app.startup.whenReady())) {
        audit(app.db, { adapter: b.adapter, userId: b.user.id, userName: b.user.name, action: `button ${parsed.action} ${parsed.id}`, allowed: false, detail: 'still catching up after a start' });
        return str(L, 'notice_catchup_refused');
      }
      audit(app.db, { adapter: b.adapter, userId: b.user.id, userName: b.user.name, action: `button ${parsed.action} ${parsed.id}`, allowed: true });
      const by = `${b.user.name} (${b.adapter})`;
      if (parsed.action === 'ap') return decisionNotice(app.cfg.language, app.fmt, await approveProposal(app, parsed.id, by));
      if (parsed.action === 'rj') return decisionNotice(app.cfg.language, app.fmt, rejectProposal(app, parsed.id, by));
      // Other actions belong to the command whose messages carry them (/close: cc, cx).
      const owner = commands.find((c) => c.buttonActions?.includes(parsed.action) && c.onButton);
      if (owner) return owner.onButton!({ app, action: parsed.action, id: parsed.id, adapter: b.adapter, chatId: b.chatId, user: b.user });
      return str(L, 'notice_bad_button');
    },
  };
}
