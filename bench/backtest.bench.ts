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
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepareAgent, RL_EPISODES } from '../src/agents/learn.js';
import { STRATEGIES } from '../src/agents/registry.js';
import { trendFollowing } from '../src/agents/rules.js';
import { newAgentState, type AgentState } from '../src/agents/types.js';
import { equityPoints } from '../src/cli/backtest.js';
import { engineSettings } from '../src/kernel/settings.js';
import { loadConfig } from '../src/config/load.js';
import { computeFeatures, type IndicatorImpl } from '../src/indicators/features.js';
import { readCandlesCsv, symbolFromFileName } from '../src/market/csv.js';
import { generateDemoSeries } from '../src/market/demo.js';
import { seriesFromCandles, sliceSeries, type Series } from '../src/market/types.js';
import { seriesMetrics } from '../src/metrics/series.js';
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
  seriesMetrics(equityPoints(s, r.equity), r.trades, s.timeframe);
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
        seriesMetrics(equityPoints(s, r.equity), r.trades, s.timeframe);
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

benchA();
benchB();
