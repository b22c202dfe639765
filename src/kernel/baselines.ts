import { HOLD, newAgentState, OPEN_LONG, OPEN_SHORT, type ExitProfile, type Signal, type Strategy, type StrategyName } from '../agents/types.js';
import type { Features } from '../indicators/features.js';
import type { Series } from '../market/types.js';
import { equitySharpe, totalReturn } from '../metrics/series.js';
import { createRng } from '../util/rng.js';
import { runEngine } from './backtest.js';
import type { EngineSettings } from './settings.js';

/**
 * The random-entry baseline: entries at random, everything else the kernel's. A strategy's edge is
 * what its entries add over entries at random with the same exits (stop, target, trailing stop,
 * time stop, kill switch) and the same sizing (the risk gate), on the same candles, with the same
 * costs. Many seeded runs give a distribution; the caller reports its median and where the
 * strategy falls in it (`rankOf`).
 */

/**
 * The name the random agent trades under. Strategy.name must be a StrategyName, and adding a
 * baseline name to that union would make it a user-facing strategy: the registry's
 * Record<StrategyName, Strategy> and describeEntry's switch over the names are exhaustive. The name
 * only labels the decision (Decision.strategy, its reason text, trade.strategyName); nothing in the
 * kernel's rules (gate, stops, sizing, exits) reads it.
 */
const BASELINE_NAME: StrategyName = 'rl_qlearning';

// The signal codes as local constants: read on every bar of every run.
const FLAT: Signal = HOLD;
const LONG: Signal = OPEN_LONG;
const SHORT: Signal = OPEN_SHORT;

/**
 * Flat: opens with probability `p` on each bar's close (long; short on half of the entries when
 * `allowShort`), drawing from ctx.rng. In a position: HOLD, never EXIT, so every position leaves by
 * the kernel's own exits. The risk gate may still refuse an entry (cooldown, daily limits, kill
 * switch), exactly as for any strategy.
 */
export function randomEntryStrategy(p: number, allowShort: boolean, exits?: ExitProfile): Strategy {
  if (!(p >= 0 && p <= 1)) throw new Error(`randomEntryStrategy: p must be in [0, 1], got ${p}`);
  return {
    name: BASELINE_NAME,
    // The same exits as the agent it is the baseline of (its own profile, if it has one).
    exits,
    features: [],
    signal(_f, _i, pos, _state, ctx): Signal {
      if (pos !== 0 || p === 0) return FLAT;
      if (ctx.rng() >= p) return FLAT;
      if (!allowShort) return LONG;
      return ctx.rng() < 0.5 ? LONG : SHORT;
    },
  };
}

/** Entries per bar the agent was flat (and could decide): trades / flatBars; 0 without flat bars. */
export function entryRate(trades: number, flatBars: number): number {
  return flatBars > 0 ? trades / flatBars : 0;
}

/** Median (mean of the middle two for an even count); NaN for an empty list. */
export function median(values: ArrayLike<number>): number {
  const n = values.length;
  if (n === 0) return NaN;
  const x = Float64Array.from(values).sort();
  return n % 2 ? x[(n - 1) / 2] : (x[n / 2 - 1] + x[n / 2]) / 2;
}

/**
 * Where `x` falls in `values`: the share of values below it, ties counting half (0 = below every
 * run, 0.5 = the median, 1 = above every run). NaN for an empty list.
 */
export function rankOf(values: ArrayLike<number>, x: number): number {
  const n = values.length;
  if (n === 0) return NaN;
  let below = 0;
  for (let i = 0; i < n; i++) below += values[i] < x ? 1 : values[i] === x ? 0.5 : 0;
  return below / n;
}

export interface RandomEntryInput {
  series: Series;
  features: Features;
  settings: EngineSettings;
  startingEquity: number;
  /** Bars [from, to) are traded, as in runEngine. */
  from?: number;
  to?: number;
  /** Entries the strategy made over the window: the random agent is calibrated to make as many. */
  entries: number;
  /** Seeded runs (default 100). */
  runs?: number;
  seed: number;
  periodsPerYear: number;
  /** The agent's own exit rules (Strategy.exits), so the random entries leave the same way. */
  exits?: ExitProfile;
}

export interface RandomEntryBaseline {
  runs: number;
  /** The calibrated entry probability per flat bar (the p of randomEntryStrategy). */
  entryRate: number;
  /** Per run, in seed order (run k used createRng(seed + k)). */
  sharpes: number[];
  returns: number[];
  sharpeMedian: number;
  returnMedian: number;
  tradesMedian: number;
}

/**
 * Pilot runs per calibration round: a first round at the naive p, a larger one at the corrected p
 * (trade counts spread widely between seeds once the kill switch trips in some runs).
 */
const PILOT_PLAN = [4, 8];
/** A round this close to the target entry count keeps its p. */
const PILOT_TOLERANCE = 0.05;
/** Pilot seeds are apart from the reported runs' seed + k. */
const PILOT_SALT = 0x5bd1e995;

/**
 * `runs` seeded runs of randomEntryStrategy through runEngine on the caller's features (computed
 * once, shared by every run), with p calibrated so the random agent makes about `entries` entries.
 *
 * Calibration: bars spent in a position (or refused: cooldown, limits) cannot start an entry, so
 * p = entries / bars undershoots. A pilot round (a few seeded runs at p) measures the bars each
 * trade keeps the agent busy (B) and the share of flat-bar draws that became trades (acceptance a =
 * entryRate / p); the next p solves entries = a p (D - entries B) over the D decision bars. Round
 * one: 4 runs at p = entries / D; round two: 8 runs at the corrected p; a round whose mean is
 * within 5% of the target keeps its p, else the last correction is used (a round with no trade at
 * all retries at 4p). p is capped at 1: a target the window cannot hold (e.g. the kill switch
 * trips first) gets as many entries as it can. 12 pilot runs at most, usually.
 *
 * Sharpe and return per run are the backtest CLI's summary ones: sharpe(returnsOf(equity), ppy)
 * and totalReturn(equity) on the run's equity at each traded close (first point: the close of the
 * window's first bar). Deterministic for a seed.
 */
export function randomEntryBaseline(x: RandomEntryInput): RandomEntryBaseline {
  const s = x.series;
  const from = x.from ?? 0;
  const to = x.to ?? s.close.length;
  const runs = x.runs ?? 100;
  if (!(Number.isInteger(runs) && runs >= 1)) throw new Error(`randomEntryBaseline: runs must be a whole number >= 1, got ${runs}`);
  const allowShort = x.settings.risk.allow_short;
  const target = Math.max(0, x.entries);
  // Decisions are taken on every traded bar but the last (no next open to fill at).
  const decisions = Math.max(0, to - from - 1);

  /** One seeded run at p; `countFlat` also counts the bars it decided on flat (pilots). */
  const run = (p: number, seed: number, countFlat: boolean) => {
    const base = randomEntryStrategy(p, allowShort, x.exits);
    let flat = 0;
    const strategy: Strategy = countFlat
      ? {
          name: base.name,
          exits: base.exits,
          features: base.features,
          signal(f, i, pos, state, ctx) {
            if (pos === 0) flat++;
            return base.signal(f, i, pos, state, ctx);
          },
        }
      : base;
    const r = runEngine({
      series: s,
      features: x.features,
      strategy,
      state: newAgentState(s.symbol, strategy.name),
      settings: x.settings,
      ctx: { learn: false, rng: createRng(seed), allowShort },
      startingEquity: x.startingEquity,
      from,
      to,
      idPrefix: 'random',
      // Only its equity and trade count are read: entries need no description.
      priceOnly: true,
    });
    return { r, flat };
  };

  let p = 0;
  if (target > 0 && decisions > 0) {
    p = Math.min(1, target / decisions);
    let pilotSeed = (x.seed ^ PILOT_SALT) >>> 0;
    for (let round = 0; round < PILOT_PLAN.length; ) {
      const n = PILOT_PLAN[round];
      let trades = 0;
      let flat = 0;
      for (let j = 0; j < n; j++) {
        const o = run(p, pilotSeed++, true);
        trades += o.r.trades.length;
        flat += o.flat;
      }
      trades /= n;
      flat /= n;
      if (Math.abs(trades - target) <= PILOT_TOLERANCE * target) break;
      if (trades === 0) {
        // Nothing got through (p tiny, or every entry refused): a bolder guess, the same round.
        if (p >= 1) break;
        p = Math.min(1, p * 4);
        continue;
      }
      // Each trade keeps the agent from deciding flat for `busy` bars; a flat draw becomes a trade
      // with probability `acceptance` (the gate refuses some); solve target = a p (D - target busy).
      const busy = (decisions - flat) / trades;
      const acceptance = Math.min(1, entryRate(trades, flat) / p);
      const room = decisions - target * busy;
      const next = room > 0 && acceptance > 0 ? Math.min(1, target / (acceptance * room)) : 1;
      if (p >= 1 && next >= 1) break;
      p = next;
      round++;
    }
  }

  const sharpes: number[] = new Array(runs);
  const returns: number[] = new Array(runs);
  const trades: number[] = new Array(runs);
  for (let k = 0; k < runs; k++) {
    const { r } = run(p, x.seed + k, false);
    sharpes[k] = equitySharpe(r.equity, x.periodsPerYear);
    returns[k] = totalReturn(r.equity);
    trades[k] = r.trades.length;
  }
  return {
    runs,
    entryRate: p,
    sharpes,
    returns,
    sharpeMedian: median(sharpes),
    returnMedian: median(returns),
    tradesMedian: median(trades),
  };
}
