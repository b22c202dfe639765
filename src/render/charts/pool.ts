/**
 * The renderer pool and the render queue: every chart image goes through here.
 *
 * Rendering facts this module is built around (measured, see OFFLINE-TESTING.md):
 * - ONE ChartJSNodeCanvas per image size, reused: each instance loads its own copy of Chart.js,
 *   so a new instance per chart leaks ~2 MB and is ~2x slower.
 * - Renders run one at a time, each after a turn of the event loop (setImmediate): a tight
 *   synchronous loop of renders grows memory until the loop gets a turn.
 * - PNGs are transparent by default; the instance's background option fills the dark theme.
 */
import { createRequire } from 'node:module';
import type * as CanvasLib from 'canvas';
import type { ChartConfiguration } from 'chart.js';
import type { ChartJSNodeCanvas } from 'chartjs-node-canvas';
import { THEME } from './theme.js';

// Chart.js, node-canvas and its native cairo binding (~0.1 s and ~15 MiB to load) are required at
// the first chart, not at every start of the bot or the CLI. Both packages are CommonJS, so a
// plain require keeps the renderers synchronous.
const require = createRequire(import.meta.url);
let chartLib: typeof import('chartjs-node-canvas') | null = null;
let canvasModule: typeof CanvasLib | null = null;
/** node-canvas (createCanvas, loadImage), loaded on first use. */
export const canvasLib = (): typeof CanvasLib => (canvasModule ??= require('canvas') as typeof CanvasLib);

type Renderer = ChartJSNodeCanvas;
const renderers = new Map<string, Renderer>();
/** Sizes are few in practice; the cap keeps an unusual caller from loading Chart.js per size. */
const MAX_RENDERERS = 6;

function rendererFor(width: number, height: number): Renderer {
  const key = `${width}x${height}`;
  let r = renderers.get(key);
  if (r) {
    // Map keeps insertion order: re-insert so eviction drops the least recently used size.
    renderers.delete(key);
    renderers.set(key, r);
    return r;
  }
  if (renderers.size >= MAX_RENDERERS) renderers.delete(renderers.keys().next().value as string);
  r = newRenderer(width, height);
  renderers.set(key, r);
  return r;
}

/**
 * A fresh themed renderer. Exported for the benchmark's baseline only: production code goes
 * through the reused pool above.
 */
export function newRenderer(width: number, height: number): Renderer {
  const { ChartJSNodeCanvas } = (chartLib ??= require('chartjs-node-canvas') as typeof import('chartjs-node-canvas'));
  return new ChartJSNodeCanvas({
    width,
    height,
    backgroundColour: THEME.background,
    chartCallback: (ChartJS) => {
      ChartJS.defaults.font.family = THEME.font;
      ChartJS.defaults.color = THEME.text;
      ChartJS.defaults.borderColor = THEME.grid;
    },
  });
}

let queue: Promise<unknown> = Promise.resolve();
/** Run renders one after another, each after a turn of the event loop. */
export function enqueue<T>(job: () => Promise<T>): Promise<T> {
  const run = queue.then(async () => {
    await new Promise<void>((r) => setImmediate(r));
    return job();
  });
  queue = run.catch(() => undefined);
  return run;
}

export type AnyConfig = ChartConfiguration<any, any, any>;

export function renderConfig(width: number, height: number, config: AnyConfig): Promise<Buffer> {
  return enqueue(() => rendererFor(width, height).renderToBuffer(config as ChartConfiguration, 'image/png'));
}
