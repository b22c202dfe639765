/** Bar charts (per-agent PnL): green gains, red losses, a value on each bar. */
import { finite, formatAmount, truncate } from './data.js';
import { noDataNote, renderNoData } from './no-data.js';
import { valueLabelsPlugin } from './plugins.js';
import { renderConfig, type AnyConfig } from './pool.js';
import { THEME, baseOptions, categoryAxis, size, valueAxis } from './theme.js';
import type { Bar } from './types.js';
import { DEFAULT_CHART_LANG, chartWord } from './words.js';

/** Vertical bars up to this many; beyond it bars turn horizontal (labels stay readable). */
const MAX_VERTICAL_BARS = 12;

export interface BarChartOptions {
  title: string;
  bars: Bar[];
  valueSuffix?: string;
  width?: number;
  height?: number;
  /** The language of every word and number drawn (default en). */
  lang?: string;
}

/** The Chart.js configuration of a bar chart (null when there is nothing to draw). */
export function barChartConfig(opts: BarChartOptions): AnyConfig | null {
  const { width, height } = size(opts.width, opts.height);
  return barConfig(opts.title ?? '', opts.bars ?? [], opts.valueSuffix ?? '', width, height, opts.lang ?? DEFAULT_CHART_LANG);
}

function barConfig(title: string, input: readonly Bar[], suffix: string, width: number, height: number, lang: string): AnyConfig | null {
  let bars = (input ?? []).filter((b) => b && finite(b.value)).map((b) => ({ label: String(b.label ?? ''), value: b.value }));
  if (bars.length === 0) return null;
  const total = bars.length;
  const positive = bars.filter((b) => b.value > 0).length;
  // Horizontal rows need ~20 px each to stay legible; the plot is the image minus ~110 px of text.
  const maxRows = Math.max(2, Math.floor((height - 110) / 20) & ~1);
  let subtitle = chartWord(lang, 'bars_positive', { positive, total });
  if (bars.length > maxRows) {
    // A crew can be hundreds of agents: the best and the worst are what a reader acts on.
    const half = maxRows / 2;
    const byValue = [...bars].sort((a, b) => b.value - a.value);
    bars = [...byValue.slice(0, half), ...byValue.slice(-half)];
    subtitle = `${chartWord(lang, 'bars_best_worst', { half, total })}  ·  ${subtitle}`;
  }
  const horizontal = bars.length > MAX_VERTICAL_BARS;
  const fmt = (v: number) => `${v > 0 ? '+' : ''}${formatAmount(v, lang)}${suffix}`;
  const base = baseOptions(title, subtitle, false);
  const maxChars = horizontal ? 22 : Math.max(6, Math.floor((width - 100) / bars.length / 8.5));
  const labels = bars.map((b) => truncate(b.label, maxChars));
  const valueScale = valueAxis((v) => `${formatAmount(v, lang)}${suffix}`, {
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
          label: chartWord(lang, 'pnl'),
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

export async function renderBarChart(opts: BarChartOptions): Promise<Buffer> {
  const { width, height } = size(opts.width, opts.height);
  const config = barChartConfig(opts);
  if (!config) return renderNoData(opts.title ?? '', width, height, noDataNote(opts.lang));
  return renderConfig(width, height, config);
}
