/**
 * Chart rendering speed and memory. Run: node --import tsx bench/charts.bench.ts
 *
 * - 30 proposal charts (200 candles, SMA overlay, Entry/Stop/Target, 2 markers), reused renderer
 * - 30 equity charts (1000 points, drawdown shading), reused renderer
 * - baseline: the same proposal chart with a NEW ChartJSNodeCanvas per render (10 renders)
 * Target: each chart well under 200 ms.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { candleChartConfig, newRenderer, proposalLines, renderCandleChart, renderCycleChart, renderEquityChart } from '../src/render/charts/index.js';
import type { Candle } from '../src/market/types.js';
import type { EquityPoint } from '../src/metrics/types.js';

const T0 = Date.UTC(2024, 0, 1);
const HOUR = 3_600_000;
const MiB = 1024 * 1024;

function candles(n: number): Candle[] {
  const out: Candle[] = [];
  let prev = 100;
  for (let i = 0; i < n; i++) {
    const close = 100 + 0.1 * i + 4 * Math.sin(i / 9);
    const open = prev;
    out.push({ ts: T0 + i * HOUR, open, close, high: Math.max(open, close) + 0.7, low: Math.min(open, close) - 0.7, volume: 1 });
    prev = close;
  }
  return out;
}

function equity(n: number): EquityPoint[] {
  return Array.from({ length: n }, (_, i) => ({ ts: T0 + i * HOUR, equity: 10_000 + 4 * i + 600 * Math.sin(i / 35) }));
}

const cs = candles(200);
const last = cs[cs.length - 1].close;
const proposal = {
  title: 'BTC/USDT 1h · LONG proposal',
  candles: cs,
  overlays: [{ label: 'SMA 20', values: cs.map((c, i) => (i < 20 ? null : cs.slice(i - 20, i).reduce((a, b) => a + b.close, 0) / 20)) }],
  lines: proposalLines(last, last - 4, last + 8),
  markers: [
    { ts: cs[120].ts, price: cs[120].low, label: 'buy', kind: 'buy' as const },
    { ts: cs[160].ts, price: cs[160].high, label: 'sell +2.1%', kind: 'sell' as const },
  ],
};
const eq = equity(1000);

// Expose gc without a command-line flag so RSS deltas measure retained memory, not garbage.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as (() => void) | undefined;
const rss = () => {
  gc?.();
  return process.memoryUsage().rss;
};
const tick = () => new Promise<void>((r) => setImmediate(r));

function stats(ms: number[]) {
  const s = [...ms].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)];
  return { median: q(0.5), p95: q(0.95) };
}

async function measure(name: string, n: number, once: () => Promise<Buffer>) {
  const before = rss();
  const ms: number[] = [];
  let bytes = 0;
  for (let i = 0; i < n; i++) {
    const t = performance.now();
    bytes = (await once()).length;
    ms.push(performance.now() - t);
    await tick();
  }
  const growth = (rss() - before) / MiB;
  const { median, p95 } = stats(ms);
  console.log(
    `${name.padEnd(34)} n=${String(n).padStart(2)}  median ${median.toFixed(1).padStart(6)} ms  p95 ${p95.toFixed(1).padStart(6)} ms  ` +
      `rss ${growth >= 0 ? '+' : ''}${growth.toFixed(1)} MiB  png ${(bytes / 1024).toFixed(0)} KiB`,
  );
  return median;
}

// Warm-up: the first render loads Chart.js into the pooled instance; the first few dozen grow
// the native (cairo/malloc) arenas to their steady size (~30 MiB once), which is not a leak:
// RSS stays flat over later batches. Measure after that.
for (let i = 0; i < 15; i++) {
  await renderCandleChart(proposal);
  await renderEquityChart({ title: 'Equity', points: eq });
  await tick();
}
await renderCycleChart({ title: 'Cycle 0', points: eq, bars: [{ label: 'a', value: 1 }] });
console.log(`node ${process.version}; RSS measured after ${gc ? 'a forced gc' : 'no gc (unavailable)'}`);

const reused = await measure('proposal 200 candles, reused', 30, () => renderCandleChart(proposal));
await measure('equity 1000 points, reused', 30, () => renderEquityChart({ title: 'Equity', points: eq }));
const agents = Array.from({ length: 12 }, (_, i) => ({ label: `agent-${i}`, value: 50 * Math.sin(i * 1.7) }));
await measure('cycle (equity + 12 bars, stacked)', 10, () => renderCycleChart({ title: 'Cycle 1', points: eq, bars: agents }));
const fresh = await measure('proposal 200 candles, NEW instance', 10, async () => {
  const config = candleChartConfig(proposal)!;
  return newRenderer(1000, 560).renderToBuffer(config as never, 'image/png');
});
console.log(`new-instance / reused median ratio: ${(fresh / reused).toFixed(2)}x`);
