/**
 * PNG charts for chat messages: candles with proposal lines, equity with drawdown, per-agent PnL
 * bars, histograms, and the stacked training-cycle image.
 *
 * One module per job: pool.ts (reused renderers and the render queue), data.ts (pure data
 * shaping, exported for tests), theme.ts (look and shared options), plugins.ts (custom drawing),
 * one module per chart kind, no-data.ts, and files.ts (writing PNGs). This file is the public API.
 */
export type { Bar, Marker, Overlay, PriceLine } from './types.js';
export { DEFAULT_HEIGHT, DEFAULT_WIDTH, THEME } from './theme.js';
export {
  MAX_CANDLES,
  MAX_EQUITY_POINTS,
  candleWindow,
  downsampleEquity,
  formatAmount,
  formatPrice,
  histogram,
  timeLabels,
  type CandleWindow,
  type EquitySample,
  type HistogramBins,
} from './data.js';
export { newRenderer, type AnyConfig } from './pool.js';
export { noDataNote, renderNoData } from './no-data.js';
export { candleChartConfig, proposalLines, renderCandleChart, type CandleChartOptions } from './candle.js';
export { equityChartConfig, renderEquityChart, type EquityChartOptions } from './equity.js';
export { barChartConfig, renderBarChart, type BarChartOptions } from './bars.js';
export { histogramConfig, renderHistogram, type HistogramOptions } from './histogram.js';
export { cyclePanels, renderCycleChart, type CycleChartOptions } from './cycle.js';
export { chartWord, chartNumber } from './words.js';
export type { TextPlugin } from './plugins.js';
export { writePng } from './files.js';
