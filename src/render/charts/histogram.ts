/** Histograms: equal-width bins, a count over each bar, n / mean / median in the subtitle. */
import { finite, histogram } from './data.js';
import { noDataNote, renderNoData } from './no-data.js';
import { valueLabelsPlugin } from './plugins.js';
import { renderConfig, type AnyConfig } from './pool.js';
import { THEME, baseOptions, categoryAxis, size, valueAxis } from './theme.js';
import { DEFAULT_CHART_LANG, chartNumber, chartWord } from './words.js';

function edgeText(v: number, step: number, lang: string): string {
  if (Number.isInteger(v) && Number.isInteger(step)) return String(v);
  const d = Math.max(0, Math.min(6, 2 - Math.floor(Math.log10(Math.abs(step) || 1))));
  return chartNumber(lang, v, d, d);
}

export interface HistogramOptions {
  title: string;
  values: number[];
  bins: number;
  min?: number;
  max?: number;
  width?: number;
  height?: number;
  /** The language of every word and number drawn (default en). */
  lang?: string;
}

export async function renderHistogram(opts: HistogramOptions): Promise<Buffer> {
  const { width, height } = size(opts.width, opts.height);
  const config = histogramConfig(opts);
  if (!config) return renderNoData(opts.title ?? '', width, height, noDataNote(opts.lang));
  return renderConfig(width, height, config);
}

/** The Chart.js configuration of a histogram (null when there is nothing to draw). */
export function histogramConfig(opts: HistogramOptions): AnyConfig | null {
  const title = opts.title ?? '';
  const lang = opts.lang ?? DEFAULT_CHART_LANG;
  const edge = (v: number, step: number) => edgeText(v, step, lang);
  const vals = (opts.values ?? []).filter(finite);
  if (vals.length === 0) return null;
  const h = histogram(vals, opts.bins, opts.min, opts.max);
  const step = h.edges[1] - h.edges[0];
  const labels = h.counts.map((_, i) => `${edge(h.edges[i], step)}–${edge(h.edges[i + 1], step)}`);
  const sorted = [...vals].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  const mean = vals.reduce((a, b) => a + b, 0) / vals.length;
  const subtitle =
    chartWord(lang, 'hist_subtitle', { n: vals.length, mean: edge(mean, step / 10), median: edge(median, step / 10) }) +
    (h.outside > 0 ? `  ·  ${chartWord(lang, 'hist_outside', { n: h.outside, lo: edge(h.min, step), hi: edge(h.max, step) })}` : '');
  const base = baseOptions(title, subtitle, false);
  return {
    type: 'bar',
    data: {
      labels,
      datasets: [
        {
          label: chartWord(lang, 'count'),
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
}
