/**
 * Metrics of a crew of agents taken together (one agent per symbol). Pure functions, no I/O.
 * Fractions stay fractions (0.12 = 12%); see the README section "Metrics" for the same text.
 */
import type { DetailedTradeMetric, EquityPoint } from './types.js';
import { mean, returnsOf, sampleStdev, seriesMetrics, sortedByTs, type SeriesMetrics } from './series.js';

export interface AgentResult {
  symbol: string;
  points: EquityPoint[];
  trades: DetailedTradeMetric[];
}

export interface PortfolioMetrics extends SeriesMetrics {
  avgCorrelation: number;
  diversificationScore: number;
  concentration: number;
  bestAgent: string | null;
  worstAgent: string | null;
  avgQualityScore: number;
  highQualityShare: number;
  avgConfluence: number;
  efficiency: number;
  agents: Record<string, SeriesMetrics>;
}

/** A trade with qualityScore above this counts as high quality (highQualityShare). */
export const HIGH_QUALITY = 80;

/**
 * Pearson correlation of two series over their first min(len a, len b) values:
 *   sum((a_i - mean a)(b_i - mean b)) / sqrt(sum((a_i - mean a)^2) * sum((b_i - mean b)^2)).
 * 0 (undefined, not "uncorrelated") when fewer than 2 pairs or either side has (numerically) zero
 * variance. Clamped to [-1, 1] against rounding.
 */
export function pearson(a: number[], b: number[]): number {
  const n = Math.min(a.length, b.length);
  if (n < 2) return 0;
  const x = a.length === n ? a : a.slice(0, n);
  const y = b.length === n ? b : b.slice(0, n);
  const mx = mean(x);
  const my = mean(y);
  // Same zero-spread rule as sharpe(): last-bit noise on a constant series is not variance.
  if (!(sampleStdev(x) > 1e-12 * Math.max(1, Math.abs(mx)))) return 0;
  if (!(sampleStdev(y) > 1e-12 * Math.max(1, Math.abs(my)))) return 0;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i] - mx;
    const dy = y[i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  const r = sxy / Math.sqrt(sxx * syy);
  return Math.max(-1, Math.min(1, r));
}

/**
 * Average pairwise correlation: every series is cut to the length of the shortest (index-aligned
 * from the start), then the mean of pearson() over all k(k-1)/2 pairs. 0 with fewer than 2 series.
 */
export function avgPairwiseCorrelation(returnSeries: number[][]): number {
  const k = returnSeries.length;
  if (k < 2) return 0;
  const n = Math.min(...returnSeries.map((s) => s.length));
  const cut = returnSeries.map((s) => s.slice(0, n));
  let sum = 0;
  let pairs = 0;
  for (let i = 0; i < k; i++) {
    for (let j = i + 1; j < k; j++) {
      sum += pearson(cut[i], cut[j]);
      pairs++;
    }
  }
  return sum / pairs;
}

/**
 * Diversification score in [0, 1] from the average pairwise correlation:
 *   clamp(1 - max(avgCorr, 0), 0, 1).
 * 1 = the agents' returns are uncorrelated or move against each other; 0 = they move in lockstep.
 * Negative correlation earns no extra credit (it is already as good as it gets for this score).
 */
export function diversificationScore(avgCorr: number): number {
  if (!Number.isFinite(avgCorr)) return 0;
  return Math.min(1, Math.max(0, 1 - Math.max(avgCorr, 0)));
}

/**
 * PnL concentration, the Herfindahl index of absolute PnL shares: sum(w_i^2), w_i = |pnl_i| / sum|pnl|.
 * 1 = all PnL (gain or loss) came from one agent; 1/k = spread evenly over k agents; 0 when no PnL.
 */
export function concentration(pnlBySymbol: number[]): number {
  let total = 0;
  for (const p of pnlBySymbol) total += Math.abs(p);
  if (!(total > 0)) return 0;
  let h = 0;
  for (const p of pnlBySymbol) h += (Math.abs(p) / total) ** 2;
  return h;
}

/** One agent's equity on a shared timeline (see portfolioEquity for the fill rule). */
function alignOn(timeline: number[], points: EquityPoint[], fallback: number): number[] {
  const pts = sortedByTs(points);
  const out = new Array<number>(timeline.length);
  if (pts.length === 0) return out.fill(fallback);
  let j = -1;
  for (let i = 0; i < timeline.length; i++) {
    while (j + 1 < pts.length && pts[j + 1].ts <= timeline[i]) j++;
    out[i] = j < 0 ? pts[0].equity : pts[j].equity;
  }
  return out;
}

function timelineOf(agents: AgentResult[]): number[] {
  const ts = new Set<number>();
  for (const a of agents) for (const p of a.points) ts.add(p.ts);
  return [...ts].sort((x, y) => x - y);
}

/**
 * The portfolio equity curve: on the sorted union of all agents' timestamps, the sum of every
 * agent's equity, where an agent without a point at that ts contributes its last earlier value
 * (forward fill), before its first point its first value, and with no points at all
 * startingEquityPerAgent. Empty when no agent has a point.
 */
export function portfolioEquity(agents: AgentResult[], startingEquityPerAgent: number): EquityPoint[] {
  const timeline = timelineOf(agents);
  const total = new Array<number>(timeline.length).fill(0);
  for (const a of agents) {
    const v = alignOn(timeline, a.points, startingEquityPerAgent);
    for (let i = 0; i < v.length; i++) total[i] += v[i];
  }
  return timeline.map((ts, i) => ({ ts, equity: total[i] }));
}

/**
 * Everything about a crew run:
 * - the SeriesMetrics fields: seriesMetrics() of the portfolio equity curve (portfolioEquity) and
 *   of ALL agents' trades together;
 * - avgCorrelation: avgPairwiseCorrelation of the agents' per-candle returns on the shared timeline
 *   (forward-filled, so a candle where an agent has no point is a 0 return for it);
 * - diversificationScore: diversificationScore(avgCorrelation), but 0 with fewer than 2 agents
 *   (one agent is not diversified, whatever its correlation "is");
 * - concentration: concentration() of each agent's total trade PnL;
 * - bestAgent / worstAgent: symbol with the highest / lowest total trade PnL (ties: first in input
 *   order); null when there are no trades at all;
 * - avgQualityScore, avgConfluence: means over all trades (0 when none);
 *   highQualityShare: fraction of trades with qualityScore > 80;
 * - efficiency = gross profit / (gross profit + gross loss) = sum of pnl over trades with pnl > 0
 *   divided by sum |pnl| over all trades, in [0, 1]; 0 when no trade has non-zero PnL.
 *   (winRate counts wasSuccessful; efficiency weighs by money.)
 * - agents: seriesMetrics() of each agent's own points and trades, by symbol.
 * Symbols must be unique; a duplicate throws, since merging two agents silently would mis-report.
 */
export function portfolioMetrics(agents: AgentResult[], timeframe: string, startingEquityPerAgent: number): PortfolioMetrics {
  const perAgent: Record<string, SeriesMetrics> = {};
  for (const a of agents) {
    if (Object.hasOwn(perAgent, a.symbol)) throw new Error(`portfolioMetrics: duplicate agent symbol "${a.symbol}"`);
    perAgent[a.symbol] = seriesMetrics(a.points, a.trades, timeframe);
  }

  const allTrades = agents.flatMap((a) => a.trades);
  const base = seriesMetrics(portfolioEquity(agents, startingEquityPerAgent), allTrades, timeframe);

  const timeline = timelineOf(agents);
  const avgCorr = avgPairwiseCorrelation(agents.map((a) => returnsOf(alignOn(timeline, a.points, startingEquityPerAgent))));

  const pnlBy = agents.map((a) => a.trades.reduce((s, t) => s + t.pnl, 0));
  let best: string | null = null;
  let worst: string | null = null;
  if (allTrades.length > 0) {
    let bi = 0;
    let wi = 0;
    for (let i = 1; i < agents.length; i++) {
      if (pnlBy[i] > pnlBy[bi]) bi = i;
      if (pnlBy[i] < pnlBy[wi]) wi = i;
    }
    best = agents[bi].symbol;
    worst = agents[wi].symbol;
  }

  let quality = 0;
  let high = 0;
  let confluence = 0;
  let gross = 0;
  let grossProfit = 0;
  for (const t of allTrades) {
    quality += t.qualityScore;
    if (t.qualityScore > HIGH_QUALITY) high++;
    confluence += t.confluenceScore;
    gross += Math.abs(t.pnl);
    if (t.pnl > 0) grossProfit += t.pnl;
  }
  const n = allTrades.length;

  return {
    ...base,
    avgCorrelation: avgCorr,
    diversificationScore: agents.length < 2 ? 0 : diversificationScore(avgCorr),
    concentration: concentration(pnlBy),
    bestAgent: best,
    worstAgent: worst,
    avgQualityScore: n > 0 ? quality / n : 0,
    highQualityShare: n > 0 ? high / n : 0,
    avgConfluence: n > 0 ? confluence / n : 0,
    efficiency: gross > 0 ? grossProfit / gross : 0,
    agents: perAgent,
  };
}
