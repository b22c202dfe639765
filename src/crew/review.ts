import type { Config } from '../config/schema.js';
import type { EntryReview } from '../kernel/backtest.js';
import type { EngineSettings } from '../kernel/settings.js';
import { ruleCrew } from './analysts.js';
import { deliberateSync, outcomeOf } from './consensus.js';
import { NO_NEWS, type NewsFeed } from './news.js';
import type { Verdict } from './types.js';
import { entrySnapshot } from './service.js';

/**
 * The rule crew as the historical clock's entry review: the same snapshot as the live scan
 * (entrySnapshot: the decision, the account as the gate saw it, the open positions), the same
 * deliberation, and an entry only when the crew backs the agent's side. Anything else (HOLD, the
 * other side, no consensus) is no trade: live, a split proposal waits for a human, who the
 * backtest cannot ask. Weights are the configured ones (learned weights move only live).
 */
export function crewReview(c: Config['crew'], o: { timeframe: string; tfMs: number; settings: EngineSettings; news?: NewsFeed; onVerdict?: (i: number, v: Verdict) => void }): EntryReview {
  const analysts = ruleCrew();
  const settings = { rounds: c.debate_rounds, threshold: c.consensus_threshold, reviseBelow: c.revise_below, persuadeShare: c.persuade_share, weights: c.weights };
  return ({ agent, i, decision, risk, portfolio }) => {
    const snapshot = entrySnapshot({
      symbol: agent.symbol,
      timeframe: o.timeframe,
      f: agent.features,
      i,
      candleTs: decision.candleTs,
      tfMs: o.tfMs,
      decision,
      risk,
      riskSettings: o.settings.risk,
      positions: Object.values(portfolio.positions),
      news: o.news ?? NO_NEWS,
      newsDays: c.news_days,
    });
    const v = deliberateSync(snapshot, analysts, settings);
    o.onVerdict?.(i, v);
    return outcomeOf(v, decision.direction === 'LONG' ? 'BUY' : 'SELL') === 'proposal';
  };
}
