/**
 * A local stand-in for the Telegram Bot API: a real HTTP server on 127.0.0.1 that answers the
 * subset of methods tradecrew uses, in the shape grammy expects (`{ok, result}` / `{ok:false,
 * error_code, description}`), so tests drive the real grammy client over real HTTP.
 * getUpdates is long-polled like the real server; otherwise grammy's loop would busy-poll.
 * Telegram's own checks that a user would notice (HTML parse errors, 4096/1024 length limits,
 * "no text in the message to edit", "message is not modified") are reproduced.
 *
 * Like the real server, one token has at most one getUpdates in progress: a new getUpdates
 * terminates the pending one, which is answered 409 "Conflict: terminated by other getUpdates
 * request" (this is what two overlapping instances see during a redeploy). A wrong token is
 * answered 401 "Unauthorized". Tests can inject these (`failGetUpdates`) or run a simulated
 * second instance polling the same token (`startCompetingInstance`).
 *
 * Faults for the outbox (`inject`): per method and/or per chat, a call can be held before it is
 * handled (and is handled even if the client gave up meanwhile, as Telegram does), answered 429
 * with retry_after (or any reply), or have its connection destroyed without an answer, either
 * before it is handled (nothing stored) or after (the message IS stored). `setChatRateLimit`
 * answers 429 to sends that come too soon after the previous one accepted in that chat, and
 * `setRefusing` makes the port refuse connections (an outage without any HTTP answer).
 *
 * Forums (`setForum`): such a chat is a supergroup with topics; getChat says `is_forum: true`,
 * createForumTopic (name 1-128 characters) answers a new `message_thread_id` (the id of the
 * topic's first message, as Telegram does), or 400 "not enough rights to create a topic" when the
 * bot lacks the right. `message_thread_id` on sendMessage, sendPhoto and editMessage* must name a
 * topic of a forum chat, else 400 "message thread not found". `deleteTopic` is an admin deleting a
 * topic: it goes with its messages. A command typed in a topic (`userSends(..., { thread })`)
 * carries `message_thread_id` and `is_topic_message` as in a real forum.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import busboy from 'busboy';

export interface StandinMessage {
  message_id: number;
  chat_id: number;
  text?: string;
  caption?: string;
  photoBytes?: number;
  parse_mode?: string;
  reply_markup?: any;
  edits: Array<{ text?: string; caption?: string; reply_markup?: any }>;
  /** The forum topic it was sent to (absent: the chat itself, a forum's General topic). */
  message_thread_id?: number;
  /** Its topic was deleted by an admin (and the message with it). */
  deleted?: boolean;
}
interface From {
  id: number;
  username?: string;
}
type Reply = { status: number; body: any };
/** One request the bot made, in arrival order; `status` is set once it has been answered. */
export interface StandinCall {
  method: string;
  body: any;
  /** Date.now() when the request arrived */
  at: number;
  status?: number;
  /** What an injected fault did to it: 'held', 'reset-before', 'reset-after', 'replied', 'rate-limited' */
  fault?: string[];
}

/** A fault injected into matching calls (see `inject`). */
export interface Fault {
  /** Only calls of this method (default: any method but getUpdates). */
  method?: string;
  /** Only calls to this chat. */
  chatId?: number;
  /** Let this many matching calls through untouched first (default 0): `skip: 1` hits the second. */
  skip?: number;
  /** How many matching calls it applies to (default 1; Infinity: until cleared). */
  times?: number;
  /** Hold the call this long first; it is still handled when the client has gone meanwhile. */
  delayMs?: number;
  /** Answer 429 Too Many Requests with this retry_after (seconds) instead of handling the call. */
  retryAfter?: number;
  /** Answer this instead of handling the call. */
  reply?: Reply;
  /** Destroy the connection without an answer: 'before' handling it (nothing stored) or 'after' (stored). */
  reset?: 'before' | 'after';
}
export interface FaultHandle {
  /** Calls it applied to so far. */
  readonly hits: number;
  /** Calls it will still apply to. */
  readonly remaining: number;
  clear(): void;
}

/** Telegram's answer to a getUpdates that another getUpdates of the same token terminated. */
export const CONFLICT_409: Reply = {
  status: 409,
  body: { ok: false, error_code: 409, description: 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running' },
};
/** Telegram's answer to any call with a bad (or revoked) token. */
export const UNAUTHORIZED_401: Reply = { status: 401, body: { ok: false, error_code: 401, description: 'Unauthorized' } };

const BOT = { id: 777000111, is_bot: true, first_name: 'TradeCrew', username: 'tradecrew_bot' };
const ALLOWED_TAGS = new Set(['b', 'strong', 'i', 'em', 'u', 'ins', 's', 'strike', 'del', 'code', 'pre', 'a', 'span', 'tg-spoiler', 'blockquote']);
const ok = (result: unknown): Reply => ({ status: 200, body: { ok: true, result } });
const bad = (description: string, code = 400): Reply => ({ status: code, body: { ok: false, error_code: code, description: `${code === 400 ? 'Bad Request: ' : ''}${description}` } });

/** Parses Telegram-style HTML; returns the visible text (what Telegram's limits count) or an error. */
function parseHtml(s: string): { text: string } | { error: string } {
  const open: string[] = [];
  let text = '';
  for (let i = 0; i < s.length; ) {
    if (s[i] === '<') {
      const m = /^<(\/?)([a-z-]+)[^<>]*>/.exec(s.slice(i));
      if (!m || !ALLOWED_TAGS.has(m[2])) return { error: `can't parse entities: Unsupported start tag at byte offset ${i}` };
      if (m[1] && open.pop() !== m[2]) return { error: `can't parse entities: Unmatched end tag at byte offset ${i}` };
      if (!m[1]) open.push(m[2]);
      i += m[0].length;
    } else if (s[i] === '&') {
      const m = /^&(lt|gt|amp|quot|#\d+);/.exec(s.slice(i));
      if (!m) return { error: `can't parse entities: Character entity expected at byte offset ${i}` };
      text += { lt: '<', gt: '>', amp: '&', quot: '"' }[m[1]] ?? '?';
      i += m[0].length;
    } else text += s[i++];
  }
  return open.length ? { error: `can't parse entities: Can't find end tag corresponding to start tag "${open.pop()}"` } : { text };
}

/** Reads a request body: JSON, urlencoded or multipart (grammy uses multipart for InputFile). */
function readBody(req: http.IncomingMessage): Promise<{ fields: Record<string, any>; files: Record<string, number> }> {
  const type = req.headers['content-type'] ?? '';
  const fields: Record<string, any> = {};
  const files: Record<string, number> = {};
  if (type.startsWith('multipart/form-data')) {
    return new Promise((resolve, reject) => {
      const bb = busboy({ headers: req.headers });
      bb.on('field', (name, value) => (fields[name] = value));
      bb.on('file', (name, stream) => {
        files[name] = 0;
        stream.on('data', (d: Buffer) => (files[name] += d.length));
      });
      bb.on('close', () => resolve({ fields, files }));
      bb.on('error', reject);
      req.pipe(bb);
    });
  }
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('error', reject);
    req.on('end', () => {
      const raw = Buffer.concat(parts).toString('utf8');
      try {
        if (type.startsWith('application/json')) Object.assign(fields, raw ? JSON.parse(raw) : {});
        else for (const [k, v] of new URLSearchParams(raw)) fields[k] = v;
        resolve({ fields, files });
      } catch (e) {
        reject(e);
      }
    });
  });
}

/** Form fields arrive as strings; Telegram accepts JSON-serialized objects in the structured ones. */
const JSON_FIELDS = new Set(['reply_markup', 'commands', 'allowed_updates', 'entities', 'caption_entities', 'link_preview_options']);
function decodeField(k: string, v: any): any {
  if (typeof v !== 'string' || !JSON_FIELDS.has(k)) return v;
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}

export async function startTelegramStandin(opts: { token: string }) {
  const sent: StandinMessage[] = [];
  const callbackAnswers: Array<{ callback_query_id: string; text?: string }> = [];
  const calls: StandinCall[] = [];
  const updates: any[] = [];
  const failures = new Map<string, Array<Reply>>();
  let waiters: Array<() => void> = [];
  /** The getUpdates in progress for the token (the bot's or the simulated other instance's). */
  let activePoll: { terminate(): void } | undefined;
  let competitor: { stop(): void } | undefined;
  let nextUpdateId = 1;
  let nextMessageId = 1;
  let down = false;
  let refusing = false;
  /** Forum chats: whether the bot may manage topics there, and its topics (thread id -> name). */
  const forums = new Map<number, { manageTopics: boolean; topics: Map<number, string> }>();
  const faults: Array<{ f: Fault; hits: number; remaining: number; skip: number }> = [];
  /** Minimum ms between two accepted sends per chat (the rate limit), and when the last one was. */
  const rateLimits = new Map<number, number>();
  const lastAccepted = new Map<number, number>();
  /** Held calls: releaseHolds() (or close()) lets them go on at once. */
  const holds = new Set<() => void>();
  const hold = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(t);
        holds.delete(done);
        resolve();
      };
      const t = setTimeout(done, ms);
      holds.add(done);
    });
  const SEND_METHODS = new Set(['sendMessage', 'sendPhoto']);
  /** The first fault matching this call, consumed once. */
  const takeFault = (method: string, body: any): Fault | undefined => {
    const chat = body.chat_id === undefined ? undefined : Number(body.chat_id);
    const hit = faults.find(
      (x) => x.remaining > 0 && (x.f.method ? x.f.method === method : method !== 'getUpdates') && (x.f.chatId === undefined || x.f.chatId === chat),
    );
    if (!hit) return undefined;
    if (hit.skip > 0) {
      hit.skip--;
      return undefined;
    }
    hit.remaining--;
    hit.hits++;
    return hit.f;
  };
  const tooManyRequests = (retryAfter: number): Reply => ({
    status: 429,
    body: { ok: false, error_code: 429, description: `Too Many Requests: retry after ${retryAfter}`, parameters: { retry_after: retryAfter } },
  });
  /** A send that comes too soon after the previous accepted one in a rate-limited chat gets a 429. */
  const rateLimited = (method: string, body: any): Reply | undefined => {
    if (!SEND_METHODS.has(method)) return undefined;
    const chat = Number(body.chat_id);
    const gap = rateLimits.get(chat);
    const last = lastAccepted.get(chat);
    if (gap === undefined || last === undefined) return undefined;
    const wait = last + gap - Date.now();
    return wait > 0 ? tooManyRequests(Math.ceil(wait / 1000)) : undefined;
  };
  const now = () => Math.floor(Date.now() / 1000);
  const chatOf = (id: number) => ({ id, type: id > 0 ? 'private' : 'supergroup', ...(forums.has(id) ? { is_forum: true } : {}) });
  /** message_thread_id must name a topic of a forum chat (as Telegram checks it); absent is the chat itself. */
  const checkThread = (b: any): Reply | undefined => {
    if (b.message_thread_id === undefined) return undefined;
    const forum = forums.get(Number(b.chat_id));
    const thread = Number(b.message_thread_id);
    if (!forum || !Number.isInteger(thread) || !forum.topics.has(thread)) return bad('message thread not found');
  };
  const wake = () => {
    const w = waiters;
    waiters = [];
    w.forEach((f) => f());
  };
  const publicMessage = (m: StandinMessage) => ({
    message_id: m.message_id,
    date: now(),
    chat: chatOf(m.chat_id),
    from: BOT,
    ...(m.message_thread_id !== undefined ? { message_thread_id: m.message_thread_id, is_topic_message: true } : {}),
    ...(m.photoBytes !== undefined
      ? { photo: [{ file_id: `photo${m.message_id}`, file_unique_id: `u${m.message_id}`, width: 800, height: 400, file_size: m.photoBytes }] }
      : {}),
    ...(m.text !== undefined ? { text: m.text } : {}),
    ...(m.caption !== undefined ? { caption: m.caption } : {}),
    ...(m.reply_markup?.inline_keyboard?.length ? { reply_markup: m.reply_markup } : {}),
  });

  /** Checks a text/caption the way Telegram does and returns an error reply, if any. */
  function checkText(s: string | undefined, parseMode: string | undefined, limit: number, what: string): Reply | undefined {
    if (s === undefined) return what === 'text' ? bad('message text is empty') : undefined;
    const parsed = parseMode === 'HTML' ? parseHtml(s) : { text: s };
    if ('error' in parsed) return bad(parsed.error);
    if (what === 'text' && !parsed.text.trim()) return bad('message text is empty');
    if (parsed.text.length > limit) return bad(what === 'text' ? 'message is too long' : 'message caption is too long');
  }

  const threadOf = (b: any) => (b.message_thread_id !== undefined ? { message_thread_id: Number(b.message_thread_id) } : {});

  function findMessage(b: any): StandinMessage | undefined {
    return sent.find((m) => m.chat_id === Number(b.chat_id) && m.message_id === Number(b.message_id) && !m.deleted);
  }

  async function getUpdates(b: any, res: http.ServerResponse): Promise<Reply> {
    const offset = Number(b.offset ?? 0);
    // Confirming: updates below `offset` are forgotten, as on the real server.
    while (updates.length && updates[0].update_id < offset) updates.shift();
    // One getUpdates per token at a time: this one terminates the one in progress (409 to it).
    activePoll?.terminate();
    let terminated = false;
    let wakeMe: (() => void) | undefined;
    const me = {
      terminate() {
        terminated = true;
        wakeMe?.();
      },
    };
    activePoll = me;
    try {
      const deadline = Date.now() + Number(b.timeout ?? 0) * 1000;
      while (updates.length === 0 && Date.now() < deadline && !res.destroyed && !terminated) {
        await new Promise<void>((resolve) => {
          const t = setTimeout(done, deadline - Date.now());
          function done() {
            clearTimeout(t);
            waiters = waiters.filter((w) => w !== done);
            res.off('close', done);
            wakeMe = undefined;
            resolve();
          }
          waiters.push(done);
          res.on('close', done);
          wakeMe = done;
        });
      }
    } finally {
      if (activePoll === me) activePoll = undefined;
    }
    if (terminated) return CONFLICT_409;
    return ok(updates.slice(0, Number(b.limit ?? 100)));
  }

  function handle(method: string, b: any, files: Record<string, number>, res: http.ServerResponse): Reply | Promise<Reply> {
    switch (method) {
      case 'getMe':
        return ok(BOT);
      case 'getUpdates':
        return getUpdates(b, res);
      case 'setMyCommands':
      case 'setChatMenuButton':
      case 'deleteWebhook':
        return ok(true);
      case 'getChat': {
        const id = Number(b.chat_id);
        if (!Number.isInteger(id) || id === 0) return bad('chat not found');
        return ok(id > 0 ? { id, type: 'private', first_name: `User${id}`, accent_color_id: 0, max_reaction_count: 11 } : { ...chatOf(id), title: `Group ${id}`, accent_color_id: 0, max_reaction_count: 11 });
      }
      case 'createForumTopic': {
        const chat = Number(b.chat_id);
        const forum = forums.get(chat);
        if (!forum) return bad('the chat is not a forum');
        const name = typeof b.name === 'string' ? b.name : '';
        // Telegram counts characters (UTF-16 code units here, as its other limits).
        if (name.length < 1 || name.length > 128) return bad('TOPIC_NAME_INVALID');
        if (!forum.manageTopics) return bad('not enough rights to create a topic');
        // The thread id is the id of the topic's first (service) message.
        const thread = nextMessageId++;
        forum.topics.set(thread, name);
        return ok({ message_thread_id: thread, name, icon_color: Number(b.icon_color ?? 7322096) });
      }
      case 'sendMessage': {
        const err = checkText(b.text, b.parse_mode, 4096, 'text') ?? checkThread(b);
        if (err) return err;
        const m: StandinMessage = { message_id: nextMessageId++, chat_id: Number(b.chat_id), text: b.text, parse_mode: b.parse_mode, reply_markup: b.reply_markup, edits: [], ...threadOf(b) };
        sent.push(m);
        return ok(publicMessage(m));
      }
      case 'sendPhoto': {
        const err = checkText(b.caption, b.parse_mode, 1024, 'caption') ?? checkThread(b);
        if (err) return err;
        const attach = typeof b.photo === 'string' && b.photo.startsWith('attach://') ? b.photo.slice(9) : undefined;
        if (attach === undefined || files[attach] === undefined) return bad('wrong file identifier/HTTP URL specified');
        const m: StandinMessage = { message_id: nextMessageId++, chat_id: Number(b.chat_id), caption: b.caption, photoBytes: files[attach], parse_mode: b.parse_mode, reply_markup: b.reply_markup, edits: [], ...threadOf(b) };
        sent.push(m);
        return ok(publicMessage(m));
      }
      case 'editMessageText':
      case 'editMessageCaption':
      case 'editMessageReplyMarkup': {
        const gone = checkThread(b);
        if (gone) return gone;
        const m = findMessage(b);
        if (!m) return bad('message to edit not found');
        const field = method === 'editMessageText' ? 'text' : method === 'editMessageCaption' ? 'caption' : undefined;
        if (field === 'text' && m.text === undefined) return bad('there is no text in the message to edit');
        if (field === 'caption' && m.photoBytes === undefined) return bad('there is no caption in the message to edit');
        if (field) {
          const err = checkText(b[field], b.parse_mode, field === 'text' ? 4096 : 1024, field);
          if (err) return err;
        }
        const markup = b.reply_markup?.inline_keyboard?.length ? b.reply_markup : undefined;
        const curMarkup = m.reply_markup?.inline_keyboard?.length ? m.reply_markup : undefined;
        if ((!field || b[field] === m[field]) && JSON.stringify(markup) === JSON.stringify(curMarkup))
          return bad('message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message');
        if (field) m[field] = b[field];
        m.reply_markup = markup;
        m.edits.push({ ...(field ? { [field]: b[field] } : {}), reply_markup: b.reply_markup });
        return ok(publicMessage(m));
      }
      case 'answerCallbackQuery':
        callbackAnswers.push({ callback_query_id: String(b.callback_query_id), ...(b.text !== undefined ? { text: b.text } : {}) });
        return ok(true);
      default:
        return { status: 404, body: { ok: false, error_code: 404, description: 'Not Found: method not found' } };
    }
  }

  const server = http.createServer(async (req, res) => {
    let call: StandinCall | undefined;
    const reply = (r: Reply) => {
      if (res.destroyed) return;
      if (call) call.status = r.status;
      res.writeHead(r.status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(r.body));
    };
    try {
      if (down) {
        req.resume();
        res.writeHead(502, { 'content-type': 'text/html' });
        return res.end('<html><body><h1>502 Bad Gateway</h1></body></html>');
      }
      const url = new URL(req.url ?? '/', 'http://x');
      const m = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(url.pathname);
      if (!m) return reply({ status: 404, body: { ok: false, error_code: 404, description: 'Not Found' } });
      const { fields, files } = await readBody(req);
      for (const [k, v] of url.searchParams) fields[k] ??= v;
      const body: Record<string, any> = {};
      for (const [k, v] of Object.entries(fields)) body[k] = decodeField(k, v);
      if (decodeURIComponent(m[1]) !== opts.token) return reply({ status: 401, body: { ok: false, error_code: 401, description: 'Unauthorized' } });
      const method = m[2];
      call = { method, body, at: Date.now() };
      calls.push(call);
      const queued = failures.get(method);
      if (queued?.length) return reply(queued.shift()!);
      const fault = takeFault(method, body);
      const mark = (what: string) => (call!.fault ??= []).push(what);
      if (fault?.delayMs) {
        mark('held');
        await hold(fault.delayMs);
      }
      if (fault?.reset === 'before') {
        mark('reset-before');
        return req.socket.destroy();
      }
      if (fault?.retryAfter !== undefined) {
        mark('replied');
        return reply(tooManyRequests(fault.retryAfter));
      }
      if (fault?.reply) {
        mark('replied');
        return reply(fault.reply);
      }
      const limited = rateLimited(method, body);
      if (limited) {
        mark('rate-limited');
        return reply(limited);
      }
      const answer = await handle(method, body, files, res);
      if (answer.status === 200 && SEND_METHODS.has(method)) lastAccepted.set(Number(body.chat_id), Date.now());
      if (fault?.reset === 'after') {
        mark('reset-after');
        return req.socket.destroy();
      }
      reply(answer);
    } catch (e) {
      reply(bad(`stand-in could not read the request: ${(e as Error).message}`));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  /** The next `n` calls of `method` get `response` (before any other check but the token). */
  const failNext = (method: string, n: number, response: Reply): void => {
    failures.set(method, [...(failures.get(method) ?? []), ...Array.from({ length: n }, () => response)]);
  };
  const pushUpdate = (u: object) => {
    updates.push({ update_id: nextUpdateId++, ...u });
    wake();
  };
  const user = (from: From) => ({ id: from.id, is_bot: false, first_name: from.username ?? `User${from.id}`, ...(from.username ? { username: from.username } : {}) });

  return {
    apiRoot: `http://127.0.0.1:${port}`,
    sent,
    callbackAnswers,
    calls,
    /** A user writes in a chat; `thread`: in that forum topic. */
    userSends(chatId: number, from: From, text: string, o: { thread?: number } = {}): void {
      const cmd = /^\/\S+/.exec(text);
      const inTopic = o.thread !== undefined ? { message_thread_id: o.thread, is_topic_message: true } : {};
      const message = { message_id: nextMessageId++, date: now(), chat: chatOf(chatId), ...inTopic, from: user(from), text };
      pushUpdate({ message: cmd ? { ...message, entities: [{ type: 'bot_command', offset: 0, length: cmd[0].length }] } : message });
    },
    userPresses(chatId: number, from: From, messageId: number, data: string): string {
      const id = `cbq${nextUpdateId}`;
      const m = sent.find((s) => s.chat_id === chatId && s.message_id === messageId);
      const message = m ? publicMessage(m) : { message_id: messageId, date: now(), chat: chatOf(chatId), text: '' };
      pushUpdate({ callback_query: { id, from: user(from), chat_instance: `ci${chatId}`, message, data } });
      return id;
    },
    failNext,
    /** The next `n` getUpdates are answered as real Telegram would: 409 Conflict or 401 Unauthorized. */
    failGetUpdates(n: number, code: 409 | 401): void {
      failNext('getUpdates', n, code === 409 ? CONFLICT_409 : UNAUTHORIZED_401);
    },
    /** How many injected failures of `method` are still to be answered. */
    pendingFailures(method: string): number {
      return failures.get(method)?.length ?? 0;
    },
    /**
     * A second bot instance polling the same token (as while two overlap in a redeploy). It holds
     * a getUpdates; when the bot's getUpdates terminates it, it polls again `retryMs` later, which
     * terminates the bot's (409 to the bot). It never takes updates, so what users send meanwhile
     * waits for the bot. `polls` counts its getUpdates; `stop()` is that instance exiting.
     */
    startCompetingInstance(o: { retryMs?: number } = {}): { readonly polls: number; stop(): void } {
      competitor?.stop();
      let polls = 0;
      let stopped = false;
      let timer: NodeJS.Timeout | undefined;
      const mine = {
        terminate() {
          if (activePoll === mine) activePoll = undefined;
          if (!stopped) timer = setTimeout(poll, o.retryMs ?? 50);
        },
      };
      function poll() {
        timer = undefined;
        if (stopped) return;
        polls++;
        const other = activePoll;
        activePoll = mine;
        other?.terminate();
      }
      const handle = {
        get polls() {
          return polls;
        },
        stop() {
          stopped = true;
          clearTimeout(timer);
          if (activePoll === mine) activePoll = undefined;
          if (competitor === handle) competitor = undefined;
        },
      };
      competitor = handle;
      poll();
      return handle;
    },
    /** Makes `chatId` a forum supergroup (or not); `manageTopics: false`: the bot may not create topics. */
    setForum(chatId: number, o: { manageTopics?: boolean } | false = {}): void {
      if (o === false) forums.delete(chatId);
      else forums.set(chatId, { manageTopics: o.manageTopics ?? true, topics: forums.get(chatId)?.topics ?? new Map() });
    },
    /** The topics of a forum chat, in creation order. */
    topics(chatId: number): Array<{ thread: number; name: string }> {
      return [...(forums.get(chatId)?.topics ?? [])].map(([thread, name]) => ({ thread, name }));
    },
    /** An admin deletes a topic: it goes, with every message in it. */
    deleteTopic(chatId: number, thread: number): void {
      forums.get(chatId)?.topics.delete(thread);
      for (const m of sent) if (m.chat_id === chatId && m.message_thread_id === thread) m.deleted = true;
    },
    setDown(d: boolean): void {
      down = d;
    },
    /**
     * Injects a fault into the next matching calls (see Fault). Faults are matched in the order
     * they were injected; the first one that matches a call applies to it.
     */
    inject(f: Fault): FaultHandle {
      const entry = { f, hits: 0, remaining: f.times ?? 1, skip: f.skip ?? 0 };
      faults.push(entry);
      return {
        get hits() {
          return entry.hits;
        },
        get remaining() {
          return entry.remaining;
        },
        clear() {
          entry.remaining = 0;
        },
      };
    },
    /** Removes every injected fault and rate limit (held calls stay held; see releaseHolds). */
    clearFaults(): void {
      faults.length = 0;
      rateLimits.clear();
    },
    /** Lets every held call go on now (it is then handled as usual). */
    releaseHolds(): void {
      for (const done of [...holds]) done();
    },
    /** Sends to `chatId` less than `minIntervalMs` after the previous accepted one get 429 retry_after (undefined: no limit). */
    setChatRateLimit(chatId: number, minIntervalMs: number | undefined): void {
      if (minIntervalMs === undefined) rateLimits.delete(chatId);
      else rateLimits.set(chatId, minIntervalMs);
    },
    /** While true, the port refuses connections (open ones are cut): no HTTP answer at all. */
    async setRefusing(on: boolean): Promise<void> {
      if (on === refusing) return;
      refusing = on;
      if (on) {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
      } else {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(port, '127.0.0.1', () => {
            server.off('error', reject);
            resolve();
          });
        });
      }
    },
    async waitFor(pred: () => boolean, timeoutMs = 3000): Promise<void> {
      const until = Date.now() + timeoutMs;
      while (!pred()) {
        if (Date.now() > until) throw new Error(`waitFor: condition not met within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    async close(): Promise<void> {
      competitor?.stop();
      wake(); // answer held getUpdates so their connections can end
      for (const done of [...holds]) done();
      if (refusing) return; // already closed
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

export type TelegramStandin = Awaited<ReturnType<typeof startTelegramStandin>>;
