import { str } from '../render/template.js';
import type { App } from '../app/context.js';
import type { ButtonAction } from './buttons.js';
import type { AdapterName, ChatUser, CommandOption, OutgoingMessage, Role } from './types.js';

/** The chat-neutral context a command runs in; every adapter (console, Telegram, Discord) builds one. */
export interface CommandContext {
  app: App;
  adapter: AdapterName;
  chatId: string;
  user: ChatUser;
  role: Role;
  args: string[];
  /** Queues a reply to the chat the command came from; returns its outbox id (for later edits). */
  reply(msg: OutgoingMessage): number;
  /** Queues an edit of an earlier reply (progress messages). */
  edit(outboxId: number, msg: OutgoingMessage): void;
}

export interface Command {
  name: string;
  /** One line for /help and the platforms' command menus. */
  description: string;
  /** e.g. `/train [days] [symbols] [cycle_hours]` */
  usage: string;
  /** Longer help for /help <command>. */
  details?: string;
  /** viewer = read-only; trader = may change something (money, training, settings). */
  role: Role;
  /** Typed arguments in the order `args` holds them (Discord registers them as slash-command options). */
  options?: CommandOption[];
  run(ctx: CommandContext): Promise<void> | void;
  /** Signed button actions this command's messages carry (e.g. /close: 'cc' confirm, 'cx' cancel). */
  buttonActions?: ButtonAction[];
  /** A press on one of those buttons (trader role already checked); returns the presser's notice. */
  onButton?(press: ButtonPress): Promise<string> | string;
}

export interface ButtonPress {
  app: App;
  action: ButtonAction;
  /** The id signed into the button. */
  id: string;
  adapter: AdapterName;
  chatId: string;
  user: ChatUser;
}

/** A wrong argument: the router replies with this message and the command's usage, and nothing changes. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function parseIntArg(v: string | undefined, name: string, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new UsageError(`${name} must be a whole number, got "${v}"`);
  const n = Number(v);
  if (n < min || n > max) throw new UsageError(`${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}

/** A command's usage with its placeholders in the chat's language (strings.txt `cmd_usage.<name>`), else its own. */
export function usageIn(lang: string, c: Pick<Command, 'name' | 'usage'>): string {
  try {
    return str(lang, `cmd_usage.${c.name}`);
  } catch {
    return c.usage;
  }
}
