/**
 * Backtest speed. Run: node --import tsx bench/backtest.bench.ts
 *
 * (a) One agent (trend_following) over a year of 1-minute demo candles (525 600 bars): features +
 *     engine + metrics, wall time (median of 3 after one warm-up run), agent-candles/s and peak
 *     RSS. Target: under 1 s. Baseline in the same process: the same with the features computed by
 *     technicalindicators instead of the fast path, and the ratio.
 * (b) All five strategies over every real series (../shared/data/market): features once per
 *     series, then each strategy evaluated over the whole series (RL and ensemble first prepared
 *     on the series' first 40%, timed apart as "prepare"); total agent-candles/s, median of 3.
 * (c) The same rule both ways (issue #17): EMA 12/26 cross long, exit on the cross back, stop
 *     1.5 x ATR(14), sized at 1% risk capped at 25% of equity, fees and slippage, over the
 *     525,600 1-minute candles of (a). The tradecrew engine (the columns the strategy declares
 *     and the kernel's ATR, the kernel with its risk gate, the full metrics) in two modes:
 *       - a backtest as the CLI runs it: every entry described (confluence, regime, reason), so
 *         the description's columns are computed at the first entry;
 *       - a ranking run as a walk-forward search runs each configuration (priceOnly: levels only;
 *         tallyOnly: its trades summed, not recorded one by one);
 *     and, for the record, the engine on every feature as before this issue; vs a hand-written
 *     Float64Array loop (only the three indicators, one pass with the fills and the summary
 *     figures). All must find the same trades and end on the same equity. Each variant runs in a
 *     process of its own (as a search or a CLI backtest does), 7 rounds alternating; medians
 *     (min-max), the ratio of the medians and the median of each round's ratio (the variant over
 *     the loop of the same round). Target: the engine within 3x of the loop.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepareAgent, RL_EPISODES } from '../src/agents/learn.js';
import { featuresFor, STRATEGIES } from '../src/agents/registry.js';
import { trendFollowing } from '../src/agents/rules.js';
import { EXIT, HOLD, OPEN_LONG, newAgentState, type AgentState, type Strategy } from '../src/agents/types.js';
import { engineSettings } from '../src/kernel/settings.js';
import { loadConfig } from '../src/config/load.js';
import * as fast from '../src/indicators/fast.js';
import { computeFeatures, type Features, type IndicatorImpl } from '../src/indicators/features.js';
import type { EngineSettings } from '../src/kernel/settings.js';
import { readCandlesCsv, symbolFromFileName } from '../src/market/csv.js';
import { generateDemoSeries } from '../src/market/demo.js';
import { seriesFromCandles, sliceSeries, type Series } from '../src/market/types.js';
import { seriesMetricsOf } from '../src/metrics/series.js';
import { runEngine } from '../src/kernel/backtest.js';
import { createRng } from '../src/util/rng.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DATA = path.resolve(REPO, '../shared/data/market');
const cfg = loadConfig({ env: { TRADECREW_CONFIG: path.join(REPO, 'config', 'default.yaml') } });
const settings = engineSettings(cfg);
const EQUITY = 10_000;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;
const fmtRate = (perS: number) => (perS >= 1e6 ? `${(perS / 1e6).toFixed(2)}M` : `${(perS / 1e3).toFixed(0)}k`);
const maxRssMiB = () => process.resourceUsage().maxRSS / 1024; // maxRSS is in KiB

function oneAgent(s: Series, impl: IndicatorImpl): { total: number; features: number; engine: number; metrics: number; trades: number } {
  const t0 = process.hrtime.bigint();
  const f = computeFeatures(s, impl);
  const tf = ms(t0);
  const t1 = process.hrtime.bigint();
  const r = runEngine({
    series: s,
    features: f,
    strategy: trendFollowing,
    state: newAgentState(s.symbol, 'trend_following'),
    settings,
    ctx: { learn: false, rng: createRng(42), allowShort: settings.risk.allow_short },
    startingEquity: EQUITY,
  });
  const te = ms(t1);
  const t2 = process.hrtime.bigint();
  seriesMetricsOf(s.ts, r.equity, r.trades, s.timeframe);
  const tm = ms(t2);
  return { total: ms(t0), features: tf, engine: te, metrics: tm, trades: r.trades.length };
}

function benchA(): void {
  const n = 525_600;
  const s = generateDemoSeries({ seed: 42, symbol: 'BTC/USDT', timeframe: '1m', startTs: Date.UTC(2024, 0, 1) }, n);
  const rssBefore = maxRssMiB();
  const measure = (impl: IndicatorImpl) => {
    oneAgent(s, impl); // warm-up
    const runs = [0, 1, 2].map(() => oneAgent(s, impl));
    return {
      total: median(runs.map((r) => r.total)),
      features: median(runs.map((r) => r.features)),
      engine: median(runs.map((r) => r.engine)),
      metrics: median(runs.map((r) => r.metrics)),
      trades: runs[0].trades,
    };
  };
  const fast = measure('fast');
  const rssFast = maxRssMiB();
  const lib = measure('technicalindicators');
  const rssLib = maxRssMiB();
  console.log(`(a) one agent (trend_following), ${n.toLocaleString('en')} 1-minute demo candles, median of 3`);
  console.log(`    fast features:        ${fast.total.toFixed(0)} ms total = features ${fast.features.toFixed(0)} + engine ${fast.engine.toFixed(0)} + metrics ${fast.metrics.toFixed(0)} ms; ${fmtRate((n / fast.total) * 1000)} agent-candles/s; ${fast.trades} trades; ${fast.total < 1000 ? 'under' : 'OVER'} the 1 s target`);
  console.log(`    technicalindicators:  ${lib.total.toFixed(0)} ms total = features ${lib.features.toFixed(0)} + engine ${lib.engine.toFixed(0)} + metrics ${lib.metrics.toFixed(0)} ms; ${fmtRate((n / lib.total) * 1000)} agent-candles/s`);
  console.log(`    ratio (library / fast): ${(lib.total / fast.total).toFixed(1)}x total, ${(lib.features / fast.features).toFixed(1)}x features`);
  console.log(`    peak RSS: ${rssBefore.toFixed(0)} MiB after generating the candles, ${rssFast.toFixed(0)} MiB after the fast runs, ${rssLib.toFixed(0)} MiB after the library runs`);
}

function benchB(): void {
  if (!fs.existsSync(DATA)) {
    console.log(`(b) skipped: real data not found at ${DATA}`);
    return;
  }
  const series: Series[] = [];
  for (const file of fs.readdirSync(DATA).filter((f) => f.endsWith('.csv')).sort()) {
    const { symbol, timeframe } = symbolFromFileName(file);
    try {
      series.push(seriesFromCandles(symbol, timeframe!, readCandlesCsv(path.join(DATA, file))));
    } catch (e) {
      console.log(`(b) ${file} skipped: ${(e as Error).message}`);
    }
  }
  const names = Object.values(STRATEGIES);
  // Prepared once, outside the evaluation timing.
  const tp = process.hrtime.bigint();
  const states = new Map<string, AgentState>();
  for (const s of series) {
    const cut = Math.floor(s.ts.length * 0.4);
    const ts = sliceSeries(s, 0, cut);
    const train = { series: ts, features: computeFeatures(ts) };
    for (const st of names) states.set(`${s.symbol}|${st.name}`, prepareAgent({ strategy: st.name, symbol: s.symbol, train, settings, seed: 42, startingEquity: EQUITY }));
  }
  const prepareMs = ms(tp);
  const once = () => {
    const t0 = process.hrtime.bigint();
    let agentCandles = 0;
    for (const s of series) {
      const f = computeFeatures(s);
      for (const st of names) {
        const r = runEngine({
          series: s,
          features: f,
          strategy: st,
          state: structuredClone(states.get(`${s.symbol}|${st.name}`)!),
          settings,
          ctx: { learn: false, rng: createRng(42), allowShort: settings.risk.allow_short },
          startingEquity: EQUITY,
        });
        seriesMetricsOf(s.ts, r.equity, r.trades, s.timeframe);
        agentCandles += s.ts.length;
      }
    }
    return { ms: ms(t0), agentCandles };
  };
  once(); // warm-up
  const runs = [0, 1, 2].map(once);
  const t = median(runs.map((r) => r.ms));
  const ac = runs[0].agentCandles;
  console.log(`(b) ${names.length} strategies x ${series.length} real series (${series.map((s) => s.symbol).join(', ')}), median of 3`);
  console.log(`    ${ac.toLocaleString('en')} agent-candles in ${t.toFixed(0)} ms (features + engine + metrics): ${fmtRate((ac / t) * 1000)} agent-candles/s`);
  console.log(`    preparing all agents on the first 40% of each series (RL ${RL_EPISODES} episodes, ensemble weights): ${prepareMs.toFixed(0)} ms`);
}

/* ---------------------------------------------------------------------------------------------
 * (c) the same rule, engine vs hand-written loop
 * ------------------------------------------------------------------------------------------- */

const RULE = { fast: 12, slow: 26, atr: 14, stopAtr: 1.5 };

/** The rule as a tradecrew strategy (named trend_following only because names are a closed set). */
const emaCross: Strategy = {
  name: 'trend_following',
  features: ['emaFast', 'emaSlow'],
  signal(f: Features, i: number, pos: number) {
    const up = f.emaFast[i] > f.emaSlow[i];
    if (pos === 0) return up && !(f.emaFast[i - 1] > f.emaSlow[i - 1]) ? OPEN_LONG : HOLD;
    return f.emaFast[i] < f.emaSlow[i] ? EXIT : HOLD;
  },
};

/** The engine with nothing but the rule: no target, time stop, cooldown, limits or kill switch. */
function ruleSettings(): EngineSettings {
  return {
    ...settings,
    atrStopMult: RULE.stopAtr,
    atrTargetMult: 1e9,
    maxHoldCandles: Number.MAX_SAFE_INTEGER,
    trailingStopAtr: 0,
    risk: { ...settings.risk, allow_short: false, leverage: 1, max_open_positions: 1, cooldown_candles: 0, daily_trade_limit: Number.MAX_SAFE_INTEGER, daily_loss_limit: 1, max_drawdown: 1, min_risk_reward: 0 },
  };
}

interface LoopResult {
  trades: number;
  wins: number;
  finalEquity: number;
  maxDrawdown: number;
}

/**
 * The same rule written by hand for speed: typed arrays, one pass, no allocation per bar. It
 * mirrors the kernel's fill model so both find the same trades: decide on the close, fill at the
 * next open with slippage against us, the stop (anchored to the fill) checked from the fill
 * candle on, a gap through it filling at the open, fees on both sides, what is open at the end
 * closed at the last close. Written by hand only because it is the yardstick.
 */
function handLoop(s: Series, risk: EngineSettings['risk'], costs: EngineSettings['costs']): LoopResult {
  const { open, high, low, close } = s;
  const n = close.length;
  const ef = fast.ema(close, RULE.fast);
  const es = fast.ema(close, RULE.slow);
  const atr = fast.atr(high, low, close, RULE.atr);
  const { fee, slippage } = costs;
  let cash = EQUITY;
  let qty = 0; // > 0 while long
  let entry = 0;
  let entryFee = 0;
  let stop = 0;
  let pending = 0; // 1 enter / 2 exit at the next open
  let peak = EQUITY;
  let maxDd = 0;
  let trades = 0;
  let wins = 0;
  const exit = (ref: number) => {
    const px = ref * (1 - slippage);
    const pnl = (px - entry) * qty - (entryFee + px * qty * fee);
    cash += pnl + entryFee;
    trades++;
    if (pnl > 0) wins++;
    qty = 0;
  };
  for (let i = 0; i < n; i++) {
    if (pending === 1) {
      // Entry at this open; the stop and size were set on the decision close (i - 1).
      const ref = open[i];
      entry = ref * (1 + slippage);
      entryFee = entry * qty * fee;
      stop += entry - close[i - 1];
      cash -= entryFee;
    } else if (pending === 2) exit(open[i]);
    pending = 0;
    if (qty > 0 && low[i] <= stop) exit(Math.min(open[i], stop));
    const eq = qty > 0 ? cash + (close[i] - entry) * qty : cash;
    if (eq > peak) peak = eq;
    else if (1 - eq / peak > maxDd) maxDd = 1 - eq / peak;
    if (i === n - 1) {
      if (qty > 0) exit(close[i]);
      break;
    }
    if (qty > 0) {
      if (ef[i] < es[i]) pending = 2;
    } else if (ef[i] > es[i] && !(ef[i - 1] > es[i - 1])) {
      const a = Number.isNaN(atr[i]) ? close[i] * 0.01 : atr[i];
      const price = close[i];
      stop = price - RULE.stopAtr * a;
      let q = (eq * risk.risk_per_trade) / Math.abs(price - stop);
      const cap = Math.min(eq * risk.max_position_pct * risk.leverage, eq * risk.max_total_exposure * risk.leverage);
      if (q * price > cap) q = cap / price;
      qty = q;
      pending = 1;
    }
  }
  return { trades, wins, finalEquity: cash, maxDrawdown: maxDd };
}

type VariantC = 'backtest' | 'ranking' | 'every feature' | 'loop';
const VARIANTS_C: Array<{ key: VariantC; name: string }> = [
  { key: 'backtest', name: 'tradecrew backtest (declared columns + kernel + full metrics, entries described)' },
  { key: 'ranking', name: 'tradecrew ranking run (declared columns + kernel + full metrics, levels only, trades tallied)' },
  { key: 'every feature', name: 'tradecrew on every feature (as before issue #17), entries described' },
  { key: 'loop', name: 'hand-written Float64Array loop (3 indicators + one pass)' },
];
const N_C = 525_600;

/** One variant of (c) in this process: a warm-up, then RUNS_C timed runs; prints JSON. */
function benchCVariant(key: VariantC): void {
  const s = generateDemoSeries({ seed: 42, symbol: 'BTC/USDT', timeframe: '1m', startTs: Date.UTC(2024, 0, 1) }, N_C);
  const rs = ruleSettings();
  const once = (): { ms: number; trades: number; finalEquity: number } => {
    const t0 = process.hrtime.bigint();
    if (key === 'loop') {
      const r = handLoop(s, rs.risk, rs.costs);
      return { ms: ms(t0), trades: r.trades, finalEquity: r.finalEquity };
    }
    const f = key === 'every feature' ? computeFeatures(s) : computeFeatures(s, 'fast', featuresFor([emaCross]));
    const ranking = key === 'ranking';
    const r = runEngine({ series: s, features: f, strategy: emaCross, state: newAgentState(s.symbol, 'trend_following'), settings: rs, ctx: { learn: false, rng: createRng(42), allowShort: false }, startingEquity: EQUITY, priceOnly: ranking, tallyOnly: ranking });
    const m = seriesMetricsOf(s.ts, r.equity, ranking ? r.tally : r.trades, s.timeframe);
    return { ms: ms(t0), trades: m.trades, finalEquity: r.finalEquity };
  };
  for (let k = 0; k < 3; k++) once(); // warm-up: optimised code, as in a search's thousands of runs
  const runs = Array.from({ length: 8 }, once);
  const t = runs.map((r) => r.ms);
  console.log(JSON.stringify({ ms: median(t), min: Math.min(...t), trades: runs[0].trades, finalEquity: runs[0].finalEquity }));
}

/**
 * (c): each variant in a process of its own (fresh V8: a search process runs ranking runs only, a
 * CLI backtest one described run; four workloads of different shapes in one process slow each
 * other through shared type feedback and GC), ROUNDS_C rounds alternating between the variants so
 * the machine's load hits all alike. Each process reports the median and the fastest of 8 runs
 * after 3 warm-ups; the figure is the median over rounds (min–max), beside the fastest run of all
 * (this shared machine's noise only ever adds time).
 */
function benchC(): void {
  const ROUNDS_C = Number(process.env.ROUNDS_C ?? 7);
  const times: number[][] = VARIANTS_C.map(() => []);
  const mins: number[] = VARIANTS_C.map(() => Infinity);
  const results: Array<{ trades: number; finalEquity: number }> = [];
  for (let k = 0; k < ROUNDS_C; k++) {
    VARIANTS_C.forEach((v, j) => {
      const r = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url)], { env: { ...process.env, BENCH_C_VARIANT: v.key }, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`(c) ${v.key} failed: ${r.stderr.slice(-800)}`);
      const o = JSON.parse(r.stdout.trim().split('\n').pop()!) as { ms: number; min: number; trades: number; finalEquity: number };
      times[j].push(o.ms);
      mins[j] = Math.min(mins[j], o.min);
      results[j] = o;
    });
  }
  const range = (xs: number[]) => `${median(xs).toFixed(0)} ms (${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)})`;
  const loop = VARIANTS_C.length - 1;
  const loopMs = median(times[loop]);
  console.log(`(c) the same rule (EMA ${RULE.fast}/${RULE.slow} cross, ${RULE.stopAtr} x ATR(${RULE.atr}) stop) over ${N_C.toLocaleString('en')} 1-minute candles; each variant in its own process, median (min–max) of ${ROUNDS_C} alternating rounds`);
  VARIANTS_C.forEach((v, j) => {
    const m = median(times[j]);
    // Paired: each round's variant against the loop process run seconds before or after it, so a
    // slow spell of this shared machine (it halves the speed of whatever runs for seconds at a
    // time) counts against both sides of a ratio, not against whichever variant it fell on.
    const paired = times[j].map((t, k) => t / times[loop][k]);
    const pr = median(paired);
    const ratio =
      j < loop
        ? ` · ${(m / loopMs).toFixed(1)}x the loop on medians (${m <= 3 * loopMs ? 'within' : 'NOT within'} 3x); paired by round ${pr.toFixed(1)}x (${Math.min(...paired).toFixed(1)}–${Math.max(...paired).toFixed(1)}; ${pr <= 3 ? 'within' : 'NOT within'} 3x); fastest runs ${(mins[j] / mins[loop]).toFixed(1)}x`
        : '';
    console.log(`    ${v.name}: ${range(times[j])}, fastest run ${mins[j].toFixed(0)} ms; ${fmtRate((N_C / m) * 1000)} bars/s; ${results[j].trades} trades, final equity ${results[j].finalEquity.toFixed(6)}${ratio}`);
  });
  const l = results[loop];
  const same = results.every((e) => e.trades === l.trades && Math.abs(e.finalEquity - l.finalEquity) <= 1e-6 * EQUITY);
  console.log(`    same trades and equity everywhere: ${same ? 'yes' : 'NO'}`);
}

const only = process.env.ONLY; // e.g. ONLY=c: one section
const child = process.env.BENCH_C_VARIANT as VariantC | undefined;
if (child) benchCVariant(child);
else {
  if (!only || only.includes('a')) benchA();
  if (!only || only.includes('b')) benchB();
  if (!only || only.includes('c')) benchC();
}
