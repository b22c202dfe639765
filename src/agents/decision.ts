import type { FeatureName, Features } from '../indicators/features.js';
import type { Action, ConfidenceLevel, Direction, Regime } from '../metrics/types.js';
import { calibrated } from '../evaluation/calibration.js';
import type { CalibrationState, StrategyName } from './types.js';

/** Everything a proposal, a trade and a report say about why the agent wants to trade. */
export interface Decision {
  action: Action;
  direction: Direction;
  strategy: StrategyName;
  /** Close of the decision candle, the reference for sizing; the fill comes at the next open. */
  price: number;
  /** Open time of the decision candle. */
  candleTs: number;
  /**
   * The probability this setup wins, calibrated on the agent's own closed out-of-sample trades
   * (src/evaluation/calibration.ts) when `calibrated`; until then the rule's setup score.
   */
  confidence: number;
  confidenceLevel: ConfidenceLevel;
  /** The rule's setup score (0-1): confluence, trend strength, volume. It ranks setups; it is not a probability. */
  score?: number;
  /** True when `confidence` is a calibrated probability (enough closed trades to learn it). */
  calibrated?: boolean;
  /** Share of the confluence indicators that agree with the direction (0-1). */
  confluence: number;
  stop: number;
  target: number;
  riskReward: number;
  regime: Regime;
  /** ATR / close at the decision (0.021 = 2.1%). */
  volatility: number;
  volumeConfirmed: boolean;
  atr: number;
  reason: string;
  /** The same reason as a string key and its figures, so the chat can say it in its language. */
  reasonCode?: string;
  reasonParams?: Record<string, string | number>;
  /** The agent's out-of-sample record for setups like this one, attached when it is proposed live. */
  evidence?: import('../evaluation/evidence.js').Evidence;
}

/**
 * Turns the setup score into the calibrated probability of a win when the agent's record allows
 * (in place; the score stays in `score`). Every clock calls it on every entry decision.
 */
export function calibrateDecision(d: Decision, c: CalibrationState | undefined): Decision {
  const p = calibrated(c, d.score ?? d.confidence);
  if (p !== null) {
    d.confidence = p;
    d.confidenceLevel = confidenceLevel(p);
    d.calibrated = true;
  }
  return d;
}

export interface StopRule {
  atrStopMult: number;
  atrTargetMult: number;
}

export function confidenceLevel(c: number): ConfidenceLevel {
  if (c >= 0.8) return 'VERY_HIGH';
  if (c >= 0.65) return 'HIGH';
  if (c >= 0.5) return 'MEDIUM';
  return 'LOW';
}

/**
 * Market regime at bar i: VOLATILE when ATR% is 1.8x its 100-candle average; otherwise TRENDING_UP
 * / TRENDING_DOWN when ADX >= 25 (side from the EMAs); otherwise RANGING.
 */
export function regimeAt(f: Features, i: number): Regime {
  if (f.volatility[i] > 1.8 * f.volatilityAvg[i]) return 'VOLATILE';
  if (f.adx[i] >= 25) return f.emaFast[i] >= f.emaSlow[i] ? 'TRENDING_UP' : 'TRENDING_DOWN';
  return 'RANGING';
}

/**
 * The six confluence indicators, each voting long (+1) or short (-1): EMA(12) vs EMA(26), close vs
 * SMA(50), MACD histogram sign, RSI vs 50, +DI vs -DI, 10-candle momentum sign.
 */
export function confluenceAt(f: Features, i: number, dir: 1 | -1): number {
  const votes = [
    f.emaFast[i] - f.emaSlow[i],
    f.close[i] - f.sma50[i],
    f.macdHist[i],
    f.rsi[i] - 50,
    f.pdi[i] - f.mdi[i],
    f.momentum[i],
  ];
  let agree = 0;
  for (const v of votes) if (Math.sign(v) === dir) agree++;
  return agree / votes.length;
}

/**
 * Builds the full decision for an entry signal at bar i. Confidence = 0.25 + 0.5 x confluence +
 * 0.15 x min(ADX/40, 1) + 0.1 x volume confirmation, clamped to [0, 1].
 */
/** A trader's own entry (/buy, /sell) is told apart from an agent's by this prefix of its reasonCode. */
export const MANUAL_REASON = 'reason_manual_';

/** The feature columns describeEntry reads (src/indicators/features.ts computes them on demand). */
export const DESCRIBE_FEATURES = ['atr', 'emaFast', 'emaSlow', 'sma50', 'macdHist', 'rsi', 'pdi', 'mdi', 'momentum', 'volSma', 'adx', 'volatility', 'volatilityAvg'] as const satisfies readonly FeatureName[];

/** An entry's price, stop, target and risk:reward at bar i: everything that moves money, from ATR alone. */
export function entryLevels(f: Features, i: number, dir: 1 | -1, rule: StopRule): { price: number; atr: number; stop: number; target: number; riskReward: number } {
  const price = f.close[i];
  const atr = Number.isNaN(f.atr[i]) ? price * 0.01 : f.atr[i];
  const stop = price - dir * rule.atrStopMult * atr;
  const target = price + dir * rule.atrTargetMult * atr;
  return { price, atr, stop, target, riskReward: Math.abs(target - price) / Math.abs(price - stop) };
}

/**
 * The entry as a ranking run needs it (AgentView.priceOnly): the same levels as describeEntry,
 * and neutral words where describeEntry reads the market's state (confidence 0, RANGING, no
 * reason). Fills, sizing and the gate read only the levels, so a run's equity is the same.
 */
export function priceEntry(f: Features, i: number, dir: 1 | -1, strategy: StrategyName, ts: number, rule: StopRule): Decision {
  const { price, atr, stop, target, riskReward } = entryLevels(f, i, dir, rule);
  return {
    action: dir > 0 ? 'BUY' : 'SELL',
    direction: dir > 0 ? 'LONG' : 'SHORT',
    strategy,
    price,
    candleTs: ts,
    confidence: 0,
    confidenceLevel: 'LOW',
    score: 0,
    calibrated: false,
    confluence: 0,
    stop,
    target,
    riskReward,
    regime: 'RANGING',
    volatility: atr / price,
    volumeConfirmed: false,
    atr,
    reason: '',
  };
}

export function describeEntry(f: Features, i: number, dir: 1 | -1, strategy: StrategyName, ts: number, rule: StopRule): Decision {
  const { price, atr, stop, target, riskReward } = entryLevels(f, i, dir, rule);
  const confluence = confluenceAt(f, i, dir);
  const volumeConfirmed = f.volume[i] > f.volSma[i];
  const adxPart = Number.isNaN(f.adx[i]) ? 0 : Math.min(f.adx[i] / 40, 1);
  const confidence = Math.max(0, Math.min(1, 0.25 + 0.5 * confluence + 0.15 * adxPart + (volumeConfirmed ? 0.1 : 0)));
  const regime = regimeAt(f, i);
  const direction: Direction = dir > 0 ? 'LONG' : 'SHORT';
  return {
    action: dir > 0 ? 'BUY' : 'SELL',
    direction,
    strategy,
    price,
    candleTs: ts,
    confidence,
    confidenceLevel: confidenceLevel(confidence),
    score: confidence,
    calibrated: false,
    confluence,
    stop,
    target,
    riskReward,
    regime,
    volatility: atr / price,
    volumeConfirmed,
    atr,
    reason: reasonFor(f, i, dir, strategy, regime),
    ...reasonCodeFor(f, i, dir, strategy, regime),
  };
}

function fmt(v: number, d = 1): string {
  return Number.isFinite(v) ? v.toFixed(d) : 'n/a';
}

function reasonFor(f: Features, i: number, dir: 1 | -1, strategy: StrategyName, regime: Regime): string {
  const side = dir > 0 ? 'long' : 'short';
  switch (strategy) {
    case 'trend_following':
      return `EMA12 ${dir > 0 ? 'above' : 'below'} EMA26 with ADX ${fmt(f.adx[i])} (${regime.toLowerCase().replace('_', ' ')}), RSI ${fmt(f.rsi[i])}: ride the trend ${side}`;
    case 'mean_reversion':
      return `close ${dir > 0 ? 'below the lower' : 'above the upper'} Bollinger band with RSI ${fmt(f.rsi[i])}: fade back to the middle band`;
    case 'breakout':
      return `close broke the 20-candle ${dir > 0 ? 'high' : 'low'} on ${fmt(f.volume[i] / f.volSma[i], 2)}x average volume`;
    case 'rl_qlearning':
      return `Q-learning policy picks ${dir > 0 ? 'BUY' : 'SELL'} in state RSI ${fmt(f.rsi[i])}, price/SMA50 ${fmt(f.close[i] / f.sma50[i], 3)}, momentum ${fmt(f.momentum[i] * 100)}%`;
    case 'trend_participation':
      return `close above its 240-candle average with the 48-candle average above it: take part in the uptrend, ${dir > 0 ? 'long' : 'short'}, until it turns`;
    case 'ml_forest':
      return `the random forest, trained on the candles before its last refit only, expects more than +0.1 R after costs from a ${side} here`;
    case 'ensemble':
      return `weighted vote of the crew favours ${side} (confluence ${fmt(confluenceAt(f, i, dir) * 100, 0)}%)`;
  }
}

/** The reason as a key of templates/<lang>/strings.txt (`reason_<strategy>_<side>`) and its figures. */
function reasonCodeFor(f: Features, i: number, dir: 1 | -1, strategy: StrategyName, regime: Regime): { reasonCode: string; reasonParams: Record<string, string | number> } {
  const side = dir > 0 ? 'long' : 'short';
  return {
    reasonCode: `reason_${strategy}_${side}`,
    reasonParams: {
      adx: fmt(f.adx[i]),
      rsi: fmt(f.rsi[i]),
      regime,
      volume: fmt(f.volume[i] / f.volSma[i], 2),
      ratio: fmt(f.close[i] / f.sma50[i], 3),
      momentum: fmt(f.momentum[i] * 100),
      confluence: fmt(confluenceAt(f, i, dir) * 100, 0),
    },
  };
}
