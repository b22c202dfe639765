/** Candle charts: the last candles with overlays, trade markers and price lines (a proposal's Entry/Stop/Target). */
import type { ChartDataset, Scale } from 'chart.js';
import type { Candle } from '../../market/types.js';
import { candleWindow, finite, formatPrice, timeLabels } from './data.js';
import { noDataNote, renderNoData } from './no-data.js';
import { markerLabelsPlugin, priceLinesPlugin } from './plugins.js';
import { renderConfig, type AnyConfig } from './pool.js';
import { MARKER_STYLE, TAG_FONT, THEME, baseOptions, categoryAxis, size, valueAxis } from './theme.js';
import type { Marker, Overlay, PriceLine } from './types.js';
import { DEFAULT_CHART_LANG, chartSignedPct, chartWord } from './words.js';

/** Entry (blue), Stop (red), Target (green): the three lines of a trade proposal, named in `lang`. */
export function proposalLines(entry: number, stop: number, target: number, lang = DEFAULT_CHART_LANG): PriceLine[] {
  return [
    { label: chartWord(lang, 'entry'), value: entry, color: THEME.entry },
    { label: chartWord(lang, 'stop'), value: stop, color: THEME.stop },
    { label: chartWord(lang, 'target'), value: target, color: THEME.target },
  ];
}

function defaultLineColor(label: string, i: number): string {
  if (/stop|sl\b/i.test(label)) return THEME.stop;
  if (/target|take|tp\b/i.test(label)) return THEME.target;
  if (/entry/i.test(label)) return THEME.entry;
  return THEME.overlays[i % THEME.overlays.length];
}

export interface CandleChartOptions {
  title: string;
  candles: Candle[];
  overlays?: Overlay[];
  lines?: PriceLine[];
  markers?: Marker[];
  width?: number;
  height?: number;
  /** The language of every word and number drawn (default en). */
  lang?: string;
}

export async function renderCandleChart(opts: CandleChartOptions): Promise<Buffer> {
  const { width, height } = size(opts.width, opts.height);
  const config = candleChartConfig(opts);
  if (!config) return renderNoData(opts.title ?? '', width, height, noDataNote(opts.lang));
  return renderConfig(width, height, config);
}

/** The Chart.js configuration of a candle chart (null when there is nothing to draw). */
export function candleChartConfig(opts: CandleChartOptions): AnyConfig | null {
  const { width } = size(opts.width, opts.height);
  const title = opts.title ?? '';
  const lang = opts.lang ?? DEFAULT_CHART_LANG;
  const win = candleWindow(opts.candles ?? [], opts.overlays ?? [], opts.markers ?? []);
  const cs = win.candles;
  if (cs.length === 0) return null;
  const n = cs.length;
  const labels = timeLabels(
    cs.map((c) => c.ts),
    lang,
  );
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
      label: chartWord(lang, { buy: 'buys', sell: 'sells', entry: 'entries', exit: 'exits' }[kind]),
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
    chartWord(lang, 'candle_subtitle', { price: formatPrice(last.close, lang), change: chartSignedPct(lang, change), from: labels[0], to: labels[n - 1] }) +
    (total > n ? `  ·  ${chartWord(lang, 'candle_window', { n, total })}` : '');
  const lineValues = lines.map((l) => l.value);
  const price = (v: number) => formatPrice(v, lang);
  const tagTexts = lines.map((l) => price(l.value));

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
        y: valueAxis(price, {
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
    plugins: [priceLinesPlugin(lines, price), markerLabelsPlugin(win.markers)],
  };
  return config;
}
