import type { ExitProfile } from '../agents/types.js';
import type { Features } from '../indicators/features.js';
import { randomEntryBaseline, rankOf, type RandomEntryBaseline } from '../kernel/baselines.js';
import type { EngineSettings, RunResult } from '../kernel/backtest.js';
import { timeframeMs } from '../market/timeframe.js';
import type { Series } from '../market/types.js';
import { periodsPerYear, returnsOf, type Calendar } from '../metrics/series.js';
import { tradeStats, type TradeStats } from '../metrics/trade-stats.js';
import { bootstrapSharpeCI } from '../metrics/uncertainty.js';

/**
 * A result is worth nothing without its baselines on the same window and costs and its
 * uncertainty. This computes both for one evaluated run, for every place that shows a result
 * (the backtest CLI, /backtest, training summaries): the Sharpe's bootstrap interval and the
 * number of returns it rests on, trade statistics, random entries with the same exits and sizing,
 * and the agent's own verdict.
 */

/** Trades below which no verdict is given: too few to tell skill from luck. */
export const MIN_EDGE_TRADES = 30;
/** Share of random-entry runs the agent's Sharpe must beat. */
export const EDGE_PERCENTILE = 0.95;
export const EDGE_RULE = `at least ${MIN_EDGE_TRADES} trades, a Sharpe whose 95% interval lies above 0 (beats cash), at or above buy-and-hold's Sharpe, and above ${EDGE_PERCENTILE * 100}% of random-entry runs with the same exits and sizing`;

/** The verdict as data: `code` names the string in templates/<lang>/strings.txt, `params` fill it. */
export interface Verdict {
  edge: boolean;
  code: 'verdict_not_enough' | 'verdict_no_cash' | 'verdict_unsure' | 'verdict_random' | 'verdict_bh' | 'verdict_untrained' | 'verdict_edge';
  params: Record<string, string | number>;
}

/**
 * `untrainedSharpe`: for an agent that learns (RL, the ensemble), the same agent untrained on the
 * same window: learning must add something, or what it learned is not why it trades well.
 */
export function edgeVerdict(x: { trades: number; sharpe: number; buyHoldSharpe: number; percentile: number; ciLow: number | null; untrainedSharpe?: number }): Verdict {
  const sharpe = x.sharpe.toFixed(2);
  const bh = x.buyHoldSharpe.toFixed(2);
  const pct = `${(100 * x.percentile).toFixed(0)}%`;
  if (x.trades < MIN_EDGE_TRADES || x.ciLow === null) return { edge: false, code: 'verdict_not_enough', params: { trades: x.trades, min: MIN_EDGE_TRADES } };
  if (!(x.sharpe > 0)) return { edge: false, code: 'verdict_no_cash', params: { sharpe } };
  if (!(x.ciLow > 0)) return { edge: false, code: 'verdict_unsure', params: { sharpe, lo: x.ciLow.toFixed(2) } };
  if (x.percentile < EDGE_PERCENTILE) return { edge: false, code: 'verdict_random', params: { pct, need: `${EDGE_PERCENTILE * 100}%` } };
  if (x.sharpe < x.buyHoldSharpe) return { edge: false, code: 'verdict_bh', params: { sharpe, bh } };
  if (x.untrainedSharpe !== undefined && !(x.sharpe > x.untrainedSharpe)) return { edge: false, code: 'verdict_untrained', params: { sharpe, untrained: x.untrainedSharpe.toFixed(2) } };
  return { edge: true, code: 'verdict_edge', params: { sharpe, bh, pct } };
}

export interface HonestFigures {
  returns: number[];
  ci: { lo: number; hi: number; n: number } | null;
  stats: TradeStats;
  random: RandomEntryBaseline;
  /** Share of random-entry runs whose Sharpe is below the agent's (ties count half). */
  percentile: number;
  verdict: Verdict;
}

export function honestFigures(x: {
  series: Series;
  features: Features;
  settings: EngineSettings;
  startingEquity: number;
  run: RunResult;
  /** The agent's own exit rules, which the random entries share. */
  exits?: ExitProfile;
  sharpe: number;
  buyHoldSharpe: number;
  calendar: Calendar;
  seed: number;
  /** Bars [from, to) the run traded (default: all). */
  from?: number;
  to?: number;
  runs?: number;
}): HonestFigures {
  const s = x.series;
  const from = x.from ?? 0;
  const ppy = periodsPerYear(s.timeframe, x.calendar);
  const returns = returnsOf(x.run.equity);
  const ci = bootstrapSharpeCI(returns, ppy, { seed: x.seed });
  const stats = tradeStats({ trades: x.run.trades, equity: x.run.equity, startingEquity: x.startingEquity, ts: s.ts.subarray(from, from + x.run.equity.length), timeframeMs: timeframeMs(s.timeframe), calendar: x.calendar });
  const random = randomEntryBaseline({ series: s, features: x.features, settings: x.settings, startingEquity: x.startingEquity, from: x.from, to: x.to, entries: x.run.trades.length, runs: x.runs ?? 100, seed: x.seed, periodsPerYear: ppy, exits: x.exits });
  const percentile = rankOf(random.sharpes, x.sharpe);
  const verdict = edgeVerdict({ trades: x.run.trades.length, sharpe: x.sharpe, buyHoldSharpe: x.buyHoldSharpe, percentile, ciLow: ci ? ci.lo : null });
  return { returns, ci, stats, random, percentile, verdict };
}
