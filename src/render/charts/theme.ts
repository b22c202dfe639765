/**
 * The look shared by every chart: colours, fonts, default image size, and the Chart.js options
 * and axes all chart kinds start from.
 *
 * No date adapter is installed, so the x axis is a category axis with UTC labels.
 */
import type { Marker } from './types.js';

// Dark, TradingView-like: reads well on a phone in both light and dark chat themes.
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

export const MARKER_STYLE: Record<Marker['kind'], { color: string; style: string; rotation: number; above: boolean }> = {
  buy: { color: '#00e676', style: 'triangle', rotation: 0, above: false },
  entry: { color: '#40c4ff', style: 'triangle', rotation: 90, above: false },
  sell: { color: '#ff5252', style: 'triangle', rotation: 180, above: true },
  exit: { color: '#ffca28', style: 'rectRot', rotation: 0, above: true },
};

export const DEFAULT_WIDTH = 1000;
export const DEFAULT_HEIGHT = 560;
export const TITLE_FONT = { size: 22, weight: 'bold' as const };
export const SUBTITLE_FONT = { size: 14 };
export const TICK_FONT = { size: 14 };
/** Price tags drawn over the y axis of a candle chart. */
export const TAG_FONT = `bold 14px "${THEME.font}"`;
/** Names of the price lines of a candle chart. */
export const LINE_LABEL_FONT = `bold 13px "${THEME.font}"`;

/** The image size to render: a requested size when sane (50..8000 px), else the default. */
export function size(width: number | undefined, height: number | undefined, dw = DEFAULT_WIDTH, dh = DEFAULT_HEIGHT) {
  const ok = (v: number | undefined, d: number) => (v !== undefined && Number.isFinite(v) && v >= 50 && v <= 8000 ? Math.round(v) : d);
  return { width: ok(width, dw), height: ok(height, dh) };
}

export function baseOptions(title: string, subtitle: string | undefined, legend: boolean) {
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

export function categoryAxis(extra: Record<string, unknown> = {}) {
  return {
    type: 'category' as const,
    grid: { color: THEME.grid, drawTicks: false },
    border: { color: THEME.grid },
    ticks: { color: THEME.muted, font: TICK_FONT, maxRotation: 0, autoSkip: true, autoSkipPadding: 24, sampleSize: 12, padding: 6 },
    ...extra,
  };
}

export function valueAxis(format: (v: number) => string, extra: Record<string, unknown> = {}) {
  return {
    type: 'linear' as const,
    grid: { color: THEME.grid, drawTicks: false },
    border: { color: THEME.grid },
    ticks: { color: THEME.muted, font: TICK_FONT, padding: 8, maxTicksLimit: 8, callback: (v: number | string) => format(Number(v)) },
    ...extra,
  };
}
