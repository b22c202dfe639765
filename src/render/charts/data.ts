/**
 * Pure data shaping for the charts: sanitising, windowing, downsampling, histogram counts, and
 * the number/label text. No rendering here; exported for tests.
 */
import type { Candle } from '../../market/types.js';
import type { EquityPoint } from '../../metrics/types.js';
import type { Marker, Overlay } from './types.js';
import { DEFAULT_CHART_LANG, chartNumber, chartWord } from './words.js';

export const MAX_CANDLES = 200;
export const MAX_EQUITY_POINTS = 1000;
const MAX_BINS = 200;

const DAY_MS = 86_400_000;
const pad2 = (n: number) => String(n).padStart(2, '0');

/**
 * UTC labels: the day (en `YYYY-MM-DD`, es `DD/MM/YYYY`) when every stamp is a midnight at least
 * a day apart, else day and time (en `MM-DD HH:mm`, es `DD/MM HH:mm`); the forms are strings.
 */
export function timeLabels(ts: readonly number[], lang = DEFAULT_CHART_LANG): string[] {
  let daily = ts.length > 0;
  for (let i = 0; i < ts.length && daily; i++) {
    if (ts[i] % DAY_MS !== 0) daily = false;
    else if (i > 0 && ts[i] - ts[i - 1] < DAY_MS) daily = false;
  }
  return ts.map((t) => {
    const d = new Date(t);
    const parts = { y: d.getUTCFullYear(), m: pad2(d.getUTCMonth() + 1), d: pad2(d.getUTCDate()), H: pad2(d.getUTCHours()), M: pad2(d.getUTCMinutes()) };
    return chartWord(lang, daily ? 'date_day' : 'date_time', parts);
  });
}

/** Price text: thousands separators, more decimals for small prices (0.000123), in the language's format. */
export function formatPrice(v: number, lang = DEFAULT_CHART_LANG): string {
  const a = Math.abs(v);
  const digits = a >= 1000 ? 2 : a >= 1 ? (a >= 100 ? 2 : 4) : a === 0 ? 2 : Math.min(10, 3 - Math.floor(Math.log10(a)));
  return chartNumber(lang, v, digits, a >= 1000 ? 0 : Math.min(2, digits));
}

export const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

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

/** Short amounts for axes: 1.2k, 3.4M (es: 1,2k, 3,4M, 1,5 mil M). */
export function compact(v: number, lang = DEFAULT_CHART_LANG): string {
  const a = Math.abs(v);
  if (a >= 1e9) return `${chartNumber(lang, v / 1e9, 2)}${suffix(lang, 'B')}`;
  if (a >= 1e6) return `${chartNumber(lang, v / 1e6, 2)}${suffix(lang, 'M')}`;
  if (a >= 1e3) return `${chartNumber(lang, v / 1e3, a >= 1e4 ? 1 : 2)}${suffix(lang, 'k')}`;
  return formatPrice(v, lang);
}

/** `k`, `M`, `B` or the language's words for them; a word (mil M) gets a space before it. */
function suffix(lang: string, k: 'k' | 'M' | 'B'): string {
  const s = chartWord(lang, `suffix_${k}`);
  return s.includes(' ') ? ` ${s}` : s;
}

export function truncate(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}

/** Money or percent amounts: no noise digits (99.99, 1.2k, 0.0042). */
export function formatAmount(v: number, lang = DEFAULT_CHART_LANG): string {
  const a = Math.abs(v);
  if (a >= 1e4) return compact(v, lang);
  const digits = a >= 100 ? 1 : a >= 1 || a === 0 ? 2 : Math.min(8, 1 - Math.floor(Math.log10(a)));
  return chartNumber(lang, v, digits);
}
