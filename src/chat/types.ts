import type { Rich } from '../render/rich.js';

export type AdapterName = 'console' | 'telegram' | 'discord';
export type Role = 'viewer' | 'trader';

/** An inline button. `data` is opaque to adapters (signed by src/chat/buttons.ts). */
export interface Button {
  label: string;
  data: string;
  style?: 'primary' | 'success' | 'danger' | 'secondary';
}

/** A chat-neutral message: each adapter turns `rich` into its own markup and limits. */
export interface OutgoingMessage {
  rich: Rich;
  /** Absolute path of a PNG to attach (the text becomes its caption where it fits). */
  imagePath?: string;
  /** Rows of buttons; an empty array removes the buttons when editing. */
  buttons?: Button[][];
}

export interface ChatUser {
  id: string;
  name: string;
}

export interface InboundCommand {
  adapter: AdapterName;
  chatId: string;
  user: ChatUser;
  /** Command name without the slash, lower case: `status`, `train`. */
  command: string;
  /** Raw argument words after the command. */
  args: string[];
}

export interface InboundButton {
  adapter: AdapterName;
  chatId: string;
  messageId: string;
  user: ChatUser;
  data: string;
}

/** What the application offers an adapter: adapters never reach into the engine. */
export interface InboundHandlers {
  /** Replies are queued in the outbox by the app; adapters do not send them themselves. */
  onCommand(c: InboundCommand): Promise<void>;
  /** Returns the short notice shown to whoever pressed (Telegram answerCallbackQuery, Discord ephemeral). */
  onButton(b: InboundButton): Promise<string>;
}

/** Thrown by an adapter when the platform asked us to wait (Telegram 429 retry_after, Discord 429). */
export class RetryLaterError extends Error {
  constructor(
    message: string,
    public readonly retryAfterMs: number,
  ) {
    super(message);
    this.name = 'RetryLaterError';
  }
}

/** Thrown when a message can never be delivered as it is (bad chat id, message too old to edit...). */
export class PermanentSendError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentSendError';
  }
}

/**
 * A typed argument of a command, for platforms that have them (Discord slash-command options).
 * Declared in the order the command reads its `args`; required ones come first.
 */
export interface CommandOption {
  /** Lower case, 1-32 chars of [a-z0-9_-]. */
  name: string;
  description: string;
  type: 'string' | 'integer' | 'number';
  required?: boolean;
  /** Fixed values to pick from (at most 25); strings, also for numeric options. */
  choices?: string[];
}

export interface CommandSpec {
  name: string;
  description: string;
  usage: string;
  /** Typed arguments; without them an adapter offers one free-text `args` option. */
  options?: CommandOption[];
}

export interface ChatAdapter {
  readonly name: AdapterName;
  /** The chat where pushes (proposals, reports) go; undefined when none is configured. */
  readonly pushChatId: string | undefined;
  start(handlers: InboundHandlers, commands: CommandSpec[]): Promise<void>;
  stop(): Promise<void>;
  /** Sends and returns the platform's message id. Long text is split by the adapter. */
  send(chatId: string, msg: OutgoingMessage): Promise<string>;
  /** Replaces text and buttons of a message sent earlier. */
  edit(chatId: string, messageId: string, msg: OutgoingMessage): Promise<void>;
}
