import type { EntryReview } from '../kernel/backtest.js';
import { cloneAgentState, type AgentState, type Signal, type Strategy } from '../agents/types.js';
import { computeFeatures, WARMUP } from '../indicators/features.js';
import { sliceSeries, type Series } from '../market/types.js';
import type { DetailedTradeMetric } from '../metrics/types.js';
import type { EngineSettings, RunResult } from '../kernel/backtest.js';
import { createRng } from '../util/rng.js';
import { InputError } from './args.js';
import { backtestArgs, BACKTEST_USAGE, evaluate, prepareBacktest } from './backtest.js';

export const DEFAULT_CUTS = 20;
export const DEFAULT_RANDOM_CUTS = 3;

export const LOOKAHEAD_USAGE = `lookahead-check --data <csv> [same options as backtest]
    Proves the strategy decides from the past only: runs the backtest on all candles, then again on
    the data cut at ${DEFAULT_CUTS} evenly spaced points after the warm-up plus ${DEFAULT_RANDOM_CUTS} seeded random ones, features
    recomputed on each cut, and compares every decision up to the cut's last candle and every trade
    closed before the cut. Exit 0 when nothing differs, 1 with the first differences otherwise.
    --json   {"ok","cuts","decisionsCompared","tradesCompared","differences"}`;
/** Differences kept for the report; the check stops collecting (not comparing) after these. */
export const MAX_DIFFERENCES = 100;

export interface LookaheadInput {
  series: Series;
  /** Any Strategy object, not only a registered one (tests pass a deliberately cheating one). */
  strategy: Strategy;
  /** The agent as prepared on training data; every run gets its own deep clone. */
  state: AgentState;
  settings: EngineSettings;
  seed: number;
  startingEquity: number;
  /** The crew's vote on entries (`--strategy crew`): it must decide from the past only too. */
  review?: EntryReview;
  cuts?: number;
  randomCuts?: number;
}

export type Difference =
  | { kind: 'decision'; cutBars: number; bar: number; ts: string; full: Signal; cut: Signal }
  | { kind: 'trade'; cutBars: number; index: number; tradeId: string; field: string; full: unknown; cut: unknown };

export interface LookaheadReport {
  ok: boolean;
  cuts: number;
  decisionsCompared: number;
  tradesCompared: number;
  differences: Difference[];
}

/**
 * Where to cut: `cuts` evenly spaced cut lengths in [WARMUP + 2, n - 1] (the last one n - 1) and
 * `randomCuts` more drawn from the seeded rng, deduplicated and ascending. A cut of length c keeps
 * bars 0..c-1. n - 1 at most, so the full run has a decision at every cut's last bar.
 */
export function cutPoints(n: number, cuts: number, randomCuts: number, seed: number): number[] {
  const lo = WARMUP + 2;
  const hi = n - 1;
  if (hi < lo) throw new InputError(`lookahead-check needs more than ${lo} candles (warm-up ${WARMUP}), got ${n}`);
  const out = new Set<number>();
  for (let k = 1; k <= cuts; k++) out.add(lo + Math.round(((hi - lo) * k) / cuts));
  const rng = createRng(seed ^ 0x5eed);
  for (let k = 0; k < randomCuts; k++) out.add(lo + Math.floor(rng() * (hi - lo + 1)));
  return [...out].sort((a, b) => a - b);
}

/** Trades closed inside the data (not forced shut by its end): these must not depend on the future. */
function settled(trades: DetailedTradeMetric[], lastTs: number): DetailedTradeMetric[] {
  return trades.filter((t) => t.exitReason !== 'END_OF_DATA' && t.exitTime <= lastTs);
}

function firstDifferentField(a: DetailedTradeMetric, b: DetailedTradeMetric): string | null {
  for (const k of Object.keys(a) as Array<keyof DetailedTradeMetric>) {
    if (!Object.is(a[k], b[k])) return k;
  }
  return null;
}

/**
 * The lookahead check. Decisions compared per cut of length c: the signals at bars 0..c-2 that the
 * engine records on the cut data, AND the decision at the cut's last bar c-1, asked of the strategy
 * directly (the engine makes no decision on a last bar, having no next open to fill at). That last
 * one matters: a strategy peeking one candle ahead (f.close[i+1]) sees the same value at every
 * earlier bar of the cut as in the full run; only at the cut's edge is the future missing.
 */
export function runLookaheadCheck(input: LookaheadInput): LookaheadReport {
  const { series: s, strategy, settings, seed, startingEquity } = input;
  const n = s.ts.length;
  const base = { strategy, settings, startingEquity, state: input.state, args: { seed }, review: input.review };
  const full = evaluate({ ...base, series: s, features: computeFeatures(s, 'fast') }, { recordSignals: true });
  const fullSignals = full.signals!;
  const cuts = cutPoints(n, input.cuts ?? DEFAULT_CUTS, input.randomCuts ?? DEFAULT_RANDOM_CUTS, seed);
  const differences: Difference[] = [];
  const add = (d: Difference) => {
    if (differences.length < MAX_DIFFERENCES) differences.push(d);
  };
  let decisionsCompared = 0;
  let tradesCompared = 0;
  let diffCount = 0;

  for (const c of cuts) {
    const cs = sliceSeries(s, 0, c);
    const cf = computeFeatures(cs, 'fast');
    const state = cloneAgentState(input.state);
    const rng = createRng(seed);
    const run: RunResult = evaluate({ ...base, series: cs, features: cf }, { recordSignals: true, rng, state });
    const sig = run.signals!;
    const ts = (i: number) => new Date(s.ts[i]).toISOString();
    for (let i = 0; i < c - 1; i++) {
      decisionsCompared++;
      if (sig[i] !== fullSignals[i]) {
        diffCount++;
        add({ kind: 'decision', cutBars: c, bar: i, ts: ts(i), full: fullSignals[i] as Signal, cut: sig[i] as Signal });
      }
    }
    // The decision on the cut's last close, with the position the engine held at that moment:
    // whatever it then closed as END_OF_DATA (an exit filled at that open, or a stop inside that
    // candle, leaves it flat).
    const open = run.trades.find((t) => t.exitReason === 'END_OF_DATA');
    const pos = open ? (open.direction === 'LONG' ? 1 : -1) : 0;
    const last = strategy.signal(cf, c - 1, pos, state, { learn: false, rng, allowShort: settings.risk.allow_short });
    decisionsCompared++;
    if (last !== fullSignals[c - 1]) {
      diffCount++;
      add({ kind: 'decision', cutBars: c, bar: c - 1, ts: ts(c - 1), full: fullSignals[c - 1] as Signal, cut: last });
    }

    const a = settled(full.trades, s.ts[c - 1]);
    const b = settled(run.trades, s.ts[c - 1]);
    const m = Math.max(a.length, b.length);
    for (let k = 0; k < m; k++) {
      tradesCompared++;
      const x = a[k];
      const y = b[k];
      const field = !x || !y ? 'missing' : firstDifferentField(x, y);
      if (field === null) continue;
      diffCount++;
      add({
        kind: 'trade',
        cutBars: c,
        index: k,
        tradeId: (x ?? y).tradeId,
        field,
        full: x ? (field === 'missing' ? x.tradeId : x[field as keyof DetailedTradeMetric]) : 'missing',
        cut: y ? (field === 'missing' ? y.tradeId : y[field as keyof DetailedTradeMetric]) : 'missing',
      });
    }
  }
  return { ok: diffCount === 0, cuts: cuts.length, decisionsCompared, tradesCompared, differences };
}

const SIGNAL_NAME: Record<number, string> = { 0: 'HOLD', 1: 'OPEN_LONG', [-1]: 'OPEN_SHORT', 2: 'EXIT' };

export function describeDifference(d: Difference): string {
  if (d.kind === 'decision') {
    return `cut at ${d.cutBars} candles: decision at bar ${d.bar} (${d.ts}) was ${SIGNAL_NAME[d.full]} with all data, ${SIGNAL_NAME[d.cut]} without the future`;
  }
  return `cut at ${d.cutBars} candles: trade #${d.index + 1} (${d.tradeId}) differs in ${d.field}: ${JSON.stringify(d.full)} with all data, ${JSON.stringify(d.cut)} without the future`;
}

export function formatLookahead(r: LookaheadReport, shown = 10): string {
  if (r.ok) {
    return `lookahead-check: OK — ${r.cuts} cuts, ${r.decisionsCompared} decisions and ${r.tradesCompared} trades compared, no difference`;
  }
  const lines = [
    `lookahead-check: FAILED — ${r.cuts} cuts, ${r.decisionsCompared} decisions and ${r.tradesCompared} trades compared; results change when the future is removed (first differences):`,
    ...r.differences.slice(0, shown).map((d) => `  ${describeDifference(d)}`),
  ];
  return lines.join('\n');
}

export async function lookaheadCommand(argv: string[]): Promise<number> {
  const args = backtestArgs('lookahead-check', argv);
  if (!args) {
    process.stdout.write(`usage: npm run cli -- ${LOOKAHEAD_USAGE}\n\nbacktest options:\n${BACKTEST_USAGE.split('\n').slice(4).join('\n')}\n`);
    return 0;
  }
  // Prepared once: the same learned state (deep-cloned per run) in the full and every cut run.
  const p = prepareBacktest(args);
  for (const w of p.warnings) process.stderr.write(w + '\n');
  const report = runLookaheadCheck({
    series: p.series,
    strategy: p.strategy,
    state: p.state,
    settings: p.settings,
    seed: args.seed,
    startingEquity: p.startingEquity,
    review: p.review,
  });
  process.stdout.write((args.json ? JSON.stringify(report) : formatLookahead(report)) + '\n');
  return report.ok ? 0 : 1;
}
