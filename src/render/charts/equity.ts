/** Equity curves: equity against its running peak, the drawdown between them shaded. */
import type { ChartDataset } from 'chart.js';
import type { EquityPoint } from '../../metrics/types.js';
import { compact, downsampleEquity, timeLabels } from './data.js';
import { noDataNote, renderNoData } from './no-data.js';
import { renderConfig, type AnyConfig } from './pool.js';
import { THEME, baseOptions, categoryAxis, size, valueAxis } from './theme.js';
import { DEFAULT_CHART_LANG, chartNumber, chartSignedPct, chartWord } from './words.js';

/** Axis labels that stay distinct when equity moves little: 10,125 rather than 10.1k, 10.1k, 10.1k. */
function equityTick(values: number[], lang: string): (v: number) => string {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const range = hi - lo;
  const top = Math.max(Math.abs(lo), Math.abs(hi));
  if (top < 1e4 || range >= top * 0.2) return (v) => compact(v, lang);
  const digits = range >= 50 ? 0 : range >= 5 ? 1 : 2;
  return (v) => chartNumber(lang, v, digits, digits);
}

export interface EquityChartOptions {
  title: string;
  points: EquityPoint[];
  width?: number;
  height?: number;
  /** The language of every word and number drawn (default en). */
  lang?: string;
}

/** The Chart.js configuration of an equity chart (null when there is nothing to draw). */
export function equityChartConfig(opts: EquityChartOptions): AnyConfig | null {
  return equityConfig(opts.title ?? '', opts.points ?? [], opts.lang ?? DEFAULT_CHART_LANG);
}

function equityConfig(title: string, points: readonly EquityPoint[], lang: string): AnyConfig | null {
  const s = downsampleEquity(points);
  if (s.length === 0) return null;
  const start = s[0].equity;
  const end = s[s.length - 1].equity;
  // Max drawdown over the samples equals the full series' (peaks and bucket minima are kept).
  let maxDd = 0;
  for (const p of s) if (p.peak > 0) maxDd = Math.max(maxDd, (p.peak - p.equity) / p.peak);
  const ret = start !== 0 ? ((end - start) / Math.abs(start)) * 100 : 0;
  const subtitle = chartWord(lang, 'equity_subtitle', {
    from: compact(start, lang),
    to: compact(end, lang),
    ret: chartSignedPct(lang, ret),
    dd: `${chartNumber(lang, maxDd * 100, 2, 2)}%`,
  });
  const labels = timeLabels(
    s.map((p) => p.ts),
    lang,
  );
  const datasets: ChartDataset<'line', number[]>[] = [
    {
      label: chartWord(lang, 'equity'),
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
      label: chartWord(lang, 'running_peak'),
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
        y: valueAxis(
          equityTick(
            s.map((p) => p.equity),
            lang,
          ),
          { position: 'right', grace: '3%' },
        ),
      },
    },
  };
}

export async function renderEquityChart(opts: EquityChartOptions): Promise<Buffer> {
  const { width, height } = size(opts.width, opts.height);
  const config = equityChartConfig(opts);
  if (!config) return renderNoData(opts.title ?? '', width, height, noDataNote(opts.lang));
  return renderConfig(width, height, config);
}
