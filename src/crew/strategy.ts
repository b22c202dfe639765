import { describeEntry, type StopRule } from '../agents/decision.js';
import { HOLD, OPEN_LONG, OPEN_SHORT, type Signal, type Strategy, type StrategyName } from '../agents/types.js';
import type { Features } from '../indicators/features.js';
import { buildSnapshot, neutralRisk, ruleCrew } from './analysts.js';
import { deliberateSync, outcomeOf, type ConsensusSettings } from './consensus.js';
import { NO_NEWS, type NewsFeed } from './news.js';
import type { AnalystName, Verdict } from './types.js';

export const DEFAULT_WEIGHTS: Record<AnalystName, number> = { technical: 1, risk: 1, monitor: 1, sentiment: 0.5, strategist: 1 };

export interface CrewStrategyOptions {
  /** The agent whose entries the crew votes on (the live path's cfg.strategy). */
  base: Strategy;
  symbol: string;
  timeframe: string;
  tfMs: number;
  /** Open time of bar i (the series' ts column); only bar i's own time is ever read. */
  timeOf?: (i: number) => number;
  news?: NewsFeed;
  newsDays?: number;
  stops: StopRule;
  settings?: Partial<ConsensusSettings>;
  /** Called with every verdict (tests, reports). */
  onVerdict?: (i: number, v: Verdict) => void;
}

/**
 * The crew as a backtest strategy, deterministic and offline: the same path as the live clock —
 * the base agent's entry signal, its decision (describeEntry), then the rule crew's deliberation —
 * and an entry only when the crew's consensus backs the agent's side. Exits are the base agent's.
 * Everything read is at bar i or before (features are causal; headlines only up to the close of
 * bar i), which the lookahead check verifies. The risk manager sees a fresh flat account: the
 * engine's own gate sizes and limits the trades.
 *
 * Named 'ensemble' because Strategy.name must be a StrategyName and the crew is a weighted vote.
 */
export function crewStrategy(o: CrewStrategyOptions): Strategy {
  const analysts = ruleCrew();
  const settings: ConsensusSettings = { rounds: 2, threshold: 0.6, reviseBelow: 0.6, persuadeShare: 0.67, weights: DEFAULT_WEIGHTS, ...o.settings };
  const name: StrategyName = 'ensemble';
  return {
    name,
    signal(f: Features, i: number, pos: number, state, ctx): Signal {
      const sig = o.base.signal(f, i, pos, state, ctx);
      if (pos !== 0 || (sig !== OPEN_LONG && sig !== OPEN_SHORT)) return sig;
      const candleTs = o.timeOf ? o.timeOf(i) : 0;
      const decision = describeEntry(f, i, sig === OPEN_LONG ? 1 : -1, o.base.name, candleTs, o.stops);
      const snapshot = buildSnapshot({
        symbol: o.symbol,
        timeframe: o.timeframe,
        f,
        i,
        candleTs,
        tfMs: o.tfMs,
        news: o.timeOf ? (o.news ?? NO_NEWS) : NO_NEWS,
        newsDays: o.newsDays ?? 3,
        positions: [],
        risk: neutralRisk(),
        decision,
      });
      const v = deliberateSync(snapshot, analysts, settings);
      o.onVerdict?.(i, v);
      return outcomeOf(v, sig === OPEN_LONG ? 'BUY' : 'SELL') === 'proposal' ? sig : HOLD;
    },
  };
}
