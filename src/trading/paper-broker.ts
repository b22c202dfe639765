import type { CandleSource } from '../market/types.js';
import { OrderRejectedError, type Broker, type OrderFill, type OrderRequest } from './broker.js';
import { slippedPrice, type Costs } from '../kernel/position.js';

/**
 * Paper trading: fills market orders at the live price (the last close of the candle source) with
 * the engine's cost model, so paper results are comparable to backtests. Nothing leaves the
 * process; the fill is recorded by the caller in the same SQLite transaction as the trade.
 */
export function createPaperBroker(source: CandleSource, costs: Costs, now: () => number = Date.now): Broker {
  return {
    name: 'paper',
    async placeOrder(req: OrderRequest): Promise<OrderFill> {
      if (!(req.amount > 0) || !Number.isFinite(req.amount)) throw new OrderRejectedError(`order amount must be positive (got ${req.amount})`, 'invalid_order');
      const ref = req.type === 'limit' && req.price ? req.price : await source.lastPrice(req.symbol);
      const price = req.type === 'limit' ? ref : slippedPrice(ref, req.side === 'buy' ? 1 : -1, costs.slippage);
      return {
        orderId: `paper-${req.clientOrderId}`,
        clientOrderId: req.clientOrderId,
        symbol: req.symbol,
        side: req.side,
        price,
        amount: req.amount,
        fee: price * req.amount * costs.fee,
        ts: now(),
      };
    },
    async findOrder(): Promise<OrderFill | null> {
      // A paper order exists only once recorded in SQLite; an unrecorded one never happened.
      return null;
    },
  };
}
