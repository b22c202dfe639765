import type { EventSink, TradingEvent } from '../events/types.js';
import type { Metrics } from './metrics.js';

/**
 * The event port with counting on the way (src/ops/metrics.ts): used when the ops port is on. Kept
 * apart from the metrics so that a bot without the port never loads prom-client.
 */

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
