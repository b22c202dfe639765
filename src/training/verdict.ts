import type { AgentEdge, ExitProfile } from '../agents/types.js';
import { calibrationReport } from '../evaluation/calibration.js';
import { edgeVerdict } from '../evaluation/honest.js';
import type { Features } from '../indicators/features.js';
import type { EngineSettings } from '../kernel/backtest.js';
import { randomEntryBaseline, rankOf } from '../kernel/baselines.js';
import type { Series } from '../market/types.js';
import { returnsOf, sharpe } from '../metrics/series.js';
import type { DetailedTradeMetric, EquityPoint } from '../metrics/types.js';
import { bootstrapSharpeCI } from '../metrics/uncertainty.js';

/**
 * An agent's right to propose, judged on what a training run traded out of sample (every cycle
 * was traded with what was fitted or learned before it): its Sharpe with a 95% interval, beside
 * buying and holding the same symbol over the same span and random entries with the same exits
 * and sizing, under the same verdict rule as a backtest (src/evaluation/honest.ts).
 */
export function agentVerdict(x: {
  runId: string;
  series: Series;
  features: Features;
  /** First bar of the run's span in `series`. */
  from: number;
  settings: EngineSettings;
  startingEquity: number;
  /** The agent's attributed equity, sampled as the run reports it, and its trades. */
  points: EquityPoint[];
  trades: DetailedTradeMetric[];
  /** Annualisation of `points` (the run's metric timeframe) and of the series' own candles. */
  pointsPerYear: number;
  candlesPerYear: number;
  /** The exits the random entries share (the agent's most used ones). */
  exits?: ExitProfile;
  periodsTraded: number;
  periodsTotal: number;
  seed: number;
  /** A learning agent's Sharpe untrained, same window (annualised like `candlesPerYear`). */
  untrainedSharpe?: number;
}): AgentEdge {
  const returns = returnsOf(x.points.map((p) => p.equity));
  const agentSharpe = sharpe(returns, x.pointsPerYear);
  const ci = bootstrapSharpeCI(returns, x.pointsPerYear, { seed: x.seed });
  const closes = x.series.close.subarray(x.from);
  const buyHoldSharpe = sharpe(returnsOf(closes), x.candlesPerYear);
  const entries = x.trades.length;
  // Random entries need entries to imitate; a long series gets fewer runs (the cost is runs x bars).
  const bars = x.series.close.length - x.from;
  const random =
    entries > 0
      ? randomEntryBaseline({ series: x.series, features: x.features, settings: x.settings, startingEquity: x.startingEquity, from: x.from, entries, runs: bars > 100_000 ? 30 : 100, seed: x.seed, periodsPerYear: x.candlesPerYear, exits: x.exits })
      : null;
  const percentile = random ? rankOf(random.sharpes, agentSharpe) : 0;
  const v = edgeVerdict({ trades: entries, sharpe: agentSharpe, buyHoldSharpe, percentile, ciLow: ci ? ci.lo : null, untrainedSharpe: x.untrainedSharpe });
  const first = x.points.length ? x.points[0].equity : x.startingEquity;
  const last = x.points.length ? x.points[x.points.length - 1].equity : x.startingEquity;
  return {
    edge: v.edge,
    code: v.code,
    params: v.params,
    runId: x.runId,
    from: x.series.ts[x.from],
    to: x.series.ts[x.series.ts.length - 1],
    trades: entries,
    sharpe: agentSharpe,
    ci: ci ? [ci.lo, ci.hi] : null,
    samples: returns.length,
    buyHoldSharpe,
    randomMedian: random ? random.sharpeMedian : 0,
    percentile,
    totalReturn: first > 0 ? last / x.startingEquity - 1 : 0,
    periodsTraded: x.periodsTraded,
    periodsTotal: x.periodsTotal,
    ...(x.untrainedSharpe !== undefined ? { untrainedSharpe: x.untrainedSharpe } : {}),
    calibration: calibrationReport(x.trades.filter((t) => t.calibrated).map((t) => ({ p: t.confidence, won: t.wasSuccessful }))),
  };
}
