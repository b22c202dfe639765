/**
 * The broker port. The paper broker fills locally with the engine's cost model; the ccxt broker
 * places real orders. Both are keyed by a client order id derived from the proposal id, so that a
 * retry or a restart can never place the same order twice.
 */
export type OrderSide = 'buy' | 'sell';

export interface OrderRequest {
  clientOrderId: string;
  symbol: string;
  side: OrderSide;
  /** Base-currency amount, before the market's precision is applied. */
  amount: number;
  type: 'market' | 'limit';
  /** Limit price; for market orders the reference price used by the paper broker. */
  price?: number;
}

export interface OrderFill {
  orderId: string;
  clientOrderId: string;
  symbol: string;
  side: OrderSide;
  /** Average fill price, quote currency. */
  price: number;
  /** Filled base amount, after precision rounding. */
  amount: number;
  /** Fee in quote currency. */
  fee: number;
  ts: number;
}

export type RejectReason = 'insufficient_funds' | 'min_notional' | 'precision' | 'invalid_order' | 'unknown_symbol' | 'stale_price' | 'other';

/** The exchange said no. Plain words for the chat are in `message`; nothing else changes. */
export class OrderRejectedError extends Error {
  constructor(
    message: string,
    public readonly reason: RejectReason,
  ) {
    super(message);
    this.name = 'OrderRejectedError';
  }
}

export interface Broker {
  readonly name: 'paper' | 'ccxt';
  placeOrder(req: OrderRequest): Promise<OrderFill>;
  /** Looks an order up by our client order id; null when the exchange never saw it. */
  findOrder(clientOrderId: string, symbol: string): Promise<OrderFill | null>;
}
