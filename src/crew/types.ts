import type { Decision } from '../agents/decision.js';
import type { Regime } from '../metrics/types.js';
import type { Reason } from './reasons.js';

/**
 * The analyst crew's one contract. Every analyst — rule-based or LLM-backed — takes the same
 * snapshot of the market at one closed candle and answers a vote or an abstention. An abstention
 * is never counted as a vote: an analyst that cannot see (no news, LLM down) says so instead.
 */
export type Recommendation = 'BUY' | 'SELL' | 'HOLD';
export const RECOMMENDATIONS: readonly Recommendation[] = ['BUY', 'SELL', 'HOLD'];

export type AnalystName = 'technical' | 'risk' | 'monitor' | 'sentiment' | 'strategist';
export const ANALYST_NAMES: readonly AnalystName[] = ['technical', 'risk', 'monitor', 'sentiment', 'strategist'];

export type SupportingData = Record<string, string | number | boolean | null>;

export interface Vote {
  abstain?: false;
  recommendation: Recommendation;
  /** 0-1. */
  confidence: number;
  reasoning: string;
  /** `reasoning` as a key and figures, for the chat's language (rule analysts; an LLM's own words have none). */
  why?: Reason;
  supportingData: SupportingData;
  /**
   * A firm view is not revised in debate (the risk manager's hard limits): being outvoted does not
   * make an exposure limit go away.
   */
  firm?: boolean;
}

export interface Abstain {
  abstain: true;
  reason: string;
  /** `reason` as a key and figures, for the chat's language. */
  why?: Reason;
  /** The analyst could not vote because its LLM failed (timeout, invalid answer, budget): the proposal says so. */
  llmFailure?: true;
}

export type Analysis = Vote | Abstain;

export const isVote = (a: Analysis): a is Vote => a.abstain !== true;

/** The feature columns at one bar, as plain numbers (NaN during warm-up). */
export interface FeatureRow {
  close: number;
  high: number;
  low: number;
  volume: number;
  rsi: number;
  emaFast: number;
  emaSlow: number;
  sma50: number;
  macd: number;
  macdSignal: number;
  macdHist: number;
  bbUpper: number;
  bbMiddle: number;
  bbLower: number;
  atr: number;
  adx: number;
  pdi: number;
  mdi: number;
  donchianHigh: number;
  donchianLow: number;
  volSma: number;
  volatility: number;
  volatilityAvg: number;
  momentum: number;
}

export interface Headline {
  /** UTC epoch ms of the headline's date (day precision in the CSV format). */
  ts: number;
  headline: string;
  url: string;
}

export interface PositionView {
  symbol: string;
  direction: 'LONG' | 'SHORT';
  quantity: number;
  entryPrice: number;
}

/** What the risk manager knows of the account (neutral values in a backtest). */
export interface RiskView {
  equity: number;
  peakEquity: number;
  exposure: number;
  openPositions: number;
  maxOpenPositions: number;
  /** Allowed sum of open positions as a fraction of equity. */
  maxTotalExposure: number;
  maxDrawdown: number;
}

/** Everything an analyst may look at: the past and present of one symbol at one closed candle. */
export interface Snapshot {
  symbol: string;
  timeframe: string;
  /** Open time of the decision candle. */
  candleTs: number;
  /** When the decision is made: the close of the decision candle. News after this is invisible. */
  decisionTs: number;
  features: FeatureRow;
  regime: Regime;
  /** Headlines of the last N days before decisionTs (empty when none or no feed). */
  news: Headline[];
  newsDays: number;
  positions: PositionView[];
  risk: RiskView;
  /** The agent's own decision (its strategy's entry); null when the agent has none. */
  decision: Decision | null;
}

/** Another analyst's position, as shown to each analyst in a debate round. */
export interface Position {
  analyst: AnalystName;
  analysis: Analysis;
  weight: number;
}

export interface Analyst {
  readonly name: AnalystName;
  readonly kind: 'rule' | 'llm';
  analyze(s: Snapshot): Analysis | Promise<Analysis>;
  /**
   * A debate round: the analyst sees everyone else's latest position and may revise its own.
   * Rule analysts leave this out and are revised by the documented rule in consensus.ts.
   */
  revise?(s: Snapshot, own: Analysis, others: Position[]): Analysis | Promise<Analysis>;
}

/** One analyst's entry in one round (round 0 = the initial analyses). */
export interface RoundEntry {
  round: number;
  analyst: AnalystName;
  kind: 'rule' | 'llm';
  analysis: Analysis;
  /** True when this round changed the analyst's recommendation. */
  changed: boolean;
}

export interface FinalVote {
  analyst: AnalystName;
  kind: 'rule' | 'llm';
  analysis: Analysis;
  /** Effective weight: configured weight x learned multiplier. */
  weight: number;
}

/** The crew's answer for one snapshot. */
export interface Verdict {
  /** The winning recommendation, or null when no recommendation reached the threshold. */
  consensus: Recommendation | null;
  /** Weighted share of the top recommendation among the voters (0-1). */
  agreement: number;
  /** Weighted score per recommendation (sum of weight x confidence). */
  scores: Record<Recommendation, number>;
  threshold: number;
  /** Debate rounds actually run (stops early when nobody changes their mind). */
  rounds: number;
  history: RoundEntry[];
  votes: FinalVote[];
  /** What went wrong with the LLM, for the proposal to say (undefined when nothing did). */
  notice?: string;
}

/** What the live clock does with a verdict, relative to the agent's own decision. */
export type Outcome = 'proposal' | 'no_consensus' | 'hold' | 'disagree';
