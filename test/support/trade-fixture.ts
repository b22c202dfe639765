import type { DetailedTradeMetric } from '../../src/metrics/types.js';

/** 2024-01-01T00:00:00Z, a Monday. */
export const T0 = Date.UTC(2024, 0, 1);
const H = 3_600_000;

/** A plain one-hour winning-nothing trade for metric tests; `over` sets what the test is about. */
export function tradeFixture(over: Partial<DetailedTradeMetric>): DetailedTradeMetric {
  return {
    tradeId: 't',
    agentSymbol: 'BTC/USDT',
    timestamp: T0,
    cycleId: 1,
    action: 'BUY',
    direction: 'LONG',
    entryPrice: 100,
    exitPrice: 101,
    quantity: 1,
    leverage: 1,
    entryTime: T0,
    exitTime: T0 + H,
    durationCandles: 1,
    durationHours: 1,
    pnl: 0,
    pnlPct: 0,
    balanceUsed: 100,
    balanceAfter: 1000,
    confidence: 0.5,
    confidenceLevel: 'MEDIUM',
    setupScore: 0.5,
    calibrated: false,
    strategyName: 'trend_following',
    confluenceScore: 0.5,
    riskReward: 2,
    marketRegime: 'RANGING',
    volatilityLevel: 0.02,
    volumeConfirmation: false,
    wasSuccessful: false,
    followedPlan: true,
    exitReason: 'SIGNAL',
    slippage: 0,
    fee: 0,
    qualityScore: 50,
    stop: 99,
    target: 102,
    timeframe: '1h',
    ...over,
  };
}

