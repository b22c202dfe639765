/**
 * Discord chat adapter (discord.js 14): slash commands and buttons in, markdown messages with
 * buttons out; reports (proposals, trades, cycle and daily summaries, anything with a chart) as
 * embeds with the chart as the embed's image (layout and limits: src/chat/discord-embeds.ts).
 *
 * Choices worth knowing:
 * - Intents: Guilds only. Slash commands and buttons arrive as interactions, which need no
 *   privileged intent (no message content, no members).
 * - A command that declares options (CommandSpec.options) is registered with them as typed
 *   slash-command options (string / integer / number, required first, fixed choices), and the
 *   values received are turned back into the command's positional args in declared order
 *   (argsFromOptions). A command without declared options gets one optional free-text string
 *   option `args` (`/train args:7 BTC/USDT`).
 * - A slash command is deferred at once (Discord wants an answer within 3 s; deferring gives
 *   15 min), then handed to the app. The app replies through its outbox with `send(chatId)`;
 *   the FIRST send to that channel while the deferral is open completes the deferred reply
 *   (editReply), so the answer appears attached to the user's command. Later sends post to the
 *   channel. Several open commands in one channel are answered oldest first. A push that
 *   happens to reach the channel first takes the deferral (harmless: the answer then posts).
 *   If the app never sends, the "thinking..." placeholder is closed with a short note after
 *   `replyWindowMs`. If editReply fails (token expired), the message is posted instead.
 * - Later edits use the channel endpoint (PATCH /channels/:id/messages/:id), which Discord
 *   allows for non-ephemeral interaction responses too, and which outlives the 15 min token.
 * - Buttons: deferred ephemerally, then the notice from `onButton` replaces the placeholder,
 *   so a slow handler (placing an order) cannot miss Discord's 3 s window.
 * - Rate limits: @discordjs/rest normally waits out 429s itself, which would stall the outbox
 *   silently. `rejectOnRateLimit` makes it throw for message routes instead, and we turn that
 *   into RetryLaterError so the outbox schedules the retry. Other routes (login, interaction
 *   callbacks) keep the library's own waiting.
 * - 5xx: @discordjs/rest retries up to 3 times at once before giving up; after that we throw a
 *   plain Error and the outbox retries with its backoff.
 * - Private answers (OutgoingMessage.private: usage errors, refusals) are ephemeral. A refusal is
 *   known before deferring, so its deferral is ephemeral; a usage error is known only once the
 *   command ran, after a public deferral, so the public placeholder is deleted and the answer is
 *   an ephemeral followup. A message for everyone never completes an ephemeral deferral.
 * - Sending: a message's chunks are its parts (`text:0`, ... or `embed:0`, ...; the chart rides
 *   on the first). Each is reported to the outbox's SendProgress once Discord accepted it, and the ones
 *   already accepted are skipped, so a retry sends only the rest. Channel posts carry a nonce
 *   derived from the outbox row and part with `enforce_nonce`: if an earlier attempt was delivered
 *   but its answer lost (reset, timeout), Discord returns that message instead of posting it again
 *   (for a few minutes, which covers the outbox's capped retries). So an ambiguous failure is safe
 *   to retry here and is reported as a plain Error. Each REST request times out after
 *   `requestTimeoutMs` (15 s, the library's default, made explicit and configurable).
 * - Mentions are disabled on everything we send: market or user text must never ping anyone.
 * - The token only lives inside the discord.js client; error texts are built by us and
 *   scrubbed of it as a last line of defence.
 */
import { createHash } from 'node:crypto';
import {
  ActionRowBuilder,
  AttachmentBuilder,
  ButtonBuilder,
  ButtonStyle,
  Client,
  DiscordAPIError,
  Events,
  GatewayIntentBits,
  HTTPError,
  MessageFlags,
  RateLimitError,
  type ButtonInteraction,
  type ChatInputCommandInteraction,
  type Interaction,
  type InteractionEditReplyOptions,
  type MessageCreateOptions,
  type RESTPostAPIChatInputApplicationCommandsJSONBody,
  type RateLimitData,
} from 'discord.js';
import { lineToDiscordMarkdown, splitLines } from '../render/rich.js';
import { CHART_FILE, cardMessages, isCard, type Embed } from './discord-embeds.js';
import {
  PermanentSendError,
  RetryLaterError,
  type Button,
  type ChatAdapter,
  type ChatUser,
  type CommandOption,
  type CommandSpec,
  type InboundHandlers,
  type OutgoingMessage,
  type SendProgress,
} from './types.js';

export interface DiscordLogger {
  info(o: object, m?: string): void;
  warn(o: object, m?: string): void;
  error(o: object, m?: string): void;
}

export interface DiscordOptions {
  token: string;
  /** REST root, e.g. `http://127.0.0.1:PORT/api` for a stand-in; default Discord's. */
  apiRoot?: string;
  /** Channel where pushes (proposals, reports) go. */
  pushChannelId?: string;
  /** Register slash commands in this guild only (instant) instead of globally (may take a while to show). */
  guildId?: string;
  logger?: DiscordLogger;
  /** How long a deferred slash command waits for the app's first send (default 14 min; Discord allows 15). */
  replyWindowMs?: number;
  /** How long start() waits for the gateway to become ready (default 30 s). */
  readyTimeoutMs?: number;
  /** How long one REST request may take before it is abandoned (default 15 s). */
  requestTimeoutMs?: number;
}

/** Discord's limits. */
export const DISCORD_TEXT_LIMIT = 2000;
const MAX_BUTTONS_PER_ROW = 5;
const MAX_ROWS = 5;
const MAX_CUSTOM_ID = 100;
const MAX_LABEL = 80;
const MAX_DESCRIPTION = 100;

export const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;
/** Discord's limit on a message nonce. */
const NONCE_LIMIT = 25;

/** The nonce of one part of one outbox message: stable across retries, at most 25 chars. */
export function partNonce(key: string, part: number): string {
  const n = `${key}:${part}`;
  return n.length <= NONCE_LIMIT ? n : createHash('sha256').update(n).digest('base64url').slice(0, NONCE_LIMIT);
}

const silentLogger: DiscordLogger = { info() {}, warn() {}, error() {} };

const STYLES: Record<NonNullable<Button['style']>, ButtonStyle> = {
  primary: ButtonStyle.Primary,
  success: ButtonStyle.Success,
  danger: ButtonStyle.Danger,
  secondary: ButtonStyle.Secondary,
};

/** Discord's option type numbers. */
const OPTION_TYPE = { string: 3, integer: 4, number: 10 } as const;
const MAX_CHOICES = 25;

/**
 * Slash command definitions from the app's command list. Pure.
 * Discord wants lower-case names of 1-32 chars and descriptions of 1-100 chars. A command with
 * declared options gets them as typed options (required ones first, as Discord demands; choices
 * when there are at most 25), and `options: []` means none; a command that declares nothing gets
 * one optional free-text `args` option.
 */
export function slashCommandDefs(commands: CommandSpec[]): RESTPostAPIChatInputApplicationCommandsJSONBody[] {
  const cut = (s: string, n: number) => (s.length > n ? s.slice(0, n - 1) + '…' : s);
  return commands.map((c) => {
    const name = c.name.toLowerCase().slice(0, 32);
    const declared = c.options ? orderForDiscord(c.options) : null;
    const options = declared
      ? declared.map((o) => ({
          type: OPTION_TYPE[o.type],
          name: o.name.toLowerCase().slice(0, 32),
          description: cut(o.description.trim() || o.name, MAX_DESCRIPTION),
          required: !!o.required,
          ...(o.choices?.length && o.choices.length <= MAX_CHOICES
            ? { choices: o.choices.map((v) => ({ name: cut(v, MAX_DESCRIPTION), value: o.type === 'string' ? v : Number(v) })) }
            : {}),
        }))
      : [
          {
            type: OPTION_TYPE.string,
            name: 'args',
            description: cut(c.usage.trim() ? `arguments, as in ${c.usage.trim()}` : `arguments, as in /help ${name}`, MAX_DESCRIPTION),
            required: false,
          },
        ];
    return {
      name,
      description: cut(c.description.trim() || name, MAX_DESCRIPTION),
      type: 1,
      options,
    } as RESTPostAPIChatInputApplicationCommandsJSONBody;
  });
}

/** Required options before optional ones (Discord refuses the other order); otherwise as declared. */
function orderForDiscord(options: CommandOption[]): CommandOption[] {
  return [...options.filter((o) => o.required), ...options.filter((o) => !o.required)];
}

/**
 * The received options back into the command's positional `args`, in the DECLARED order (the
 * order the command reads them), skipping the ones left out. A free-text `args` option (commands
 * without declared options, or a client that still has the old registration) is split on spaces
 * and comes first. Pure.
 */
export function argsFromOptions(declared: CommandOption[] | undefined, received: ReadonlyArray<{ name: string; value?: unknown }>): string[] {
  const byName = new Map(received.map((o) => [o.name.toLowerCase(), o.value]));
  const out: string[] = [];
  const free = byName.get('args');
  if (typeof free === 'string') out.push(...free.split(/\s+/).filter(Boolean));
  for (const o of declared ?? []) {
    if (o.name.toLowerCase() === 'args') continue;
    const v = byName.get(o.name.toLowerCase());
    if (v === undefined || v === null || v === '') continue;
    out.push(...String(v).trim().split(/\s+/).filter(Boolean));
  }
  return out;
}

/** Button rows as Discord components: at most 5 per row, at most 5 rows. Pure. */
export function buttonRows(buttons: Button[][]): ActionRowBuilder<ButtonBuilder>[] {
  const rows: Button[][] = [];
  for (const all of buttons) {
    // A Telegram Mini App button has no Discord counterpart (the message carries the link).
    const row = all.filter((b) => !b.webApp);
    for (let i = 0; i < row.length; i += MAX_BUTTONS_PER_ROW) rows.push(row.slice(i, i + MAX_BUTTONS_PER_ROW));
  }
  if (rows.length > MAX_ROWS) throw new PermanentSendError(`Discord allows ${MAX_ROWS} rows of buttons, got ${rows.length}`);
  return rows.map((row) =>
    new ActionRowBuilder<ButtonBuilder>().addComponents(
      row.map((b) => {
        // Button data is signed and must round-trip intact: cutting it would break the signature.
        if (b.data.length > MAX_CUSTOM_ID) {
          throw new PermanentSendError(`button data is ${b.data.length} chars, Discord allows ${MAX_CUSTOM_ID}`);
        }
        const label = b.label.length > MAX_LABEL ? b.label.slice(0, MAX_LABEL - 1) + '…' : b.label || '·';
        return new ButtonBuilder()
          .setCustomId(b.data)
          .setLabel(label)
          .setStyle(STYLES[b.style ?? 'secondary'] ?? ButtonStyle.Secondary);
      }),
    ),
  );
}

/** The message's text as Discord markdown chunks of at most 2000 chars, split between lines. Pure. */
export function discordChunks(msg: OutgoingMessage): string[] {
  return splitLines(msg.rich.map(lineToDiscordMarkdown), DISCORD_TEXT_LIMIT);
}

/** Maps whatever discord.js threw to the outbox's error kinds, with a token-free message. */
export function translateError(err: unknown, token: string, what: string): Error {
  const scrub = (s: string) => (token ? s.split(token).join('[token]') : s);
  if (err instanceof RetryLaterError || err instanceof PermanentSendError) return err;
  if (err instanceof RateLimitError) {
    const wait = Math.max(err.retryAfter, err.timeToReset, 0) || 1000;
    return new RetryLaterError(scrub(`Discord rate limit on ${what} (${err.route}), retry in ${wait} ms`), wait);
  }
  if (err instanceof DiscordAPIError) {
    const text = scrub(`Discord ${err.status} on ${what}: ${err.message} (code ${err.code})`);
    if (err.status === 429) return new RetryLaterError(text, 1000);
    if (err.status >= 400 && err.status < 500) return new PermanentSendError(text);
    return new Error(text);
  }
  if (err instanceof HTTPError) return new Error(scrub(`Discord ${err.status} on ${what}: ${err.message}`));
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return new Error(scrub(`Discord request failed on ${what}: ${message}`));
}

/** Only message routes reject on rate limit; see the header comment. */
function rejectOnRateLimit(data: RateLimitData): boolean {
  return data.route.startsWith('/channels/') || data.route.startsWith('/webhooks/');
}

interface PendingReply {
  interaction: ChatInputCommandInteraction;
  timer: NodeJS.Timeout;
  /** Deferred ephemerally (a refusal): only a private answer may complete it. */
  ephemeral: boolean;
  /**
   * The public placeholder was already deleted for a private answer whose followup then failed:
   * the retry follows up again (ephemerally) instead of posting the answer in the channel.
   */
  placeholderGone?: boolean;
}

/** One Discord message of an outgoing message: text, or embeds (a report). */
interface DiscordPart {
  /** Key in the outbox's SendProgress. */
  key: string;
  content: string;
  embeds: Embed[];
}

/** The Discord messages an outgoing message becomes, in order. Pure. */
export function discordParts(msg: OutgoingMessage): DiscordPart[] {
  if (isCard(msg)) return cardMessages(msg, !!msg.imagePath).map((embeds, k) => ({ key: `embed:${k}`, content: '', embeds }));
  return discordChunks(msg).map((content, k) => ({ key: `text:${k}`, content, embeds: [] }));
}

export function createDiscordAdapter(opts: DiscordOptions): ChatAdapter {
  const log = opts.logger ?? silentLogger;
  const replyWindowMs = opts.replyWindowMs ?? 14 * 60_000;
  const readyTimeoutMs = opts.readyTimeoutMs ?? 30_000;
  let client: Client | undefined;
  /**
   * Deferred slash commands waiting for the app's first send, per channel, oldest first: the
   * outbox sends in order, so the oldest open command gets the next message in its channel.
   */
  const pending = new Map<string, PendingReply[]>();

  const fail = (err: unknown, what: string) => translateError(err, opts.token, what);

  const makeClient = () =>
    new Client({
      intents: [GatewayIntentBits.Guilds],
      rest: { ...(opts.apiRoot ? { api: opts.apiRoot } : {}), rejectOnRateLimit, timeout: opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS },
      allowedMentions: { parse: [] },
    });

  const userOf = (i: Interaction): ChatUser => ({ id: i.user.id, name: i.user.username });

  /**
   * Removes and returns the oldest open deferral in a channel (or exactly `only`, when given).
   * A message for everyone never takes an ephemeral deferral: only the asker would see it.
   */
  function takePending(chatId: string, o: { only?: ChatInputCommandInteraction; privateOk?: boolean } = {}): PendingReply | undefined {
    const list = pending.get(chatId);
    if (!list?.length) return undefined;
    const k = o.only ? list.findIndex((p) => p.interaction === o.only) : list.findIndex((p) => o.privateOk || !p.ephemeral);
    if (k < 0) return undefined;
    const [p] = list.splice(k, 1);
    if (!list.length) pending.delete(chatId);
    clearTimeout(p.timer);
    return p;
  }

  /** Declared options per command name, from the specs given to start(). */
  let declaredOptions = new Map<string, CommandOption[] | undefined>();

  async function onSlash(i: ChatInputCommandInteraction, handlers: InboundHandlers) {
    // A refusal is answered so that only the asker sees it (ephemeral), never in the channel.
    const refusal = handlers.isRefusal?.({ adapter: 'discord', user: userOf(i), command: i.commandName.toLowerCase() }) ?? false;
    await i.deferReply(refusal ? { flags: MessageFlags.Ephemeral } : undefined);
    const chatId = i.channelId;
    // If the app never answers, close the "thinking..." placeholder before the token expires.
    const timer = setTimeout(() => {
      if (takePending(chatId, { only: i })) void i.editReply({ content: '✓' }).catch(() => {});
    }, replyWindowMs);
    timer.unref();
    pending.set(chatId, [...(pending.get(chatId) ?? []), { interaction: i, timer, ephemeral: refusal }]);
    const name = i.commandName.toLowerCase();
    const args = argsFromOptions(declaredOptions.get(name), i.options.data);
    try {
      await handlers.onCommand({
        adapter: 'discord',
        chatId,
        user: userOf(i),
        command: name,
        args,
      });
    } catch (err) {
      log.error({ err: fail(err, 'command handler').message, command: i.commandName }, 'discord command failed');
      if (takePending(chatId, { only: i })) {
        await i.editReply({ content: '⚠️ Something went wrong with that command.' }).catch(() => {});
      }
    }
  }

  async function onButtonPress(i: ButtonInteraction, handlers: InboundHandlers) {
    await i.deferReply({ flags: MessageFlags.Ephemeral });
    let notice: string;
    try {
      notice = await handlers.onButton({
        adapter: 'discord',
        chatId: i.channelId,
        messageId: i.message.id,
        user: userOf(i),
        data: i.customId,
      });
    } catch (err) {
      log.error({ err: fail(err, 'button handler').message }, 'discord button failed');
      notice = '⚠️ Something went wrong.';
    }
    await i.editReply({ content: notice.slice(0, DISCORD_TEXT_LIMIT) || '✓', allowedMentions: { parse: [] } });
  }

  async function fetchSendable(chatId: string) {
    if (!client) throw new Error('Discord adapter is not started');
    let ch;
    try {
      ch = await client.channels.fetch(chatId);
    } catch (err) {
      throw fail(err, `fetch channel ${chatId}`);
    }
    if (!ch || !ch.isSendable()) throw new PermanentSendError(`Discord channel ${chatId} is not a channel we can post in`);
    return ch;
  }

  return {
    name: 'discord',
    pushChatId: opts.pushChannelId,
    pushChatIds: opts.pushChannelId ? [opts.pushChannelId] : [],
    identity: () => client?.user?.tag ?? 'Discord bot',

    async start(handlers, commands) {
      if (client) throw new Error('Discord adapter already started');
      const c = makeClient();
      client = c;
      declaredOptions = new Map(commands.map((x) => [x.name.toLowerCase().slice(0, 32), x.options]));
      c.on(Events.Error, (err) => log.error({ err: fail(err, 'client').message }, 'discord client error'));
      c.on(Events.ShardError, (err) => log.warn({ err: fail(err, 'gateway').message }, 'discord gateway error'));
      c.on(Events.Warn, (m) => log.warn({ warning: translateError(m, opts.token, 'client').message }, 'discord warning'));
      c.on(Events.InteractionCreate, (i) => {
        const job = i.isChatInputCommand() ? onSlash(i, handlers) : i.isButton() ? onButtonPress(i, handlers) : undefined;
        job?.catch((err: unknown) => log.error({ err: fail(err, 'interaction').message }, 'discord interaction failed'));
      });

      try {
        let timer: NodeJS.Timeout | undefined;
        const ready = new Promise<void>((resolve, reject) => {
          c.once(Events.ClientReady, () => resolve());
          timer = setTimeout(() => reject(new Error(`Discord gateway not ready after ${readyTimeoutMs} ms`)), readyTimeoutMs);
        });
        ready.catch(() => {}); // login may fail first; its error is the one to report
        try {
          await c.login(opts.token);
          await ready;
        } finally {
          clearTimeout(timer);
        }
        const app = c.application;
        if (!app) throw new Error('Discord READY carried no application');
        const defs = slashCommandDefs(commands);
        await (opts.guildId ? app.commands.set(defs, opts.guildId) : app.commands.set(defs));
        log.info({ user: c.user?.tag, commands: defs.length, scope: opts.guildId ? 'guild' : 'global' }, 'discord ready');
      } catch (err) {
        client = undefined;
        await c.destroy().catch(() => {});
        throw fail(err, 'login');
      }
    },

    async stop() {
      for (const list of pending.values()) for (const p of list) clearTimeout(p.timer);
      pending.clear();
      const c = client;
      client = undefined;
      await c?.destroy();
    },

    async send(chatId, msg, progress?: SendProgress) {
      const parts = discordParts(msg);
      const rows = msg.buttons?.length ? buttonRows(msg.buttons) : [];
      const ch = await fetchSendable(chatId);
      let carrierId = '';
      /** A private message answering a public deferral goes on as ephemeral followups of it. */
      let privateVia: ChatInputCommandInteraction | undefined;
      for (let k = 0; k < parts.length; k++) {
        const { key, content: text, embeds } = parts[k];
        const first = k === 0;
        const last = k === parts.length - 1;
        if (progress?.done.has(key)) {
          // Accepted by an earlier attempt: not again (and a deferral waits for the next message).
          if (last) carrierId = progress.done.get(key) ?? '';
          continue;
        }
        // The chart rides on the first part; its embed (if any) shows it as attachment://chart.png.
        const files = first && msg.imagePath ? [new AttachmentBuilder(msg.imagePath, { name: CHART_FILE })] : [];
        const components = last ? rows : [];
        // Discord refuses a message with nothing in it.
        const content = text || (files.length || components.length || embeds.length ? '' : '\u200b');
        const payload = { content, embeds, files, components, allowedMentions: { parse: [] } } satisfies MessageCreateOptions &
          InteractionEditReplyOptions;
        const deferred = first ? takePending(chatId, { privateOk: !!msg.private }) : undefined;
        let id: string | undefined;
        try {
          if (privateVia) id = (await privateVia.followUp({ ...payload, flags: MessageFlags.Ephemeral })).id;
          else if (deferred && msg.private && (!deferred.ephemeral || deferred.placeholderGone)) {
            // The deferral was public ("thinking..." in the channel) and the answer is for the
            // asker only (a usage error): Discord cannot turn a reply ephemeral, so the public
            // placeholder goes and the answer follows ephemerally.
            if (!deferred.placeholderGone) await deferred.interaction.deleteReply();
            privateVia = deferred.interaction;
            id = (await privateVia.followUp({ ...payload, flags: MessageFlags.Ephemeral })).id;
          } else if (deferred) id = (await deferred.interaction.editReply(payload)).id;
        } catch (err) {
          if (privateVia) {
            // Keep the asker's interaction for the outbox's retry (first in line, private only),
            // so the answer is never posted in the channel instead.
            const timer = setTimeout(() => takePending(chatId, { only: privateVia }), replyWindowMs);
            timer.unref();
            pending.set(chatId, [{ interaction: privateVia, timer, ephemeral: true, placeholderGone: true }, ...(pending.get(chatId) ?? [])]);
            throw fail(err, `private answer in ${chatId}`);
          }
          // Token expired or the reply was deleted: post to the channel instead.
          log.warn({ err: fail(err, 'deferred reply').message, chatId }, 'discord deferred reply failed, posting instead');
        }
        if (id === undefined) {
          try {
            // A push the trader set to silent: Discord's "suppress notifications" flag.
            const quietly = msg.silent ? { flags: MessageFlags.SuppressNotifications as const } : {};
            id = (await ch.send(progress ? { ...payload, ...quietly, nonce: partNonce(progress.key, k), enforceNonce: true } : { ...payload, ...quietly })).id;
          } catch (err) {
            throw fail(err, `send to ${chatId}`);
          }
        }
        progress?.accepted(key, id);
        if (last) carrierId = id;
      }
      return carrierId;
    },

    async edit(chatId, messageId, msg) {
      const ch = await fetchSendable(chatId);
      if (!('messages' in ch)) throw new PermanentSendError(`Discord channel ${chatId} has no messages to edit`);
      const components = msg.buttons ? { components: buttonRows(msg.buttons) } : {};
      try {
        if (isCard(msg)) {
          // A report edited (a proposal approved or rejected): its embed is replaced. The chart
          // stays attached (without an `attachments` field Discord keeps them), and the new embed
          // shows it again when the message has it; an edit never carries the image itself.
          // Reading the message must never block the edit (no history permission, say): then the
          // chart stays as a plain attachment below the embed.
          const hasChart = await ch.messages
            .fetch(messageId)
            .then((old) => old.attachments.some((a) => a.name === CHART_FILE))
            .catch((err: unknown) => {
              log.warn({ err: fail(err, `read ${messageId}`).message, chatId }, 'discord could not read the message to edit; its chart stays outside the embed');
              return false;
            });
          const [embeds, ...rest] = cardMessages(msg, hasChart);
          // An edit is one message: what does not fit is cut, and the cut is said.
          if (rest.length) {
            const e = embeds[embeds.length - 1];
            if (e.description) e.description = e.description.slice(0, -1) + '…';
          }
          await ch.messages.edit(messageId, { content: '', embeds, ...components, allowedMentions: { parse: [] } });
          return;
        }
        let chunks = discordChunks(msg);
        if (chunks.length > 1) {
          // An edit is one message: keep whole lines and say that something was cut.
          chunks = splitLines(msg.rich.map(lineToDiscordMarkdown), DISCORD_TEXT_LIMIT - 2);
          chunks = [chunks[0] + '\n…'];
        }
        // Attachments are left alone: without an `attachments` field Discord keeps them.
        await ch.messages.edit(messageId, { content: chunks[0] || '\u200b', ...components, allowedMentions: { parse: [] } });
      } catch (err) {
        throw fail(err, `edit ${messageId} in ${chatId}`);
      }
    },
  };
}
