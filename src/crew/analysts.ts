import type { Decision } from '../agents/decision.js';
import { regimeAt } from '../agents/decision.js';
import type { Features } from '../indicators/features.js';
import { scoreHeadline, type NewsFeed } from './news.js';
import { because, sayReason, type Reason } from './reasons.js';
import type { Abstain, Analysis, Analyst, AnalystName, FeatureRow, PositionView, RiskView, Snapshot, Vote } from './types.js';

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
const r0 = (v: number) => Math.round(v);
const r1 = (v: number) => Math.round(v * 10) / 10;

/**
 * A vote or an abstention with its reason as a key and figures (`why`) and, from the same English
 * string, the sentence the LLM analysts read in the debate (`reasoning` / `reason`).
 */
function vote(v: Omit<Vote, 'reasoning' | 'why'>, why: Reason): Vote {
  return { ...v, reasoning: sayReason('en', why), why };
}
function abstain(why: Reason): Abstain {
  return { abstain: true, reason: sayReason('en', why), why };
}
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
  if (parts.some((v) => !Number.isFinite(v)) || !Number.isFinite(x.adx)) return abstain(because('tech_warmup'));
  const ups = parts.filter((v) => v > 0).length;
  const downs = parts.filter((v) => v < 0).length;
  const score = (ups - downs) / parts.length;
  const adxF = Math.min(x.adx / 40, 1);
  const supportingData = { ups, downs, score: r2(score), rsi: r2(x.rsi), adx: r2(x.adx), macdHist: r2(x.macdHist) };
  if (Math.abs(score) < 1 / 3 - 1e-9) {
    return vote({ recommendation: 'HOLD', confidence: r2(0.45 + 0.25 * (1 - adxF)), supportingData }, because('tech_split', { ups, downs, adx: r0(x.adx) }));
  }
  const up = score > 0;
  const overextended = up ? x.rsi > 75 : x.rsi < 25;
  const confidence = clamp01(0.4 + 0.35 * Math.abs(score) + 0.2 * adxF - (overextended ? 0.15 : 0));
  return vote(
    { recommendation: up ? 'BUY' : 'SELL', confidence: r2(confidence), supportingData },
    because(`tech_${up ? 'up' : 'down'}${overextended ? '_overextended' : ''}`, { n: up ? ups : downs, adx: r0(x.adx), rsi: r0(x.rsi) }),
  );
}

/**
 * Market monitor: the regime (TRENDING_UP/DOWN from ADX >= 25 and the EMAs, VOLATILE when ATR% is
 * 1.8x its average, else RANGING), volume against its 20-candle average and volatility. Trends are
 * followed (confidence from ADX, +0.1 on confirming volume); a volatility spike or a range is HOLD.
 */
export function monitorView(s: Snapshot): Analysis {
  const x = s.features;
  if (!Number.isFinite(x.adx) || !Number.isFinite(x.volatilityAvg)) return abstain(because('monitor_warmup'));
  const volRatio = x.volSma > 0 ? x.volume / x.volSma : 1;
  const volatilityRatio = x.volatilityAvg > 0 ? x.volatility / x.volatilityAvg : 1;
  const supportingData = { regime: s.regime, adx: r2(x.adx), volumeRatio: r2(volRatio), volatilityRatio: r2(volatilityRatio) };
  switch (s.regime) {
    case 'VOLATILE':
      return vote({ recommendation: 'HOLD', confidence: 0.65, supportingData }, because('monitor_volatile', { ratio: r1(volatilityRatio) }));
    case 'RANGING':
      return vote({ recommendation: 'HOLD', confidence: 0.4, supportingData }, because('monitor_ranging', { adx: r0(x.adx) }));
    default: {
      const up = s.regime === 'TRENDING_UP';
      const confirmed = volRatio > 1;
      return vote(
        { recommendation: up ? 'BUY' : 'SELL', confidence: r2(clamp01(0.45 + 0.3 * Math.min(x.adx / 50, 1) + (confirmed ? 0.1 : 0))), supportingData },
        because(`monitor_${up ? 'up' : 'down'}${confirmed ? '_confirmed' : ''}`, { adx: r0(x.adx), volume: r2(volRatio) }),
      );
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
  if (!d) return abstain(because('risk_no_trade'));
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
  if (r.openPositions >= r.maxOpenPositions) return vote({ recommendation: 'HOLD', confidence: 0.9, firm: true, supportingData }, because('risk_positions', { open: r.openPositions, max: r.maxOpenPositions }));
  if (exposurePct >= 0.9 * r.maxTotalExposure) return vote({ recommendation: 'HOLD', confidence: 0.85, firm: true, supportingData }, because('risk_exposure', { pct: r0(exposurePct * 100), limit: r0(r.maxTotalExposure * 100) }));
  if (drawdown >= 0.75 * r.maxDrawdown) return vote({ recommendation: 'HOLD', confidence: 0.85, firm: true, supportingData }, because('risk_drawdown', { dd: r1(drawdown * 100), kill: r0(r.maxDrawdown * 100) }));
  if (volatilityRatio >= 2) return vote({ recommendation: 'HOLD', confidence: 0.7, supportingData }, because('risk_volatility', { ratio: r1(volatilityRatio) }));
  if (d.riskReward < 1.5) return vote({ recommendation: 'HOLD', confidence: 0.6, supportingData }, because('risk_rr', { rr: r2(d.riskReward) }));
  const headroom = 1 - r.openPositions / r.maxOpenPositions;
  const confidence = clamp01(0.5 + 0.1 * Math.min(d.riskReward - 1.5, 2) + 0.15 * headroom - 0.05 * sameSide);
  return vote(
    { recommendation: sideOf(d), confidence: r2(confidence), supportingData },
    because('risk_ok', { rr: r2(d.riskReward), open: r.openPositions, max: r.maxOpenPositions, pct: r0(exposurePct * 100) }),
  );
}

/**
 * Sentiment analyst (no LLM): the transparent lexicon in news.ts over the headlines of the last
 * N days. net = (good - bad headlines) / all headlines; BUY at net >= 0.25, SELL at <= -0.25, else
 * HOLD. Confidence grows with |net| and with the number of headlines (up to 3). No headlines: abstain.
 */
export function sentimentView(s: Snapshot): Analysis {
  if (s.news.length === 0) return abstain(because('sentiment_no_news', { days: s.newsDays }));
  const scored = s.news.map((h) => scoreHeadline(h.headline));
  const good = scored.filter((h) => h.score > 0).length;
  const bad = scored.filter((h) => h.score < 0).length;
  const net = (good - bad) / scored.length;
  const weight = Math.min(scored.length / 3, 1);
  const top = scored.filter((h) => h.score !== 0).slice(-2).map((h) => `"${h.headline}" (${h.hits.join(' ')})`).join('; ');
  const supportingData = { headlines: scored.length, good, bad, net: r2(net) };
  // The headlines themselves are quoted as they came (data, not our words).
  const counts = { headlines: scored.length, good, bad };
  if (Math.abs(net) < 0.25) return vote({ recommendation: 'HOLD', confidence: r2(0.4 + 0.2 * weight), supportingData }, because('sentiment_mixed', { ...counts, top: top ? ` — ${top}` : '' }));
  return vote({ recommendation: net > 0 ? 'BUY' : 'SELL', confidence: r2(clamp01(0.4 + 0.4 * Math.abs(net) * weight)), supportingData }, because('sentiment_view', { ...counts, top }));
}

/**
 * Strategist (no LLM): speaks for the agent's own strategy, with its confidence and reason. With
 * an LLM it weighs everything instead (llm.ts). No entry from the agent: abstain.
 */
export function strategistView(s: Snapshot): Analysis {
  const d = s.decision;
  if (!d) return abstain(because('strategist_no_entry'));
  // The agent's own reason as its key and figures when it has them (decisions stored before reasons had codes: as stored).
  const reason: string | Reason = d.reasonCode ? { code: d.reasonCode, params: { ...d.reasonParams } } : d.reason;
  return vote(
    { recommendation: sideOf(d), confidence: r2(d.confidence), supportingData: { strategy: d.strategy, confluence: r2(d.confluence), regime: d.regime, riskReward: r2(d.riskReward) } },
    because('strategist_view', { strategy: d.strategy, reason }),
  );
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
