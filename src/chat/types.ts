import type { Rich } from '../render/rich.js';

export type AdapterName = 'console' | 'telegram' | 'discord';
export type Role = 'viewer' | 'trader';

/** An inline button. `data` is opaque to adapters (signed by src/chat/buttons.ts). */
export interface Button {
  label: string;
  data: string;
  style?: 'primary' | 'success' | 'danger' | 'secondary';
  /**
   * Opens this https address as a Telegram Mini App (a `web_app` button; Telegram allows them in
   * private chats only) instead of sending `data` back. Other platforms leave such a button out.
   */
  webApp?: string;
}

/** A chat-neutral message: each adapter turns `rich` into its own markup and limits. */
export interface OutgoingMessage {
  rich: Rich;
  /** Absolute path of a PNG to attach (the text becomes its caption where it fits). */
  imagePath?: string;
  /** Rows of buttons; an empty array removes the buttons when editing. */
  buttons?: Button[][];
  /**
   * A report with a look of its own (proposal, trade, cycle, daily summary): platforms with cards
   * show it as one (Discord: an embed coloured by `tone`, the chart as its image). Others ignore it.
   */
  card?: Card;
  /**
   * Only the person who asked should see it (a usage error, a refusal): Discord answers the slash
   * command ephemerally. Platforms without private answers send it as usual.
   */
  private?: boolean;
  /**
   * The agent (symbol, e.g. "BTC/USDT") this message is about. Telegram puts it in that agent's
   * forum topic when the chat is a forum (created the first time, see TopicStore); elsewhere and
   * without it, the message goes where it always did (a forum's General topic).
   */
  topic?: string;
  /**
   * The platform's thread the message answers in: a command typed in a Telegram forum topic is
   * answered in that topic. Wins over `topic`; other platforms ignore it.
   */
  thread?: string;
  /** Deliver without a sound (the trader set this kind of push to silent: src/notify/settings.ts). */
  silent?: boolean;
}

export interface Card {
  kind: 'proposal' | 'trade' | 'cycle' | 'daily' | 'report';
  /** up: a gain or a long; down: a loss or a short; closed: settled (an approved or rejected proposal). */
  tone: 'up' | 'down' | 'neutral' | 'closed';
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
  /** The thread it was typed in (a Telegram forum topic), so the answer goes there too. */
  thread?: string;
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
  /**
   * Will the answer to this command be a refusal (a stranger, a viewer asking for a trader
   * command, an unknown command)? Asked before the platform is told how to show the answer:
   * Discord then answers ephemerally, so the channel never sees a stranger's id or a refusal.
   */
  isRefusal?(c: Pick<InboundCommand, 'adapter' | 'user' | 'command'>): boolean;
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

/**
 * Thrown when a request was fully sent but no answer came back (connection reset, timeout): the
 * platform may or may not have delivered that part. Telegram has no idempotency key, so a retry
 * may duplicate it; the outbox re-sends such a part a bounded number of times, then presumes it
 * was delivered and goes on (see src/chat/outbox.ts). `part` is the key of the part in question.
 */
export class UncertainSendError extends Error {
  constructor(
    message: string,
    public readonly part: string,
  ) {
    super(message);
    this.name = 'UncertainSendError';
  }
}

/**
 * What is already delivered of one logical message (photo, caption, text chunks...), kept by the
 * outbox in SQLite. An adapter skips every part found in `done`, and calls `accepted` as soon as
 * the platform has accepted a part, before it sends the next one: `accepted` commits it durably,
 * so a retry (or a restart) sends only what was not yet accepted.
 */
export interface SendProgress {
  /** Part key ('photo', 'text:0', ...) -> the platform's message id (null: delivered, id unknown). */
  readonly done: ReadonlyMap<string, string | null>;
  accepted(part: string, platformMessageId: string | null): void;
  /** Stable for this logical message across retries and restarts: for idempotency keys (Discord nonce). */
  readonly key: string;
  /**
   * The part whose last request got no answer (UncertainSendError), if any. Before sending it
   * again an adapter without idempotency keys first checks that the platform answers at all (and
   * throws a plain Error when it does not), so an outage or a storm of resets never makes it
   * re-send: only a resend made while the platform answers counts against the bound.
   */
  readonly unanswered?: string;
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

/**
 * Where an adapter keeps the forum topics it created, per chat and topic (the agent), in SQLite
 * (src/store/topics.ts). Creating a topic has no idempotency key, so it is claimed here first:
 * `claim` before asking the platform, `record` once it answered, `release` when it answered with
 * a refusal (nothing was created). A claim found still open (`unanswered` > 0) is a creation whose
 * answer was lost (a crash, a reset), so at worst one empty topic exists twice.
 */
export interface TopicStore {
  /** The recorded thread id of this chat's topic, if any. */
  thread(chatId: string, topic: string): string | undefined;
  /** The recorded thread id, or a claim to create it (with how many earlier claims went unanswered). */
  claim(chatId: string, topic: string): { thread: string | undefined; unanswered: number };
  record(chatId: string, topic: string, threadId: string): void;
  release(chatId: string, topic: string): void;
  /** The topic was deleted: forgets it if `threadId` is still the recorded one (true), so it is created once more. */
  forget(chatId: string, topic: string, threadId: string): boolean;
  /** True the first time the bot is refused topics in this chat (until one is created again): tell it once. */
  firstRefusal(chatId: string): boolean;
}

/** What an adapter needs to keep forum topics, given once the database is open. */
export interface TopicHelp {
  store: TopicStore;
  /** The topic's title for an agent (1-128 characters on Telegram). */
  title(topic: string): string;
  /** Says in the chat (its General topic, through the outbox) that topics cannot be created there. */
  tellRefused(chatId: string): void;
}

export interface ChatAdapter {
  readonly name: AdapterName;
  /** The (first) chat where pushes (proposals, reports) go; undefined when none is configured. */
  readonly pushChatId: string | undefined;
  /** Every chat pushes go to: a group or channel, or each trader's private chat. */
  readonly pushChatIds: readonly string[];
  /** Who the bot is on this platform, once started (e.g. "@tradecrew_bot"), for the start-up line. */
  identity?(): string;
  /** How its connection is doing, for /health: ok, and in words (e.g. "polling ok"). */
  health?(): { ok: boolean; detail: string };
  start(handlers: InboundHandlers, commands: CommandSpec[]): Promise<void>;
  stop(): Promise<void>;
  /**
   * Sends and returns the platform's message id (of the part carrying the buttons; '' when it is
   * not known). Long text is split by the adapter. With `progress`, parts already delivered are
   * skipped and each newly accepted part is reported before the next one is sent.
   */
  send(chatId: string, msg: OutgoingMessage, progress?: SendProgress): Promise<string>;
  /** Replaces text and buttons of a message sent earlier. */
  edit(chatId: string, messageId: string, msg: OutgoingMessage): Promise<void>;
  /** Adapters with forum topics (Telegram) keep them with this; others have no such method. */
  useTopics?(help: TopicHelp): void;
}
