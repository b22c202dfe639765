import type { Decision } from '../agents/decision.js';
import { regimeAt } from '../agents/decision.js';
import type { Features } from '../indicators/features.js';
import { scoreHeadline, type NewsFeed } from './news.js';
import type { Analysis, Analyst, AnalystName, FeatureRow, PositionView, RiskView, Snapshot } from './types.js';

/**
 * The rule analysts: deterministic, offline, pure functions of the snapshot. Each one reads a
 * different part of it, so their agreement means something: the technical analyst the indicator
 * values, the market monitor the regime/volume/volatility, the risk manager the account and the
 * proposed trade, the sentiment analyst the headlines, the strategist the agent's own decision.
 */

const FEATURE_KEYS: Array<keyof FeatureRow> = [
  'close', 'high', 'low', 'volume', 'rsi', 'emaFast', 'emaSlow', 'sma50', 'macd', 'macdSignal', 'macdHist', 'bbUpper',
  'bbMiddle', 'bbLower', 'atr', 'adx', 'pdi', 'mdi', 'donchianHigh', 'donchianLow', 'volSma', 'volatility', 'volatilityAvg', 'momentum',
];

export function featureRow(f: Features, i: number): FeatureRow {
  const row = {} as FeatureRow;
  for (const k of FEATURE_KEYS) row[k] = f[k][i];
  return row;
}

/** The risk view of a backtest: a flat, fresh account (the engine's own gate does the sizing). */
export function neutralRisk(maxOpenPositions = 3, maxTotalExposure = 0.75, maxDrawdown = 0.2): RiskView {
  return { equity: 1, peakEquity: 1, exposure: 0, openPositions: 0, maxOpenPositions, maxTotalExposure, maxDrawdown };
}

export function buildSnapshot(x: {
  symbol: string;
  timeframe: string;
  f: Features;
  i: number;
  candleTs: number;
  tfMs: number;
  news: NewsFeed;
  newsDays: number;
  positions: PositionView[];
  risk: RiskView;
  decision: Decision | null;
}): Snapshot {
  const decisionTs = x.candleTs + x.tfMs;
  return {
    symbol: x.symbol,
    timeframe: x.timeframe,
    candleTs: x.candleTs,
    decisionTs,
    features: featureRow(x.f, x.i),
    regime: regimeAt(x.f, x.i),
    news: x.news.recent(decisionTs, x.newsDays),
    newsDays: x.newsDays,
    positions: x.positions,
    risk: x.risk,
    decision: x.decision,
  };
}

const r2 = (v: number) => Math.round(v * 100) / 100;
const clamp01 = (v: number) => Math.max(0, Math.min(1, v));
const sideOf = (d: Decision) => (d.direction === 'LONG' ? 'BUY' : 'SELL') as 'BUY' | 'SELL';

/**
 * Technical analyst: the six confluence indicators (EMA12 vs EMA26, close vs SMA50, MACD histogram,
 * RSI vs 50, +DI vs -DI, 10-candle momentum) each vote up or down; score = (ups - downs) / 6.
 * BUY at score >= 1/3 (at least 4 of 6 up), SELL at <= -1/3, else HOLD. Confidence grows with the
 * score and with ADX (trend strength), and drops when RSI is overextended in the vote's direction.
 */
export function technicalView(s: Snapshot): Analysis {
  const x = s.features;
  const parts = [x.emaFast - x.emaSlow, x.close - x.sma50, x.macdHist, x.rsi - 50, x.pdi - x.mdi, x.momentum];
  if (parts.some((v) => !Number.isFinite(v)) || !Number.isFinite(x.adx)) return { abstain: true, reason: 'indicators still warming up' };
  const ups = parts.filter((v) => v > 0).length;
  const downs = parts.filter((v) => v < 0).length;
  const score = (ups - downs) / parts.length;
  const adxF = Math.min(x.adx / 40, 1);
  const supportingData = { ups, downs, score: r2(score), rsi: r2(x.rsi), adx: r2(x.adx), macdHist: r2(x.macdHist) };
  if (Math.abs(score) < 1 / 3 - 1e-9) {
    return { recommendation: 'HOLD', confidence: r2(0.45 + 0.25 * (1 - adxF)), reasoning: `indicators split ${ups} up / ${downs} down (ADX ${x.adx.toFixed(0)}): no edge`, supportingData };
  }
  const up = score > 0;
  const overextended = up ? x.rsi > 75 : x.rsi < 25;
  const confidence = clamp01(0.4 + 0.35 * Math.abs(score) + 0.2 * adxF - (overextended ? 0.15 : 0));
  return {
    recommendation: up ? 'BUY' : 'SELL',
    confidence: r2(confidence),
    reasoning: `${up ? ups : downs} of 6 indicators point ${up ? 'up' : 'down'}, ADX ${x.adx.toFixed(0)}, RSI ${x.rsi.toFixed(0)}${overextended ? ' (overextended)' : ''}`,
    supportingData,
  };
}

/**
 * Market monitor: the regime (TRENDING_UP/DOWN from ADX >= 25 and the EMAs, VOLATILE when ATR% is
 * 1.8x its average, else RANGING), volume against its 20-candle average and volatility. Trends are
 * followed (confidence from ADX, +0.1 on confirming volume); a volatility spike or a range is HOLD.
 */
export function monitorView(s: Snapshot): Analysis {
  const x = s.features;
  if (!Number.isFinite(x.adx) || !Number.isFinite(x.volatilityAvg)) return { abstain: true, reason: 'regime not measurable yet (warm-up)' };
  const volRatio = x.volSma > 0 ? x.volume / x.volSma : 1;
  const volatilityRatio = x.volatilityAvg > 0 ? x.volatility / x.volatilityAvg : 1;
  const supportingData = { regime: s.regime, adx: r2(x.adx), volumeRatio: r2(volRatio), volatilityRatio: r2(volatilityRatio) };
  switch (s.regime) {
    case 'VOLATILE':
      return { recommendation: 'HOLD', confidence: 0.65, reasoning: `volatility spike: ATR% at ${volatilityRatio.toFixed(1)}x its average`, supportingData };
    case 'RANGING':
      return { recommendation: 'HOLD', confidence: 0.4, reasoning: `ranging market (ADX ${x.adx.toFixed(0)}): no trend to follow`, supportingData };
    default: {
      const up = s.regime === 'TRENDING_UP';
      const confirmed = volRatio > 1;
      return {
        recommendation: up ? 'BUY' : 'SELL',
        confidence: r2(clamp01(0.45 + 0.3 * Math.min(x.adx / 50, 1) + (confirmed ? 0.1 : 0))),
        reasoning: `${up ? 'uptrend' : 'downtrend'} (ADX ${x.adx.toFixed(0)}), volume ${volRatio.toFixed(2)}x average${confirmed ? ' confirms' : ''}`,
        supportingData,
      };
    }
  }
}

/**
 * Risk manager: judges the agent's proposed trade against the account. Hard limits (max open
 * positions, 90% of the exposure limit used, drawdown at 75% of the kill switch) are a FIRM HOLD
 * that debate cannot change. Soft concerns (volatility at 2x its average, reward:risk under 1.5)
 * are a revisable HOLD. Otherwise it backs the trade, more confidently with a better R:R and more
 * headroom. With no proposed trade it has nothing to judge and abstains.
 */
export function riskView(s: Snapshot): Analysis {
  const d = s.decision;
  if (!d) return { abstain: true, reason: 'no trade proposed to assess' };
  const r = s.risk;
  const exposurePct = r.equity > 0 ? r.exposure / r.equity : 0;
  const drawdown = r.peakEquity > 0 ? 1 - r.equity / r.peakEquity : 0;
  const volatilityRatio = s.features.volatilityAvg > 0 ? s.features.volatility / s.features.volatilityAvg : 1;
  const sameSide = s.positions.filter((p) => p.direction === d.direction).length;
  const supportingData = {
    openPositions: r.openPositions,
    exposurePct: r2(exposurePct),
    drawdown: r2(drawdown),
    riskReward: r2(d.riskReward),
    volatilityRatio: r2(volatilityRatio),
    sameSidePositions: sameSide,
  };
  if (r.openPositions >= r.maxOpenPositions) return { recommendation: 'HOLD', confidence: 0.9, firm: true, reasoning: `${r.openPositions} positions open, the limit is ${r.maxOpenPositions}`, supportingData };
  if (exposurePct >= 0.9 * r.maxTotalExposure) return { recommendation: 'HOLD', confidence: 0.85, firm: true, reasoning: `exposure ${(exposurePct * 100).toFixed(0)}% of equity, near the ${(r.maxTotalExposure * 100).toFixed(0)}% limit`, supportingData };
  if (drawdown >= 0.75 * r.maxDrawdown) return { recommendation: 'HOLD', confidence: 0.85, firm: true, reasoning: `drawdown ${(drawdown * 100).toFixed(1)}% is close to the ${(r.maxDrawdown * 100).toFixed(0)}% kill switch`, supportingData };
  if (volatilityRatio >= 2) return { recommendation: 'HOLD', confidence: 0.7, reasoning: `volatility ${volatilityRatio.toFixed(1)}x its average: stops get hit by noise`, supportingData };
  if (d.riskReward < 1.5) return { recommendation: 'HOLD', confidence: 0.6, reasoning: `reward:risk ${d.riskReward.toFixed(2)} is below 1.5`, supportingData };
  const headroom = 1 - r.openPositions / r.maxOpenPositions;
  const confidence = clamp01(0.5 + 0.1 * Math.min(d.riskReward - 1.5, 2) + 0.15 * headroom - 0.05 * sameSide);
  return {
    recommendation: sideOf(d),
    confidence: r2(confidence),
    reasoning: `risk acceptable: R:R ${d.riskReward.toFixed(2)}, ${r.openPositions}/${r.maxOpenPositions} positions, exposure ${(exposurePct * 100).toFixed(0)}%`,
    supportingData,
  };
}

/**
 * Sentiment analyst (no LLM): the transparent lexicon in news.ts over the headlines of the last
 * N days. net = (good - bad headlines) / all headlines; BUY at net >= 0.25, SELL at <= -0.25, else
 * HOLD. Confidence grows with |net| and with the number of headlines (up to 3). No headlines: abstain.
 */
export function sentimentView(s: Snapshot): Analysis {
  if (s.news.length === 0) return { abstain: true, reason: `no recent news (last ${s.newsDays} days)` };
  const scored = s.news.map((h) => scoreHeadline(h.headline));
  const good = scored.filter((h) => h.score > 0).length;
  const bad = scored.filter((h) => h.score < 0).length;
  const net = (good - bad) / scored.length;
  const weight = Math.min(scored.length / 3, 1);
  const top = scored.filter((h) => h.score !== 0).slice(-2).map((h) => `"${h.headline}" (${h.hits.join(' ')})`).join('; ');
  const supportingData = { headlines: scored.length, good, bad, net: r2(net) };
  if (Math.abs(net) < 0.25) return { recommendation: 'HOLD', confidence: r2(0.4 + 0.2 * weight), reasoning: `${scored.length} headline(s), ${good} good / ${bad} bad: mixed${top ? ` — ${top}` : ''}`, supportingData };
  return {
    recommendation: net > 0 ? 'BUY' : 'SELL',
    confidence: r2(clamp01(0.4 + 0.4 * Math.abs(net) * weight)),
    reasoning: `${scored.length} headline(s), ${good} good / ${bad} bad — ${top}`,
    supportingData,
  };
}

/**
 * Strategist (no LLM): speaks for the agent's own strategy, with its confidence and reason. With
 * an LLM it weighs everything instead (llm.ts). No entry from the agent: abstain.
 */
export function strategistView(s: Snapshot): Analysis {
  const d = s.decision;
  if (!d) return { abstain: true, reason: 'the agent proposes no entry' };
  return {
    recommendation: sideOf(d),
    confidence: r2(d.confidence),
    reasoning: `${d.strategy}: ${d.reason}`,
    supportingData: { strategy: d.strategy, confluence: r2(d.confluence), regime: d.regime, riskReward: r2(d.riskReward) },
  };
}

export const RULE_VIEWS: Record<AnalystName, (s: Snapshot) => Analysis> = {
  technical: technicalView,
  risk: riskView,
  monitor: monitorView,
  sentiment: sentimentView,
  strategist: strategistView,
};

export function ruleAnalyst(name: AnalystName): Analyst {
  const view = RULE_VIEWS[name];
  return { name, kind: 'rule', analyze: view };
}

/** The crew without an LLM: every analyst by its rules. */
export function ruleCrew(names: readonly AnalystName[] = ['technical', 'risk', 'monitor', 'sentiment', 'strategist']): Analyst[] {
  return names.map(ruleAnalyst);
}
