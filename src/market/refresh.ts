import type { App } from '../app/context.js';
import { candleCount, lastCandleTs, saveCandles } from '../store/candles.js';
import { getKv, setKv } from '../store/kv.js';
import { findGaps } from './ccxt-source.js';
import { timeframeMs } from './timeframe.js';

/**
 * Keeps the SQLite candle cache (the source of truth for scans and training) up to date. On
 * start it backfills what features and training need; afterwards only what is new is fetched.
 */
export async function backfill(app: App): Promise<void> {
  const tf = app.cfg.timeframe;
  for (const symbol of app.cfg.symbols) {
    if (app.demo) {
      const have = candleCount(app.db, symbol, tf);
      if (have < app.demo.closed()) saveCandles(app.db, symbol, tf, await app.demo.fetchCandles(symbol, tf, 0));
      continue;
    }
    const last = lastCandleTs(app.db, symbol, tf);
    const since = last !== null ? last + timeframeMs(tf) : app.now() - app.cfg.exchange.backfill_candles * timeframeMs(tf);
    const candles = await app.source.fetchCandles(symbol, tf, since);
    saveCandles(app.db, symbol, tf, candles);
    reportGaps(app, symbol, candles);
    app.log.info({ symbol, fetched: candles.length }, 'backfill');
  }
}

/** One tick of the market clock: the demo market closes a candle, an exchange is asked for news. */
export async function refreshCandles(app: App): Promise<void> {
  const tf = app.cfg.timeframe;
  if (app.demo) {
    app.demo.advance();
    for (const symbol of app.cfg.symbols) {
      const last = lastCandleTs(app.db, symbol, tf) ?? 0;
      saveCandles(app.db, symbol, tf, await app.demo.fetchCandles(symbol, tf, last + 1));
    }
    setKv(app.db, 'demo.clock', { t0: getKv(app.db, 'demo.clock', { t0: 0 }).t0, closed: app.demo.closed() });
    return;
  }
  for (const symbol of app.cfg.symbols) {
    const last = lastCandleTs(app.db, symbol, tf);
    const since = last !== null ? last + timeframeMs(tf) : app.now() - app.cfg.exchange.backfill_candles * timeframeMs(tf);
    const candles = await app.source.fetchCandles(symbol, tf, since);
    if (last !== null && candles.length > 0) reportGaps(app, symbol, [{ ts: last, open: 0, high: 0, low: 0, close: 0, volume: 0 }, ...candles]);
    saveCandles(app.db, symbol, tf, candles);
  }
}

/** A gap is logged and reported once; it is never filled with made-up prices. */
function reportGaps(app: App, symbol: string, candles: Array<{ ts: number }>): void {
  const gaps = findGaps(candles as never, timeframeMs(app.cfg.timeframe));
  for (const g of gaps) {
    const key = `gap.${symbol}.${g.from}`;
    if (getKv(app.db, key, false)) continue;
    setKv(app.db, key, true);
    app.log.warn({ symbol, from: new Date(g.from).toISOString(), missing: g.missing }, 'candle gap');
  }
}
