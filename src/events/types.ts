import type { Candle } from '../market/types.js';
import type { DetailedTradeMetric, ExitReason } from '../metrics/types.js';
import type { ProposalRow } from '../trading/proposals.js';
import type { StartupFindings } from '../trading/reconcile-report.js';

/**
 * What the order path tells the world, typed (freqtrade's rpc messages, nautilus' events). The
 * trading code emits these and knows nothing of chats, templates or charts; the notifier
 * (src/notify) turns each into messages in the bot's language and queues them in the outbox.
 */
export type TradingEvent =
  /** A new proposal, with the candles its chart shows. */
  | { type: 'proposal_created'; proposal: ProposalRow; candles: Candle[] }
  /** A proposal changed status (approved, rejected, expired, failed, executed): its copies are edited. */
  | { type: 'proposal_updated'; proposal: ProposalRow; fillPrice?: number }
  /** An entry filled and the trade opened. */
  | { type: 'order_filled'; proposal: ProposalRow; quantity: number; price: number; fee: number; stop: number; target: number; broker: string }
  /** The exchange refused an entry order; nothing else changed. */
  | { type: 'order_rejected'; proposal: ProposalRow; message: string }
  /** A limit entry rests on the book until the proposal's time is up. */
  | { type: 'order_resting'; proposal: ProposalRow }
  /** A resting limit entry was cancelled unfilled. */
  | { type: 'order_cancelled'; proposal: ProposalRow; /** Who cancelled it (/cancel); none when its time ran out. */ by?: string }
  /** A trade closed, with the candles its chart shows. */
  | { type: 'trade_closed'; trade: DetailedTradeMetric; candles: Candle[] }
  /**
   * An exit filled in part (the exchange expired or cancelled the rest): `trade` is the part that
   * closed (its quantity and PnL only); the rest stays open as trade `remainder`, with its stop,
   * and is closed again at the next watch or scan.
   */
  | { type: 'exit_partial'; trade: DetailedTradeMetric; requested: number; remainder: { id: string; quantity: number; stop: number; target: number } }
  /** The exchange refused an exit; the position stays open and is tried again at every scan. */
  | { type: 'exit_rejected'; symbol: string; tradeId: string; reason: ExitReason; message: string }
  /** The exchange check at start found differences. */
  | { type: 'reconcile_findings'; findings: StartupFindings; count: number; when?: 'start' | 'scheduled' };

/** The event port: built once at start (the notifier), a silent one in tests that want no chat. */
export interface EventSink {
  /** Draws what the event will show (charts), before the state change is written. */
  prepare(e: TradingEvent): Promise<void>;
  /** Queues the event's messages, inside the transaction that records the change (so both or neither). */
  emit(e: TradingEvent): void;
  /** After the transaction committed: deliver soon. */
  flush(): void;
}
