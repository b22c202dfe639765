/**
 * PNG charts for chat messages: candles with proposal lines, equity with drawdown, per-agent PnL
 * bars, histograms, and the stacked training-cycle image.
 *
 * Rendering facts this module is built around (measured, see OFFLINE-TESTING.md):
 * - ONE ChartJSNodeCanvas per image size, reused: each instance loads its own copy of Chart.js,
 *   so a new instance per chart leaks ~2 MB and is ~2x slower.
 * - Renders run one at a time, each after a turn of the event loop (setImmediate): a tight
 *   synchronous loop of renders grows memory until the loop gets a turn.
 * - No date adapter is installed, so the x axis is a category axis with UTC labels.
 * - PNGs are transparent by default; the instance's background option fills the dark theme.
 *
 * Data shaping (downsampling, sanitising, histogram counts) is pure and exported for tests.
 */
import { mkdir, rename, writeFile, unlink } from 'node:fs/promises';
import { resolve, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ChartJSNodeCanvas } from 'chartjs-node-canvas';
import { createCanvas, loadImage } from 'canvas';
import type { Chart, ChartConfiguration, ChartDataset, Plugin, Scale } from 'chart.js';
import type { Candle } from '../market/types.js';
import type { EquityPoint } from '../metrics/types.js';

// ---------------------------------------------------------------------------------------------
// Public types

export interface PriceLine {
  label: string;
  value: number;
  color?: string;
}
/** A series drawn over the candles (EMA, Bollinger band...), one value per candle. */
export interface Overlay {
  label: string;
  values: (number | null)[];
  color?: string;
}
export interface Marker {
  ts: number;
  price: number;
  label: string;
  kind: 'entry' | 'exit' | 'buy' | 'sell';
}
export interface Bar {
  label: string;
  value: number;
}

// ---------------------------------------------------------------------------------------------
// Theme (dark, TradingView-like: reads well on a phone in both light and dark chat themes)

export const THEME = {
  background: '#131722',
  text: '#d1d4dc',
  muted: '#8a8f9c',
  grid: 'rgba(255,255,255,0.07)',
  up: '#26a69a',
  down: '#ef5350',
  entry: '#2196f3',
  stop: '#ff1744',
  target: '#00e676',
  equity: '#42a5f5',
  peak: 'rgba(209,212,220,0.45)',
  drawdownFill: 'rgba(239,83,80,0.38)',
  histogram: '#7e57c2',
  font: 'DejaVu Sans',
  overlays: ['#ffb74d', '#ba68c8', '#4dd0e1', '#f06292', '#aed581', '#fff176'],
} as const;

const MARKER_STYLE: Record<Marker['kind'], { color: string; style: string; rotation: number; above: boolean }> = {
  buy: { color: '#00e676', style: 'triangle', rotation: 0, above: false },
  entry: { color: '#40c4ff', style: 'triangle', rotation: 90, above: false },
  sell: { color: '#ff5252', style: 'triangle', rotation: 180, above: true },
  exit: { color: '#ffca28', style: 'rectRot', rotation: 0, above: true },
};

export const DEFAULT_WIDTH = 1000;
export const DEFAULT_HEIGHT = 560;
export const MAX_CANDLES = 200;
export const MAX_EQUITY_POINTS = 1000;
/** Vertical bars up to this many; beyond it bars turn horizontal (labels stay readable). */
const MAX_VERTICAL_BARS = 12;
const MAX_BINS = 200;
const TITLE_FONT = { size: 22, weight: 'bold' as const };
const SUBTITLE_FONT = { size: 14 };
const TICK_FONT = { size: 14 };

/** Entry (blue), Stop (red), Target (green): the three lines of a trade proposal. */
export function proposalLines(entry: number, stop: number, target: number): PriceLine[] {
  return [
    { label: 'Entry', value: entry, color: THEME.entry },
    { label: 'Stop', value: stop, color: THEME.stop },
    { label: 'Target', value: target, color: THEME.target },
  ];
}

// ---------------------------------------------------------------------------------------------
// Renderer pool and queue

type Renderer = ChartJSNodeCanvas;
const renderers = new Map<string, Renderer>();
/** Sizes are few in practice; the cap keeps an unusual caller from loading Chart.js per size. */
const MAX_RENDERERS = 6;

function rendererFor(width: number, height: number): Renderer {
  const key = `${width}x${height}`;
  let r = renderers.get(key);
  if (r) {
    // Map keeps insertion order: re-insert so eviction drops the least recently used size.
    renderers.delete(key);
    renderers.set(key, r);
    return r;
  }
  if (renderers.size >= MAX_RENDERERS) renderers.delete(renderers.keys().next().value as string);
  r = newRenderer(width, height);
  renderers.set(key, r);
  return r;
}

/**
 * A fresh themed renderer. Exported for the benchmark's baseline only: production code goes
 * through the reused pool above.
 */
export function newRenderer(width: number, height: number): Renderer {
  return new ChartJSNodeCanvas({
    width,
    height,
    backgroundColour: THEME.background,
    chartCallback: (ChartJS) => {
      ChartJS.defaults.font.family = THEME.font;
      ChartJS.defaults.color = THEME.text;
      ChartJS.defaults.borderColor = THEME.grid;
    },
  });
}

let queue: Promise<unknown> = Promise.resolve();
/** Run renders one after another, each after a turn of the event loop. */
function enqueue<T>(job: () => Promise<T>): Promise<T> {
  const run = queue.then(async () => {
    await new Promise<void>((r) => setImmediate(r));
    return job();
  });
  queue = run.catch(() => undefined);
  return run;
}

export type AnyConfig = ChartConfiguration<any, any, any>;

function renderConfig(width: number, height: number, config: AnyConfig): Promise<Buffer> {
  return enqueue(() => rendererFor(width, height).renderToBuffer(config as ChartConfiguration, 'image/png'));
}

function size(width: number | undefined, height: number | undefined, dw = DEFAULT_WIDTH, dh = DEFAULT_HEIGHT) {
  const ok = (v: number | undefined, d: number) => (v !== undefined && Number.isFinite(v) && v >= 50 && v <= 8000 ? Math.round(v) : d);
  return { width: ok(width, dw), height: ok(height, dh) };
}

/** A valid PNG with the title and a "no data" note, for empty or all-invalid input. */
export async function renderNoData(title: string, width = DEFAULT_WIDTH, height = DEFAULT_HEIGHT, note = 'No data'): Promise<Buffer> {
  const { width: w, height: h } = size(width, height);
  return enqueue(async () => {
    const canvas = createCanvas(w, h);
    const ctx = canvas.getContext('2d');
    ctx.fillStyle = THEME.background;
    ctx.fillRect(0, 0, w, h);
    ctx.fillStyle = THEME.text;
    ctx.textBaseline = 'top';
    ctx.textAlign = 'left';
    ctx.font = `bold ${TITLE_FONT.size}px "${THEME.font}"`;
    ctx.fillText(title, 16, 14, w - 32);
    ctx.fillStyle = THEME.muted;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    ctx.font = `28px "${THEME.font}"`;
    ctx.fillText(note, w / 2, h / 2, w - 32);
    return canvas.toBuffer('image/png');
  });
}

// ---------------------------------------------------------------------------------------------
// Pure data shaping

const DAY_MS = 86_400_000;
const pad2 = (n: number) => String(n).padStart(2, '0');

/** UTC labels: `YYYY-MM-DD` when every stamp is a midnight at least a day apart, else `MM-DD HH:mm`. */
export function timeLabels(ts: readonly number[]): string[] {
  let daily = ts.length > 0;
  for (let i = 0; i < ts.length && daily; i++) {
    if (ts[i] % DAY_MS !== 0) daily = false;
    else if (i > 0 && ts[i] - ts[i - 1] < DAY_MS) daily = false;
  }
  return ts.map((t) => {
    const d = new Date(t);
    const date = `${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`;
    return daily ? `${d.getUTCFullYear()}-${date}` : `${date} ${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}`;
  });
}

/** Price text: thousands separators, more decimals for small prices (0.000123). */
export function formatPrice(v: number): string {
  const a = Math.abs(v);
  const digits = a >= 1000 ? 2 : a >= 1 ? (a >= 100 ? 2 : 4) : a === 0 ? 2 : Math.min(10, 3 - Math.floor(Math.log10(a)));
  return v.toLocaleString('en-US', { minimumFractionDigits: a >= 1000 ? 0 : Math.min(2, digits), maximumFractionDigits: digits });
}

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

export interface CandleWindow {
  /** Index of the first shown candle in the sanitised input. */
  start: number;
  candles: Candle[];
  /** Overlay values cut to the same window; non-finite values become null (a gap). */
  overlays: Overlay[];
  /** Markers snapped to a shown bar; markers older than the window are dropped. */
  markers: (Marker & { index: number })[];
}

/**
 * Keep the last `max` candles (a chat chart is about now; 200 bars is the most a phone shows
 * legibly). Markers snap to the nearest shown bar by time.
 */
export function candleWindow(
  candles: readonly Candle[],
  overlays: readonly Overlay[] = [],
  markers: readonly Marker[] = [],
  max = MAX_CANDLES,
): CandleWindow {
  // Overlays are aligned with the raw input, so filter them with the same mask as the candles.
  const keep: number[] = [];
  for (let i = 0; i < candles.length; i++) {
    const c = candles[i];
    if (c && finite(c.ts) && finite(c.open) && finite(c.high) && finite(c.low) && finite(c.close)) keep.push(i);
  }
  keep.sort((a, b) => candles[a].ts - candles[b].ts);
  const start = Math.max(0, keep.length - max);
  const shown = keep.slice(start);
  const out = shown.map((i) => candles[i]);
  const ov = overlays.map((o) => ({
    label: o.label,
    color: o.color,
    values: shown.map((i) => {
      const v = o.values?.[i];
      return finite(v) ? v : null;
    }),
  }));
  const snapped: (Marker & { index: number })[] = [];
  if (out.length > 0) {
    const step = out.length > 1 ? out[1].ts - out[0].ts : DAY_MS;
    for (const m of markers) {
      if (!m || !finite(m.ts) || !finite(m.price)) continue;
      if (m.ts < out[0].ts - step) continue; // happened before the window: not on this chart
      snapped.push({ ...m, index: nearestIndex(out, m.ts) });
    }
  }
  return { start, candles: out, overlays: ov, markers: snapped };
}

function nearestIndex(candles: readonly Candle[], ts: number): number {
  let lo = 0;
  let hi = candles.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (candles[mid].ts < ts) lo = mid + 1;
    else hi = mid;
  }
  if (lo > 0 && Math.abs(candles[lo - 1].ts - ts) <= Math.abs(candles[lo].ts - ts)) return lo - 1;
  return lo;
}

export interface EquitySample {
  ts: number;
  equity: number;
  /** Running peak of the FULL series up to this point (so downsampling never hides a drawdown). */
  peak: number;
}

/**
 * Drop non-finite points, compute the running peak, then keep at most `max` points: the min and
 * the max of each bucket, in time order, so spikes and troughs (and the global extremes) survive.
 */
export function downsampleEquity(points: readonly EquityPoint[], max = MAX_EQUITY_POINTS): EquitySample[] {
  const clean = points.filter((p) => p && finite(p.ts) && finite(p.equity));
  let sorted = true;
  for (let i = 1; i < clean.length && sorted; i++) if (clean[i].ts < clean[i - 1].ts) sorted = false;
  if (!sorted) clean.sort((a, b) => a.ts - b.ts);
  const full: EquitySample[] = [];
  let peak = -Infinity;
  for (const p of clean) {
    peak = Math.max(peak, p.equity);
    full.push({ ts: p.ts, equity: p.equity, peak });
  }
  const n = full.length;
  if (n <= max) return full;
  const buckets = Math.max(1, Math.floor((max - 2) / 2));
  const idx: number[] = [0];
  for (let b = 0; b < buckets; b++) {
    const from = 1 + Math.floor((b * (n - 2)) / buckets);
    const to = 1 + Math.floor(((b + 1) * (n - 2)) / buckets); // exclusive
    if (to <= from) continue;
    let lo = from;
    let hi = from;
    for (let i = from + 1; i < to; i++) {
      if (full[i].equity < full[lo].equity) lo = i;
      if (full[i].equity > full[hi].equity) hi = i;
    }
    if (lo === hi) idx.push(lo);
    else idx.push(Math.min(lo, hi), Math.max(lo, hi));
  }
  idx.push(n - 1);
  return idx.map((i) => full[i]);
}

export interface HistogramBins {
  min: number;
  max: number;
  edges: number[];
  counts: number[];
  /** Values outside [min, max] (when min/max were given) - counted, not drawn. */
  outside: number;
}

/** Equal-width bins over [min, max]; the last bin includes max. Non-finite values are skipped. */
export function histogram(values: readonly number[], bins: number, min?: number, max?: number): HistogramBins {
  const vals = values.filter(finite);
  const nb = finite(bins) ? Math.min(MAX_BINS, Math.max(1, Math.floor(bins))) : 10;
  let lo = finite(min) ? min : vals.length ? Math.min(...minMax(vals)) : 0;
  let hi = finite(max) ? max : vals.length ? Math.max(...minMax(vals)) : 1;
  if (hi < lo) [lo, hi] = [hi, lo];
  if (hi === lo) {
    lo -= 0.5;
    hi += 0.5;
  }
  const width = (hi - lo) / nb;
  const counts = new Array<number>(nb).fill(0);
  let outside = 0;
  for (const v of vals) {
    if (v < lo || v > hi) {
      outside++;
      continue;
    }
    counts[Math.min(nb - 1, Math.floor((v - lo) / width))]++;
  }
  const edges = Array.from({ length: nb + 1 }, (_, i) => lo + i * width);
  return { min: lo, max: hi, edges, counts, outside };
}

function minMax(v: readonly number[]): [number, number] {
  let a = Infinity;
  let b = -Infinity;
  for (const x of v) {
    if (x < a) a = x;
    if (x > b) b = x;
  }
  return [a, b];
}

function compact(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e9) return `${+(v / 1e9).toFixed(2)}B`;
  if (a >= 1e6) return `${+(v / 1e6).toFixed(2)}M`;
  if (a >= 1e3) return `${+(v / 1e3).toFixed(a >= 1e4 ? 1 : 2)}k`;
  return formatPrice(v);
}

function truncate(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}

// ---------------------------------------------------------------------------------------------
// Shared chart options

function baseOptions(title: string, subtitle: string | undefined, legend: boolean) {
  return {
    responsive: false,
    animation: false as const,
    normalized: true,
    layout: { padding: { left: 8, right: 8, top: 4, bottom: 6 } },
    plugins: {
      title: { display: true, text: title, color: THEME.text, font: TITLE_FONT, align: 'start' as const, padding: { top: 8, bottom: subtitle ? 2 : 10 } },
      subtitle: { display: !!subtitle, text: subtitle ?? '', color: THEME.muted, font: SUBTITLE_FONT, align: 'start' as const, padding: { bottom: 8 } },
      legend: {
        display: legend,
        align: 'end' as const,
        labels: { color: THEME.text, font: TICK_FONT, boxWidth: 14, boxHeight: 14, padding: 18 },
      },
      tooltip: { enabled: false },
    },
  };
}

function categoryAxis(extra: Record<string, unknown> = {}) {
  return {
    type: 'category' as const,
    grid: { color: THEME.grid, drawTicks: false },
    border: { color: THEME.grid },
    ticks: { color: THEME.muted, font: TICK_FONT, maxRotation: 0, autoSkip: true, autoSkipPadding: 24, sampleSize: 12, padding: 6 },
    ...extra,
  };
}

function valueAxis(format: (v: number) => string, extra: Record<string, unknown> = {}) {
  return {
    type: 'linear' as const,
    grid: { color: THEME.grid, drawTicks: false },
    border: { color: THEME.grid },
    ticks: { color: THEME.muted, font: TICK_FONT, padding: 8, maxTicksLimit: 8, callback: (v: number | string) => format(Number(v)) },
    ...extra,
  };
}

function roundRect(ctx: CanvasRenderingContext2D, x: number, y: number, w: number, h: number, r: number) {
  ctx.beginPath();
  ctx.moveTo(x + r, y);
  ctx.lineTo(x + w - r, y);
  ctx.quadraticCurveTo(x + w, y, x + w, y + r);
  ctx.lineTo(x + w, y + h - r);
  ctx.quadraticCurveTo(x + w, y + h, x + w - r, y + h);
  ctx.lineTo(x + r, y + h);
  ctx.quadraticCurveTo(x, y + h, x, y + h - r);
  ctx.lineTo(x, y + r);
  ctx.quadraticCurveTo(x, y, x + r, y);
  ctx.closePath();
}

/** Dark or light text, whichever reads on `bg` (a #rrggbb colour). */
function textOn(bg: string): string {
  const m = /^#([0-9a-f]{6})$/i.exec(bg);
  if (!m) return '#ffffff';
  const n = parseInt(m[1], 16);
  const lum = 0.299 * ((n >> 16) & 255) + 0.587 * ((n >> 8) & 255) + 0.114 * (n & 255);
  return lum > 150 ? '#0b0e14' : '#ffffff';
}

const NO_DATA_NOTE = 'No data';

// ---------------------------------------------------------------------------------------------
// Candles

function defaultLineColor(label: string, i: number): string {
  if (/stop|sl\b/i.test(label)) return THEME.stop;
  if (/target|take|tp\b/i.test(label)) return THEME.target;
  if (/entry/i.test(label)) return THEME.entry;
  return THEME.overlays[i % THEME.overlays.length];
}

const TAG_FONT = `bold 14px "${THEME.font}"`;
const LINE_LABEL_FONT = `bold 13px "${THEME.font}"`;

/** Horizontal dashed price lines, a name at the right end of the plot and a price tag on the axis. */
function priceLinesPlugin(lines: Required<PriceLine>[]): Plugin {
  return {
    id: 'tcPriceLines',
    afterDatasetsDraw(chart: Chart) {
      const { ctx, chartArea: area } = chart;
      const y = chart.scales.y;
      const tagH = 22;
      // Tags are nudged apart so close lines (tight stop) keep readable prices.
      const placed = lines
        .map((l) => ({ l, py: y.getPixelForValue(l.value) }))
        .filter((p) => p.py >= area.top - 1 && p.py <= area.bottom + 1)
        .sort((a, b) => a.py - b.py);
      let lastBottom = -Infinity;
      ctx.save();
      for (const p of placed) {
        const py = Math.round(p.py) + 0.5;
        ctx.strokeStyle = p.l.color;
        ctx.lineWidth = 2;
        ctx.setLineDash([8, 5]);
        ctx.beginPath();
        ctx.moveTo(area.left, py);
        ctx.lineTo(area.right, py);
        ctx.stroke();
        ctx.setLineDash([]);
        // Tag and name are nudged apart so close lines (a tight stop) stay readable.
        const tagY = Math.max(p.py - tagH / 2, lastBottom + 2);
        lastBottom = tagY + tagH;
        // Price tag over the y axis, like a trading terminal.
        ctx.fillStyle = p.l.color;
        roundRect(ctx as unknown as CanvasRenderingContext2D, area.right + 2, tagY, chart.width - area.right - 6, tagH, 4);
        ctx.fill();
        ctx.fillStyle = textOn(p.l.color);
        ctx.font = TAG_FONT;
        ctx.textAlign = 'left';
        ctx.textBaseline = 'middle';
        ctx.fillText(formatPrice(p.l.value), area.right + 8, tagY + tagH / 2 + 1);
        // Name in a dark box just left of the tag, at the right end of the plot.
        if (p.l.label) {
          ctx.font = LINE_LABEL_FONT;
          const w = ctx.measureText(p.l.label).width + 12;
          ctx.fillStyle = 'rgba(19,23,34,0.9)';
          ctx.strokeStyle = p.l.color;
          ctx.lineWidth = 1;
          roundRect(ctx as unknown as CanvasRenderingContext2D, area.right - w - 4, tagY + 1.5, w, tagH - 3, 4);
          ctx.fill();
          ctx.stroke();
          ctx.fillStyle = p.l.color;
          ctx.textAlign = 'center';
          ctx.fillText(p.l.label, area.right - 4 - w / 2, tagY + tagH / 2 + 1);
        }
      }
      ctx.restore();
    },
  };
}

/** Text next to each trade marker (above sells/exits, below buys/entries). */
function markerLabelsPlugin(markers: (Marker & { index: number })[]): Plugin {
  return {
    id: 'tcMarkerLabels',
    afterDatasetsDraw(chart: Chart) {
      const { ctx, chartArea: area } = chart;
      const x = chart.scales.x;
      const y = chart.scales.y;
      ctx.save();
      ctx.font = `bold 13px "${THEME.font}"`;
      ctx.textAlign = 'center';
      for (const m of markers) {
        if (!m.label) continue;
        const st = MARKER_STYLE[m.kind] ?? MARKER_STYLE.entry;
        const px = x.getPixelForValue(m.index);
        const py = y.getPixelForValue(m.price);
        const text = truncate(m.label, 24);
        const w = ctx.measureText(text).width + 8;
        const cx = Math.min(Math.max(px, area.left + w / 2), area.right - w / 2);
        const ty = st.above ? py - 30 : py + 14;
        ctx.fillStyle = 'rgba(19,23,34,0.8)';
        ctx.fillRect(cx - w / 2, ty, w, 17);
        ctx.fillStyle = st.color;
        ctx.textBaseline = 'top';
        ctx.fillText(text, cx, ty + 2);
      }
      ctx.restore();
    },
  };
}

export interface CandleChartOptions {
  title: string;
  candles: Candle[];
  overlays?: Overlay[];
  lines?: PriceLine[];
  markers?: Marker[];
  width?: number;
  height?: number;
}

export async function renderCandleChart(opts: CandleChartOptions): Promise<Buffer> {
  const { width, height } = size(opts.width, opts.height);
  const config = candleChartConfig(opts);
  if (!config) return renderNoData(opts.title ?? '', width, height, NO_DATA_NOTE);
  return renderConfig(width, height, config);
}

/** The Chart.js configuration of a candle chart (null when there is nothing to draw). */
export function candleChartConfig(opts: CandleChartOptions): AnyConfig | null {
  const { width } = size(opts.width, opts.height);
  const title = opts.title ?? '';
  const win = candleWindow(opts.candles ?? [], opts.overlays ?? [], opts.markers ?? []);
  const cs = win.candles;
  if (cs.length === 0) return null;
  const n = cs.length;
  const labels = timeLabels(cs.map((c) => c.ts));
  const colors = cs.map((c) => (c.close >= c.open ? THEME.up : THEME.down));
  const lines: Required<PriceLine>[] = (opts.lines ?? [])
    .filter((l) => l && finite(l.value))
    .map((l, i) => ({ label: l.label ?? '', value: l.value, color: l.color ?? defaultLineColor(l.label ?? '', i) }));
  // Empty slots on the right (as trading terminals do) so line names never hide the last candles.
  // The y axis on the right takes ~130 px; a name box ~90 px.
  const pad = lines.some((l) => l.label) ? Math.ceil((90 * n) / Math.max(100, width - 220)) : 0;
  for (let i = 0; i < pad; i++) labels.push('');
  const slot = (width - 130) / (n + pad);
  const wick = Math.max(1, Math.min(3, Math.round(slot * 0.14)));

  const datasets: ChartDataset<'bar' | 'line', unknown[]>[] = [
    {
      type: 'bar',
      label: 'wick',
      data: cs.map((c) => [Math.min(c.low, c.open, c.close), Math.max(c.high, c.open, c.close)]),
      backgroundColor: colors,
      borderWidth: 0,
      barThickness: wick,
      grouped: false,
      minBarLength: 1,
      order: 3,
    },
    {
      type: 'bar',
      label: 'body',
      data: cs.map((c) => [c.open, c.close]),
      backgroundColor: colors,
      borderWidth: 0,
      barPercentage: 0.72,
      categoryPercentage: 1,
      maxBarThickness: 28,
      grouped: false,
      minBarLength: 1,
      order: 2,
    },
  ];
  win.overlays.forEach((o, i) => {
    datasets.push({
      type: 'line',
      label: o.label,
      data: o.values,
      borderColor: o.color ?? THEME.overlays[i % THEME.overlays.length],
      backgroundColor: o.color ?? THEME.overlays[i % THEME.overlays.length],
      borderWidth: 2,
      pointRadius: 0,
      spanGaps: false,
      tension: 0,
      order: 1,
    });
  });
  for (const kind of ['buy', 'sell', 'entry', 'exit'] as const) {
    const ms = win.markers.filter((m) => m.kind === kind);
    if (ms.length === 0) continue;
    const st = MARKER_STYLE[kind];
    const data: (number | null)[] = new Array(n).fill(null);
    for (const m of ms) data[m.index] = m.price;
    datasets.push({
      type: 'line',
      label: { buy: 'Buys', sell: 'Sells', entry: 'Entries', exit: 'Exits' }[kind],
      data,
      showLine: false,
      pointStyle: st.style as 'triangle',
      pointRotation: st.rotation,
      pointRadius: 9,
      pointBackgroundColor: st.color,
      pointBorderColor: THEME.background,
      pointBorderWidth: 1.5,
      borderColor: st.color,
      backgroundColor: st.color,
      order: 0,
    });
  }

  const last = cs[n - 1];
  const first = cs[0];
  const change = first.open !== 0 ? ((last.close - first.open) / Math.abs(first.open)) * 100 : 0;
  const total = win.start + n;
  const subtitle =
    `Last ${formatPrice(last.close)}  ${change >= 0 ? '+' : ''}${change.toFixed(2)}%  ·  ` +
    `${labels[0]} → ${labels[n - 1]} UTC` +
    (total > n ? `  ·  last ${n} of ${total} bars` : '');
  const lineValues = lines.map((l) => l.value);
  const tagTexts = lines.map((l) => formatPrice(l.value));

  const base = baseOptions(title, subtitle, datasets.length > 2);
  const config: AnyConfig = {
    type: 'bar',
    data: { labels, datasets },
    options: {
      ...base,
      plugins: {
        ...base.plugins,
        legend: {
          ...base.plugins.legend,
          labels: { ...base.plugins.legend.labels, filter: (item: { text: string }) => item.text !== 'wick' && item.text !== 'body' },
        },
      },
      scales: {
        x: categoryAxis({ offset: true, grid: { display: false }, ticks: { ...categoryAxis().ticks, maxTicksLimit: 7 } }),
        y: valueAxis(formatPrice, {
          position: 'right',
          beginAtZero: false, // bar charts start at zero by default; prices must not
          grace: '4%',
          // Lines outside the candle range (a far target) must still be on the chart.
          ...(lineValues.length ? { suggestedMin: Math.min(...lineValues), suggestedMax: Math.max(...lineValues) } : {}),
          afterFit: (scale: Scale) => {
            // Wide enough for the price tags drawn over the axis.
            const ctx = scale.ctx;
            ctx.save();
            ctx.font = TAG_FONT;
            const w = Math.max(0, ...tagTexts.map((t) => ctx.measureText(t).width)) + 18;
            ctx.restore();
            scale.width = Math.max(scale.width, w);
          },
        }),
      },
    },
    plugins: [priceLinesPlugin(lines), markerLabelsPlugin(win.markers)],
  };
  return config;
}

// ---------------------------------------------------------------------------------------------
// Equity

/** Axis labels that stay distinct when equity moves little: 10,125 rather than 10.1k, 10.1k, 10.1k. */
function equityTick(values: number[]): (v: number) => string {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const range = hi - lo;
  const top = Math.max(Math.abs(lo), Math.abs(hi));
  if (top < 1e4 || range >= top * 0.2) return compact;
  const digits = range >= 50 ? 0 : range >= 5 ? 1 : 2;
  return (v) => v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function equityConfig(title: string, points: readonly EquityPoint[]): AnyConfig | null {
  const s = downsampleEquity(points);
  if (s.length === 0) return null;
  const start = s[0].equity;
  const end = s[s.length - 1].equity;
  // Max drawdown over the samples equals the full series' (peaks and bucket minima are kept).
  let maxDd = 0;
  for (const p of s) if (p.peak > 0) maxDd = Math.max(maxDd, (p.peak - p.equity) / p.peak);
  const ret = start !== 0 ? ((end - start) / Math.abs(start)) * 100 : 0;
  const subtitle =
    `${compact(start)} → ${compact(end)}  (${ret >= 0 ? '+' : ''}${ret.toFixed(2)}%)  ·  ` +
    `max drawdown ${(maxDd * 100).toFixed(2)}% (shaded)`;
  const labels = timeLabels(s.map((p) => p.ts));
  const datasets: ChartDataset<'line', number[]>[] = [
    {
      label: 'Equity',
      data: s.map((p) => p.equity),
      borderColor: THEME.equity,
      backgroundColor: THEME.equity,
      borderWidth: 2.5,
      pointRadius: 0,
      tension: 0,
      // Area between equity and its running peak = the drawdown, shaded red.
      fill: { target: 1, above: 'rgba(0,0,0,0)', below: THEME.drawdownFill },
      order: 0,
    },
    {
      label: 'Running peak',
      data: s.map((p) => p.peak),
      borderColor: THEME.peak,
      backgroundColor: THEME.peak,
      borderWidth: 1.5,
      borderDash: [6, 4],
      pointRadius: 0,
      tension: 0,
      fill: false,
      order: 1,
    },
  ];
  const base = baseOptions(title, subtitle, true);
  return {
    type: 'line',
    data: { labels, datasets },
    options: {
      ...base,
      scales: {
        x: categoryAxis({ ticks: { ...categoryAxis().ticks, maxTicksLimit: 7 } }),
        y: valueAxis(equityTick(s.map((p) => p.equity)), { position: 'right', grace: '3%' }),
      },
    },
  };
}

export async function renderEquityChart(opts: { title: string; points: EquityPoint[]; width?: number; height?: number }): Promise<Buffer> {
  const { width, height } = size(opts.width, opts.height);
  const config = equityConfig(opts.title ?? '', opts.points ?? []);
  if (!config) return renderNoData(opts.title ?? '', width, height, NO_DATA_NOTE);
  return renderConfig(width, height, config);
}

// ---------------------------------------------------------------------------------------------
// Bars (per-agent PnL)

function valueLabelsPlugin(texts: string[], horizontal: boolean): Plugin {
  return {
    id: 'tcValueLabels',
    afterDatasetsDraw(chart: Chart) {
      const { ctx } = chart;
      const meta = chart.getDatasetMeta(0);
      ctx.save();
      ctx.font = `bold 13px "${THEME.font}"`;
      ctx.fillStyle = THEME.text;
      meta.data.forEach((el, i) => {
        const { x, y, base } = el.getProps(['x', 'y', 'base'], true) as { x: number; y: number; base: number };
        const t = texts[i];
        if (horizontal) {
          const neg = x < base;
          ctx.textBaseline = 'middle';
          ctx.textAlign = neg ? 'right' : 'left';
          ctx.fillText(t, x + (neg ? -6 : 6), y);
        } else {
          const neg = y > base;
          ctx.textAlign = 'center';
          ctx.textBaseline = neg ? 'top' : 'bottom';
          ctx.fillText(t, x, y + (neg ? 4 : -4));
        }
      });
      ctx.restore();
    },
  };
}

/** Money or percent amounts: no noise digits (99.99, 1.2k, 0.0042). */
export function formatAmount(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e4) return compact(v);
  const digits = a >= 100 ? 1 : a >= 1 || a === 0 ? 2 : Math.min(8, 1 - Math.floor(Math.log10(a)));
  return v.toLocaleString('en-US', { maximumFractionDigits: digits });
}

function barConfig(title: string, input: readonly Bar[], suffix: string, width: number, height: number): AnyConfig | null {
  let bars = (input ?? []).filter((b) => b && finite(b.value)).map((b) => ({ label: String(b.label ?? ''), value: b.value }));
  if (bars.length === 0) return null;
  const total = bars.length;
  const positive = bars.filter((b) => b.value > 0).length;
  // Horizontal rows need ~20 px each to stay legible; the plot is the image minus ~110 px of text.
  const maxRows = Math.max(2, Math.floor((height - 110) / 20) & ~1);
  let subtitle = `${positive}/${total} positive`;
  if (bars.length > maxRows) {
    // A crew can be hundreds of agents: the best and the worst are what a reader acts on.
    const half = maxRows / 2;
    const byValue = [...bars].sort((a, b) => b.value - a.value);
    bars = [...byValue.slice(0, half), ...byValue.slice(-half)];
    subtitle = `best ${half} and worst ${half} of ${total}  ·  ${subtitle}`;
  }
  const horizontal = bars.length > MAX_VERTICAL_BARS;
  const fmt = (v: number) => `${v > 0 ? '+' : ''}${formatAmount(v)}${suffix}`;
  const base = baseOptions(title, subtitle, false);
  const maxChars = horizontal ? 22 : Math.max(6, Math.floor((width - 100) / bars.length / 8.5));
  const labels = bars.map((b) => truncate(b.label, maxChars));
  const valueScale = valueAxis((v) => `${formatAmount(v)}${suffix}`, {
    grace: '12%',
    grid: { color: (c: { tick?: { value: number } }) => (c.tick?.value === 0 ? 'rgba(209,212,220,0.5)' : THEME.grid), drawTicks: false },
  });
  const catScale = categoryAxis({ grid: { display: false }, ticks: { ...categoryAxis().ticks, autoSkip: false } });
  return {
    type: 'bar',
    data: {
      labels,
      datasets: [
        {
          label: 'PnL',
          data: bars.map((b) => b.value),
          backgroundColor: bars.map((b) => (b.value > 0 ? THEME.up : b.value < 0 ? THEME.down : THEME.muted)),
          borderWidth: 0,
          borderRadius: 3,
          barPercentage: 0.8,
          categoryPercentage: 0.9,
          maxBarThickness: 60,
          minBarLength: 2,
        },
      ],
    },
    options: {
      ...base,
      indexAxis: horizontal ? 'y' : 'x',
      layout: { padding: { left: 8, right: 24, top: 4, bottom: 6 } },
      scales: horizontal ? { x: valueScale, y: catScale } : { x: catScale, y: valueScale },
    },
    plugins: [valueLabelsPlugin(bars.map((b) => fmt(b.value)), horizontal)],
  };
}

export async function renderBarChart(opts: {
  title: string;
  bars: Bar[];
  valueSuffix?: string;
  width?: number;
  height?: number;
}): Promise<Buffer> {
  const { width, height } = size(opts.width, opts.height);
  const config = barConfig(opts.title ?? '', opts.bars ?? [], opts.valueSuffix ?? '', width, height);
  if (!config) return renderNoData(opts.title ?? '', width, height, NO_DATA_NOTE);
  return renderConfig(width, height, config);
}

// ---------------------------------------------------------------------------------------------
// Histogram

function edgeText(v: number, step: number): string {
  if (Number.isInteger(v) && Number.isInteger(step)) return String(v);
  const d = Math.max(0, Math.min(6, 2 - Math.floor(Math.log10(Math.abs(step) || 1))));
  return v.toFixed(d);
}

export async function renderHistogram(opts: {
  title: string;
  values: number[];
  bins: number;
  min?: number;
  max?: number;
  width?: number;
  height?: number;
}): Promise<Buffer> {
  const { width, height } = size(opts.width, opts.height);
  const title = opts.title ?? '';
  const vals = (opts.values ?? []).filter(finite);
  if (vals.length === 0) return renderNoData(title, width, height, NO_DATA_NOTE);
  const h = histogram(vals, opts.bins, opts.min, opts.max);
  const step = h.edges[1] - h.edges[0];
  const labels = h.counts.map((_, i) => `${edgeText(h.edges[i], step)}–${edgeText(h.edges[i + 1], step)}`);
  const sorted = [...vals].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  const mean = vals.reduce((a, b) => a + b, 0) / vals.length;
  const subtitle =
    `n = ${vals.length}  ·  mean ${edgeText(mean, step / 10)}  ·  median ${edgeText(median, step / 10)}` +
    (h.outside > 0 ? `  ·  ${h.outside} outside ${edgeText(h.min, step)}–${edgeText(h.max, step)}` : '');
  const base = baseOptions(title, subtitle, false);
  const config: AnyConfig = {
    type: 'bar',
    data: {
      labels,
      datasets: [
        {
          label: 'count',
          data: h.counts,
          backgroundColor: THEME.histogram,
          borderWidth: 0,
          barPercentage: 0.94,
          categoryPercentage: 1,
        },
      ],
    },
    options: {
      ...base,
      scales: {
        x: categoryAxis({ grid: { display: false }, ticks: { ...categoryAxis().ticks, maxTicksLimit: 12 } }),
        y: valueAxis((v) => (Number.isInteger(v) ? String(v) : ''), { beginAtZero: true, grace: '8%', ticks: { ...valueAxis(String).ticks, precision: 0 } }),
      },
    },
    plugins: [valueLabelsPlugin(h.counts.map((c) => (c > 0 && h.counts.length <= 30 ? String(c) : '')), false)],
  };
  return renderConfig(width, height, config);
}

// ---------------------------------------------------------------------------------------------
// Training cycle: equity on top, per-agent PnL below, one image

export async function renderCycleChart(opts: {
  title: string;
  points: EquityPoint[];
  bars: Bar[];
  width?: number;
  height?: number;
}): Promise<Buffer> {
  const { width, height } = size(opts.width, opts.height, DEFAULT_WIDTH, 960);
  const topH = Math.round(height * 0.55);
  const bottomH = height - topH;
  const title = opts.title ?? '';
  const [top, bottom] = [
    await renderEquityChart({ title: `${title} · equity`, points: opts.points ?? [], width, height: topH }),
    await renderBarChart({ title: 'PnL by agent', bars: opts.bars ?? [], width, height: bottomH }),
  ];
  return enqueue(async () => {
    const canvas = createCanvas(width, height);
    const ctx = canvas.getContext('2d');
    ctx.fillStyle = THEME.background;
    ctx.fillRect(0, 0, width, height);
    const [a, b] = await Promise.all([loadImage(top), loadImage(bottom)]);
    ctx.drawImage(a, 0, 0);
    ctx.drawImage(b, 0, topH);
    // A hairline between the panels.
    ctx.fillStyle = 'rgba(255,255,255,0.12)';
    ctx.fillRect(16, topH, width - 32, 1);
    return canvas.toBuffer('image/png');
  });
}

// ---------------------------------------------------------------------------------------------
// Files

/** mkdir -p `dir`, write `name` atomically (tmp file + rename), return the absolute path. */
export async function writePng(dir: string, name: string, png: Buffer): Promise<string> {
  const base = name.endsWith('.png') ? name : `${name}.png`;
  if (base.includes('/') || base.includes('\\') || base === '.png' || base.startsWith('..')) {
    throw new Error(`writePng: name must be a plain file name, got ${JSON.stringify(name)}`);
  }
  const absDir = resolve(dir);
  await mkdir(absDir, { recursive: true });
  const target = join(absDir, base);
  const tmp = join(absDir, `.${base}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, png);
    await rename(tmp, target);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  return target;
}
