/**
 * A walk-forward search of 300 configurations over the six real series (issue #17). Run:
 * node --import tsx bench/search.bench.ts   (THREADS=1,2 by default; BENCH_RUNS=3; CHUNK=60)
 *
 * Fixed size: every series of ../shared/data/market (BTC, ETH, LTC hourly; SPY, MSFT, AAPL daily),
 * a refit every 30 days from the first date with a full window to the end, each refit fitting on
 * the window before it as training does (90 days = 2,160 hourly candles; 500 daily candles, the
 * trainer's floor) plus the 250 warm-up candles. Each refit tries 300 configurations: the four
 * rule strategies x stop {1.5, 2, 3, 4, 5} ATR x target {2, 3, 4.5, 6, 8} ATR x time stop
 * {24, 72 candles, none}. Every refit is runFitTask, what training and the BullMQ workers run:
 * features once per window (the columns the strategies declare), then each configuration as a
 * ranking run, the best kept if it survives its deflated Sharpe.
 *
 * Printed: refits, backtests and candles stepped, the wall time (median, min-max of BENCH_RUNS) in
 * this thread and on N worker threads as training runs them (fitExecutorFor: a refit of more than
 * CHUNK configurations, training.fit_chunk, goes to the threads as chunks of its configurations),
 * the same search over the 36-configuration grid training uses, as the baseline of the same run,
 * and one refit of 300 configurations alone (fewer refits than threads: what chunks are for).
 * Target: under 20 s for the 300-configuration search.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config/load.js';
import { engineSettings } from '../src/kernel/settings.js';
import { readCandlesCsv, symbolFromFileName } from '../src/market/csv.js';
import { timeframeMs } from '../src/market/timeframe.js';
import { seriesFromCandles, type Series } from '../src/market/types.js';
import { calendarOf, periodsPerYear } from '../src/metrics/series.js';
import { fitExecutorFor } from '../src/distributed/fits.js';
import { FIT_CHUNK, planJobs } from '../src/training/fit-chunks.js';
import { batchOf, fitColumns, runFitTask, WARMUP_CANDLES, type FitInput } from '../src/training/fit-task.js';
import { candidatesFor, DEFAULT_GRID, FIT_STRATEGIES, type ExitGrid } from '../src/training/select.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DATA = path.resolve(REPO, '../shared/data/market');
if (!fs.existsSync(DATA)) {
  console.log(`search: skipped, real market data not found at ${DATA}`);
  process.exit(0);
}
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const THREADS = (process.env.THREADS ?? '1,2').split(',').map(Number);
const CHUNK = Number(process.env.CHUNK ?? FIT_CHUNK);
const cfg = loadConfig({ env: { TRADECREW_CONFIG: path.join(REPO, 'config', 'default.yaml') } });
const settings = engineSettings(cfg);
const WIDE: ExitGrid = { stops: [1.5, 2, 3, 4, 5], targets: [2, 3, 4.5, 6, 8], holds: [24, 72, Number.MAX_SAFE_INTEGER] };
const DAY = 86_400_000;

const series: Series[] = [];
for (const file of fs.readdirSync(DATA).filter((f) => f.endsWith('.csv')).sort()) {
  const { symbol, timeframe } = symbolFromFileName(file);
  series.push(seriesFromCandles(symbol, timeframe!, readCandlesCsv(path.join(DATA, file))));
}

/** Every refit of every series, as training would send them to a worker. */
function plan(grid: ExitGrid): FitInput[] {
  const inputs: FitInput[] = [];
  for (const s of series) {
    const tfMs = timeframeMs(s.timeframe);
    const fitCandles = Math.max(500, Math.round((90 * DAY) / tfMs));
    const ppy = periodsPerYear(s.timeframe, calendarOf(s.ts));
    const first = s.ts[Math.min(s.ts.length - 1, fitCandles + WARMUP_CANDLES)];
    for (let asOf = first; asOf < s.ts[s.ts.length - 1]; asOf += 30 * DAY) {
      const task = { symbol: s.symbol, timeframe: s.timeframe, cycle: inputs.length, asOf, seed: 1 };
      inputs.push({ task, candles: fitColumns(s, task, fitCandles), settings, strategies: FIT_STRATEGIES, fitCandles, confidence: cfg.training.fit_confidence, periodsPerYear: ppy, startingEquity: 10_000, grid });
    }
  }
  return inputs;
}

/** Candles the refits' backtests step through (each configuration over the window). */
function barsOf(inputs: FitInput[], configs: number): number {
  return inputs.reduce((n, x) => n + Math.max(0, x.candles.ts.length - WARMUP_CANDLES) * configs, 0);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (xs: number[]) => `${(median(xs) / 1000).toFixed(2)} s (${(Math.min(...xs) / 1000).toFixed(2)}–${(Math.max(...xs) / 1000).toFixed(2)})`;

console.log(`search: ${series.map((s) => `${s.symbol} ${s.timeframe} (${s.ts.length})`).join(', ')}; ${os.cpus().length} cores; load average ${os.loadavg()[0].toFixed(1)}`);
const wide = plan(WIDE);
const scenarios = [
  { name: '300 configurations', grid: WIDE, inputs: wide },
  { name: "36 configurations (training's grid)", grid: DEFAULT_GRID, inputs: plan(DEFAULT_GRID) },
  // Fewer refits than threads: only chunks of its configurations spread one refit's work.
  { name: 'one refit of 300 configurations (the latest BTC/USD 1h window)', grid: WIDE, inputs: wide.filter((x) => x.task.symbol === 'BTC/USD').slice(-1) },
];
let chosen = 0;
for (const { name, grid, inputs } of scenarios) {
  const configs = candidatesFor(FIT_STRATEGIES, grid).length;
  const bars = barsOf(inputs, configs);
  console.log(`  ${name}: ${inputs.length} refit${inputs.length === 1 ? '' : 's'} x ${configs} = ${(inputs.length * configs).toLocaleString('en')} backtests, ${(bars / 1e6).toFixed(1)}M candles stepped; ${planJobs(inputs, CHUNK).jobs.length} jobs on threads (chunks of at most ${CHUNK})`);
  let reference = '';
  for (const threads of THREADS) {
    const pool = threads > 1 ? await fitExecutorFor({ redis_url: '', queue_prefix: '', training: { fit_threads: threads, fit_chunk: CHUNK } }, { runId: 'bench' }) : null;
    try {
      if (pool) await pool.fitMany(batchOf(inputs.slice(0, threads))); // threads started and warm
      else runFitTask(inputs[0]);
      const times: number[] = [];
      let out = '';
      for (let r = 0; r < RUNS; r++) {
        const t0 = performance.now();
        const res = pool ? await pool.fitMany(batchOf(inputs)) : inputs.map(runFitTask);
        times.push(performance.now() - t0);
        out = JSON.stringify(res);
      }
      reference ||= out;
      if (out !== reference) throw new Error(`${name}: ${threads} threads chose differently from ${THREADS[0]}`);
      const m = median(times);
      const target = inputs === wide ? ` · target < 20 s ${m < 20_000 ? 'met' : 'NOT met'}` : '';
      console.log(`    ${threads === 1 ? 'this thread' : `${threads} worker threads`}: ${fmt(times)}; ${((inputs.length * configs) / (m / 1000)).toFixed(0)} backtests/s, ${(bars / (m / 1000) / 1e6).toFixed(1)}M candles/s${target}`);
    } finally {
      await pool?.close();
    }
  }
  if (inputs === wide) chosen = (JSON.parse(reference) as Array<{ fit: { choice: { id: string } | null } }>).filter((o) => o.fit.choice).length;
}
console.log(`  300-configuration refits that traded (survived the deflated Sharpe and beat buy-and-hold): ${chosen}; the same choices on every thread count: yes`);
