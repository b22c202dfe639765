import crypto from 'node:crypto';
import type { App } from '../app/context.js';
import type { EquityPoint } from '../metrics/types.js';
import { equityChart, overlaysFor } from '../render/chart-files.js';
import { chartWord, proposalLines, renderBarChart, renderCandleChart, writePng, type Bar, type Marker } from '../render/charts/index.js';
import { lastCandles } from '../store/candles.js';
import { tradesForChart } from '../store/reports.js';
import { openTrades } from '../trading/account.js';

/**
 * Chart images for the chat reports. Every file gets a unique name: the outbox sends a message
 * later than it is queued, and two /chart requests must never overwrite each other's picture.
 * A chart that fails to render is logged and the message goes without it.
 */
export const CHART_CANDLES = 120;

function fileName(prefix: string, key: string): string {
  return `${prefix}-${key.replace(/[^\w.-]+/g, '_').slice(0, 40)}-${Date.now().toString(36)}${crypto.randomBytes(3).toString('hex')}.png`;
}

async function attempt(app: App, what: string, fn: () => Promise<string>): Promise<string | undefined> {
  try {
    return await fn();
  } catch (e) {
    app.log.warn({ err: app.scrub(String(e)), what }, 'chart rendering failed; sending without image');
    return undefined;
  }
}


/**
 * Recent candles of a symbol from the SQLite cache with the indicators, the entries and exits of
 * the trades inside the window, and the open position's entry, stop and target lines.
 */
export function marketChart(app: App, symbol: string, title: string): Promise<string | undefined> {
  return attempt(app, 'market', async () => {
    const tf = app.cfg.timeframe;
    const lang = app.cfg.language;
    // Extra candles in front let the indicators settle before the visible window.
    const all = lastCandles(app.db, symbol, tf, CHART_CANDLES + 60);
    const candles = all.slice(-CHART_CANDLES);
    const overlays = overlaysFor(all, symbol, tf, lang).map((o) => ({ ...o, values: o.values.slice(-candles.length) }));
    const from = candles[0]?.ts ?? 0;
    const rows = tradesForChart(app.db, symbol, from);
    const markers: Marker[] = [];
    for (const t of rows) {
      if (t.entry_candle_ts >= from) markers.push({ ts: t.entry_candle_ts, price: t.entry_price, label: chartWord(lang, t.direction === 'LONG' ? 'buy' : 'sell'), kind: t.direction === 'LONG' ? 'buy' : 'sell' });
      if (t.status === 'closed' && t.exit_ts !== null && t.exit_price !== null) markers.push({ ts: t.exit_ts, price: t.exit_price, label: chartWord(lang, 'exit_marker'), kind: 'exit' });
    }
    const pos = openTrades(app.db).find((t) => t.symbol === symbol);
    const png = await renderCandleChart({ title, candles, overlays, markers, lines: pos ? proposalLines(pos.entry_price, pos.stop, pos.target, lang) : [], lang });
    return writePng(app.chartsDir, fileName('chart', symbol), png);
  });
}

export function equityImage(app: App, key: string, title: string, points: EquityPoint[]): Promise<string | undefined> {
  return equityChart(app.chartsDir, app.log, fileName('equity', key).replace(/\.png$/, ''), title, points, app.cfg.language);
}

export function barsImage(app: App, key: string, title: string, bars: Bar[], valueSuffix = ''): Promise<string | undefined> {
  return attempt(app, 'bars', async () => writePng(app.chartsDir, fileName('bars', key), await renderBarChart({ title, bars, valueSuffix, lang: app.cfg.language })));
}
