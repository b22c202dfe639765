import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The operators' figures in Prometheus form (prom-client). Counters move as things happen (scans,
 * and every trading event the kernel emits, counted as it passes to the notifier); the rest is
 * read when Prometheus scrapes (src/ops/server.ts: outbox backlog and latency, LLM tokens, the
 * training queue). One registry per app, so two bots in one test process do not mix.
 */
export interface Metrics {
  registry: Registry;
  scans: Counter<string>;
  events: Counter<'type'>;
  proposals: Counter<'outcome'>;
  orders: Counter<'result'>;
  fills: Counter<'side'>;
  /** Walk-forward refits by where they ran (main thread, fit threads, queue workers): compute seconds. */
  fitSeconds: Histogram<'where'>;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  // Process CPU and memory, GC, and the event loop's lag (nodejs_eventloop_lag_*).
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    scans: new Counter({ name: 'tradecrew_scans_total', help: 'Market scans run (every agent looked at its latest closed candle)', registers: [registry] }),
    events: new Counter({ name: 'tradecrew_events_total', help: 'Trading events emitted by the kernel, by type', labelNames: ['type'], registers: [registry] }),
    proposals: new Counter({ name: 'tradecrew_proposals_total', help: 'Proposals by outcome: created, then approved, rejected, expired, failed or executed', labelNames: ['outcome'], registers: [registry] }),
    orders: new Counter({ name: 'tradecrew_orders_total', help: 'Entry orders by result: filled, rejected, resting (limit on the book), cancelled', labelNames: ['result'], registers: [registry] }),
    fills: new Counter({ name: 'tradecrew_fills_total', help: 'Fills by side: entry, exit (partial exits count once per part)', labelNames: ['side'], registers: [registry] }),
    fitSeconds: new Histogram({
      name: 'tradecrew_fit_job_seconds',
      help: 'Compute time of each walk-forward fit job (a refit, or a chunk of its configurations), by where it ran: main (this thread), threads (training.fit_threads), queue (BullMQ workers)',
      labelNames: ['where'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
  };
}

