/** Vocabulary shared by decisions, trades and reports (the seed's names, kept exactly). */
export type Action = 'BUY' | 'SELL' | 'HOLD';
export type Direction = 'LONG' | 'SHORT';
export type ConfidenceLevel = 'LOW' | 'MEDIUM' | 'HIGH' | 'VERY_HIGH';
export type Regime = 'TRENDING_UP' | 'TRENDING_DOWN' | 'RANGING' | 'VOLATILE';
export type ExitReason = 'TAKE_PROFIT' | 'STOP_LOSS' | 'SIGNAL' | 'TIMEOUT' | 'END_OF_DATA' | 'MANUAL' | 'KILL_SWITCH';

/**
 * The seed's DetailedTradeMetric: one closed trade with everything a report or a metric needs.
 * Prices and money in quote currency; times UTC epoch ms (ISO-8601 only at the edges).
 */
export interface DetailedTradeMetric {
  tradeId: string;
  agentSymbol: string;
  /** When the metric was recorded (= exit time). */
  timestamp: number;
  cycleId: number;
  /** BUY for a long, SELL for a short (the entry action). */
  action: Action;
  direction: Direction;
  entryPrice: number;
  exitPrice: number;
  quantity: number;
  leverage: number;
  entryTime: number;
  exitTime: number;
  durationCandles: number;
  durationHours: number;
  /** Net of fees, quote currency. */
  pnl: number;
  /** Net PnL as a fraction of the capital used (0.0197 = 1.97%). */
  pnlPct: number;
  /** Notional at entry (entry price x quantity / leverage). */
  balanceUsed: number;
  /** Account equity after the trade closed. */
  balanceAfter: number;
  /** Calibrated probability of a win at entry when `calibrated`, else the setup score. */
  confidence: number;
  confidenceLevel: ConfidenceLevel;
  /** The rule's setup score at entry (what calibration learns from). */
  setupScore: number;
  calibrated: boolean;
  strategyName: string;
  confluenceScore: number;
  riskReward: number;
  marketRegime: Regime;
  /** ATR as a fraction of price at entry (0.021 = 2.1%). */
  volatilityLevel: number;
  volumeConfirmation: boolean;
  wasSuccessful: boolean;
  followedPlan: boolean;
  exitReason: ExitReason;
  /** Slippage paid, quote currency, both sides. */
  slippage: number;
  /** Fees paid, quote currency, both sides. */
  fee: number;
  /** 0-100; formula in src/metrics/quality.ts and README. */
  qualityScore: number;
  stop: number;
  target: number;
  timeframe: string;
}

/**
 * What the summary metrics read of a run's closed trades, summed in the order they closed: the
 * count, the winners (wasSuccessful: pnl > 0), and the sums of durationHours, fee and pnl. A ranking run keeps
 * only this (RunInput.tallyOnly), not a DetailedTradeMetric per trade: a search scores thousands
 * of configurations and reads no single trade of them.
 */
export interface TradeTally {
  count: number;
  wins: number;
  hours: number;
  fees: number;
  pnl: number;
}

/** An equity curve sampled at every candle close (mark-to-market). */
export interface EquityPoint {
  ts: number;
  equity: number;
}
