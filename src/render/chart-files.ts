import type { Decision } from '../agents/decision.js';
import type { Candle } from '../market/types.js';
import { computeFeatures } from '../indicators/features.js';
import { seriesFromCandles } from '../market/types.js';
import type { DetailedTradeMetric, EquityPoint } from '../metrics/types.js';
import type { Logger } from '../util/logger.js';
import {
  chartNumber,
  chartWord,
  proposalLines,
  renderCandleChart,
  renderCycleChart,
  renderEquityChart,
  writePng,
  type CandleChartOptions,
  type CycleChartOptions,
  type Overlay,
} from './charts/index.js';

/**
 * Chart images for messages, written under <data_dir>/charts. A chart that fails to render never
 * blocks a proposal or a report: the message goes without its image and the failure is logged.
 */
function safeName(s: string): string {
  return s.replace(/[^\w.-]+/g, '_').slice(0, 80);
}

/** EMA 12/26 and the Bollinger band: what the rule strategies look at (named in `lang`). */
export function overlaysFor(candles: Candle[], symbol: string, timeframe: string, lang: string): Overlay[] {
  if (candles.length < 2) return [];
  const f = computeFeatures(seriesFromCandles(symbol, timeframe, candles));
  const arr = (a: Float64Array) => Array.from(a, (v) => (Number.isNaN(v) ? null : v));
  return [
    { label: chartWord(lang, 'ema', { n: 12 }), values: arr(f.emaFast), color: '#f5c542' },
    { label: chartWord(lang, 'ema', { n: 26 }), values: arr(f.emaSlow), color: '#b388ff' },
    { label: chartWord(lang, 'bb_upper'), values: arr(f.bbUpper), color: 'rgba(120,160,255,0.45)' },
    { label: chartWord(lang, 'bb_lower'), values: arr(f.bbLower), color: 'rgba(120,160,255,0.45)' },
  ];
}

async function attempt(log: Logger, what: string, fn: () => Promise<string>): Promise<string | undefined> {
  try {
    return await fn();
  } catch (e) {
    log.warn({ err: String(e), what }, 'chart rendering failed; sending without image');
    return undefined;
  }
}

const direction = (lang: string, d: string) => chartWord(lang, `dir_${d}`);
const buySell = (lang: string, d: string) => chartWord(lang, d === 'LONG' ? 'buy' : 'sell');

/** What a proposal's chart shows, every word in `lang`. Pure (tests read it without pixels). */
export function proposalChartOptions(lang: string, p: { id: string; symbol: string; timeframe: string; candles: Candle[]; decision: Decision }): CandleChartOptions {
  const d = p.decision;
  return {
    title: chartWord(lang, 'proposal_title', { symbol: p.symbol, timeframe: p.timeframe, direction: direction(lang, d.direction), id: p.id, strategy: d.strategy }),
    candles: p.candles,
    overlays: overlaysFor(p.candles, p.symbol, p.timeframe, lang),
    lines: proposalLines(d.price, d.stop, d.target, lang),
    markers: [{ ts: d.candleTs, price: d.price, label: buySell(lang, d.direction), kind: d.direction === 'LONG' ? 'buy' : 'sell' }],
    lang,
  };
}

/** What a closed trade's chart shows, every word in `lang`. Pure. */
export function tradeChartOptions(lang: string, t: DetailedTradeMetric, candles: Candle[]): CandleChartOptions {
  return {
    title: chartWord(lang, 'trade_title', {
      symbol: t.agentSymbol,
      timeframe: t.timeframe,
      direction: direction(lang, t.direction),
      id: t.tradeId,
      exitReason: chartWord(lang, `exit_${t.exitReason}`),
      pnl: `${t.pnl >= 0 ? '+' : ''}${chartNumber(lang, t.pnl, 2, 2)}`,
    }),
    candles,
    overlays: overlaysFor(candles, t.agentSymbol, t.timeframe, lang),
    lines: proposalLines(t.entryPrice, t.stop, t.target, lang),
    markers: [
      { ts: t.entryTime, price: t.entryPrice, label: chartWord(lang, 'entry_marker'), kind: 'entry' },
      { ts: t.exitTime, price: t.exitPrice, label: chartWord(lang, 'exit_marker'), kind: 'exit' },
    ],
    lang,
  };
}

/** What a training cycle's chart shows, every word in `lang`. Pure. */
export function cycleChartOptions(lang: string, c: { runId: string; cycle: number; points: EquityPoint[]; bars: Array<{ label: string; value: number }> }): CycleChartOptions {
  return { title: chartWord(lang, 'cycle_title', { runId: c.runId, cycle: c.cycle }), points: c.points, bars: c.bars, lang };
}

export function proposalChart(dir: string, log: Logger, p: Parameters<typeof proposalChartOptions>[1], lang: string): Promise<string | undefined> {
  return attempt(log, 'proposal', async () => writePng(dir, `proposal-${safeName(p.id)}.png`, await renderCandleChart(proposalChartOptions(lang, p))));
}

export function tradeChart(dir: string, log: Logger, t: DetailedTradeMetric, candles: Candle[], lang: string): Promise<string | undefined> {
  return attempt(log, 'trade', async () => writePng(dir, `trade-${safeName(t.tradeId)}.png`, await renderCandleChart(tradeChartOptions(lang, t, candles))));
}

export function cycleChart(dir: string, log: Logger, c: Parameters<typeof cycleChartOptions>[1], lang: string): Promise<string | undefined> {
  return attempt(log, 'cycle', async () => writePng(dir, `cycle-${safeName(c.runId)}-${c.cycle}.png`, await renderCycleChart(cycleChartOptions(lang, c))));
}

export function equityChart(dir: string, log: Logger, name: string, title: string, points: EquityPoint[], lang: string): Promise<string | undefined> {
  return attempt(log, 'equity', async () => writePng(dir, `${safeName(name)}.png`, await renderEquityChart({ title, points, lang })));
}
