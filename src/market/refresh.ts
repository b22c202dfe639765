import { str } from '../render/template.js';
import type { App } from '../app/context.js';
import { alertMessage } from '../render/views.js';
import { candleCount, lastCandleTs, saveCandles } from '../store/candles.js';
import { getKv, setKv } from '../store/kv.js';
import { findGaps } from './ccxt-source.js';
import { timeframeMs } from './timeframe.js';
import { managedSymbols } from '../trading/whitelist.js';

/**
 * Keeps the SQLite candle cache (the source of truth for scans and training) up to date. On
 * start it backfills what features and training need; afterwards only what is new is fetched.
 */
export async function backfill(app: App): Promise<void> {
  for (const symbol of managedSymbols(app)) await backfillSymbol(app, symbol);
}

/** One symbol's history (on start, and when /whitelist adds it): what its features need. */
export async function backfillSymbol(app: App, symbol: string): Promise<void> {
  const tf = app.cfg.timeframe;
  if (app.demo) {
    const have = candleCount(app.db, symbol, tf);
    if (have < app.demo.closed()) saveCandles(app.db, symbol, tf, await app.demo.fetchCandles(symbol, tf, 0));
    return;
  }
  const fetched = await fetchNew(app, symbol);
  app.log.info({ symbol, fetched }, 'backfill');
}

/**
 * Fetches what is new since the last cached candle (or `backfill_candles` back on a first start),
 * closed candles only (the source drops the one still forming), and upserts it: a candle the
 * exchange sends twice is stored once. Returns how many candles came.
 */
async function fetchNew(app: App, symbol: string): Promise<number> {
  const tf = app.cfg.timeframe;
  const tfMs = timeframeMs(tf);
  const last = lastCandleTs(app.db, symbol, tf);
  const since = last !== null ? last + tfMs : Math.floor(app.now() / tfMs) * tfMs - app.cfg.exchange.backfill_candles * tfMs;
  const candles = await app.source.fetchCandles(symbol, tf, since);
  // The last cached candle joins the check, so a hole between it and the new ones is seen too.
  reportGaps(app, symbol, last !== null ? [{ ts: last }, ...candles] : candles);
  saveCandles(app.db, symbol, tf, candles);
  return candles.length;
}

/** One tick of the market clock: the demo market closes a candle, an exchange is asked for news. */
export async function refreshCandles(app: App): Promise<void> {
  const tf = app.cfg.timeframe;
  if (app.demo) {
    app.demo.advance();
    for (const symbol of managedSymbols(app)) {
      const last = lastCandleTs(app.db, symbol, tf) ?? 0;
      saveCandles(app.db, symbol, tf, await app.demo.fetchCandles(symbol, tf, last + 1));
    }
    setKv(app.db, 'demo.clock', { t0: getKv(app.db, 'demo.clock', { t0: 0 }).t0, closed: app.demo.closed() });
    return;
  }
  for (const symbol of managedSymbols(app)) await fetchNew(app, symbol);
}

/**
 * A gap is logged and reported in chat once (remembered in SQLite, so a restart does not repeat
 * it); it is never filled with made-up prices: indicators see the jump, as they would in a backtest
 * over the same data.
 */
function reportGaps(app: App, symbol: string, candles: Array<{ ts: number }>): void {
  const gaps = findGaps(candles as never, timeframeMs(app.cfg.timeframe));
  for (const g of gaps) {
    const key = `gap.${symbol}.${app.cfg.timeframe}.${g.from}`;
    if (getKv(app.db, key, false)) continue;
    setKv(app.db, key, true);
    app.log.warn({ symbol, from: new Date(g.from).toISOString(), to: new Date(g.to).toISOString(), missing: g.missing }, 'candle gap');
    const L = app.cfg.language;
    const when = g.missing === 1 ? str(L, 'gap_at', { at: app.fmt.dateTime(g.from) }) : str(L, 'gap_span', { from: app.fmt.dateTime(g.from), to: app.fmt.dateTime(g.to) });
    app.push('alert', {
      ...alertMessage(app.fmt, {
        severity: 'WARNING',
        title: str(L, 'gap_title', { symbol }),
        body: str(L, 'gap_body', { timeframe: app.cfg.timeframe, symbol, when, missing: g.missing }),
      }),
      topic: symbol,
    });
  }
}
