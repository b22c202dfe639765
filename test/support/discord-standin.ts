/**
 * A local stand-in for Discord, good enough for the real discord.js 14 client: one HTTP server
 * answers REST under `/api/v10` and upgrades WebSocket connections as the gateway. Nothing is
 * mocked inside the library; only the far end of the wire is ours.
 *
 * What the gateway does: HELLO (op 10) on connect, HEARTBEAT_ACK (op 11) for every HEARTBEAT
 * (op 1), READY + GUILD_CREATE after an IDENTIFY (op 2) carrying the right token, and whatever
 * INTERACTION_CREATE dispatches a test pushes. Compression stays off (zlib-sync is not installed,
 * and we refuse `compress=` in the URL so a surprise shows up as a failure, not a hang).
 *
 * Messages are kept as a user would see them in a channel (`messages`, current state, edits
 * applied, deleted ones gone); `edits`, `deletions` and `interactionReplies` log the raw requests
 * for finer assertions.
 *
 * As strict as Discord about what a message may hold, so a message Discord would refuse fails
 * here too: content 2000, at most 10 embeds, embed title 256, description 4096, 25 fields, field
 * name 256 and value 1024 (both required), footer 2048, author name 256, 6000 characters over all
 * embeds of a message (counted in code points, as Discord does). Exceeding one is a 400 with
 * Discord's error body (code 50035 "Invalid Form Body" and the path of the offending field); a
 * new message with nothing in it is 50006 "Cannot send an empty message".
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import busboy from 'busboy';
import { WebSocketServer, type WebSocket } from 'ws';

export interface StandinUser {
  id: string;
  username: string;
}

export interface SeenButton {
  customId: string;
  label: string;
  /** Discord ButtonStyle number: 1 primary, 2 secondary, 3 success, 4 danger. */
  style: number;
}

/** A message as it appears in a channel (current state; edits are applied to it). */
export interface SeenMessage {
  id: string;
  channelId: string;
  content: string;
  /** Raw component rows as sent by the client. */
  components: unknown[];
  /** The buttons of all rows, flattened, in order. */
  buttons: SeenButton[];
  /** Number of attachments: uploaded files plus kept ones. */
  attachments: number;
  /** File names of the attachments, in order (an embed shows one as `attachment://<name>`). */
  files: string[];
  /** Embeds as sent (raw Discord JSON). */
  embeds: SeenEmbed[];
  /** True when the request that created the message was multipart/form-data. */
  multipart: boolean;
  /** How it got there: a plain channel post, an interaction's original response, or a followup. */
  source: 'channel' | 'interaction' | 'followup';
  /** Interaction id for `interaction` / `followup` messages. */
  interactionId?: string;
  /** Message flags (64 = ephemeral: only the presser sees it). */
  flags: number;
  /** allowed_mentions as sent, to check nobody gets pinged by market text. */
  allowedMentions: unknown;
}

export interface SeenEmbed {
  title?: string;
  description?: string;
  color?: number;
  fields?: Array<{ name: string; value: string; inline?: boolean }>;
  image?: { url: string };
  footer?: { text: string };
  author?: { name: string };
}

export interface SeenEdit {
  channelId: string;
  messageId: string;
  /** Fields present in the PATCH body (absent fields are left unchanged by Discord). */
  body: Record<string, unknown>;
  via: 'channel' | 'webhook';
}

export interface SeenInteractionReply {
  interactionId: string;
  /** 4 = reply with message, 5 = deferred reply, 6 = deferred update, 7 = update message. */
  type: number;
  content?: string;
  flags: number;
  attachments: number;
}

export interface RegisteredCommands {
  scope: 'global' | 'guild';
  guildId?: string;
  commands: Array<{ name: string; description: string; options?: Array<Record<string, unknown>> }>;
}

export interface FailSpec {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface DiscordStandin {
  /** Give this to the client as `rest.api`. */
  apiRoot: string;
  token: string;
  botUser: StandinUser;
  applicationId: string;
  guildId: string;
  /** Text channels that exist in the guild. */
  channelIds: string[];
  messages: SeenMessage[];
  edits: SeenEdit[];
  /** Messages deleted (interaction replies the client removed), with where they were. */
  deletions: Array<{ channelId: string; messageId: string; interactionId?: string }>;
  interactionReplies: SeenInteractionReply[];
  commandsRegistered: RegisteredCommands[];
  /** Every REST request as `METHOD /path` (path below /api/v10, query stripped). */
  requests: string[];
  /** Gateway facts: connection URLs, IDENTIFY payloads seen, heartbeats answered. */
  gateway: { urls: string[]; identifies: Array<Record<string, unknown>>; heartbeats: number };
  /** Pushes a slash command; returns the interaction id. */
  slashCommand(channelId: string, user: StandinUser, name: string, args?: string): string;
  /** Pushes a button press on a message the stand-in has seen; returns the interaction id. */
  pressButton(channelId: string, user: StandinUser, messageId: string, customId: string): string;
  /** The next `n` REST requests whose `METHOD /path` matches `route` get this answer instead. */
  failNext(route: RegExp, n: number, spec: FailSpec): void;
  /** Polls `pred` until it returns something truthy; rejects after `timeoutMs`. */
  waitFor<T>(pred: () => T | undefined | null | false, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}

const DISCORD_EPOCH = 1420070400000n;
let seq = 0n;
/** Real-looking snowflakes: discord.js derives timestamps from them. */
function snowflake(): string {
  seq = (seq + 1n) & 0xfffn;
  return (((BigInt(Date.now()) - DISCORD_EPOCH) << 22n) | seq).toString();
}

function userObject(u: StandinUser, bot = false): Record<string, unknown> {
  return { id: u.id, username: u.username, discriminator: '0', global_name: u.username, avatar: null, bot, flags: 0 };
}

interface ParsedBody {
  json: Record<string, unknown>;
  files: number;
  /** Names of the uploaded files, in order. */
  fileNames: string[];
  multipart: boolean;
}

async function readBody(req: IncomingMessage): Promise<ParsedBody> {
  const type = req.headers['content-type'] ?? '';
  if (type.startsWith('multipart/form-data')) {
    return new Promise((resolve, reject) => {
      const bb = busboy({ headers: req.headers });
      let json: Record<string, unknown> = {};
      let files = 0;
      const fileNames: string[] = [];
      bb.on('file', (_name, stream, info) => {
        files++;
        fileNames.push(info.filename ?? '');
        stream.resume();
      });
      bb.on('field', (name, value) => {
        if (name === 'payload_json') json = JSON.parse(value) as Record<string, unknown>;
      });
      bb.on('close', () => resolve({ json, files, fileNames, multipart: true }));
      bb.on('error', reject);
      req.pipe(bb);
    });
  }
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return { json: text ? (JSON.parse(text) as Record<string, unknown>) : {}, files: 0, fileNames: [], multipart: false };
}

/** Discord's 400 for a form that breaks its rules: code 50035 and the path of each offence. */
export interface FormError {
  status: 400;
  body: { message: string; code: number; errors?: Record<string, unknown> };
}

const codePoints = (s: unknown) => (typeof s === 'string' ? [...s].length : 0);
const maxLength = (n: number) => ({ _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: `Must be ${n} or fewer in length.` }] });
const required = () => ({ _errors: [{ code: 'BASE_TYPE_REQUIRED', message: 'This field is required' }] });

/**
 * Checks a message body (create or edit) against Discord's limits; null when Discord would take
 * it. `create`: a new message must hold something (content, an embed, a file or a component).
 */
export function checkMessageBody(j: Record<string, unknown>, files: number, create: boolean): FormError | null {
  const errors: Record<string, unknown> = {};
  if (codePoints(j.content) > 2000) errors.content = maxLength(2000);
  const embeds = Array.isArray(j.embeds) ? (j.embeds as SeenEmbed[]) : [];
  if (embeds.length > 10) errors.embeds = maxLength(10);
  else {
    const each: Record<string, unknown> = {};
    let total = 0;
    embeds.forEach((e, k) => {
      const err: Record<string, unknown> = {};
      if (codePoints(e.title) > 256) err.title = maxLength(256);
      if (codePoints(e.description) > 4096) err.description = maxLength(4096);
      if (codePoints(e.footer?.text) > 2048) err.footer = { text: maxLength(2048) };
      if (codePoints(e.author?.name) > 256) err.author = { name: maxLength(256) };
      const fields = e.fields ?? [];
      if (fields.length > 25) err.fields = maxLength(25);
      else {
        const fe: Record<string, unknown> = {};
        fields.forEach((f, i) => {
          const one: Record<string, unknown> = {};
          if (!f.name) one.name = required();
          else if (codePoints(f.name) > 256) one.name = maxLength(256);
          if (!f.value) one.value = required();
          else if (codePoints(f.value) > 1024) one.value = maxLength(1024);
          if (Object.keys(one).length) fe[i] = one;
        });
        if (Object.keys(fe).length) err.fields = fe;
      }
      if (Object.keys(err).length) each[k] = err;
      total += codePoints(e.title) + codePoints(e.description) + codePoints(e.footer?.text) + codePoints(e.author?.name);
      for (const f of fields) total += codePoints(f.name) + codePoints(f.value);
    });
    if (Object.keys(each).length) errors.embeds = each;
    else if (total > 6000) errors.embeds = { _errors: [{ code: 'MAX_EMBED_SIZE_EXCEEDED', message: 'Embed size exceeds maximum size of 6000' }] };
  }
  if (Object.keys(errors).length) return { status: 400, body: { message: 'Invalid Form Body', code: 50035, errors } };
  const hasComponents = Array.isArray(j.components) && j.components.length > 0;
  if (create && !codePoints(j.content) && !embeds.length && !files && !hasComponents) {
    return { status: 400, body: { message: 'Cannot send an empty message', code: 50006 } };
  }
  return null;
}

function flattenButtons(components: unknown): SeenButton[] {
  const out: SeenButton[] = [];
  if (!Array.isArray(components)) return out;
  for (const row of components as Array<{ components?: Array<Record<string, unknown>> }>) {
    for (const c of row.components ?? []) {
      if (c.type === 2) out.push({ customId: String(c.custom_id), label: String(c.label), style: Number(c.style) });
    }
  }
  return out;
}

export async function startDiscordStandin(
  opts: { token?: string; heartbeatIntervalMs?: number; channelIds?: string[] } = {},
): Promise<DiscordStandin> {
  const token = opts.token ?? 'standin-token.' + Math.random().toString(36).slice(2);
  const heartbeatInterval = opts.heartbeatIntervalMs ?? 45_000;
  const botUser: StandinUser = { id: snowflake(), username: 'tradecrew' };
  const applicationId = botUser.id; // on Discord the bot user id equals the application id
  const guildId = snowflake();
  const channelIds = opts.channelIds ?? [snowflake(), snowflake()];

  const messages: SeenMessage[] = [];
  const edits: SeenEdit[] = [];
  const deletions: DiscordStandin['deletions'] = [];
  const interactionReplies: SeenInteractionReply[] = [];
  const commandsRegistered: RegisteredCommands[] = [];
  const requests: string[] = [];
  const gateway = { urls: [] as string[], identifies: [] as Array<Record<string, unknown>>, heartbeats: 0 };
  const failures: Array<{ route: RegExp; left: number; spec: FailSpec }> = [];
  /** interaction token -> what we need to answer webhook calls for it. */
  const interactions = new Map<string, { id: string; channelId: string; originalId?: string }>();
  const sockets = new Set<WebSocket>();
  let gatewaySeq = 0;

  const channelObject = (id: string) => ({
    id,
    type: 0,
    guild_id: guildId,
    name: 'chan-' + id.slice(-4),
    position: channelIds.indexOf(id),
    permission_overwrites: [],
    nsfw: false,
    parent_id: null,
    topic: null,
    last_message_id: null,
    rate_limit_per_user: 0,
  });

  const messageObject = (m: SeenMessage) => ({
    id: m.id,
    channel_id: m.channelId,
    guild_id: guildId,
    author: userObject(botUser, true),
    content: m.content,
    timestamp: new Date().toISOString(),
    edited_timestamp: null,
    tts: false,
    mention_everyone: false,
    mentions: [],
    mention_roles: [],
    attachments: m.files.map((name, i) => ({
      id: m.id + i,
      filename: name,
      size: 1,
      url: `https://cdn.invalid/${m.id}/${name}`,
      proxy_url: `https://cdn.invalid/${m.id}/${name}`,
    })),
    embeds: m.embeds,
    components: m.components,
    pinned: false,
    type: 0,
    flags: m.flags,
    application_id: m.source === 'channel' ? undefined : applicationId,
    webhook_id: m.source === 'channel' ? undefined : applicationId,
  });

  const newMessage = (channelId: string, body: ParsedBody, source: SeenMessage['source'], interactionId?: string): SeenMessage => {
    const j = body.json;
    const m: SeenMessage = {
      id: snowflake(),
      channelId,
      content: typeof j.content === 'string' ? j.content : '',
      components: Array.isArray(j.components) ? j.components : [],
      buttons: flattenButtons(j.components),
      attachments: body.files,
      files: [...body.fileNames],
      embeds: Array.isArray(j.embeds) ? (j.embeds as SeenEmbed[]) : [],
      multipart: body.multipart,
      source,
      interactionId,
      flags: typeof j.flags === 'number' ? j.flags : 0,
      allowedMentions: j.allowed_mentions,
    };
    messages.push(m);
    return m;
  };

  const applyEdit = (m: SeenMessage, body: ParsedBody, via: SeenEdit['via']) => {
    const j = body.json;
    edits.push({ channelId: m.channelId, messageId: m.id, body: j, via });
    if (typeof j.content === 'string') m.content = j.content;
    if (Array.isArray(j.embeds)) m.embeds = j.embeds as SeenEmbed[];
    if (Array.isArray(j.components)) {
      m.components = j.components;
      m.buttons = flattenButtons(j.components);
    }
    // Discord keeps old attachments unless `attachments` lists what to keep; new files add up.
    if (Array.isArray(j.attachments)) {
      const keptIds = new Set((j.attachments as Array<{ id?: unknown }>).map((a) => String(a.id)).filter((id) => !/^\d{1,2}$/.test(id)));
      m.files = [...m.files.filter((_, i) => keptIds.has(m.id + i)), ...body.fileNames];
    } else m.files = [...m.files, ...body.fileNames];
    m.attachments = m.files.length;
    if (body.multipart) m.multipart = true;
    if (j.allowed_mentions !== undefined) m.allowedMentions = j.allowed_mentions;
  };

  const send = (res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}) => {
    if (status === 204 || body === undefined) {
      // A 204 must carry no content-type, or the REST client tries to parse an empty body.
      res.writeHead(status, headers);
      res.end();
      return;
    }
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
  const notFound = (res: ServerResponse, message: string, code: number) => send(res, 404, { message, code });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://x');
    const method = req.method ?? 'GET';
    const m = /^\/api\/v10(\/.*)$/.exec(url.pathname);
    if (!m) return notFound(res, '404: Not Found', 0);
    const path = decodeURIComponent(m[1]); // discord.js encodes `@original` as `%40original`
    const route = `${method} ${path}`;
    requests.push(route);

    // Interaction callbacks and interaction webhooks are authenticated by their token in the
    // path (discord.js sends them with auth: false); everything else needs the bot token.
    const tokenInPath = path.startsWith('/interactions/') || path.startsWith('/webhooks/');
    if (!tokenInPath && req.headers.authorization !== `Bot ${token}`) {
      return send(res, 401, { message: '401: Unauthorized', code: 0 });
    }

    const body = method === 'GET' || method === 'DELETE' ? { json: {}, files: 0, fileNames: [], multipart: false } : await readBody(req);

    const fail = failures.find((f) => f.left > 0 && f.route.test(route));
    if (fail) {
      fail.left--;
      return send(res, fail.spec.status, fail.spec.body ?? { message: 'stand-in failure', code: 0 }, fail.spec.headers);
    }

    let p: RegExpExecArray | null;
    if (route === 'GET /gateway/bot') {
      const port = (server.address() as AddressInfo).port;
      return send(res, 200, {
        url: `ws://127.0.0.1:${port}`,
        shards: 1,
        session_start_limit: { total: 1000, remaining: 999, reset_after: 14_400_000, max_concurrency: 1 },
      });
    }
    if (route === 'GET /users/@me') return send(res, 200, userObject(botUser, true));
    if (route === 'GET /applications/@me') {
      return send(res, 200, { id: applicationId, name: 'tradecrew', description: '', bot_public: false, flags: 0 });
    }
    if (method === 'PUT' && (p = /^\/applications\/(\d+)(?:\/guilds\/(\d+))?\/commands$/.exec(path))) {
      if (p[1] !== applicationId) return notFound(res, 'Unknown Application', 10002);
      const commands = body.json as unknown as RegisteredCommands['commands'];
      commandsRegistered.push({ scope: p[2] ? 'guild' : 'global', guildId: p[2], commands });
      return send(
        res,
        200,
        commands.map((c) => ({
          ...c,
          id: snowflake(),
          application_id: applicationId,
          guild_id: p![2],
          type: 1,
          version: snowflake(),
          default_member_permissions: null,
        })),
      );
    }
    if (method === 'GET' && (p = /^\/channels\/(\d+)$/.exec(path))) {
      if (!channelIds.includes(p[1])) return notFound(res, 'Unknown Channel', 10003);
      return send(res, 200, channelObject(p[1]));
    }
    if (method === 'POST' && (p = /^\/channels\/(\d+)\/messages$/.exec(path))) {
      if (!channelIds.includes(p[1])) return notFound(res, 'Unknown Channel', 10003);
      const refused = checkMessageBody(body.json, body.files, true);
      if (refused) return send(res, refused.status, refused.body);
      return send(res, 200, messageObject(newMessage(p[1], body, 'channel')));
    }
    if ((method === 'PATCH' || method === 'GET') && (p = /^\/channels\/(\d+)\/messages\/(\d+)$/.exec(path))) {
      const msg = messages.find((x) => x.id === p![2] && x.channelId === p![1] && !(x.flags & 64));
      if (!msg) return notFound(res, 'Unknown Message', 10008);
      if (method === 'GET') return send(res, 200, messageObject(msg));
      const refused = checkMessageBody(body.json, body.files, false);
      if (refused) return send(res, refused.status, refused.body);
      applyEdit(msg, body, 'channel');
      return send(res, 200, messageObject(msg));
    }
    if (method === 'POST' && (p = /^\/interactions\/(\d+)\/([^/]+)\/callback$/.exec(path))) {
      const it = interactions.get(p[2]);
      if (!it || it.id !== p[1]) return notFound(res, 'Unknown interaction', 10062);
      if (it.originalId) return send(res, 400, { message: 'Interaction has already been acknowledged.', code: 40060 });
      const type = Number(body.json.type);
      const data = (body.json.data ?? {}) as Record<string, unknown>;
      if (type === 4 || type === 7) {
        const refused = checkMessageBody(data, body.files, type === 4);
        if (refused) return send(res, refused.status, refused.body);
      }
      const flags = typeof data.flags === 'number' ? data.flags : 0;
      interactionReplies.push({
        interactionId: it.id,
        type,
        content: typeof data.content === 'string' ? data.content : undefined,
        flags,
        attachments: body.files,
      });
      if (type === 4 || type === 5) {
        // The original response exists from now on (empty "thinking..." for a deferred one).
        const msg = newMessage(it.channelId, { ...body, json: data }, 'interaction', it.id);
        it.originalId = msg.id;
      }
      return send(res, 204);
    }
    if ((p = /^\/webhooks\/(\d+)\/([^/]+)(?:\/messages\/(@original|\d+))?$/.exec(path))) {
      const it = interactions.get(p[2]);
      if (p[1] !== applicationId || !it) return notFound(res, 'Unknown Webhook', 10015);
      if (method === 'POST' && !p[3]) {
        const refused = checkMessageBody(body.json, body.files, true);
        if (refused) return send(res, refused.status, refused.body);
        return send(res, 200, messageObject(newMessage(it.channelId, body, 'followup', it.id)));
      }
      const target = p[3] === '@original' ? it.originalId : p[3];
      const msg = messages.find((x) => x.id === target);
      if (!msg) return notFound(res, 'Unknown Message', 10008);
      if (method === 'PATCH') {
        const refused = checkMessageBody(body.json, body.files, false);
        if (refused) return send(res, refused.status, refused.body);
        applyEdit(msg, body, 'webhook');
        return send(res, 200, messageObject(msg));
      }
      if (method === 'DELETE') {
        messages.splice(messages.indexOf(msg), 1);
        deletions.push({ channelId: msg.channelId, messageId: msg.id, interactionId: msg.interactionId });
        return send(res, 204);
      }
      if (method === 'GET') return send(res, 200, messageObject(msg));
    }
    return notFound(res, '404: Not Found', 0);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => send(res, 500, { message: String(err), code: 0 }));
  });
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    wss.handleUpgrade(req, socket, head, (ws) => onGateway(ws, req.url ?? '/'));
  });

  const dispatch = (ws: WebSocket, t: string, d: unknown) => ws.send(JSON.stringify({ op: 0, t, s: ++gatewaySeq, d }));

  function onGateway(ws: WebSocket, url: string) {
    gateway.urls.push(url);
    sockets.add(ws);
    ws.on('close', () => sockets.delete(ws));
    const q = new URL(url, 'http://x').searchParams;
    if (q.get('encoding') !== 'json' || q.has('compress')) {
      ws.close(4002, 'stand-in speaks uncompressed JSON only');
      return;
    }
    ws.send(JSON.stringify({ op: 10, d: { heartbeat_interval: heartbeatInterval } }));
    ws.on('message', (raw) => {
      const msg = JSON.parse(String(raw)) as { op: number; d: Record<string, unknown> };
      if (msg.op === 1) {
        gateway.heartbeats++;
        ws.send(JSON.stringify({ op: 11 }));
      } else if (msg.op === 2) {
        gateway.identifies.push(msg.d);
        if (msg.d.token !== token) {
          ws.close(4004, 'Authentication failed.');
          return;
        }
        const port = (server.address() as AddressInfo).port;
        dispatch(ws, 'READY', {
          v: 10,
          user: userObject(botUser, true),
          guilds: [{ id: guildId, unavailable: true }],
          session_id: 'session-' + snowflake(),
          resume_gateway_url: `ws://127.0.0.1:${port}`,
          application: { id: applicationId, flags: 0 },
          shard: [0, 1],
        });
        dispatch(ws, 'GUILD_CREATE', {
          id: guildId,
          name: 'stand-in guild',
          icon: null,
          owner_id: snowflake(),
          unavailable: false,
          member_count: 2,
          large: false,
          joined_at: new Date().toISOString(),
          features: [],
          roles: [{ id: guildId, name: '@everyone', permissions: '2248473465835073', position: 0, color: 0, hoist: false, managed: false, mentionable: false, flags: 0 }],
          channels: channelIds.map((id) => {
            const { guild_id: _g, ...c } = channelObject(id);
            return c;
          }),
          threads: [],
          members: [],
          presences: [],
          voice_states: [],
          emojis: [],
          stickers: [],
          stage_instances: [],
          guild_scheduled_events: [],
          soundboard_sounds: [],
        });
      } else if (msg.op === 6) {
        dispatch(ws, 'RESUMED', {});
      }
    });
  }

  const pushInteraction = (d: Record<string, unknown>) => {
    if (sockets.size === 0) throw new Error('no gateway connection to push an interaction to');
    for (const ws of sockets) dispatch(ws, 'INTERACTION_CREATE', d);
  };

  const baseInteraction = (channelId: string, user: StandinUser) => {
    const id = snowflake();
    const itoken = 'itok-' + id + '-' + Math.random().toString(36).slice(2);
    interactions.set(itoken, { id, channelId });
    return {
      id,
      application_id: applicationId,
      token: itoken,
      version: 1,
      guild_id: guildId,
      channel_id: channelId,
      channel: channelObject(channelId),
      member: {
        user: userObject(user),
        roles: [],
        joined_at: new Date().toISOString(),
        deaf: false,
        mute: false,
        flags: 0,
        permissions: '2248473465835073',
      },
      app_permissions: '2248473465835073',
      locale: 'en-US',
      guild_locale: 'en-US',
      entitlements: [],
      authorizing_integration_owners: { '0': guildId },
      context: 0,
      attachment_size_limit: 10 * 1024 * 1024,
    };
  };

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  return {
    apiRoot: `http://127.0.0.1:${port}/api`,
    token,
    botUser,
    applicationId,
    guildId,
    channelIds,
    messages,
    edits,
    deletions,
    interactionReplies,
    commandsRegistered,
    requests,
    gateway,
    slashCommand(channelId, user, name, args) {
      const base = baseInteraction(channelId, user);
      const registered = commandsRegistered.at(-1)?.commands.find((c) => c.name === name);
      pushInteraction({
        ...base,
        type: 2,
        data: {
          id: snowflake(),
          name,
          type: 1,
          guild_id: registered ? guildId : undefined,
          options: args === undefined ? undefined : [{ name: 'args', type: 3, value: args }],
        },
      });
      return base.id;
    },
    pressButton(channelId, user, messageId, customId) {
      const msg = messages.find((m) => m.id === messageId);
      if (!msg) throw new Error(`stand-in has no message ${messageId} to press a button on`);
      const base = baseInteraction(channelId, user);
      pushInteraction({ ...base, type: 3, data: { custom_id: customId, component_type: 2 }, message: messageObject(msg) });
      return base.id;
    },
    failNext(route, n, spec) {
      failures.push({ route, left: n, spec });
    },
    async waitFor(pred, timeoutMs = 5000) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const v = pred();
        if (v) return v;
        if (Date.now() > until) throw new Error(`standin.waitFor: condition not met within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    async close() {
      for (const ws of sockets) ws.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
