/** The training-cycle image: equity on top, per-agent PnL below, one image. */
import type { EquityPoint } from '../../metrics/types.js';
import { renderBarChart } from './bars.js';
import { renderEquityChart } from './equity.js';
import { canvasLib, enqueue } from './pool.js';
import { DEFAULT_WIDTH, THEME, size } from './theme.js';
import type { Bar } from './types.js';
import { DEFAULT_CHART_LANG, chartWord } from './words.js';

export interface CycleChartOptions {
  title: string;
  points: EquityPoint[];
  bars: Bar[];
  width?: number;
  height?: number;
  /** The language of every word and number drawn (default en). */
  lang?: string;
}

/** The two panels of the cycle image: equity on top, PnL by agent below. */
export function cyclePanels(opts: CycleChartOptions) {
  const { width, height } = size(opts.width, opts.height, DEFAULT_WIDTH, 960);
  const lang = opts.lang ?? DEFAULT_CHART_LANG;
  const topH = Math.round(height * 0.55);
  return {
    width,
    height,
    topH,
    equity: { title: chartWord(lang, 'cycle_equity', { title: opts.title ?? '' }), points: opts.points ?? [], width, height: topH, lang },
    bars: { title: chartWord(lang, 'pnl_by_agent'), bars: opts.bars ?? [], width, height: height - topH, lang },
  };
}

export async function renderCycleChart(opts: CycleChartOptions): Promise<Buffer> {
  const { width, height, topH, equity, bars } = cyclePanels(opts);
  const [top, bottom] = [await renderEquityChart(equity), await renderBarChart(bars)];
  return enqueue(async () => {
    const { createCanvas, loadImage } = canvasLib();
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
