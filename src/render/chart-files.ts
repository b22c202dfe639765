import type { Decision } from '../agents/decision.js';
import type { Candle } from '../market/types.js';
import { computeFeatures } from '../indicators/features.js';
import { seriesFromCandles } from '../market/types.js';
import type { DetailedTradeMetric, EquityPoint } from '../metrics/types.js';
import type { Logger } from '../util/logger.js';
import { proposalLines, renderCandleChart, renderCycleChart, renderEquityChart, writePng, type Overlay } from './charts/index.js';

/**
 * Chart images for messages, written under <data_dir>/charts. A chart that fails to render never
 * blocks a proposal or a report: the message goes without its image and the failure is logged.
 */
function safeName(s: string): string {
  return s.replace(/[^\w.-]+/g, '_').slice(0, 80);
}

/** EMA 12/26 and the Bollinger band: what the rule strategies look at. */
export function overlaysFor(candles: Candle[], symbol: string, timeframe: string): Overlay[] {
  if (candles.length < 2) return [];
  const f = computeFeatures(seriesFromCandles(symbol, timeframe, candles));
  const arr = (a: Float64Array) => Array.from(a, (v) => (Number.isNaN(v) ? null : v));
  return [
    { label: 'EMA 12', values: arr(f.emaFast), color: '#f5c542' },
    { label: 'EMA 26', values: arr(f.emaSlow), color: '#b388ff' },
    { label: 'BB upper', values: arr(f.bbUpper), color: 'rgba(120,160,255,0.45)' },
    { label: 'BB lower', values: arr(f.bbLower), color: 'rgba(120,160,255,0.45)' },
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

export function proposalChart(dir: string, log: Logger, p: { id: string; symbol: string; timeframe: string; candles: Candle[]; decision: Decision }): Promise<string | undefined> {
  return attempt(log, 'proposal', async () => {
    const d = p.decision;
    const png = await renderCandleChart({
      title: `${p.symbol} ${p.timeframe} · ${d.direction} proposal ${p.id} · ${d.strategy}`,
      candles: p.candles,
      overlays: overlaysFor(p.candles, p.symbol, p.timeframe),
      lines: proposalLines(d.price, d.stop, d.target),
      markers: [{ ts: d.candleTs, price: d.price, label: d.direction === 'LONG' ? 'BUY' : 'SELL', kind: d.direction === 'LONG' ? 'buy' : 'sell' }],
    });
    return writePng(dir, `proposal-${safeName(p.id)}.png`, png);
  });
}

export function tradeChart(dir: string, log: Logger, t: DetailedTradeMetric, candles: Candle[]): Promise<string | undefined> {
  return attempt(log, 'trade', async () => {
    const png = await renderCandleChart({
      title: `${t.agentSymbol} ${t.timeframe} · ${t.direction} ${t.tradeId} · ${t.exitReason} ${t.pnl >= 0 ? '+' : ''}${t.pnl.toFixed(2)}`,
      candles,
      overlays: overlaysFor(candles, t.agentSymbol, t.timeframe),
      lines: proposalLines(t.entryPrice, t.stop, t.target),
      markers: [
        { ts: t.entryTime, price: t.entryPrice, label: 'entry', kind: 'entry' },
        { ts: t.exitTime, price: t.exitPrice, label: 'exit', kind: 'exit' },
      ],
    });
    return writePng(dir, `trade-${safeName(t.tradeId)}.png`, png);
  });
}

export function cycleChart(dir: string, log: Logger, c: { runId: string; cycle: number; points: EquityPoint[]; bars: Array<{ label: string; value: number }> }): Promise<string | undefined> {
  return attempt(log, 'cycle', async () => {
    const png = await renderCycleChart({ title: `Training ${c.runId} · cycle ${c.cycle}`, points: c.points, bars: c.bars });
    return writePng(dir, `cycle-${safeName(c.runId)}-${c.cycle}.png`, png);
  });
}

export function equityChart(dir: string, log: Logger, name: string, title: string, points: EquityPoint[]): Promise<string | undefined> {
  return attempt(log, 'equity', async () => writePng(dir, `${safeName(name)}.png`, await renderEquityChart({ title, points })));
}
