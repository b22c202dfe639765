import path from 'node:path';
import type { Decision } from '../agents/decision.js';
import type { App } from '../app/context.js';
import { PROJECT_ROOT } from '../config/load.js';
import type { Config } from '../config/schema.js';
import type { Features } from '../indicators/features.js';
import type { RiskSettings, RiskState } from '../risk/gate.js';
import type { OpenPosition } from '../kernel/position.js';
import type { DB } from '../store/db.js';
import type { OpenTradeRow } from '../trading/account.js';
import { buildSnapshot, RULE_VIEWS, ruleAnalyst } from './analysts.js';
import { deliberate, outcomeOf, type ConsensusSettings } from './consensus.js';
import { createLlm, llmAnalyst, type LlmClient } from './llm.js';
import { csvNewsFeed, rssNewsFeed, NO_NEWS, type NewsFeed } from './news.js';
import { recordDecision } from '../store/crew.js';
import { effectiveWeights, scoreClosedTrade } from './track-record.js';
import { ANALYST_NAMES, type Analyst, type Outcome, type Snapshot, type Verdict } from './types.js';

/** The crew of one running bot: its analysts, news feed and LLM client, built from the config. */
export interface Crew {
  analysts: Analyst[];
  news: NewsFeed;
  llm: LlmClient | null;
  /** Consensus settings with the weights learned so far (read from SQLite each time). */
  settings(): ConsensusSettings;
  cfg: Config['crew'];
}

export function llmConfigured(c: Config['crew']): boolean {
  return c.llm.api_key !== '' || c.llm.base_url !== '';
}

export function createCrew(c: Config['crew'], db: DB, now: () => number = Date.now, o: { news?: NewsFeed; language?: string } = {}): Crew {
  const news = o.news ?? (c.news_url ? rssNewsFeed(c.news_url, { every: 10 * 60_000 }) : c.news_file ? csvNewsFeed(path.resolve(PROJECT_ROOT, c.news_file)) : NO_NEWS);
  const llm = llmConfigured(c)
    ? createLlm(db, { apiKey: c.llm.api_key, baseURL: c.llm.base_url, model: c.llm.model, timeoutMs: c.llm.timeout_seconds * 1000, dailyTokenBudget: c.llm.daily_token_budget, maxTokens: c.llm.max_tokens }, now)
    : null;
  const analysts = ANALYST_NAMES.map((n) => (llm && c.llm.analysts.includes(n) ? llmAnalyst(n, llm, RULE_VIEWS[n], o.language) : ruleAnalyst(n)));
  return {
    analysts,
    news,
    llm,
    cfg: c,
    settings: () => ({
      rounds: c.debate_rounds,
      threshold: c.consensus_threshold,
      reviseBelow: c.revise_below,
      persuadeShare: c.persuade_share,
      weights: effectiveWeights(db, c.weights, c.learn_weights),
    }),
  };
}

const crews = new WeakMap<App, Crew>();

/** The app's crew, built once per process (the App interface stays unaware of it). */
export function crewFor(app: App): Crew {
  let c = crews.get(app);
  if (!c) {
    c = createCrew(app.cfg.crew, app.db, app.now, { language: app.cfg.language });
    crews.set(app, c);
  }
  return c;
}

export interface CrewConsult {
  verdict: Verdict;
  outcome: Outcome;
  snapshot: Snapshot;
  ms: number;
}

/**
 * What the crew sees of an entry, in every clock: features at the decision candle, the decision,
 * the account as the risk gate saw it, the open positions. The live scan and the backtest's crew
 * review (src/crew/review.ts) both build it here, so the crew votes the same on the same candles.
 */
export function entrySnapshot(x: {
  symbol: string;
  timeframe: string;
  f: Features;
  i: number;
  candleTs: number;
  tfMs: number;
  decision: Decision;
  risk: RiskState;
  riskSettings: RiskSettings;
  positions: OpenPosition[];
  news: NewsFeed;
  newsDays: number;
}): Snapshot {
  const r = x.riskSettings;
  return buildSnapshot({
    symbol: x.symbol,
    timeframe: x.timeframe,
    f: x.f,
    i: x.i,
    candleTs: x.candleTs,
    tfMs: x.tfMs,
    news: x.news,
    newsDays: x.newsDays,
    positions: x.positions.map((t) => ({ symbol: t.symbol, direction: t.dir > 0 ? 'LONG' : 'SHORT', quantity: t.quantity, entryPrice: t.entryPrice })),
    risk: { equity: x.risk.equity, peakEquity: x.risk.peakEquity, exposure: x.risk.exposure, openPositions: x.risk.openPositions, maxOpenPositions: r.max_open_positions, maxTotalExposure: r.max_total_exposure, maxDrawdown: r.max_drawdown },
    decision: x.decision,
  });
}

/** The live snapshot: the bot's timeframe and news feed. */
export function liveSnapshot(app: App, crew: Crew, x: { symbol: string; f: Features; i: number; candleTs: number; tfMs: number; decision: Decision; risk: RiskState; riskSettings: RiskSettings; positions: OpenPosition[] }): Snapshot {
  return entrySnapshot({ ...x, timeframe: app.cfg.timeframe, news: crew.news, newsDays: crew.cfg.news_days });
}

/** Asks the crew about the agent's entry. Pure of side effects except LLM usage accounting. */
export async function consultCrew(app: App, snapshot: Snapshot): Promise<CrewConsult> {
  const crew = crewFor(app);
  const t0 = performance.now();
  const verdict = await deliberate(snapshot, crew.analysts, crew.settings());
  const side = snapshot.decision!.direction === 'LONG' ? 'BUY' : 'SELL';
  const outcome = outcomeOf(verdict, side);
  const ms = performance.now() - t0;
  app.log.info({ symbol: snapshot.symbol, consensus: verdict.consensus, agreement: Math.round(verdict.agreement * 100) / 100, outcome, rounds: verdict.rounds, ms: Math.round(ms) }, 'crew deliberated');
  if (verdict.notice) app.log.warn({ symbol: snapshot.symbol, notice: app.scrub(verdict.notice) }, 'crew LLM notice');
  return { verdict, outcome, snapshot, ms };
}

/** Stores a deliberation (inside the caller's transaction when it makes a proposal). */
export function recordConsult(app: App, c: CrewConsult, proposalId: string | null): number {
  const d = c.snapshot.decision;
  return recordDecision(app.db, {
    ts: app.now(),
    symbol: c.snapshot.symbol,
    candleTs: c.snapshot.candleTs,
    proposalId,
    agentSide: d ? (d.direction === 'LONG' ? 'BUY' : 'SELL') : null,
    outcome: c.outcome,
    verdict: c.verdict.notice ? { ...c.verdict, notice: app.scrub(c.verdict.notice) } : c.verdict,
  });
}

/** Hook for closeTrade: the closed trade updates the track record of the analysts that voted on it. */
export function crewTradeClosed(app: App, t: OpenTradeRow, pnl: number): void {
  if (!app.cfg.crew.enabled) return;
  try {
    const scored = scoreClosedTrade(app.db, { tradeId: t.id, proposalId: t.proposal_id, direction: t.direction, pnl, ts: app.now() });
    if (scored) app.log.info({ trade: t.id, pnl, scored }, 'crew track record updated');
  } catch (e) {
    // The track record is advisory: a failure here must never undo or block a recorded close.
    app.log.warn({ trade: t.id, err: app.scrub(String(e)) }, 'crew track record not updated');
  }
}
