import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Gauge } from 'prom-client';
import { Queue } from 'bullmq';
import type { App } from '../app/context.js';
import { FIT_QUEUE, redisLabel, redisOptions } from '../distributed/fits.js';
import { timeframeMs } from '../market/timeframe.js';
import { probeWritable } from '../store/health.js';
import { llmUsageOn } from '../store/llm-usage.js';
import { backlogByAdapter, deliveryLatencies } from '../store/outbox.js';

/**
 * The operators' port (off by default: ops.port 0): GET /metrics in Prometheus' text format and
 * GET /health as JSON, 200 when every check passes and 503 when one fails (process, database,
 * chat adapters, scans, Redis when configured). Plain node:http: two read-only routes need no
 * framework. Binds to ops.host (loopback by default): put a proxy in front to expose it.
 */
export interface OpsServer {
  port: number;
  close(): Promise<void>;
}

interface Check {
  ok: boolean;
  detail: string;
}

/** Quantile q of sorted values (nearest rank); NaN when empty. */
function quantile(sorted: number[], q: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] : NaN;
}

export async function startOpsServer(app: App, o: { port: number; host: string }): Promise<OpsServer> {
  if (!app.metrics) throw new Error('the ops server needs the app built with metrics (createApp({ metrics }))');
  const { registry } = app.metrics;
  const redisUrl = app.cfg.redis_url;
  // One client for the queue's figures and the health ping (BullMQ opens it lazily).
  const fits = redisUrl ? new Queue(FIT_QUEUE, { connection: { ...(redisOptions(redisUrl) as object), maxRetriesPerRequest: 1, enableOfflineQueue: false }, prefix: app.cfg.queue_prefix }) : null;
  fits?.on('error', () => undefined); // an unreachable Redis is reported by /health, not thrown

  // Read at scrape time, from the source of truth (SQLite) or Redis.
  new Gauge({
    name: 'tradecrew_outbox_backlog',
    help: 'Messages queued and not yet delivered, by adapter',
    labelNames: ['adapter'],
    registers: [registry],
    collect() {
      this.reset();
      for (const a of app.adapters) this.set({ adapter: a.name }, 0);
      for (const r of backlogByAdapter(app.db)) this.set({ adapter: r.adapter }, r.n);
    },
  });
  new Gauge({
    name: 'tradecrew_outbox_delivery_seconds',
    help: 'Delivery latency (queued to accepted by the chat) of the messages delivered in the last hour, by quantile',
    labelNames: ['quantile'],
    registers: [registry],
    collect() {
      const ms = deliveryLatencies(app.db, app.now() - 3_600_000);
      for (const q of [0.5, 0.95, 0.99]) this.set({ quantile: String(q) }, quantile(ms, q) / 1000);
    },
  });
  new Gauge({
    name: 'tradecrew_llm_tokens_today',
    help: 'Tokens the crew LLM spent today (UTC), against crew.llm.daily_token_budget',
    registers: [registry],
    collect() {
      this.set(llmUsageOn(app.db, new Date(app.now()).toISOString().slice(0, 10)).tokens);
    },
  });
  new Gauge({
    name: 'tradecrew_training_cycles_done',
    help: 'Cycles done of the training run in progress (0 when none)',
    registers: [registry],
    collect() {
      this.set(app.trainer.current()?.done ?? 0);
    },
  });
  if (fits) {
    new Gauge({
      name: 'tradecrew_fit_queue_jobs',
      help: 'Walk-forward refit jobs on the Redis queue, by state',
      labelNames: ['state'],
      registers: [registry],
      async collect() {
        try {
          const c = await fits.getJobCounts('waiting', 'active', 'completed', 'failed', 'delayed', 'waiting-children');
          for (const [state, n] of Object.entries(c)) this.set({ state }, n);
        } catch {
          /* Redis down: /health says so; the series keeps its last values */
        }
      },
    });
    new Gauge({
      name: 'tradecrew_fit_workers',
      help: 'Workers connected to the refit queue',
      registers: [registry],
      async collect() {
        try {
          this.set((await fits.getWorkers()).length);
        } catch {
          this.set(0);
        }
      },
    });
  }

  const health = async (): Promise<{ ok: boolean; checks: Record<string, Check> }> => {
    const checks: Record<string, Check> = {};
    checks.process = { ok: true, detail: `up ${Math.round(process.uptime())} s, rss ${Math.round(process.memoryUsage().rss / 1_048_576)} MiB` };
    const db = probeWritable(app.db);
    checks.database = db.ok ? { ok: true, detail: 'accepts writes' } : { ok: false, detail: `cannot write (${db.code})` };
    for (const a of app.adapters) {
      checks[`chat_${a.name}`] = a.health?.() ?? { ok: true, detail: 'running' };
    }
    // A start catching up is healthy; one whose catch-up keeps failing (the exchange was down at
    // start) is not: it answers the chat but trades nothing (app/catch-up.ts).
    const p = app.startup.progress;
    checks.startup = !p ? { ok: true, detail: 'caught up' } : p.failures ? { ok: false, detail: `catching up: ${p.failures} attempt(s) failed (${p.lastError})` } : { ok: true, detail: `catching up (${p.step})` };
    const every = app.demo ? app.cfg.demo.candle_every_seconds * 1000 : timeframeMs(app.cfg.timeframe);
    const last = app.scans.last;
    checks.scans = last === null ? { ok: true, detail: 'none yet' } : app.now() - last > 3 * every ? { ok: false, detail: `last scan ${Math.round((app.now() - last) / 1000)} s ago (late: the market data or the exchange may be failing)` } : { ok: true, detail: `last scan ${Math.round((app.now() - last) / 1000)} s ago` };
    if (fits && redisUrl) {
      try {
        // A cheap read through the queue's own connection stands for a ping.
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([fits.getJobCounts('waiting'), new Promise((_, rej) => (timer = setTimeout(() => rej(new Error('no answer in 2 s')), 2_000)))]).finally(() => clearTimeout(timer));
        checks.redis = { ok: true, detail: `${redisLabel(redisUrl)} answers` };
      } catch (e) {
        checks.redis = { ok: false, detail: `${redisLabel(redisUrl)}: ${app.scrub((e as Error).message)}` };
      }
    }
    return { ok: Object.values(checks).every((c) => c.ok), checks };
  };

  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') {
      res.writeHead(405, { allow: 'GET' }).end();
      return;
    }
    const reply = async () => {
      if (path === '/metrics') {
        const body = await registry.metrics();
        res.writeHead(200, { 'content-type': registry.contentType }).end(body);
      } else if (path === '/health') {
        const h = await health();
        res.writeHead(h.ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ status: h.ok ? 'ok' : 'unhealthy', checks: h.checks }));
      } else res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics or /health\n');
    };
    reply().catch((e) => {
      app.log.warn({ err: app.scrub(String(e)) }, 'ops endpoint failed');
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    async close() {
      await new Promise<void>((r) => server.close(() => r()));
      await fits?.close().catch(() => undefined);
    },
  };
}
