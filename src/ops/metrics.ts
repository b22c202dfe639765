import { Counter, Registry, collectDefaultMetrics } from 'prom-client';
import type { EventSink, TradingEvent } from '../events/types.js';

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
  };
}

/** What each event adds to the counters. */
function count(m: Metrics, e: TradingEvent): void {
  m.events.inc({ type: e.type });
  switch (e.type) {
    case 'proposal_created':
      m.proposals.inc({ outcome: 'created' });
      break;
    case 'proposal_updated':
      m.proposals.inc({ outcome: e.proposal.status });
      break;
    case 'order_filled':
      m.orders.inc({ result: 'filled' });
      m.fills.inc({ side: 'entry' });
      break;
    case 'order_rejected':
      m.orders.inc({ result: 'rejected' });
      break;
    case 'order_resting':
      m.orders.inc({ result: 'resting' });
      break;
    case 'order_cancelled':
      m.orders.inc({ result: 'cancelled' });
      break;
    case 'trade_closed':
    case 'exit_partial':
      m.fills.inc({ side: 'exit' });
      break;
  }
}

/** The event port with counting on the way: the notifier still gets every event, unchanged. */
export function meteredSink(sink: EventSink, m: Metrics): EventSink {
  return {
    prepare: (e) => sink.prepare(e),
    emit(e) {
      sink.emit(e);
      count(m, e);
    },
    flush: () => sink.flush(),
  };
}
