/** The image sent instead of a chart when the input is empty or all invalid. */
import { canvasLib, enqueue } from './pool.js';
import { DEFAULT_HEIGHT, DEFAULT_WIDTH, THEME, TITLE_FONT, size } from './theme.js';
import { DEFAULT_CHART_LANG, chartWord } from './words.js';

/** "No data" in the chart's language. */
export const noDataNote = (lang = DEFAULT_CHART_LANG) => chartWord(lang, 'no_data');

/** A valid PNG with the title and a "no data" note, for empty or all-invalid input. */
export async function renderNoData(title: string, width = DEFAULT_WIDTH, height = DEFAULT_HEIGHT, note = noDataNote()): Promise<Buffer> {
  const { width: w, height: h } = size(width, height);
  return enqueue(async () => {
    const { createCanvas } = canvasLib();
    const canvas = createCanvas(w, h);
    const ctx = canvas.getContext('2d');
    ctx.fillStyle = THEME.background;
    ctx.fillRect(0, 0, w, h);
    ctx.fillStyle = THEME.text;
    ctx.textBaseline = 'top';
    ctx.textAlign = 'left';
    ctx.font = `bold ${TITLE_FONT.size}px "${THEME.font}"`;
    ctx.fillText(title, 16, 14, w - 32);
    ctx.fillStyle = THEME.muted;
    ctx.textAlign = 'center';
    ctx.textBaseline = 'middle';
    ctx.font = `28px "${THEME.font}"`;
    ctx.fillText(note, w / 2, h / 2, w - 32);
    return canvas.toBuffer('image/png');
  });
}
