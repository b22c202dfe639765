/**
 * Telegram chat adapter on grammy long polling. It turns Telegram updates into chat-neutral
 * commands and button presses, and chat-neutral messages into Telegram HTML within Telegram's
 * limits. It never retries by itself: failures are classified (RetryLaterError, plain Error =
 * transient, PermanentSendError) and the app's outbox decides. The bot token is scrubbed from
 * every error and log line, because grammy's errors may carry request URLs that contain it.
 *
 * Sending: every send or edit request has its own timeout (`requestTimeoutSec`, 20 s by default,
 * far below grammy's 500 s), and a message's parts (photo, text chunks) are sent one by one, each
 * reported to the outbox's SendProgress as soon as Telegram accepted it, skipping the ones already
 * accepted. A failed request is classified by how far it got (seen on the socket, see probes below):
 * not fully sent or answered with an error -> nothing was delivered (plain Error, retried);
 * answered 2xx but the answer was lost -> delivered (recorded, id unknown, not sent again); fully
 * sent and never answered (reset, timeout) -> maybe delivered: UncertainSendError, which the
 * outbox retries a bounded number of times only, since Telegram has no idempotency key; and such a
 * part is sent again only after a getMe shows that Telegram answers again.
 *
 * Forums: when a push chat is a forum, a message about one agent (OutgoingMessage.topic) goes to
 * that agent's topic, created once and kept in SQLite through the app's TopicStore (see "Forum
 * topics" below); a command typed in a topic is answered there (OutgoingMessage.thread).
 *
 * Receiving is the exception to "never retries": polling must never stop for good while the
 * process runs. A 409 (another instance polls the same token, e.g. while a redeploy overlaps),
 * a 401 (token refused) or any other getUpdates failure is logged once per episode and retried
 * with capped exponential backoff; recovery is logged too. Only stop() ends polling.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { stat } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { Bot, GrammyError, HttpError, InlineKeyboard, InputFile, type Transformer } from 'grammy';
import type { ApiError, BotCommand, InlineKeyboardButton, InlineKeyboardMarkup } from 'grammy/types';
import { escapeHtml, lineToTelegramHtml, richToPlain, splitLines, type Rich } from '../render/rich.js';
import {
  PermanentSendError,
  RetryLaterError,
  type Button,
  type ChatAdapter,
  type ChatUser,
  type CommandSpec,
  type InboundHandlers,
  type OutgoingMessage,
  type SendProgress,
  type TopicHelp,
  UncertainSendError,
} from './types.js';

export interface TelegramOptions {
  token: string;
  apiRoot?: string;
  pushChatId?: string;
  /** Several push chats (each trader's private chat when no group is configured); wins over pushChatId. */
  pushChatIds?: string[];
  /** grammy long-poll timeout seconds, default 30; tests use 1 */
  pollTimeoutSec?: number;
  /**
   * Seconds a send or edit request may take before it is abandoned (default 20). Every other call
   * (getUpdates included) is bounded by grammy's client timeout, set to the long-poll timeout plus this.
   */
  requestTimeoutSec?: number;
  /** Backoff of failed getUpdates (ms); the defaults are for production, tests shorten them. */
  pollRetry?: Partial<PollRetry>;
  /**
   * The dashboard's https address: set as the bot's menu button (a Mini App beside the message
   * field, setChatMenuButton) at start. Without it the menu button is left as it is.
   */
  menuWebApp?: { url: string; text: string };
  logger?: {
    info(o: object, m?: string): void;
    warn(o: object, m?: string): void;
    error(o: object, m?: string): void;
  };
}

// Telegram's documented limits (characters after entity parsing; we measure the HTML source,
// which is never shorter, so staying under these is always safe).
/** A polling trouble lasting this long is told in the push chats (once per episode). */
export const POLL_TROUBLE_TELL_MS = 60_000;

export const TEXT_LIMIT = 4096;
export const CAPTION_LIMIT = 1024;
const CALLBACK_NOTICE_LIMIT = 200;
const COMMAND_NAME_LIMIT = 32;
const TOPIC_NAME_LIMIT = 128;
const COMMAND_DESCRIPTION_LIMIT = 256;
const MAX_COMMANDS = 100;
/** How long stop() waits for handlers that are still running before giving up on them. */
const STOP_GRACE_MS = 10_000;
export const DEFAULT_REQUEST_TIMEOUT_SEC = 20;

/**
 * How far one request got, seen on its socket: fully written (`written`), answered (`status`).
 * A send runs inside `probes.run(probe, ...)`; the agent below finds the probe of the request it
 * is given and watches that request. Requests made outside a probe (polling...) are not watched.
 */
interface Probe {
  written: boolean;
  status?: number;
}
const probes = new AsyncLocalStorage<Probe>();

/** grammy's keep-alive agent for `apiRoot`, watching the requests of a probe. */
function probingAgent(apiRoot: string): http.Agent {
  const agent = apiRoot.startsWith('http:') ? new http.Agent({ keepAlive: true }) : new https.Agent({ keepAlive: true });
  // addRequest is how a ClientRequest reaches its agent (what proxy agents hook too).
  const hook = agent as unknown as { addRequest(req: http.ClientRequest, ...rest: unknown[]): unknown };
  const addRequest = hook.addRequest.bind(agent);
  hook.addRequest = (req, ...rest) => {
    const probe = probes.getStore();
    if (probe) {
      req.once('finish', () => (probe.written = true));
      req.once('response', (res: http.IncomingMessage) => (probe.status = res.statusCode));
    }
    return addRequest(req, ...rest);
  };
  return agent;
}

export interface PollRetry {
  /** first wait after a failed getUpdates (409 and anything but a refused token), doubling... */
  baseMs: number;
  /** ...up to this */
  maxMs: number;
  /** first wait after the token was refused (401/404): it rarely fixes itself quickly, doubling... */
  refusedBaseMs: number;
  /** ...up to this */
  refusedMaxMs: number;
  /** A trouble lasting this long is told in the push chats, once per episode. */
  tellAfterMs: number;
}
export const DEFAULT_POLL_RETRY: PollRetry = { baseMs: 1_000, maxMs: 60_000, refusedBaseMs: 30_000, refusedMaxMs: 600_000, tellAfterMs: POLL_TROUBLE_TELL_MS };

type PollFailureKind = 'conflict' | 'refused' | 'other';
interface PollFailure {
  kind: PollFailureKind;
  /** scrubbed: never contains the token */
  err: string;
  /** Telegram's retry_after (429), a floor for the wait */
  retryAfterMs?: number;
}

/** What abortable waits listen to: native signals and grammy's polyfilled ones alike. */
interface Abortable {
  readonly aborted: boolean;
  addEventListener(type: 'abort', f: () => void): void;
  removeEventListener(type: 'abort', f: () => void): void;
}

/** Resolves after `ms`; rejects at once when a signal aborts, leaving no timer behind. */
function pause(ms: number, signals: Array<Abortable | undefined>): Promise<void> {
  const sigs = signals.filter((s): s is Abortable => s !== undefined);
  return new Promise((resolve, reject) => {
    if (sigs.some((s) => s.aborted)) return reject(new Error('telegram polling stopped'));
    const finish = (f: () => void) => {
      clearTimeout(timer);
      for (const s of sigs) s.removeEventListener('abort', onAbort);
      f();
    };
    const onAbort = () => finish(() => reject(new Error('telegram polling stopped')));
    const timer = setTimeout(() => finish(resolve), ms);
    for (const s of sigs) s.addEventListener('abort', onAbort);
  });
}

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

/** The forum thread a message goes to; undefined: the chat itself (a forum's General topic). */
type Thread = number | undefined;
const inThread = (t: Thread) => (t === undefined ? {} : { message_thread_id: t });
/** A push the trader set to silent arrives without a sound. */
const quiet = (silent: boolean | undefined) => (silent ? { disable_notification: true } : {});

/** Telegram answered "message thread not found": the topic was deleted, or the chat is no forum. */
class ThreadGone extends Error {}

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
      row.map((b): InlineKeyboardButton.CallbackButton | InlineKeyboardButton.WebAppButton =>
        b.webApp
          ? InlineKeyboard.webApp(b.label, b.webApp)
          : {
              text: b.label,
              callback_data: b.data,
              // Telegram knows danger/success/primary; 'secondary' is its default look.
              ...(b.style && b.style !== 'secondary' ? { style: b.style } : {}),
            },
      ),
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

  const requestTimeoutSec = opts.requestTimeoutSec ?? DEFAULT_REQUEST_TIMEOUT_SEC;
  const bot = new Bot(token, {
    client: {
      ...(opts.apiRoot ? { apiRoot: opts.apiRoot } : {}),
      // A backstop for every call: grammy's default is 500 s. A long poll is held up to its own timeout.
      timeoutSeconds: (opts.pollTimeoutSec ?? 30) + requestTimeoutSec,
      baseFetchConfig: { agent: probingAgent(opts.apiRoot ?? 'https://api.telegram.org') },
    },
  });
  const retry: PollRetry = { ...DEFAULT_POLL_RETRY, ...opts.pollRetry };
  /** One start()..stop(): `stopped` and `abort` end every wait of that run; `done` is its loop. */
  interface Run {
    stopped: boolean;
    abort: AbortController;
    done: Promise<void>;
  }
  let run: Run | undefined;
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
          // Typed in a forum topic (not General): answered there.
          ...(ctx.message.is_topic_message && ctx.message.message_thread_id ? { thread: String(ctx.message.message_thread_id) } : {}),
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

  // ---- Polling that never stops for good ----------------------------------------------------
  //
  // grammy's bot.start() keeps doing what it does well (offsets, update dispatch, bot.stop()'s
  // offset confirmation), but its own error handling does not fit: it rethrows 401 and 409 from
  // getUpdates, which ends polling for good, and retries everything else silently every 3 s on a
  // timer that bot.stop() cannot cancel. @grammyjs/runner is not a dependency here and treats
  // 401/409 as fatal too (and prints raw errors, which may hold the token, to the console). So the
  // retry sits underneath grammy's loop, in an API transformer on getUpdates (grammY's own hook
  // for this; its auto-retry plugin works the same way): a failed long poll is logged, waited out
  // with capped exponential backoff that stop() aborts at once, and tried again, and grammy only
  // ever sees a successful getUpdates or, after stop(), a cancelled one. supervise() below
  // restarts bot.start() if it still ends by an error (e.g. the error handler itself threw).

  /** The current failure episode: consecutive failed polls, by kind. */
  let episode: { kind: PollFailureKind; attempt: number; failures: number; since: number; told?: boolean } | undefined;

  function pollFailureOf(res: ApiError): PollFailure {
    const err = scrub(`${res.error_code} ${res.description}`);
    if (res.error_code === 409) return { kind: 'conflict', err };
    // 401 is Telegram's answer to a bad or revoked token; 404 is what a malformed one gets.
    if (res.error_code === 401 || res.error_code === 404) return { kind: 'refused', err };
    const retryAfter = res.error_code === 429 ? res.parameters?.retry_after : undefined;
    return { kind: 'other', err, ...(retryAfter ? { retryAfterMs: retryAfter * 1000 } : {}) };
  }

  /** Records a failed poll, logs it once per episode (unless `quiet`), and returns how long to wait. */
  function pollFailed(f: PollFailure, quiet = false): number {
    if (!episode) episode = { kind: f.kind, attempt: 0, failures: 0, since: Date.now() };
    const first = episode.failures === 0 || episode.kind !== f.kind;
    if (episode.kind !== f.kind) Object.assign(episode, { kind: f.kind, attempt: 0 });
    episode.failures++;
    const [base, max] = f.kind === 'refused' ? [retry.refusedBaseMs, retry.refusedMaxMs] : [retry.baseMs, retry.maxMs];
    const waitMs = Math.max(Math.min(max, base * 2 ** Math.min(episode.attempt++, 30)), f.retryAfterMs ?? 0);
    // A trouble that lasts is said in the push chats too (sending may work while polling does not,
    // e.g. another instance polling the same token), once per episode.
    if (!episode.told && Date.now() - episode.since >= retry.tellAfterMs) {
      episode.told = true;
      void tellPushChats(`⚠️ Telegram polling has been failing for ${Math.round((Date.now() - episode.since) / 1000)} s (${f.kind === 'conflict' ? '409: another instance is polling with this bot token' : f.kind === 'refused' ? 'the bot token is refused' : 'the Bot API does not answer'}); commands typed now are not seen until it recovers. It retries by itself.`);
    }
    if (first && !quiet) {
      const o = { err: f.err, retryInMs: waitMs };
      if (f.kind === 'conflict') {
        log.warn(o, 'telegram: another instance is polling with the same bot token (409 Conflict); polling goes on with backoff until it stops. Make sure only one instance runs');
      } else if (f.kind === 'refused') {
        log.error(o, 'telegram: the bot token was refused (see err: 401 Unauthorized or 404); polling goes on with backoff. Check TELEGRAM_BOT_TOKEN');
      } else {
        log.warn(o, 'telegram: getUpdates failed; polling goes on with backoff');
      }
    }
    return waitMs;
  }

  function pollSucceeded(): void {
    if (!episode) return;
    log.info({ lastError: episode.kind, failures: episode.failures, downMs: Date.now() - episode.since }, 'telegram polling recovered');
    if (episode.told) void tellPushChats(`✅ Telegram polling works again after ${Math.round((Date.now() - episode.since) / 1000)} s.`);
    episode = undefined;
  }

  /** Best effort, straight through the Bot API (not the outbox): a notice about the adapter itself. */
  async function tellPushChats(text: string): Promise<void> {
    for (const chatId of pushIds) await bot.api.sendMessage(chatId, text).catch((e) => log.warn({ err: errText(e) }, 'telegram: polling notice not delivered'));
  }

  const retryPolls: Transformer = async (prev, method, payload, signal) => {
    const r = run;
    // Only the long polls of grammy's loop (they carry its abort signal), not bot.stop()'s
    // offset confirmation nor anything after stop().
    if (method !== 'getUpdates' || !r || r.stopped || !signal) return prev(method, payload, signal);
    for (;;) {
      let failure: PollFailure;
      try {
        const res = await prev(method, payload, signal);
        if (res.ok) {
          pollSucceeded();
          return res;
        }
        if (r.stopped || signal.aborted) return res;
        failure = pollFailureOf(res);
      } catch (e) {
        if (r.stopped || signal.aborted) throw e; // bot.stop() cancelled the held poll
        failure = { kind: 'other', err: mapError(e, 'getUpdates').message };
      }
      // Rejects when stopped: grammy then treats the poll as cancelled and its loop ends.
      await pause(pollFailed(failure), [signal, r.abort.signal]);
    }
  };
  bot.api.config.use(retryPolls);

  /**
   * Runs bot.start() for one run until stop(). `onStarted` fires once, when polling first begins;
   * an error before that is start()'s error (`onFailed`), any later one restarts polling.
   */
  async function supervise(r: Run, onStarted: () => void, onFailed: (e: Error) => void): Promise<void> {
    let started = false;
    while (!r.stopped) {
      let err: Error;
      try {
        await bot.start({
          timeout: opts.pollTimeoutSec ?? 30,
          allowed_updates: ['message', 'callback_query'],
          drop_pending_updates: false,
          onStart: () => {
            if (!started) onStarted();
            else log.info({}, 'telegram polling restarted');
            started = true;
          },
        });
        if (r.stopped) return;
        err = new Error('telegram polling: bot.start() ended without stop()');
      } catch (e) {
        if (r.stopped) return;
        err = mapError(e, 'polling');
        if (!started) return onFailed(err);
      }
      const waitMs = pollFailed({ kind: 'other', err: err.message }, true);
      log.error({ err: err.message, retryInMs: waitMs }, 'telegram polling stopped by an error; restarting it');
      try {
        await pause(waitMs, [r.abort.signal]);
      } catch {
        return; // stopped
      }
    }
  }

  /** Runs one send/edit request under its own timeout, watched by a probe. */
  async function request<T>(fn: (signal: GrammySignal) => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown; probe: Probe; timedOut: boolean }> {
    const probe: Probe = { written: false };
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), requestTimeoutSec * 1000);
    try {
      return { ok: true, value: await probes.run(probe, () => fn(grammySignal(abort))) };
    } catch (error) {
      return { ok: false, error, probe, timedOut: abort.signal.aborted };
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Sends one part of a message (skipped when `progress` has it already) and reports it accepted;
   * returns its message id ('' when delivered but the id is unknown).
   */
  async function sendPart(what: string, part: string, progress: SendProgress | undefined, fn: (signal: GrammySignal) => Promise<{ message_id: number }>): Promise<string> {
    if (progress?.done.has(part)) return progress.done.get(part) ?? '';
    if (progress?.unanswered === part) {
      // Its last request got no answer and may have been delivered: send it again only if
      // Telegram answers at all now; during an outage or a storm of resets nothing is re-sent.
      const ping = await request((signal) => bot.api.getMe(signal));
      if (!ping.ok) throw new Error(`${mapError(ping.error, 'getMe').message} (Telegram does not answer; ${part} is not sent again until it does)`);
    }
    const r = await request(fn);
    if (r.ok) {
      const id = String(r.value.message_id);
      progress?.accepted(part, id);
      return id;
    }
    if (r.error instanceof GrammyError) throw isGrammy(r.error, 'message thread not found') ? new ThreadGone(mapError(r.error, what).message) : mapError(r.error, what);
    const { status, written } = r.probe;
    if (status !== undefined && status >= 200 && status < 300) {
      // Telegram answered 200 (so it delivered the part) and the answer was lost on the way.
      log.warn({ part, err: mapError(r.error, what).message }, 'telegram accepted a part but its answer was lost; not sending it again');
      progress?.accepted(part, null);
      return '';
    }
    const err = mapError(r.error, what);
    if (status === undefined && written) {
      const why = r.timedOut ? `no answer within ${requestTimeoutSec} s` : 'the connection ended without an answer';
      throw new UncertainSendError(`${err.message} (${why}; it may have been delivered)`, part);
    }
    throw err; // not (fully) sent, or refused with an error page: nothing delivered
  }

  /** Sends HTML chunks as messages (parts text:0, text:1...), then the buttons onto the last one; returns its id. */
  async function sendChunks(chatId: string, thread: Thread, chunks: string[], buttons: Button[][] | undefined, progress: SendProgress | undefined, silent = false): Promise<string> {
    let lastId = '';
    for (let i = 0; i < chunks.length; i++) {
      lastId = await sendPart('sendMessage', `text:${i}`, progress, (signal) =>
        bot.api.sendMessage(
          chatId,
          chunks[i],
          { parse_mode: 'HTML', link_preview_options: { is_disabled: true }, ...inThread(thread), ...quiet(silent) },
          signal,
        ),
      );
    }
    if (buttons?.length) await attachButtons(chatId, lastId, buttons, progress);
    return lastId;
  }

  /**
   * Buttons go on a message in a second step, once the message itself is recorded: a crash
   * between Telegram storing a message and the outbox recording it makes the restart send it
   * again, and the copy nobody recorded must not carry live Approve / Reject buttons that no
   * later edit can reach (its id was never known). An edit is idempotent: 'not modified' is done.
   */
  async function attachButtons(chatId: string, messageId: string, buttons: Button[][], progress: SendProgress | undefined): Promise<void> {
    if (progress?.done.has('buttons') || !messageId) return;
    try {
      await editRequest((signal) => bot.api.editMessageReplyMarkup(chatId, Number(messageId), { reply_markup: keyboard(buttons) }, signal));
    } catch (e) {
      if (!isGrammy(e, 'message is not modified')) throw mapError(e, 'editMessageReplyMarkup');
    }
    progress?.accepted('buttons', messageId);
  }

  /** An edit request under the request timeout; an edit is idempotent, so any failure is retryable as is. */
  async function editRequest<T>(fn: (signal: GrammySignal) => Promise<T>): Promise<T> {
    const r = await request(fn);
    if (r.ok) return r.value;
    if (r.timedOut) throw new Error(`${errText(r.error)} (no answer within ${requestTimeoutSec} s)`);
    throw r.error;
  }

  // ---- Forum topics: one per agent when a push chat is a forum --------------------------------
  //
  // A message with a `topic` (the agent) goes to that agent's topic when the chat is a forum
  // (getChat, asked once per chat): the topic is created the first time (createForumTopic,
  // claimed in SQLite first, see TopicStore) and its thread id kept there, so a restart reuses it.
  // A topic the admins deleted ("message thread not found") is created once more. Without the
  // "Manage topics" right the chat's messages go to the General topic, said once. Anything else
  // (no forum, no topic store, a private chat) is sent exactly as without topics.
  let topics: TopicHelp | undefined;
  /** Chat id -> whether it is a forum. */
  const forums = new Map<string, boolean>();
  /** Chats where the bot was refused topics: General until a restart. */
  const refused = new Set<string>();
  /** Creations under way ("chat\0topic"): one createForumTopic however many sends wait for it. */
  const creating = new Map<string, Promise<Thread>>();

  async function isForum(chatId: string): Promise<boolean> {
    const known = forums.get(chatId);
    if (known !== undefined) return known;
    // A user's private chat with the bot (a positive id) is never a forum: no getChat for it.
    if (Number(chatId) > 0) {
      forums.set(chatId, false);
      return false;
    }
    const r = await request((signal) => bot.api.getChat(chatId, signal));
    if (!r.ok) {
      const err = mapError(r.error, 'getChat');
      if (!(err instanceof PermanentSendError)) throw err; // transient: the outbox retries
      // Refused (e.g. chat not found): send as without topics; the send says what is wrong.
      log.warn({ chat: chatId, err: err.message }, 'telegram: getChat failed; sending without forum topics');
      forums.set(chatId, false);
      return false;
    }
    const forum = (r.value as { is_forum?: boolean }).is_forum === true;
    forums.set(chatId, forum);
    if (forum) log.info({ chat: chatId }, 'telegram: the chat is a forum; each agent gets its own topic');
    return forum;
  }

  /** The thread of `topic` in `chatId`, created the first time; undefined: the chat itself. */
  async function threadOf(chatId: string, topic: string): Promise<Thread> {
    const t = topics;
    if (!t || refused.has(chatId) || !(await isForum(chatId))) return undefined;
    const known = t.store.thread(chatId, topic);
    if (known) return Number(known);
    const key = `${chatId}\0${topic}`;
    let p = creating.get(key);
    if (!p) {
      p = createTopic(t, chatId, topic).finally(() => creating.delete(key));
      creating.set(key, p);
    }
    return p;
  }

  async function createTopic(t: TopicHelp, chatId: string, topic: string): Promise<Thread> {
    const claim = t.store.claim(chatId, topic);
    if (claim.thread) return Number(claim.thread);
    if (claim.unanswered > 0) {
      log.warn({ chat: chatId, topic, unanswered: claim.unanswered }, 'telegram: an earlier createForumTopic for this agent got no answer (a crash or a lost answer); creating it again, so an empty topic may exist twice');
    }
    const name = Array.from(t.title(topic).trim() || topic).slice(0, TOPIC_NAME_LIMIT).join('');
    const r = await request((signal) => bot.api.createForumTopic(chatId, name, {}, signal));
    if (r.ok) {
      const id = r.value.message_thread_id;
      t.store.record(chatId, topic, String(id));
      log.info({ chat: chatId, topic, thread: id }, 'telegram: created the forum topic of an agent');
      return id;
    }
    if (r.error instanceof GrammyError) {
      t.store.release(chatId, topic); // answered with a refusal: nothing was created
      if (isGrammy(r.error, 'not enough rights')) {
        refused.add(chatId);
        log.warn({ chat: chatId, err: scrub(r.error.description) }, 'telegram: the bot may not create forum topics in this chat (it lacks the "Manage topics" right); agents\' messages go to the General topic');
        t.tellRefused(chatId);
        return undefined;
      }
      const err = mapError(r.error, 'createForumTopic');
      if (!(err instanceof PermanentSendError)) throw err;
      // E.g. the chat is no forum any more: sent to the chat itself, as in any other chat.
      forums.set(chatId, false);
      log.warn({ chat: chatId, topic, err: err.message }, 'telegram: could not create a forum topic; sending to the chat itself');
      return undefined;
    }
    // Not answered: the claim stays when the topic may exist (the request was sent), so the next
    // try knows it repeats a creation; otherwise nothing was created.
    const { status, written } = r.probe;
    const maybeCreated = written && (status === undefined || (status >= 200 && status < 300));
    if (!maybeCreated) t.store.release(chatId, topic);
    throw mapError(r.error, 'createForumTopic');
  }

  /** `chat:message` of photos whose caption is the message (bounded: old entries are dropped). */
  const photoCarriers = new Set<string>();
  /** Sends a message (see ChatAdapter.send) into `thread` (undefined: the chat itself). */
  async function sendIn(chatId: string, thread: Thread, msg: OutgoingMessage, progress: SendProgress | undefined): Promise<string> {
    const lines = richToHtmlLines(msg.rich, TEXT_LIMIT);
    const text = lines.join('\n');
    if (msg.imagePath && !progress?.done.has('photo') && !(await isReadableFile(msg.imagePath))) {
      // A missing chart would fail the same way on every retry.
      throw new PermanentSendError('telegram sendPhoto: image file not found');
    }
    if (!msg.imagePath) {
      if (!richToPlain(msg.rich).trim()) throw new PermanentSendError('telegram sendMessage: empty message');
      return sendChunks(chatId, thread, splitLines(lines, TEXT_LIMIT), msg.buttons, progress, msg.silent);
    }
    const fits = text.length <= CAPTION_LIMIT;
    // When the text is too long for a caption, the photo gets its first line as a title and
    // the whole text follows as message(s); the buttons ride on the last message either way.
    const caption = fits ? text : fitLines(lines.slice(0, 1), CAPTION_LIMIT);
    const photoId = await sendPart('sendPhoto', 'photo', progress, (signal) =>
      bot.api.sendPhoto(chatId, new InputFile(msg.imagePath!), { ...(caption.trim() ? { caption, parse_mode: 'HTML' as const } : {}), ...inThread(thread), ...quiet(msg.silent) }, signal),
    );
    if (fits && msg.buttons?.length) await attachButtons(chatId, photoId, msg.buttons, progress);
    if (fits) {
      // Its text is a caption: an edit of it goes straight to editMessageCaption.
      if (photoId) photoCarriers.add(`${chatId}:${photoId}`);
      if (photoCarriers.size > 10_000) photoCarriers.delete(photoCarriers.values().next().value!);
      return photoId;
    }
    return sendChunks(chatId, thread, splitLines(lines, TEXT_LIMIT), msg.buttons, progress, msg.silent);
  }

  const pushIds = opts.pushChatIds?.length ? [...opts.pushChatIds] : opts.pushChatId ? [opts.pushChatId] : [];
  return {
    name: 'telegram',
    pushChatId: pushIds[0],
    pushChatIds: pushIds,
    health: () => (episode ? { ok: false, detail: `polling failing for ${Math.round((Date.now() - episode.since) / 1000)} s (${episode.kind})` } : { ok: true, detail: 'polling ok' }),
    identity: () => (bot.botInfo?.username ? `@${bot.botInfo.username}` : 'Telegram bot'),

    async start(h, commands) {
      handlers = h;
      if (run) return;
      const r: Run = { stopped: false, abort: new AbortController(), done: Promise.resolve() };
      run = r;
      const fail = (e: Error): Error => {
        if (run === r) run = undefined;
        return e;
      };
      try {
        await bot.init(grammySignal(r.abort)); // getMe: fails fast on a bad token
      } catch (e) {
        throw fail(mapError(e, 'getMe'));
      }
      try {
        await bot.api.setMyCommands(telegramCommands(commands), undefined, grammySignal(r.abort));
      } catch (e) {
        // The command menu is a convenience; a bot without it still works.
        log.warn({ err: mapError(e, 'setMyCommands').message }, 'telegram setMyCommands failed');
      }
      if (opts.menuWebApp) {
        try {
          await bot.api.setChatMenuButton({ menu_button: { type: 'web_app', text: opts.menuWebApp.text, web_app: { url: opts.menuWebApp.url } } }, grammySignal(r.abort));
        } catch (e) {
          log.warn({ err: mapError(e, 'setChatMenuButton').message }, 'telegram setChatMenuButton failed');
        }
      }
      if (r.stopped) throw fail(new Error('telegram: stopped while starting'));
      await new Promise<void>((resolve, reject) => {
        r.done = supervise(r, resolve, (e) => reject(fail(e)));
      });
      log.info({ bot: bot.botInfo.username }, 'telegram polling started');
    },

    async stop() {
      const r = run;
      run = undefined;
      episode = undefined; // a later start() begins afresh
      if (r) {
        r.stopped = true;
        r.abort.abort(); // ends a start() under way and any backoff wait, at once
      }
      if (bot.isRunning()) {
        // Aborts the held getUpdates and confirms the offset with one short call.
        await bot.stop().catch((e) => log.warn({ err: mapError(e, 'getUpdates').message }, 'telegram stop: could not confirm update offset'));
      }
      // Let the polling loop end and handlers that are mid-way finish, so nothing polls or
      // touches the app after stop().
      const pending = [...inflight, ...(r ? [r.done] : [])];
      if (pending.length) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          Promise.allSettled(pending),
          new Promise((res) => (timer = setTimeout(res, STOP_GRACE_MS))),
        ]);
        clearTimeout(timer);
      }
    },

    useTopics(help) {
      topics = help;
    },

    async send(chatId, msg, progress) {
      // A reply in the topic it was asked in; an agent's message in the agent's topic (forums).
      let thread: Thread = msg.thread ? Number(msg.thread) : msg.topic ? await threadOf(chatId, msg.topic) : undefined;
      for (let again = false; ; again = true) {
        try {
          return await sendIn(chatId, thread, msg, progress);
        } catch (e) {
          if (!(e instanceof ThreadGone)) throw e;
          if (thread === undefined) throw new PermanentSendError(e.message);
          const gone = thread;
          if (msg.topic && !msg.thread && !again && topics) {
            // The admins deleted the agent's topic: it is created once more and the record updated.
            topics.store.forget(chatId, msg.topic, String(gone));
            thread = await threadOf(chatId, msg.topic);
            log.warn({ chat: chatId, topic: msg.topic, gone, thread }, 'telegram: the forum topic of an agent was deleted; created it again');
          } else {
            thread = undefined;
            log.warn({ chat: chatId, gone }, 'telegram: the forum topic is gone; sending to the General topic');
          }
        }
      }
    },

    async edit(chatId, messageId, msg) {
      const id = Number(messageId);
      const lines = richToHtmlLines(msg.rich, TEXT_LIMIT);
      const reply_markup = keyboard(msg.buttons); // empty keyboard removes the buttons
      // A message sent here as a photo is edited as a caption at once (trying text first cost a
      // 400 on every proposal edit). After a restart the kind is not known: text, then caption.
      if (photoCarriers.has(`${chatId}:${messageId}`)) {
        try {
          await editRequest((signal) => bot.api.editMessageCaption(chatId, id, { caption: fitLines(lines, CAPTION_LIMIT), parse_mode: 'HTML', reply_markup }, signal));
        } catch (e) {
          if (isGrammy(e, 'message is not modified')) return;
          throw mapError(e, 'edit');
        }
        return;
      }
      try {
        try {
          await editRequest((signal) =>
            bot.api.editMessageText(
              chatId,
              id,
              fitLines(lines, TEXT_LIMIT),
              { parse_mode: 'HTML', link_preview_options: { is_disabled: true }, reply_markup },
              signal,
            ),
          );
        } catch (e) {
          if (!isGrammy(e, 'no text in the message')) throw e;
          // A photo: its text lives in the caption (an edit cannot change the picture itself).
          await editRequest((signal) =>
            bot.api.editMessageCaption(chatId, id, { caption: fitLines(lines, CAPTION_LIMIT), parse_mode: 'HTML', reply_markup }, signal),
          );
        }
      } catch (e) {
        if (isGrammy(e, 'message is not modified')) return; // already looks like this: done
        throw mapError(e, 'edit');
      }
    },
  };
}
