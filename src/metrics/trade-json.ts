import type { DetailedTradeMetric } from './types.js';

const iso = (ms: number) => new Date(ms).toISOString();

/** A trade as the CLI's JSON shows it (backtest and train alike): times as ISO-8601 UTC. */
export type TradeJson = Omit<DetailedTradeMetric, 'timestamp' | 'entryTime' | 'exitTime'> & { timestamp: string; entryTime: string; exitTime: string };

export function tradeJson(t: DetailedTradeMetric): TradeJson {
  return { ...t, timestamp: iso(t.timestamp), entryTime: iso(t.entryTime), exitTime: iso(t.exitTime) };
}
