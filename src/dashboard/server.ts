import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import fastifyCookie from '@fastify/cookie';
import type { App } from '../app/context.js';
import { roleOf } from '../chat/auth.js';
import { signButton } from '../chat/buttons.js';
import type { AdapterName, InboundHandlers, Role } from '../chat/types.js';
import type { EventSink, TradingEvent } from '../events/types.js';
import { str } from '../render/template.js';
import { audit } from '../store/audit.js';
import { consumeLink, deleteSession, linkState, getSession, insertSession, type DashboardIdentity, type DashboardSession } from '../store/dashboard.js';
import { overview } from './data.js';
import { checkInitData } from './init-data.js';

/**
 * The crew's dashboard (issue #16): a small web page, also opened as a Telegram Mini App, served
 * from inside the bot (off by default: dashboard.port). Sign-in by Telegram's signed initData or a
 * one-time link from /dashboard; then an HttpOnly SameSite=Strict session cookie bound to the user
 * and role, and a CSRF token (header) for every change. Approve / Reject go through the router's
 * button path, /close through the router's command path: the same code, audit and chat edits as
 * the chat. Every refusal is audited (adapter 'dashboard').
 */
export interface DashboardServer {
  port: number;
  /** Where people open it (dashboard.public_url, or http://host:port). */
  url: string;
  close(): Promise<void>;
}

export const SESSION_COOKIE = 'tc_session';
const STATIC_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'static');

export { dashboardMenuButton, dashboardUrl } from './url.js';
import { dashboardUrl } from './url.js';

/** The page's words in the bot's language (templates/<lang>/strings.txt, keys dash_*). */
export const PAGE_STRINGS = [
  'title', 'equity', 'drawdown', 'positions', 'pending', 'trades', 'training', 'agents', 'none', 'approve', 'reject', 'close', 'close_sent',
  'signed_in_as', 'viewer_note', 'sign_in_needed', 'live', 'offline', 'edge_yes', 'edge_no', 'edge_unknown', 'votes', 'expires', 'no_training', 'sign_out', 'confirm_close',
];

function chartLibPath(): string {
  const req = createRequire(import.meta.url);
  const pkg = path.dirname(req.resolve('lightweight-charts/package.json'));
  return path.join(pkg, 'dist', 'lightweight-charts.standalone.production.js');
}

interface Authed {
  id: string;
  s: DashboardSession;
  role: Role;
}

export async function startDashboard(app: App, handlers: InboundHandlers, o: { port?: number } = {}): Promise<DashboardServer> {
  const cfg = () => app.cfg;
  const d = app.cfg.dashboard;
  const secure = /^https:/.test(d.public_url);
  const L = app.cfg.language;
  const files = {
    '/': { file: path.join(STATIC_DIR, 'index.html'), type: 'text/html; charset=utf-8' },
    '/app.js': { file: path.join(STATIC_DIR, 'app.js'), type: 'text/javascript; charset=utf-8' },
    '/app.css': { file: path.join(STATIC_DIR, 'app.css'), type: 'text/css; charset=utf-8' },
    '/vendor/lightweight-charts.js': { file: chartLibPath(), type: 'text/javascript; charset=utf-8' },
  } as const;
  const cache = new Map<string, Buffer>();
  const read = (f: string) => cache.get(f) ?? (cache.set(f, fs.readFileSync(f)), cache.get(f)!);

  // Live updates: the kernel's events fan out to every open page after their transaction commits
  // (flush). The page reloads its data; events themselves carry nothing to the browser but a type.
  const clients = new Set<FastifyReply>();
  const inner: EventSink = app.events;
  const seen: string[] = [];
  const fanOut: EventSink = {
    prepare: (e) => inner.prepare(e),
    emit(e: TradingEvent) {
      inner.emit(e);
      seen.push(e.type);
    },
    flush() {
      inner.flush();
      if (!seen.length) return;
      const types = [...new Set(seen.splice(0))];
      for (const c of clients) c.raw.write(`event: update\ndata: ${JSON.stringify({ types })}\n\n`);
    },
  };
  app.events = fanOut;

  const server = Fastify({ logger: false, bodyLimit: 16_384, trustProxy: false });
  await server.register(fastifyCookie);
  // The sign-in form's body (application/x-www-form-urlencoded), small.
  server.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 1024 }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  server.addHook('onSend', async (_req, reply, payload) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('content-security-policy', "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'");
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    return payload;
  });

  const auditRefusal = (req: FastifyRequest, detail: string, who?: Partial<DashboardIdentity>) =>
    audit(app.db, { adapter: 'dashboard', userId: who?.userId ?? '?', userName: who?.userName ? `${who.userName} (${who.adapter})` : undefined, action: `${req.method} ${req.url.split('?')[0]}`, allowed: false, detail, ts: app.now() });
  const refuse = (req: FastifyRequest, reply: FastifyReply, code: number, detail: string, who?: Partial<DashboardIdentity>) => {
    auditRefusal(req, detail, who);
    return reply.code(code).send({ error: detail });
  };

  // A body that does not parse (bad JSON, too large) is refused like the rest: audited, no details.
  server.setErrorHandler((err: { statusCode?: number; message?: string }, req, reply) => {
    const code = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (code < 500) return refuse(req, reply, code, `bad request (${String(err.message ?? '').slice(0, 80)})`);
    app.log.warn({ err: app.scrub(String(err.message ?? err)), url: req.url.split('?')[0] }, 'dashboard request failed');
    return reply.code(500).send({ error: 'internal error' });
  });

  /** The session of this request, if any and still good: its user must still hold the same role. */
  const sessionOf = (req: FastifyRequest): Authed | { why: string; s?: DashboardSession } => {
    const id = req.cookies[SESSION_COOKIE];
    if (!id) return { why: 'no session' };
    const s = getSession(app.db, id, app.now());
    if (!s) return { why: 'session unknown or expired' };
    const role = roleOf(cfg(), s.adapter as AdapterName, s.userId);
    if (!role || role !== s.role) return { why: `role changed (${s.role} -> ${role ?? 'none'})`, s };
    return { id, s, role };
  };

  const newSession = (reply: FastifyReply, who: DashboardIdentity, role: Role) => {
    const id = crypto.randomBytes(32).toString('base64url');
    const now = app.now();
    const maxAge = Math.round(app.cfg.dashboard.session_hours * 3600);
    insertSession(app.db, id, { ...who, role, csrf: crypto.randomBytes(24).toString('base64url'), expiresAt: now + maxAge * 1000 }, now);
    audit(app.db, { adapter: 'dashboard', userId: who.userId, userName: `${who.userName} (${who.adapter})`, action: 'sign in', allowed: true, detail: role, ts: now });
    reply.setCookie(SESSION_COOKIE, id, { httpOnly: true, sameSite: 'strict', secure, path: '/', maxAge });
  };

  /** Reads need a session; changes need a trader's session and its CSRF token. */
  const guard = (req: FastifyRequest, reply: FastifyReply, need: 'read' | 'change'): Authed | null => {
    const a = sessionOf(req);
    if (!('id' in a)) {
      refuse(req, reply, 401, a.why, a.s);
      return null;
    }
    if (need === 'change') {
      const sent = req.headers['x-csrf-token'];
      const ok = typeof sent === 'string' && sent.length === a.s.csrf.length && crypto.timingSafeEqual(Buffer.from(sent), Buffer.from(a.s.csrf));
      if (!ok) {
        refuse(req, reply, 403, 'missing or wrong CSRF token', a.s);
        return null;
      }
    }
    return a;
  };
  const traderOnly = (req: FastifyRequest, reply: FastifyReply, a: Authed): boolean => {
    if (a.role === 'trader') return true;
    refuse(req, reply, 403, `needs trader (is ${a.role})`, a.s);
    return false;
  };

  for (const [route, f] of Object.entries(files)) {
    server.get(route, async (_req, reply) => {
      reply.header('content-type', f.type);
      if (route !== '/') reply.header('cache-control', 'public, max-age=300');
      return read(f.file);
    });
  }

  // A one-time link from /dashboard. Opening it (GET) changes nothing: chats fetch the links in
  // messages for their previews, and that must not use it up. The page's Sign in button POSTs the
  // token, which uses it once and opens the session; the address bar never keeps the token.
  const page = (body: string) => `<!doctype html><html lang="${escape(L)}"><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="referrer" content="no-referrer"><title>tradecrew</title><link rel="stylesheet" href="/app.css"><link rel="icon" href="data:,"><body><div class="notice">${body}</div></body></html>`;
  const linkToken = (t: unknown) => (typeof t === 'string' && /^[\w-]{20,100}$/.test(t) ? t : null);
  const badLink = (req: FastifyRequest, reply: FastifyReply, why: string) => {
    auditRefusal(req, `sign-in link ${why}`);
    return reply.code(401).type('text/html; charset=utf-8').send(page(`<p>${escape(str(L, 'dash_link_bad'))}</p>`));
  };
  server.get('/login', async (req, reply) => {
    const t = linkToken((req.query as Record<string, unknown>).t);
    const state = t ? linkState(app.db, t, app.now()) : 'malformed';
    if (state !== 'ok') return badLink(req, reply, state);
    return reply.type('text/html; charset=utf-8').send(page(`<h1>${escape(str(L, 'dash_title'))}</h1><form method="post" action="/login"><input type="hidden" name="t" value="${escape(t!)}"><button id="sign-in" type="submit">${escape(str(L, 'dash_sign_in'))}</button></form>`));
  });
  server.post('/login', async (req, reply) => {
    const t = linkToken((req.body as Record<string, unknown> | undefined)?.t);
    const got = t ? consumeLink(app.db, t, app.now()) : { ok: false as const, why: 'malformed' };
    if (!got.ok) return badLink(req, reply, got.why);
    const role = roleOf(cfg(), got.who.adapter as AdapterName, got.who.userId);
    if (!role) return refuse(req, reply, 403, 'unknown user', got.who);
    newSession(reply, got.who, role);
    return reply.code(303).header('location', '/').send();
  });

  // Telegram Mini App: the signed initData Telegram gave the page.
  server.post('/api/auth/telegram', async (req, reply) => {
    const token = cfg().telegram.bot_token;
    const initData = (req.body as { initData?: unknown } | undefined)?.initData;
    if (!token) return refuse(req, reply, 404, 'no Telegram bot configured');
    const r = checkInitData(typeof initData === 'string' ? initData : '', token, cfg().dashboard.init_data_max_age_seconds, app.now());
    if (!r.ok) return refuse(req, reply, 401, `initData ${r.why}`);
    const who = { adapter: 'telegram', userId: r.user.id, userName: r.user.name };
    const role = roleOf(cfg(), 'telegram', r.user.id);
    if (!role) return refuse(req, reply, 403, 'unknown user', who);
    newSession(reply, who, role);
    return { ok: true, role };
  });

  server.get('/api/session', async (req, reply) => {
    const a = guard(req, reply, 'read');
    if (!a) return reply;
    const strings = Object.fromEntries(PAGE_STRINGS.map((k) => [k, str(L, `dash_${k}`)]));
    return { user: a.s.userName, adapter: a.s.adapter, role: a.role, csrf: a.s.csrf, language: L, strings };
  });

  server.get('/api/overview', async (req, reply) => {
    if (!guard(req, reply, 'read')) return reply;
    return overview(app);
  });

  server.get('/api/events', async (req, reply) => {
    const a = guard(req, reply, 'read');
    if (!a) return reply;
    reply.hijack();
    reply.raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive', 'x-content-type-options': 'nosniff' });
    reply.raw.write(': hello\n\n');
    clients.add(reply);
    // Every 25 s: a keep-alive, and the stream ends with its session (expired, signed out, role gone).
    const ping = setInterval(() => {
      const now = sessionOf(req);
      if (!('id' in now) || now.id !== a.id) reply.raw.end();
      else reply.raw.write(': ping\n\n');
    }, 25_000);
    req.raw.on('close', () => {
      clearInterval(ping);
      clients.delete(reply);
    });
  });

  // Approve / Reject: the router's button path, with a button signed for this proposal, exactly
  // as a press in the chat (role check, audit, executed once, every chat copy edited).
  server.post('/api/proposals/:id/:action', async (req, reply) => {
    const { id, action } = req.params as { id: string; action: string };
    const a = guard(req, reply, 'change');
    if (!a) return reply;
    if (!traderOnly(req, reply, a)) return reply;
    if (!/^[\w.-]{1,40}$/.test(id) || (action !== 'approve' && action !== 'reject')) return reply.code(404).send({ error: 'not found' });
    const notice = await handlers.onButton({
      adapter: a.s.adapter as AdapterName,
      chatId: a.s.userId,
      messageId: '',
      user: { id: a.s.userId, name: `${a.s.userName} · dashboard` },
      data: signButton(app.buttonKey, action === 'approve' ? 'ap' : 'rj', id),
    });
    return { notice };
  });

  // Close: the /close command itself, answered in the user's chat with its Confirm button (the
  // same confirmation as typing /close <id>).
  server.post('/api/positions/:id/close', async (req, reply) => {
    const { id } = req.params as { id: string };
    const a = guard(req, reply, 'change');
    if (!a) return reply;
    if (!traderOnly(req, reply, a)) return reply;
    if (!/^[\w.-]{1,40}$/.test(id)) return reply.code(404).send({ error: 'not found' });
    const adapter = a.s.adapter as AdapterName;
    const chatId = chatFor(app, adapter, a.s.userId);
    await handlers.onCommand({ adapter, chatId, user: { id: a.s.userId, name: `${a.s.userName} · dashboard` }, command: 'close', args: [id] });
    return { notice: str(L, 'dash_close_sent') };
  });

  server.post('/api/logout', async (req, reply) => {
    const a = guard(req, reply, 'change');
    if (!a) return reply;
    deleteSession(app.db, a.id);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return { ok: true };
  });

  const port = o.port ?? d.port;
  await server.listen({ port, host: d.host });
  const addr = server.server.address();
  const actual = typeof addr === 'object' && addr ? addr.port : port;
  return {
    port: actual,
    url: dashboardUrl(app.cfg, actual),
    async close() {
      if (app.events === fanOut) app.events = inner;
      for (const c of clients) c.raw.end();
      clients.clear();
      await server.close();
    },
  };
}

/** Where a page user's chat answers go: their private chat on Telegram, the push channel on Discord. */
function chatFor(app: App, adapter: AdapterName, userId: string): string {
  if (adapter === 'telegram') return userId;
  if (adapter === 'console') return 'console';
  return app.adapters.find((a) => a.name === adapter)?.pushChatId ?? userId;
}

function escape(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
