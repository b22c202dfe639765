/** The training-cycle image: equity on top, per-agent PnL below, one image. */
import type { EquityPoint } from '../../metrics/types.js';
import { renderBarChart } from './bars.js';
import { renderEquityChart } from './equity.js';
import { canvasLib, enqueue } from './pool.js';
import { DEFAULT_WIDTH, THEME, size } from './theme.js';
import type { Bar } from './types.js';

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
