import { entryLevels, type StopRule } from '../agents/decision.js';
import { candidateStrategy } from '../agents/fitted.js';
import { newAgentState, type FitChoice, type StrategyName } from '../agents/types.js';
import type { Features } from '../indicators/features.js';
import { runEngine, type EngineSettings } from '../kernel/backtest.js';
import { exitRulesFor } from '../kernel/step.js';
import { riskRewardOk, type RiskSettings } from '../risk/gate.js';
import type { Series } from '../market/types.js';
import { deflatedSharpe, ZERO_SPREAD } from '../metrics/uncertainty.js';
import { createRng } from '../util/rng.js';

/**
 * Walk-forward fitting: which configuration an agent trades next, chosen on the past only.
 *
 * Before each refit period the agent tries every candidate (strategy x exit rules) on the window
 * of candles just before it and keeps the best by Sharpe, but only when that best survives being
 * the best of many: its deflated Sharpe (the probability its true Sharpe is above what the best of
 * `trials` worthless configurations would show by luck) must reach FIT_CONFIDENCE, and it must beat
 * buying and holding over the same window. Otherwise the agent stands aside for the period: no
 * new entries. The caller trades the chosen configuration on candles the fit never saw.
 */

/** One configuration an agent can trade: a rule strategy and its exit rules. */
export type Candidate = FitChoice;

/** The rule strategies (stateless: a fit needs no learning pass). RL and the ensemble are trained, not fitted. */
export const FIT_STRATEGIES: StrategyName[] = ['trend_following', 'mean_reversion', 'breakout', 'trend_participation'];
/**
 * The exit rules a fit tries per strategy: stop distance in ATRs x target distance in ATRs (100:
 * no near target, the stop rides the trend) x time stop in candles (absent: the configured one).
 */
export interface ExitGrid {
  stops: number[];
  targets: number[];
  holds?: number[];
}

/** What training searches: 4 rule strategies x 9 exits = 36 configurations a refit. */
export const DEFAULT_GRID: ExitGrid = { stops: [2, 3, 5], targets: [3, 6, 100] };

/** Every configuration the fit tries for these strategies: strategy x stop x target (x time stop). */
export function candidatesFor(strategies: StrategyName[], grid: ExitGrid = DEFAULT_GRID): Candidate[] {
  const out: Candidate[] = [];
  for (const strategy of strategies) {
    for (const stop of grid.stops) {
      for (const target of grid.targets) {
        for (const hold of grid.holds ?? [undefined]) {
          // A target of 100 ATR is "no target": then no time stop either, the trend decides.
          const exits: Candidate['exits'] = target >= 100 ? { atrStopMult: stop, atrTargetMult: target, maxHoldCandles: Number.MAX_SAFE_INTEGER } : hold === undefined ? { atrStopMult: stop, atrTargetMult: target } : { atrStopMult: stop, atrTargetMult: target, maxHoldCandles: hold };
          out.push({ id: `${strategy}/s${stop}/t${target}${hold === undefined ? '' : `/h${hold}`}`, strategy, exits });
        }
      }
    }
  }
  return out;
}

/** The probability (deflated Sharpe) a fitted winner needs before the agent trades it. */
export const FIT_CONFIDENCE = 0.5;
/** Fewer trades than this in the fit window and a winner is not a winner. */
export const MIN_FIT_TRADES = 8;

export type FitReason = 'fit' | 'no_history' | 'few_trades' | 'luck' | 'below_buy_hold';

export interface Fit {
  /** What to trade until the next refit; null = stand aside (no new entries). */
  choice: Candidate | null;
  reason: FitReason;
  /** Configurations tried (the deflation counts them). */
  trials: number;
  /** Candles of the fit window. */
  candles: number;
  /** The best candidate in the window, whether or not it earned the trade. */
  best: { id: string; sharpe: number; trades: number; deflated: number } | null;
  /** Buy-and-hold's Sharpe on the same window (annualised like `best.sharpe`). */
  buyHoldSharpe: number;
}

/** Per-period Sharpe (not annualised) of a return series; 0 when flat. */
export function periodSharpe(r: number[]): number {
  const n = r.length;
  if (n < 2) return 0;
  let s = 0;
  for (const x of r) s += x;
  const m = s / n;
  let ss = 0;
  for (const x of r) ss += (x - m) * (x - m);
  const sd = Math.sqrt(ss / (n - 1));
  return sd > 1e-12 ? m / sd : 0;
}

/**
 * periodSharpe and skewKurtosis of an equity curve's returns (returnsOf), with n the number of
 * returns: two passes over the curve and no list of returns. The same operations on the same
 * values in the same order as the three functions, so the same bits (test/declared-features.test.ts
 * compares them on every configuration's curve). A refit scores every configuration with it: five
 * passes and a list of n numbers per run were ~6% of a search.
 */
export function curveScore(equity: ArrayLike<number>): { sr: number; n: number; skew: number; kurtosis: number } {
  const n = Math.max(0, equity.length - 1);
  if (n < 2) return { sr: 0, n, skew: 0, kurtosis: 3 };
  let s = 0;
  for (let i = 1; i <= n; i++) {
    const prev = equity[i - 1];
    s += prev > 0 ? equity[i] / prev - 1 : 0;
  }
  const m = s / n;
  let m2 = 0;
  let m3 = 0;
  let m4 = 0;
  for (let i = 1; i <= n; i++) {
    const prev = equity[i - 1];
    const d = (prev > 0 ? equity[i] / prev - 1 : 0) - m;
    const d2 = d * d;
    m2 += d2;
    m3 += d2 * d;
    m4 += d2 * d2;
  }
  const sd = Math.sqrt(m2 / (n - 1));
  const sr = sd > 1e-12 ? m / sd : 0;
  const v = m2 / n;
  if (!(Math.sqrt(v) > ZERO_SPREAD * Math.max(1, Math.abs(m)))) return { sr, n, skew: 0, kurtosis: 3 };
  return { sr, n, skew: m3 / n / v ** 1.5, kurtosis: m4 / n / (v * v) };
}

/** Fewest candles a fit window must have (about two weeks of hours; otherwise stand aside). */
export const MIN_FIT_CANDLES = 300;

/** Buy-and-hold's Sharpe over bars [from, to) of the closes, annualised (what a fit must beat). */
export function buyHoldSharpe(closes: ArrayLike<number>, from: number, to: number, periodsPerYear: number): number {
  const bh: number[] = [];
  for (let i = from + 1; i < to; i++) bh.push(closes[i] / closes[i - 1] - 1);
  return periodSharpe(bh) * Math.sqrt(periodsPerYear);
}

/**
 * What selection needs of one candidate's ranking run: its per-period Sharpe, trades, the length
 * of its returns and their skew and kurtosis (the deflation of the winner reads them). A few
 * numbers instead of the run, so candidates scored elsewhere (chunks of a refit on other
 * threads or machines) travel back cheaply.
 */
export interface CandidateScore {
  sr: number;
  trades: number;
  n: number;
  skew: number;
  kurtosis: number;
}

/** The window and settings every candidate of a refit is run on. */
export interface FitWindow {
  series: Series;
  features: Features;
  from: number;
  to: number;
  settings: EngineSettings;
  allowShort: boolean;
  startingEquity: number;
}

/**
 * Runs each of `candidates` (all of a refit's, or a contiguous slice of them) on bars [from, to)
 * as a ranking run and scores it. A candidate's score does not depend on the others, so slices
 * scored apart and put back in order are the scores of the whole. A window too short to fit is
 * not searched (no scores): selectFit stands aside on it.
 */
export function scoreCandidates(x: FitWindow & { candidates: Candidate[] }): CandidateScore[] {
  if (x.to - x.from < MIN_FIT_CANDLES) return [];
  // Whether any entry of a stop/target pair can pass the gate's risk:reward test in this window,
  // asked once per pair (a grid repeats each pair for every strategy and time stop).
  const opens = new Map<string, boolean>();
  return x.candidates.map((c) => {
    const strategy = candidateStrategy(c);
    const rule = exitRulesFor(strategy, x.settings);
    const pair = `${rule.atrStopMult}/${rule.atrTargetMult}`;
    let can = opens.get(pair);
    if (can === undefined) opens.set(pair, (can = anyEntryPasses(x.features, x.from, x.to, rule, x.settings.risk)));
    if (!can) return flatScore(x.to - x.from);
    const run = runEngine({
      series: x.series,
      features: x.features,
      strategy,
      state: newAgentState(x.series.symbol, c.strategy),
      settings: x.settings,
      ctx: { learn: false, rng: createRng(1), allowShort: x.allowShort },
      startingEquity: x.startingEquity,
      from: x.from,
      to: x.to,
      idPrefix: 'fit',
      // Candidates are ranked on equity and trade count: entries need no description, and
      // trades no record each.
      priceOnly: true,
      tallyOnly: true,
    });
    const { sr, n, skew, kurtosis } = curveScore(run.equity);
    return { sr, trades: run.tally.count, n, skew, kurtosis };
  });
}

/**
 * Can an entry with these exit rules pass the risk gate's risk:reward test at any bar of [from,
 * to), long or short? That test reads only the entry's levels (the close, the ATR and the stop and
 * target multiples), not the strategy, its state or the account. Where it fails at every bar the
 * configuration opens nothing whatever its strategy signals, and its ranking run is the starting
 * equity at every bar: flatScore. Asked with the gate's own functions (entryLevels, riskRewardOk)
 * on the window's own columns, so the answer is exact: a run is skipped only where it would open
 * nothing. With the default min_risk_reward (1.5), a target nearer than 1.5 stops: 11 of the 25
 * stop/target pairs of the search bench, 3 of the 9 of training's grid.
 */
export function anyEntryPasses(f: Features, from: number, to: number, rule: StopRule, risk: RiskSettings): boolean {
  for (let i = from; i < to; i++) {
    if (riskRewardOk(entryLevels(f, i, 1, rule).riskReward, risk) || riskRewardOk(entryLevels(f, i, -1, rule).riskReward, risk)) return true;
  }
  return false;
}

/**
 * The score of a ranking run on `candles` bars that never opens: a flat curve, so every return is
 * 0 (periodSharpe 0, skewKurtosis's zero-spread answer), no trades.
 */
export function flatScore(candles: number): CandidateScore {
  return { sr: 0, trades: 0, n: Math.max(0, candles - 1), skew: 0, kurtosis: 3 };
}

/**
 * Picks what an agent trades from the scores of every candidate (in candidate order): the best
 * Sharpe with enough trades, kept only if its deflated Sharpe reaches the confidence and it beats
 * buy-and-hold. `candles`: the fit window's length (too short: no_history, scores unread).
 */
export function selectFit(x: {
  candidates: Candidate[];
  scores: CandidateScore[];
  candles: number;
  buyHoldSharpe: number;
  periodsPerYear: number;
  confidence?: number;
}): Fit {
  const { candidates, scores, candles, buyHoldSharpe } = x;
  const annual = Math.sqrt(x.periodsPerYear);
  const base = { trials: candidates.length, candles, buyHoldSharpe };
  if (candles < MIN_FIT_CANDLES) return { ...base, choice: null, reason: 'no_history', best: null };
  if (scores.length !== candidates.length) throw new Error(`selectFit: ${scores.length} scores for ${candidates.length} candidates`);
  // The spread of Sharpes across the trials sizes the luck of the best one (the paper's sigma_SR).
  const srs = scores.map((s) => s.sr);
  const mean = srs.reduce((a, b) => a + b, 0) / srs.length;
  const sd = Math.sqrt(srs.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, srs.length - 1));
  // Ties (same Sharpe) go to the earlier candidate: the order of the grid, fixed.
  let t = 0;
  for (let k = 1; k < scores.length; k++) if (scores[k].trades >= MIN_FIT_TRADES && (scores[t].trades < MIN_FIT_TRADES || scores[k].sr > scores[t].sr)) t = k;
  const top = scores[t];
  const deflated = deflatedSharpe(top.sr, top.n, candidates.length, top.skew, top.kurtosis, sd > 0 ? sd : undefined);
  const best = { id: candidates[t].id, sharpe: top.sr * annual, trades: top.trades, deflated: Number.isFinite(deflated) ? deflated : 0 };
  if (top.trades < MIN_FIT_TRADES) return { ...base, choice: null, reason: 'few_trades', best };
  if (!(best.deflated >= (x.confidence ?? FIT_CONFIDENCE))) return { ...base, choice: null, reason: 'luck', best };
  if (!(best.sharpe > buyHoldSharpe)) return { ...base, choice: null, reason: 'below_buy_hold', best };
  return { ...base, choice: candidates[t], reason: 'fit', best };
}

/**
 * Fits one agent on bars [from, to) of its series (features computed over the series, so bars
 * before `from` only warm indicators up). Pure and deterministic: same inputs, same choice.
 */
export function fitAgent(
  x: FitWindow & {
    candidates: Candidate[];
    periodsPerYear: number;
    /** Deflated-Sharpe probability the winner needs (default FIT_CONFIDENCE). */
    confidence?: number;
  },
): Fit {
  return selectFit({
    candidates: x.candidates,
    scores: scoreCandidates(x),
    candles: x.to - x.from,
    buyHoldSharpe: buyHoldSharpe(x.series.close, x.from, x.to, x.periodsPerYear),
    periodsPerYear: x.periodsPerYear,
    confidence: x.confidence,
  });
}
