import os from 'node:os';
import readline from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { richToPlain } from '../render/rich.js';
import type { ChatAdapter, CommandSpec, InboundHandlers, OutgoingMessage } from './types.js';

/**
 * The console chat: stdin/stdout stand in for Telegram. Commands are typed as in Telegram, one
 * per line, so it also works from a pipe. Every message the bot would send is printed; chart
 * images are files under data/ and their path is printed.
 */
export interface ConsoleAdapter extends ChatAdapter {
  /** Resolves when the input ends (EOF), after every typed command has been handled. */
  readonly ended: Promise<void>;
}

export function parseConsoleLine(line: string): { command: string; args: string[] } | null {
  const t = line.trim();
  if (!t.startsWith('/')) return null;
  const [head, ...args] = t.split(/\s+/);
  const command = head.slice(1).split('@')[0].toLowerCase();
  return command ? { command, args } : null;
}

export function createConsoleAdapter(opts: { input: Readable; output: Writable; userName?: string }): ConsoleAdapter {
  let seq = 0;
  let rl: readline.Interface | null = null;
  let endResolve!: () => void;
  const ended = new Promise<void>((r) => (endResolve = r));
  const out = (s: string) => opts.output.write(s + '\n');
  const user = { id: 'console', name: opts.userName ?? os.userInfo().username ?? 'you' };

  const format = (msg: OutgoingMessage, id: number, edited: boolean) => {
    const lines = [edited ? `── ✏️ message #${id} updated ──` : `── message #${id} ──`, richToPlain(msg.rich)];
    if (msg.imagePath) lines.push(`🖼️  chart: ${msg.imagePath}`);
    if (msg.buttons && msg.buttons.length) lines.push(msg.buttons.map((row) => row.map((b) => `[ ${b.label} ]`).join(' ')).join('\n'));
    return lines.join('\n');
  };

  return {
    name: 'console',
    pushChatId: 'console',
    pushChatIds: ['console'],
    ended,
    async start(handlers: InboundHandlers, _commands: CommandSpec[]) {
      rl = readline.createInterface({ input: opts.input, terminal: false });
      // Lines are handled one at a time, in order, like messages in a chat.
      let chain = Promise.resolve();
      rl.on('line', (line) => {
        chain = chain.then(async () => {
          const parsed = parseConsoleLine(line);
          if (!parsed) {
            if (line.trim()) out('⌨️  Commands start with / — try /help');
            return;
          }
          try {
            await handlers.onCommand({ adapter: 'console', chatId: 'console', user, command: parsed.command, args: parsed.args });
          } catch (e) {
            out(`⚠️ ${(e as Error).message}`);
          }
        });
      });
      rl.on('close', () => {
        void chain.then(endResolve);
      });
    },
    async stop() {
      rl?.close();
    },
    async send(_chatId, msg) {
      const id = ++seq;
      out(format(msg, id, false));
      return String(id);
    },
    async edit(_chatId, messageId, msg) {
      out(format(msg, Number(messageId), true));
    },
  };
}
