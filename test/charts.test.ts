import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { createCanvas, loadImage } from 'canvas';
import {
  THEME,
  candleWindow,
  downsampleEquity,
  histogram,
  proposalLines,
  renderBarChart,
  renderCandleChart,
  renderCycleChart,
  renderEquityChart,
  renderHistogram,
  timeLabels,
  writePng,
} from '../src/render/charts/index.js';
import type { Candle } from '../src/market/types.js';
import type { EquityPoint } from '../src/metrics/types.js';

// ---------------------------------------------------------------------------------------------
// Helpers

const T0 = Date.UTC(2024, 0, 1);
const HOUR = 3_600_000;

/** Deterministic candles: linear trend + sine swing, each candle opening at the last close. */
function synthCandles(n: number, slope: number, start = 100, step = HOUR): Candle[] {
  const out: Candle[] = [];
  let prev = start;
  for (let i = 0; i < n; i++) {
    const close = start + slope * i + 3 * Math.sin(i / 7);
    const open = prev;
    const high = Math.max(open, close) + 0.6 + 0.4 * Math.abs(Math.sin(i * 1.3));
    const low = Math.min(open, close) - 0.6 - 0.4 * Math.abs(Math.cos(i * 0.7));
    out.push({ ts: T0 + i * step, open, high, low, close, volume: 10 + i });
    prev = close;
  }
  return out;
}

function synthEquity(n: number, withDrawdowns: boolean): EquityPoint[] {
  const out: EquityPoint[] = [];
  for (let i = 0; i < n; i++) {
    const swing = withDrawdowns ? 800 * Math.sin(i / 40) : 0;
    out.push({ ts: T0 + i * HOUR, equity: 10_000 + 5 * i + swing });
  }
  return out;
}

function pngSize(buf: Buffer): { width: number; height: number } {
  assert.ok(Buffer.isBuffer(buf), 'a Buffer');
  assert.deepEqual([...buf.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature');
  assert.equal(buf.subarray(12, 16).toString('latin1'), 'IHDR');
  return { width: buf.readUInt32BE(16), height: buf.readUInt32BE(20) };
}

interface Pixels {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

async function decode(buf: Buffer): Promise<Pixels> {
  const img = await loadImage(buf);
  const c = createCanvas(img.width, img.height);
  const ctx = c.getContext('2d');
  ctx.drawImage(img, 0, 0);
  return { width: img.width, height: img.height, data: ctx.getImageData(0, 0, img.width, img.height).data };
}

function rgb(hex: string): [number, number, number] {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/** Colour of `rgba` painted over the theme background. */
function over(rgba: [number, number, number, number]): [number, number, number] {
  const bg = rgb(THEME.background);
  return [0, 1, 2].map((k) => Math.round(bg[k] + (rgba[k] - bg[k]) * rgba[3])) as [number, number, number];
}

function near(p: Pixels, x: number, y: number, c: readonly number[], tol: number): boolean {
  const i = (y * p.width + x) * 4;
  return Math.abs(p.data[i] - c[0]) <= tol && Math.abs(p.data[i + 1] - c[1]) <= tol && Math.abs(p.data[i + 2] - c[2]) <= tol;
}

function count(p: Pixels, c: readonly number[], tol = 10, box = { x0: 0, y0: 0, x1: p.width, y1: p.height }): number {
  let n = 0;
  for (let y = box.y0; y < box.y1; y++) for (let x = box.x0; x < box.x1; x++) if (near(p, x, y, c, tol)) n++;
  return n;
}

/** The row with the most pixels of colour c, and how many it has. */
function strongestRow(p: Pixels, c: readonly number[], tol = 12): { y: number; n: number } {
  let best = { y: -1, n: 0 };
  for (let y = 0; y < p.height; y++) {
    let n = 0;
    for (let x = 0; x < p.width; x++) if (near(p, x, y, c, tol)) n++;
    if (n > best.n) best = { y, n };
  }
  return best;
}

// ---------------------------------------------------------------------------------------------
// Candles

test('proposal chart: green candles in an uptrend and Entry/Stop/Target lines at their prices', async () => {
  const candles = synthCandles(150, 0.25);
  const last = candles[candles.length - 1].close;
  const [entry, stop, target] = [last, last - 5, last + 10];
  const png = await renderCandleChart({ title: 'BTC/USDT 1h · LONG', candles, lines: proposalLines(entry, stop, target) });
  assert.deepEqual(pngSize(png), { width: 1000, height: 560 });
  const px = await decode(png);

  const green = count(px, rgb(THEME.up));
  const red = count(px, rgb(THEME.down));
  assert.ok(green > 1500, `green candle pixels: ${green}`);
  assert.ok(green > 2 * red, `uptrend should be mostly green: green ${green}, red ${red}`);

  // Each dashed line covers a large part of one row across the plot.
  const rows = {
    target: strongestRow(px, rgb(THEME.target)),
    entry: strongestRow(px, rgb(THEME.entry)),
    stop: strongestRow(px, rgb(THEME.stop)),
  };
  for (const [name, r] of Object.entries(rows)) assert.ok(r.n > 300, `${name} line spans the chart (row ${r.y}: ${r.n} px)`);
  // Screen y grows downwards: target above entry above stop, spaced as the prices are.
  assert.ok(rows.target.y < rows.entry.y && rows.entry.y < rows.stop.y, JSON.stringify(rows));
  const ratio = (rows.stop.y - rows.entry.y) / (rows.stop.y - rows.target.y);
  assert.ok(Math.abs(ratio - (entry - stop) / (target - stop)) < 0.03, `stop-entry / stop-target pixel ratio ${ratio}`);

  // The price tags sit at the right edge (over the y axis), on the line's row.
  const tag = count(px, rgb(THEME.stop), 12, { x0: px.width - 80, y0: rows.stop.y - 6, x1: px.width, y1: rows.stop.y + 6 });
  assert.ok(tag > 200, `stop price tag at the right edge: ${tag} px`);
});

test('candles are coloured per candle: a downtrend is mostly red', async () => {
  const png = await renderCandleChart({ title: 'down', candles: synthCandles(120, -0.3, 200) });
  const px = await decode(png);
  const green = count(px, rgb(THEME.up));
  const red = count(px, rgb(THEME.down));
  assert.ok(red > 1500 && red > 2 * green, `red ${red}, green ${green}`);
});

test('large input: 5000 candles render as the last 200, markers snap to shown bars', async () => {
  const candles = synthCandles(5000, 0.01);
  const sma = candles.map((c, i) => (i < 20 ? null : c.close));
  const markers = [
    { ts: candles[4900].ts + HOUR / 3, price: candles[4900].low, label: 'buy', kind: 'buy' as const },
    { ts: candles[4990].ts - HOUR / 4, price: candles[4990].high, label: 'sell', kind: 'sell' as const },
    { ts: candles[100].ts, price: 100, label: 'old', kind: 'entry' as const },
  ];
  const win = candleWindow(candles, [{ label: 'SMA', values: sma }], markers);
  assert.equal(win.candles.length, 200);
  assert.equal(win.candles[0].ts, candles[4800].ts);
  assert.equal(win.candles[199].ts, candles[4999].ts);
  assert.deepEqual(
    win.markers.map((m) => [m.label, m.index]),
    [
      ['buy', 100],
      ['sell', 190],
    ],
  );
  assert.equal(win.overlays[0].values.length, 200);
  assert.equal(win.overlays[0].values[0], candles[4800].close);

  const png = await renderCandleChart({ title: 'big', candles, overlays: [{ label: 'SMA', values: sma }], markers });
  assert.deepEqual(pngSize(png), { width: 1000, height: 560 });
});

test('non-finite candles are skipped and overlays stay aligned with their candles', async () => {
  const candles = synthCandles(30, 0.5);
  const values = candles.map((c) => c.close + 1);
  candles[3] = { ...candles[3], close: NaN };
  candles[7] = { ...candles[7], high: Infinity };
  values[10] = NaN;
  const win = candleWindow(candles, [{ label: 'x', values }], [{ ts: NaN, price: 1, label: 'bad', kind: 'buy' }]);
  assert.equal(win.candles.length, 28);
  assert.ok(!win.candles.some((c) => c.ts === candles[3].ts || c.ts === candles[7].ts));
  // Overlay value i still belongs to candle i after the bad rows are dropped.
  win.candles.forEach((c, i) => {
    const v = win.overlays[0].values[i];
    if (c.ts === candles[10].ts) assert.equal(v, null);
    else assert.equal(v, c.close + 1);
  });
  assert.equal(win.markers.length, 0);
  const png = await renderCandleChart({ title: 'gaps', candles, overlays: [{ label: 'x', values }], width: 640, height: 360 });
  assert.deepEqual(pngSize(png), { width: 640, height: 360 });
});

test('x labels are UTC: dates for daily candles, month-day time for intraday', () => {
  assert.deepEqual(timeLabels([Date.UTC(2024, 1, 28), Date.UTC(2024, 1, 29)]), ['2024-02-28', '2024-02-29']);
  assert.deepEqual(timeLabels([Date.UTC(2024, 1, 28, 23, 45), Date.UTC(2024, 1, 29, 0, 0)]), ['02-28 23:45', '02-29 00:00']);
});

// ---------------------------------------------------------------------------------------------
// Equity

test('equity chart shades drawdowns red, and a curve without drawdowns has no shading', async () => {
  const shade = over([239, 83, 80, 0.38]);
  const withDd = await decode(await renderEquityChart({ title: 'Equity', points: synthEquity(800, true) }));
  const noDd = await decode(await renderEquityChart({ title: 'Equity', points: synthEquity(800, false) }));
  assert.equal(withDd.width, 1000);
  assert.equal(withDd.height, 560);
  const a = count(withDd, shade, 8);
  const b = count(noDd, shade, 8);
  assert.ok(a > 3000, `drawdown shading pixels: ${a}`);
  assert.ok(b < 50, `no drawdown, no shading: ${b}`);
  assert.ok(count(withDd, rgb(THEME.equity), 12) > 800, 'the equity line is drawn');
});

test('equity downsampling keeps at most 1000 points, the ends and the global extremes', () => {
  const pts: EquityPoint[] = [];
  for (let i = 0; i < 100_000; i++) pts.push({ ts: T0 + i * 60_000, equity: 1000 + 100 * Math.sin(i / 997) + ((i * 7919) % 13) });
  pts[31_337] = { ts: pts[31_337].ts, equity: 5000 }; // spike
  pts[77_777] = { ts: pts[77_777].ts, equity: 10 }; // crash
  pts[500] = { ts: pts[500].ts, equity: NaN };
  const s = downsampleEquity(pts);
  assert.ok(s.length <= 1000 && s.length > 900, `length ${s.length}`);
  assert.equal(s[0].ts, pts[0].ts);
  assert.equal(s[s.length - 1].ts, pts[pts.length - 1].ts);
  assert.ok(s.some((p) => p.equity === 5000 && p.ts === pts[31_337].ts), 'global max kept');
  assert.ok(s.some((p) => p.equity === 10 && p.ts === pts[77_777].ts), 'global min kept');
  for (let i = 1; i < s.length; i++) assert.ok(s[i].ts > s[i - 1].ts, 'time order');
  // The running peak comes from the full series: after the spike it stays at 5000.
  assert.equal(s.find((p) => p.equity === 10)!.peak, 5000);
  assert.ok(s.every((p) => Number.isFinite(p.equity)));
});

// ---------------------------------------------------------------------------------------------
// Bars and histogram

test('bar chart: positive bars green, negative bars red', async () => {
  const mixed = await decode(
    await renderBarChart({
      title: 'PnL by agent',
      valueSuffix: ' USDT',
      bars: [
        { label: 'rsi-rev', value: 120 },
        { label: 'ema-x', value: -80 },
        { label: 'llm', value: 45 },
        { label: 'bad', value: NaN },
      ],
    }),
  );
  assert.ok(count(mixed, rgb(THEME.up)) > 3000, 'green bars');
  assert.ok(count(mixed, rgb(THEME.down)) > 3000, 'red bar');
  const allUp = await decode(await renderBarChart({ title: 'PnL', bars: [{ label: 'a', value: 1 }, { label: 'b', value: 2 }] }));
  assert.ok(count(allUp, rgb(THEME.up)) > 3000);
  assert.ok(count(allUp, rgb(THEME.down)) < 10, 'no red when nothing lost');
});

test('bar chart with hundreds of agents still renders (best and worst shown)', async () => {
  const bars = Array.from({ length: 500 }, (_, i) => ({ label: `agent-${i}`, value: Math.sin(i) * 50 }));
  const png = await renderBarChart({ title: 'PnL', bars, valueSuffix: '%', width: 800, height: 800 });
  assert.deepEqual(pngSize(png), { width: 800, height: 800 });
  const px = await decode(png);
  assert.ok(count(px, rgb(THEME.up)) > 2000 && count(px, rgb(THEME.down)) > 2000);
});

test('histogram counts: equal bins, max in the last bin, outside and non-finite values excluded', () => {
  const h = histogram([0, 5, 10, 99, 100, 150, -1, NaN, Infinity], 10, 0, 100);
  assert.deepEqual(h.counts, [2, 1, 0, 0, 0, 0, 0, 0, 0, 2]);
  assert.equal(h.outside, 2);
  assert.deepEqual(h.edges, [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
  const same = histogram([3, 3, 3], 4);
  assert.equal(same.counts.reduce((a, b) => a + b, 0), 3);
});

test('histogram draws the bar where the values are', async () => {
  const values = Array.from({ length: 50 }, (_, i) => 70 + (i % 10)); // all in the 70-80 bin
  const png = await renderHistogram({ title: 'Quality', values, bins: 10, min: 0, max: 100 });
  assert.deepEqual(pngSize(png), { width: 1000, height: 560 });
  const px = await decode(png);
  const c = rgb(THEME.histogram);
  let n = 0;
  let sx = 0;
  let minX = Infinity;
  let maxX = -Infinity;
  for (let y = 0; y < px.height; y++)
    for (let x = 0; x < px.width; x++)
      if (near(px, x, y, c, 10)) {
        n++;
        sx += x;
        minX = Math.min(minX, x);
        maxX = Math.max(maxX, x);
      }
  assert.ok(n > 5000, `bar pixels ${n}`);
  // One bar, the 8th of 10 across the plot: roughly 70-80% of the image width.
  assert.ok(minX > 0.62 * px.width && maxX < 0.85 * px.width, `bar spans x ${minX}..${maxX}`);
  assert.ok(Math.abs(sx / n / px.width - 0.75) < 0.05, `centroid ${sx / n}`);
});

// ---------------------------------------------------------------------------------------------
// Cycle chart

test('cycle chart: one image, equity on top and agent bars below', async () => {
  const png = await renderCycleChart({
    title: 'Cycle 3',
    points: synthEquity(600, true),
    bars: [
      { label: 'a', value: 30 },
      { label: 'b', value: -20 },
    ],
  });
  const { width, height } = pngSize(png);
  assert.equal(width, 1000);
  assert.ok(height >= 800, `tall image: ${height}`);
  const px = await decode(png);
  const half = Math.round(height * 0.55);
  const top = { x0: 0, y0: 0, x1: width, y1: half };
  const bottom = { x0: 0, y0: half, x1: width, y1: height };
  assert.ok(count(px, rgb(THEME.equity), 12, top) > 800, 'equity line in the top panel');
  assert.ok(count(px, rgb(THEME.equity), 12, bottom) < 20, 'no equity line in the bottom panel');
  assert.ok(count(px, rgb(THEME.up), 10, bottom) > 2000, 'green bar in the bottom panel');
  assert.ok(count(px, rgb(THEME.down), 10, bottom) > 2000, 'red bar in the bottom panel');
});

// ---------------------------------------------------------------------------------------------
// Empty input

test('empty input gives a PNG saying there is no data, for every chart', async () => {
  const pngs = [
    await renderCandleChart({ title: 'ETH/USDT', candles: [] }),
    await renderCandleChart({ title: 'ETH/USDT', candles: [{ ts: NaN, open: 1, high: 1, low: 1, close: 1, volume: 0 }] }),
    await renderEquityChart({ title: 'Equity', points: [] }),
    await renderBarChart({ title: 'PnL', bars: [] }),
    await renderHistogram({ title: 'Q', values: [NaN], bins: 10 }),
    await renderCycleChart({ title: 'C', points: [], bars: [] }),
  ];
  const bg = rgb(THEME.background);
  for (const png of pngs.slice(0, 5)) {
    assert.deepEqual(pngSize(png), { width: 1000, height: 560 });
    const px = await decode(png);
    // Text in the middle ("No data"), plain background around it.
    const middle = { x0: 350, y0: 250, x1: 650, y1: 310 };
    const area = (middle.x1 - middle.x0) * (middle.y1 - middle.y0);
    assert.ok(count(px, bg, 2, middle) < area - 100, 'something is written in the middle');
    assert.equal(count(px, bg, 2, { x0: 0, y0: 350, x1: 1000, y1: 560 }), 1000 * 210, 'rest is background');
  }
  assert.equal(pngSize(pngs[5]).width, 1000);
});

// ---------------------------------------------------------------------------------------------
// Files

test('writePng creates the directory, writes atomically and returns the absolute path', async () => {
  const root = await mkdtemp(join(tmpdir(), 'charts-'));
  try {
    const png = await renderBarChart({ title: 'x', bars: [{ label: 'a', value: 1 }] });
    const dir = join(root, 'nested', 'charts');
    const path = await writePng(dir, 'proposal-42.png', png);
    assert.ok(isAbsolute(path));
    assert.equal(path, join(dir, 'proposal-42.png'));
    assert.deepEqual(await readFile(path), png);
    const again = await writePng(dir, 'proposal-42.png', Buffer.from(png)); // overwrite in place
    assert.equal(again, path);
    assert.deepEqual(await readdir(dir), ['proposal-42.png'], 'no temp files left behind');
    await assert.rejects(writePng(dir, '../escape.png', png));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
