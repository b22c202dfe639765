/** Histograms: equal-width bins, a count over each bar, n / mean / median in the subtitle. */
import { finite, histogram } from './data.js';
import { NO_DATA_NOTE, renderNoData } from './no-data.js';
import { valueLabelsPlugin } from './plugins.js';
import { renderConfig, type AnyConfig } from './pool.js';
import { THEME, baseOptions, categoryAxis, size, valueAxis } from './theme.js';

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
