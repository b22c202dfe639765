/**
 * Telegram chat adapter on grammy long polling. It turns Telegram updates into chat-neutral
 * commands and button presses, and chat-neutral messages into Telegram HTML within Telegram's
 * limits. It never retries by itself: failures are classified (RetryLaterError, plain Error =
 * transient, PermanentSendError) and the app's outbox decides. The bot token is scrubbed from
 * every error and log line, because grammy's errors may carry request URLs that contain it.
 */
import { stat } from 'node:fs/promises';
import { Bot, GrammyError, HttpError, InputFile } from 'grammy';
import type { BotCommand, InlineKeyboardButton, InlineKeyboardMarkup } from 'grammy/types';
import { escapeHtml, lineToTelegramHtml, richToPlain, splitLines, type Rich } from '../render/rich.js';
import {
  PermanentSendError,
  RetryLaterError,
  type Button,
  type ChatAdapter,
  type ChatUser,
  type CommandSpec,
  type InboundHandlers,
} from './types.js';

export interface TelegramOptions {
  token: string;
  apiRoot?: string;
  pushChatId?: string;
  /** grammy long-poll timeout seconds, default 30; tests use 1 */
  pollTimeoutSec?: number;
  logger?: {
    info(o: object, m?: string): void;
    warn(o: object, m?: string): void;
    error(o: object, m?: string): void;
  };
}

// Telegram's documented limits (characters after entity parsing; we measure the HTML source,
// which is never shorter, so staying under these is always safe).
export const TEXT_LIMIT = 4096;
export const CAPTION_LIMIT = 1024;
const CALLBACK_NOTICE_LIMIT = 200;
const COMMAND_NAME_LIMIT = 32;
const COMMAND_DESCRIPTION_LIMIT = 256;
const MAX_COMMANDS = 100;
/** How long stop() waits for handlers that are still running before giving up on them. */
const STOP_GRACE_MS = 10_000;

const fallbackLogger: NonNullable<TelegramOptions['logger']> = {
  info: () => {},
  warn: (o, m) => console.warn(m ?? '', o),
  error: (o, m) => console.error(m ?? '', o),
};

/** `/cmd@bot a b` -> { command, mention, args }; undefined when the text is not a command. */
export function parseCommandText(text: string): { command: string; mention?: string; args: string[] } | undefined {
  const m = /^\/([^\s@]+)(?:@(\S+))?(?:\s+([\s\S]*))?$/.exec(text.trim());
  if (!m) return undefined;
  const args = (m[3] ?? '').split(/\s+/).filter(Boolean);
  return { command: m[1].toLowerCase(), mention: m[2], args };
}

/**
 * Rich -> HTML lines. A single line longer than `limit` would be cut hard by splitLines, possibly
 * inside a tag or an `&amp;`; such a line is rendered plain instead and cut between characters,
 * so every chunk stays valid HTML.
 */
export function richToHtmlLines(rich: Rich, limit: number): string[] {
  const out: string[] = [];
  for (const line of rich) {
    const html = lineToTelegramHtml(line);
    if (html.length <= limit) {
      out.push(html);
      continue;
    }
    let cur = '';
    for (const ch of line.map((s) => s.text).join('')) {
      const e = escapeHtml(ch);
      if (cur.length + e.length > limit) {
        out.push(cur);
        cur = '';
      }
      cur += e;
    }
    if (cur) out.push(cur);
  }
  return out;
}

/** Whole lines that fit in `limit`, with `…` marking what was cut (for captions and edits). */
export function fitLines(lines: string[], limit: number): string {
  const all = lines.join('\n');
  if (all.length <= limit) return all;
  let out = '';
  for (const line of lines) {
    const next = out ? out + '\n' + line : line;
    if (next.length + 2 > limit) break;
    out = next;
  }
  return out ? out + '\n…' : '…';
}

/** grammy types its signals with the abort-controller polyfill; a native signal works the same. */
type GrammySignal = Parameters<Bot['init']>[0];
const grammySignal = (c: AbortController): GrammySignal => c.signal as unknown as GrammySignal;

async function isReadableFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

function keyboard(buttons: Button[][] | undefined): InlineKeyboardMarkup {
  return {
    inline_keyboard: (buttons ?? []).map((row) =>
      row.map((b): InlineKeyboardButton.CallbackButton => ({
        text: b.label,
        callback_data: b.data,
        // Telegram knows danger/success/primary; 'secondary' is its default look.
        ...(b.style && b.style !== 'secondary' ? { style: b.style } : {}),
      })),
    ),
  };
}

function telegramCommands(commands: CommandSpec[]): BotCommand[] {
  const seen = new Set<string>();
  const out: BotCommand[] = [];
  for (const c of commands) {
    // Telegram accepts only [a-z0-9_]{1,32}; anything else would make the whole call fail.
    const command = c.name.toLowerCase().replace(/^\//, '').slice(0, COMMAND_NAME_LIMIT);
    if (!/^[a-z0-9_]+$/.test(command) || seen.has(command)) continue;
    seen.add(command);
    const description = (c.description.trim() || command).slice(0, COMMAND_DESCRIPTION_LIMIT);
    out.push({ command, description });
  }
  return out.slice(0, MAX_COMMANDS);
}

export function createTelegramAdapter(opts: TelegramOptions): ChatAdapter {
  const log = opts.logger ?? fallbackLogger;
  const token = opts.token;
  const scrub = (s: string): string => {
    let out = s;
    for (const t of new Set([token, encodeURIComponent(token)])) if (t) out = out.split(t).join('<token>');
    return out;
  };
  const errText = (e: unknown): string => scrub(e instanceof Error ? e.message : String(e));

  const bot = new Bot(token, { client: { ...(opts.apiRoot ? { apiRoot: opts.apiRoot } : {}) } });
  let startAbort: AbortController | undefined;
  let polling: Promise<void> | undefined;
  const inflight = new Set<Promise<unknown>>();
  const track = <T>(p: Promise<T>): Promise<T> => {
    inflight.add(p);
    return p.finally(() => inflight.delete(p));
  };

  /** Classifies a grammy failure for the outbox; the returned error never contains the token. */
  function mapError(e: unknown, what: string): Error {
    if (e instanceof GrammyError) {
      const msg = scrub(`telegram ${what}: ${e.error_code} ${e.description}`);
      if (e.error_code === 429) return new RetryLaterError(msg, Math.max(1, e.parameters.retry_after ?? 1) * 1000);
      // 401/404 mean a bad or revoked token: not the message's fault, so keep it queued.
      if (e.error_code >= 500 || e.error_code === 401 || e.error_code === 404) return new Error(msg);
      return new PermanentSendError(msg);
    }
    if (e instanceof HttpError) {
      // grammy keeps the underlying fetch error (whose text may hold the URL) in `.error`.
      const inner = e.error instanceof Error ? `: ${e.error.message}` : '';
      return new Error(scrub(`telegram ${what}: ${e.message}${inner}`));
    }
    return new Error(scrub(`telegram ${what}: ${errText(e)}`));
  }

  async function call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw mapError(e, what);
    }
  }

  const isGrammy = (e: unknown, fragment: string) => e instanceof GrammyError && e.description.toLowerCase().includes(fragment);

  const userOf = (from: { id: number; username?: string; first_name: string }): ChatUser => ({
    id: String(from.id),
    name: from.username ?? from.first_name,
  });

  // Middleware is installed once (grammy forbids bot.use after the first start); it reads the
  // handlers given to the latest start().
  let handlers: InboundHandlers | undefined;
  {
    bot.on('message:text', async (ctx) => {
      const parsed = parseCommandText(ctx.message.text);
      if (!parsed || !ctx.from || !handlers) return; // plain chatter is not for us
      // In groups `/status@otherbot` is addressed to another bot: leave it alone.
      if (parsed.mention && parsed.mention.toLowerCase() !== (bot.botInfo.username ?? '').toLowerCase()) return;
      await track(
        handlers.onCommand({
          adapter: 'telegram',
          chatId: String(ctx.chat.id),
          user: userOf(ctx.from),
          command: parsed.command,
          args: parsed.args,
        }),
      );
    });

    bot.on('callback_query', async (ctx) => {
      const q = ctx.callbackQuery;
      const message = q.message;
      if (!message || q.data === undefined || !handlers) {
        await ctx.answerCallbackQuery(); // inline-mode or game buttons: nothing of ours
        return;
      }
      let notice: string | undefined;
      try {
        notice = await track(
          handlers.onButton({
            adapter: 'telegram',
            chatId: String(message.chat.id),
            messageId: String(message.message_id),
            user: userOf(q.from),
            data: q.data,
          }),
        );
      } finally {
        // Always answer, or the user's button keeps spinning; a failure is logged by bot.catch.
        await ctx.answerCallbackQuery(notice ? { text: notice.slice(0, CALLBACK_NOTICE_LIMIT) } : undefined);
      }
    });

    // Without this, grammy stops polling on the first handler error.
    bot.catch((err) => {
      log.error({ err: errText(err.error), updateId: err.ctx.update.update_id }, 'telegram update handler failed');
    });
  }

  /** Sends HTML chunks as messages; buttons on the last one; returns the last id. */
  async function sendChunks(chatId: string, chunks: string[], buttons: Button[][] | undefined): Promise<string> {
    let lastId = '';
    for (let i = 0; i < chunks.length; i++) {
      const last = i === chunks.length - 1;
      const m = await call('sendMessage', () =>
        bot.api.sendMessage(chatId, chunks[i], {
          parse_mode: 'HTML',
          link_preview_options: { is_disabled: true },
          ...(last && buttons?.length ? { reply_markup: keyboard(buttons) } : {}),
        }),
      );
      lastId = String(m.message_id);
    }
    return lastId;
  }

  return {
    name: 'telegram',
    pushChatId: opts.pushChatId,

    async start(h, commands) {
      handlers = h;
      if (polling) return;
      startAbort = new AbortController();
      try {
        await bot.init(grammySignal(startAbort)); // getMe: fails fast on a bad token
      } catch (e) {
        throw mapError(e, 'getMe');
      }
      try {
        await bot.api.setMyCommands(telegramCommands(commands), undefined, grammySignal(startAbort));
      } catch (e) {
        // The command menu is a convenience; a bot without it still works.
        log.warn({ err: mapError(e, 'setMyCommands').message }, 'telegram setMyCommands failed');
      }
      await new Promise<void>((resolve, reject) => {
        polling = bot
          .start({
            timeout: opts.pollTimeoutSec ?? 30,
            allowed_updates: ['message', 'callback_query'],
            drop_pending_updates: false,
            onStart: () => resolve(),
          })
          .catch((e) => {
            polling = undefined;
            const err = mapError(e, 'polling');
            log.error({ err: err.message }, 'telegram polling stopped');
            reject(err); // no-op once start() has resolved
          });
      });
      log.info({ bot: bot.botInfo.username }, 'telegram polling started');
    },

    async stop() {
      startAbort?.abort();
      if (bot.isRunning()) {
        // Aborts the held getUpdates and confirms the offset with one short call.
        await bot.stop().catch((e) => log.warn({ err: errText(e) }, 'telegram stop: could not confirm update offset'));
      }
      polling = undefined;
      if (inflight.size) {
        // Let handlers that are mid-way finish, so nothing touches the app after stop().
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          Promise.allSettled([...inflight]),
          new Promise((r) => (timer = setTimeout(r, STOP_GRACE_MS))),
        ]);
        clearTimeout(timer);
      }
    },

    async send(chatId, msg) {
      const lines = richToHtmlLines(msg.rich, TEXT_LIMIT);
      const text = lines.join('\n');
      if (msg.imagePath && !(await isReadableFile(msg.imagePath))) {
        // A missing chart would fail the same way on every retry.
        throw new PermanentSendError('telegram sendPhoto: image file not found');
      }
      if (!msg.imagePath) {
        if (!richToPlain(msg.rich).trim()) throw new PermanentSendError('telegram sendMessage: empty message');
        return sendChunks(chatId, splitLines(lines, TEXT_LIMIT), msg.buttons);
      }
      const fits = text.length <= CAPTION_LIMIT;
      // When the text is too long for a caption, the photo gets its first line as a title and
      // the whole text follows as message(s); the buttons ride on the last message either way.
      const caption = fits ? text : fitLines(lines.slice(0, 1), CAPTION_LIMIT);
      const withButtons = fits && msg.buttons?.length;
      const photo = await call('sendPhoto', () =>
        bot.api.sendPhoto(chatId, new InputFile(msg.imagePath!), {
          ...(caption.trim() ? { caption, parse_mode: 'HTML' as const } : {}),
          ...(withButtons ? { reply_markup: keyboard(msg.buttons) } : {}),
        }),
      );
      if (fits) return String(photo.message_id);
      return sendChunks(chatId, splitLines(lines, TEXT_LIMIT), msg.buttons);
    },

    async edit(chatId, messageId, msg) {
      const id = Number(messageId);
      const lines = richToHtmlLines(msg.rich, TEXT_LIMIT);
      const reply_markup = keyboard(msg.buttons); // empty keyboard removes the buttons
      try {
        try {
          await bot.api.editMessageText(chatId, id, fitLines(lines, TEXT_LIMIT), {
            parse_mode: 'HTML',
            link_preview_options: { is_disabled: true },
            reply_markup,
          });
        } catch (e) {
          if (!isGrammy(e, 'no text in the message')) throw e;
          // A photo: its text lives in the caption (an edit cannot change the picture itself).
          await bot.api.editMessageCaption(chatId, id, {
            caption: fitLines(lines, CAPTION_LIMIT),
            parse_mode: 'HTML',
            reply_markup,
          });
        }
      } catch (e) {
        if (isGrammy(e, 'message is not modified')) return; // already looks like this: done
        throw mapError(e, 'edit');
      }
    },
  };
}
