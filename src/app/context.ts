import type { AgentState } from '../agents/types.js';
import type { ChatAdapter, OutgoingMessage } from '../chat/types.js';
import type { OutboxSender } from '../chat/outbox.js';
import type { Config } from '../config/schema.js';
import type { DemoMarket } from '../market/demo-market.js';
import type { CandleSource } from '../market/types.js';
import type { Fmt } from '../render/format.js';
import type { DB } from '../store/db.js';
import type { Broker } from '../trading/broker.js';
import type { Logger } from '../util/logger.js';

/**
 * The services of one running bot, passed explicitly (no globals). Commands, the scanner and the
 * trainer receive this; tests build one with local stand-ins behind the ports.
 */
export interface App {
  cfg: Config;
  db: DB;
  log: Logger;
  scrub: (s: string) => string;
  fmt: Fmt;
  /** Candle source for live prices and fresh candles (demo market or ccxt). */
  source: CandleSource;
  demo: DemoMarket | null;
  broker: Broker;
  adapters: ChatAdapter[];
  outbox: OutboxSender;
  now: () => number;
  chartsDir: string;
  /** Per-process secret for signing button data (stored in kv so buttons survive restarts). */
  buttonKey: string;
  /** Work started by commands (training runs...), awaited before a console exit. */
  background: Set<Promise<unknown>>;
  /** The start-up catch-up's gate (app/startup.ts): closed while main.ts catches up, open otherwise. */
  startup: import('./startup-gate.js').StartupGate;
  /** Scan bookkeeping for /status. */
  scans: { last: number | null; next: number | null };
  /** Live agents' learned state, by symbol. */
  agents: Map<string, AgentState>;
  trainer: import('../training/trainer.js').Trainer;
  /** The event port: trading emits, the notifier turns events into queued messages. */
  events: import('../events/types.js').EventSink;
  /** The operators' counters (Prometheus, src/ops) when ops.port is set; null otherwise. */
  metrics: import('../ops/metrics.js').Metrics | null;
  /** Reads the configuration again as it was read at start (files + environment), for /reload_config. Throws ConfigError. */
  readConfig(): Config;
  /** Pushes a message to every adapter's push chat (through the outbox). */
  push(kind: string, msg: OutgoingMessage, proposalId?: string): number[];
}

/** Runs `work` in the background, tracked so a console exit waits for it. */
export function track(app: App, work: Promise<unknown>): void {
  const p = work
    .catch((e) => app.log.error({ err: app.scrub(String(e)) }, 'background work failed'))
    .finally(() => app.background.delete(p));
  app.background.add(p);
}
