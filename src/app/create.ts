import crypto from 'node:crypto';
import path from 'node:path';
import type { AgentState } from '../agents/types.js';
import { enqueue, startSender } from '../chat/outbox.js';
import { meteredSink } from '../ops/metered-sink.js';
import type { Metrics } from '../ops/metrics.js';
import type { ChatAdapter, OutgoingMessage } from '../chat/types.js';
import { loadConfig, secretsOf } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { createExchange } from '../market/ccxt-exchange.js';
import { createCcxtSource } from '../market/ccxt-source.js';
import { createDemoMarket, type DemoMarket } from '../market/demo-market.js';
import { timeframeMs } from '../market/timeframe.js';
import type { CandleSource } from '../market/types.js';
import { createFmt } from '../render/format.js';
import { dbFile, openDb } from '../store/db.js';
import { getKv, setKv } from '../store/kv.js';
import { topicStore } from '../store/topics.js';
import { str } from '../render/template.js';
import { agentName, simpleMessage } from '../render/views.js';
import type { Broker } from '../trading/broker.js';
import { effectiveSymbols } from '../trading/whitelist.js';
import { createCcxtBroker } from '../trading/ccxt-broker.js';
import { createPaperBroker } from '../trading/paper-broker.js';
import { createNotifier } from '../notify/notifier.js';
import { createTrainer } from '../training/trainer.js';
import { createLogger, type Logger } from '../util/logger.js';
import { makeScrubber } from '../util/redact.js';
import type { App } from './context.js';
import { StartupGate } from './startup-gate.js';

export interface CreateOptions {
  adapters: ChatAdapter[];
  now?: () => number;
  log?: Logger;
  /** A simulated market instead of the seeded demo (a replay of recorded candles). */
  market?: DemoMarket;
  /** How /reload_config reads the configuration again (default: loadConfig() from the files and process.env). */
  readConfig?: () => Config;
  /** Outbox tuning for tests. */
  outbox?: { backoffBaseMs?: number; pollMs?: number };
  /** The operators' counters (src/ops/metrics.ts), when the ops port is on; else none are kept. */
  metrics?: Metrics;
  /** main.ts: the app starts catching up (app/catch-up.ts) with its chats already connected; until then the start-up gate holds what may change something. */
  starting?: boolean;
  /** How long a trader's command or a button waits for that catch-up before it is refused (default CATCH_UP_WAIT_MS). */
  catchUpWaitMs?: number;
}

/** The demo market's clock survives restarts: candle k is the same candle after a restart. */
function demoMarket(cfg: Config, db: ReturnType<typeof openDb>, now: number, alsoListed: readonly string[]): DemoMarket {
  const tf = timeframeMs(cfg.timeframe);
  const history = Math.round((cfg.demo.history_days * 86_400_000) / tf);
  let clock = getKv<{ t0: number; closed: number; seed?: number } | null>(db, 'demo.clock', null);
  if (!clock || clock.seed !== undefined && clock.seed !== cfg.demo.seed) {
    clock = { t0: Math.floor(now / tf) * tf - history * tf, closed: history, seed: cfg.demo.seed };
    setKv(db, 'demo.clock', clock);
  }
  // A symbol the config names but /whitelist removed may still hold a position: the market lists it.
  return createDemoMarket({ seed: cfg.demo.seed, symbols: [...new Set([...cfg.symbols, ...alsoListed])], timeframe: cfg.timeframe, t0: clock.t0, closed: clock.closed });
}

export function createApp(cfg: Config, opts: CreateOptions): App {
  const now = opts.now ?? Date.now;
  const scrub = makeScrubber(secretsOf(cfg));
  const log = opts.log ?? createLogger({ dataDir: cfg.data_dir, level: cfg.log_level, scrub });
  const db = openDb(dbFile(cfg.data_dir), { check: true });
  // The traded symbols as /whitelist left them (kept in SQLite), before anything reads them.
  const configuredSymbols = cfg.symbols;
  cfg.symbols = effectiveSymbols(db, cfg.symbols);
  let buttonKey = getKv<string | null>(db, 'button.key', null);
  if (!buttonKey) {
    buttonKey = crypto.randomBytes(24).toString('base64url');
    setKv(db, 'button.key', buttonKey);
  }
  let demo: DemoMarket | null = null;
  let source: CandleSource;
  let broker: Broker;
  if (!cfg.exchange.id) {
    demo = opts.market ?? demoMarket(cfg, db, now(), configuredSymbols);
    source = demo;
  } else {
    const ex = createExchange({
      id: cfg.exchange.id,
      apiKey: cfg.exchange.api_key || undefined,
      secret: cfg.exchange.secret || undefined,
      apiUrl: cfg.exchange.api_url || undefined,
      sandbox: cfg.exchange.sandbox,
      timeoutMs: cfg.exchange.timeout_seconds * 1000,
    });
    const retry = { tries: cfg.exchange.retries, baseMs: cfg.exchange.retry_base_ms };
    // The app's clock decides which candle is still open (tests and the soak bench inject one).
    source = createCcxtSource(ex, { cacheTtlMs: cfg.exchange.cache_ttl_seconds * 1000, now, retry });
    if (cfg.mode === 'live') broker = createCcxtBroker(ex, { orderType: cfg.exchange.order_type, retry });
  }
  // Paper fills on a simulated market are stamped with its clock (the candle forming now).
  const sim = demo;
  broker ??= createPaperBroker(source, cfg.costs, sim ? () => sim.nowTs() : now);
  const outbox = startSender({ db, adapters: opts.adapters, log, scrub, now, backoffBaseMs: opts.outbox?.backoffBaseMs, pollMs: opts.outbox?.pollMs });
  const fmt = createFmt(cfg.language, cfg.timezone);
  const chartsDir = path.join(cfg.data_dir, 'charts');
  const notifier = createNotifier({ db, cfg, fmt, adapters: opts.adapters, outbox, buttonKey, chartsDir, log, now });
  // Forum topics (Telegram: one per agent) are kept in SQLite; a refusal is said once, in General.
  for (const a of opts.adapters) {
    const store = topicStore(db, a.name, now);
    a.useTopics?.({
      store,
      title: (topic) => str(cfg.language, 'forum_topic_title', { agent: agentName(topic) }),
      tellRefused(chatId) {
        if (!store.firstRefusal(chatId)) return;
        enqueue(db, { adapter: a.name, chatId, kind: 'alert', message: simpleMessage('⚠️', str(cfg.language, 'forum_no_rights')) }, now());
        outbox.kick();
      },
    });
  }
  const app: App = {
    cfg,
    db,
    log,
    scrub,
    fmt,
    source,
    demo,
    broker,
    adapters: opts.adapters,
    outbox,
    now,
    chartsDir,
    buttonKey,
    background: new Set(),
    startup: new StartupGate(opts.starting ?? false, opts.catchUpWaitMs),
    scans: { last: null, next: null },
    agents: new Map<string, AgentState>(),
    trainer: undefined as never,
    events: opts.metrics ? meteredSink(notifier, opts.metrics) : notifier,
    metrics: opts.metrics ?? null,
    readConfig: opts.readConfig ?? (() => loadConfig()),
    push(kind: string, msg: OutgoingMessage, proposalId?: string) {
      notifier.push(kind, msg, proposalId);
      outbox.kick();
      return [];
    },
  };
  app.trainer = createTrainer(app);
  return app;
}
