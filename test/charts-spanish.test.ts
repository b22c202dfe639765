/**
 * Charts in Spanish: every text a chart draws (title, subtitle, axis ticks, legend, price-line
 * names and tags, marker labels, value labels, the "no data" note) comes from the strings, and
 * numbers and dates use the Spanish format. Checked on the Chart.js configuration and on what the
 * drawing plugins say they draw, not on pixels; one render of each kind shows the config draws.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Decision } from '../src/agents/decision.js';
import type { Candle } from '../src/market/types.js';
import type { DetailedTradeMetric } from '../src/metrics/types.js';
import { cycleChartOptions, proposalChartOptions, tradeChartOptions } from '../src/render/chart-files.js';
import {
  barChartConfig,
  candleChartConfig,
  cyclePanels,
  equityChartConfig,
  formatPrice,
  histogramConfig,
  noDataNote,
  renderCandleChart,
  renderCycleChart,
  timeLabels,
  type AnyConfig,
  type TextPlugin,
} from '../src/render/charts/index.js';
import { str } from '../src/render/template.js';
import { ENGLISH_CHART_WORDS, ENGLISH_WORDS } from './support/english-words.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 10, 24, 15, 0);

function candles(n: number): Candle[] {
  return Array.from({ length: n }, (_, i) => {
    const c = 64_000 + 40 * i + 300 * Math.sin(i / 5);
    return { ts: T0 - (n - 1 - i) * HOUR, open: c - 50, high: c + 120, low: c - 140, close: c + 50, volume: 10 };
  });
}

const decision: Decision = {
  action: 'BUY', direction: 'LONG', strategy: 'trend_following', price: 64321.5, candleTs: T0 - 2 * HOUR, confidence: 0.83, confidenceLevel: 'VERY_HIGH',
  confluence: 0.67, stop: 63000.25, target: 66964, riskReward: 2, regime: 'TRENDING_UP', volatility: 0.0123, volumeConfirmed: true, atr: 880.8, reason: 'EMA12 above EMA26',
};
const metric = {
  tradeId: 'T1', agentSymbol: 'BTC/USDT', timeframe: '1h', direction: 'SHORT', exitReason: 'TAKE_PROFIT', pnl: 1234.5678, entryPrice: 66000, exitPrice: 65012.25,
  entryTime: T0 - 30 * HOUR, exitTime: T0 - 4 * HOUR, stop: 66800, target: 65000,
} as DetailedTradeMetric;
const equity = Array.from({ length: 300 }, (_, i) => ({ ts: T0 - (300 - i) * HOUR, equity: 10_000 + 25 * i - (i % 40 < 10 ? 400 : 0) }));
// More bars than fit, so the "best and worst of" subtitle shows.
const bars = Array.from({ length: 40 }, (_, i) => ({ label: `AG${i}/USDT`, value: (i - 18) * 12.345 }));

/** Every text the configuration puts on the image, as a reader of the PNG would see it. */
function textsOf(config: AnyConfig | null): string[] {
  assert.ok(config, 'there is something to draw');
  const o = config.options ?? {};
  const out: string[] = [o.plugins?.title?.text, o.plugins?.subtitle?.display ? o.plugins?.subtitle?.text : ''].filter(Boolean);
  out.push(...((config.data?.labels ?? []) as string[]).filter(Boolean));
  // Legend entries: only the datasets the legend shows.
  if (o.plugins?.legend?.display) {
    const keep = o.plugins.legend.labels?.filter ?? (() => true);
    for (const d of config.data.datasets) if (keep({ text: d.label })) out.push(d.label);
  }
  // Tick labels of every value axis, over a range of values like the chart's own.
  for (const axis of Object.values(o.scales ?? {}) as Array<{ ticks?: { callback?: (v: number) => string } }>) {
    const cb = axis.ticks?.callback;
    if (cb) for (const v of [0.5, 12.25, 1234.5, 64321.5, 12_345.5, 2_500_000]) out.push(cb(v));
  }
  for (const p of (config.plugins ?? []) as TextPlugin[]) out.push(...(p.texts ?? []));
  return out.filter((t) => t !== '');
}

function assertSpanish(what: string, texts: string[]) {
  const all = texts.join(' | ');
  assert.doesNotMatch(all, ENGLISH_WORDS, `${what}: ${all}`);
  assert.doesNotMatch(all, ENGLISH_CHART_WORDS, `${what}: ${all}`);
}

test('a proposal chart in Spanish: title, lines, markers, legend, ticks, dates and numbers', () => {
  const opts = proposalChartOptions('es', { id: 'p123', symbol: 'BTC/USDT', timeframe: '1h', candles: candles(150), decision });
  const texts = textsOf(candleChartConfig(opts));
  assertSpanish('proposal', texts);
  assert.ok(texts.includes('Entrada') && texts.includes('Objetivo') && texts.includes('Stop'), texts.join(' | '));
  assert.ok(texts.includes('COMPRA'), 'the marker');
  assert.ok(texts.includes('64.321,5'), `Spanish price on the entry tag: ${texts.join(' | ')}`);
  assert.match(texts[0], /propuesta en largo p123/);
  assert.match(texts[1], /^Último [\d.]+,\d+ {2}[+-]\d+,\d\d% {2}· {2}\d\d\/\d\d \d\d:\d\d → \d\d\/\d\d \d\d:\d\d UTC/);
  // The English chart of the same proposal, for contrast: the check would catch it.
  assert.match(textsOf(candleChartConfig(proposalChartOptions('en', { id: 'p123', symbol: 'BTC/USDT', timeframe: '1h', candles: candles(150), decision }))).join(' | '), ENGLISH_CHART_WORDS);
});

test('a closed trade chart in Spanish names its side, exit reason and markers in Spanish', () => {
  const texts = textsOf(candleChartConfig(tradeChartOptions('es', metric, candles(250))));
  assertSpanish('trade', texts);
  assert.match(texts[0], /BTC\/USDT 1h · corto T1 · objetivo alcanzado \+1\.234,57/);
  assert.ok(texts.includes('entrada') && texts.includes('salida'));
  assert.match(texts.join(' | '), /últimas 200 de 250 velas/);
});

test('equity, bar, histogram and cycle charts in Spanish', () => {
  const equityTexts = textsOf(equityChartConfig({ title: str('es', 'daily_chart_title', { days: 30 }), points: equity, lang: 'es' }));
  assertSpanish('equity', equityTexts);
  assert.ok(equityTexts.includes('Capital') && equityTexts.includes('Máximo previo'), equityTexts.join(' | '));
  assert.match(equityTexts.join(' | '), /caída máxima \d+,\d\d% \(sombreada\)/);
  assert.match(equityTexts.join(' | '), /\d\d\/\d\d \d\d:\d\d/, 'Spanish dates on the x axis');

  const barTexts = textsOf(barChartConfig({ title: str('es', 'pnl_chart_title', { days: 7 }), bars, lang: 'es' }));
  assertSpanish('bars', barTexts);
  assert.match(barTexts.join(' | '), /los \d+ mejores y los \d+ peores de 40/);
  assert.ok(barTexts.some((t) => /^[+-]\d+,\d+$/.test(t)), `Spanish value labels: ${barTexts.join(' | ')}`);

  const histTexts = textsOf(histogramConfig({ title: 'Calidad', values: [1.5, 2.25, 3, 50, 120], bins: 5, min: 0, max: 100, lang: 'es' }));
  assertSpanish('histogram', histTexts);
  assert.match(histTexts.join(' | '), /media .* mediana .* 1 fuera de/);

  const cycle = cyclePanels(cycleChartOptions('es', { runId: 'r1', cycle: 3, points: equity, bars: bars.slice(0, 5) }));
  const cycleTexts = [...textsOf(equityChartConfig(cycle.equity)), ...textsOf(barChartConfig(cycle.bars))];
  assertSpanish('cycle', cycleTexts);
  assert.match(cycleTexts.join(' | '), /Entrenamiento r1 · ciclo 3 · capital/);
  assert.ok(cycleTexts.includes('PnL por agente'));

  assert.equal(noDataNote('es'), 'Sin datos');
});

test('chart numbers and dates follow the language', () => {
  assert.equal(formatPrice(64321.5, 'es'), '64.321,5');
  assert.equal(formatPrice(64321.5, 'en'), '64,321.5');
  assert.equal(formatPrice(0.000123, 'es'), '0,000123');
  assert.deepEqual(timeLabels([Date.UTC(2024, 1, 28), Date.UTC(2024, 1, 29)], 'es'), ['28/02/2024', '29/02/2024']);
  assert.deepEqual(timeLabels([Date.UTC(2024, 1, 28, 23, 45)], 'es'), ['28/02 23:45']);
});

test('the Spanish charts render (a PNG each)', async () => {
  const png = await renderCandleChart(proposalChartOptions('es', { id: 'p1', symbol: 'BTC/USDT', timeframe: '1h', candles: candles(120), decision }));
  assert.equal(png.subarray(1, 4).toString(), 'PNG');
  const cyclePng = await renderCycleChart(cycleChartOptions('es', { runId: 'r1', cycle: 1, points: equity, bars: bars.slice(0, 4) }));
  assert.equal(cyclePng.subarray(1, 4).toString(), 'PNG');
});
