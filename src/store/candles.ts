import crypto from 'node:crypto';
import { emptySeries, sliceSeries, type Candle, type Series } from '../market/types.js';
import type { DB } from './db.js';

/** Upserts candles (a re-fetched candle replaces the cached one). Returns how many were written. */
export function saveCandles(db: DB, symbol: string, timeframe: string, candles: readonly Candle[]): number {
  const stmt = db.prepare(
    `INSERT INTO candles (symbol, timeframe, ts, open, high, low, close, volume) VALUES (?,?,?,?,?,?,?,?)
     ON CONFLICT(symbol, timeframe, ts) DO UPDATE SET open=excluded.open, high=excluded.high, low=excluded.low, close=excluded.close, volume=excluded.volume`,
  );
  db.transaction(() => {
    for (const c of candles) stmt.run(symbol, timeframe, c.ts, c.open, c.high, c.low, c.close, c.volume);
  })();
  return candles.length;
}

export function loadCandles(db: DB, symbol: string, timeframe: string, from = 0, to = Number.MAX_SAFE_INTEGER): Candle[] {
  return db
    .prepare(`SELECT ts, open, high, low, close, volume FROM candles WHERE symbol=? AND timeframe=? AND ts>=? AND ts<? ORDER BY ts`)
    .all(symbol, timeframe, from, to) as Candle[];
}

/** The last `n` candles, ascending. */
export function lastCandles(db: DB, symbol: string, timeframe: string, n: number): Candle[] {
  const rows = db
    .prepare(`SELECT ts, open, high, low, close, volume FROM candles WHERE symbol=? AND timeframe=? ORDER BY ts DESC LIMIT ?`)
    .all(symbol, timeframe, n) as Candle[];
  return rows.reverse();
}

export function lastCandleTs(db: DB, symbol: string, timeframe: string): number | null {
  const r = db.prepare(`SELECT MAX(ts) AS ts FROM candles WHERE symbol=? AND timeframe=?`).get(symbol, timeframe) as { ts: number | null };
  return r.ts;
}

export function firstCandleTs(db: DB, symbol: string, timeframe: string): number | null {
  const r = db.prepare(`SELECT MIN(ts) AS ts FROM candles WHERE symbol=? AND timeframe=?`).get(symbol, timeframe) as { ts: number | null };
  return r.ts;
}

export function candleCount(db: DB, symbol: string, timeframe: string): number {
  return (db.prepare(`SELECT COUNT(*) AS n FROM candles WHERE symbol=? AND timeframe=?`).get(symbol, timeframe) as { n: number }).n;
}

/**
 * Candles [from, to) straight into columns, without a JS object per candle: training reads
 * millions of 1-minute candles, and objects cost more to build and collect than to read.
 */
export function loadSeries(db: DB, symbol: string, timeframe: string, from: number, to: number): Series {
  const { n } = db.prepare('SELECT COUNT(*) AS n FROM candles WHERE symbol=? AND timeframe=? AND ts>=? AND ts<?').get(symbol, timeframe, from, to) as { n: number };
  const s = emptySeries(symbol, timeframe, n);
  const stmt = db.prepare('SELECT ts, open, high, low, close, volume FROM candles WHERE symbol=? AND timeframe=? AND ts>=? AND ts<? ORDER BY ts').raw(true);
  let k = 0;
  for (const r of stmt.iterate(symbol, timeframe, from, to) as Iterable<number[]>) {
    if (k >= n) break;
    s.ts[k] = r[0];
    s.open[k] = r[1];
    s.high[k] = r[2];
    s.low[k] = r[3];
    s.close[k] = r[4];
    s.volume[k] = r[5];
    k++;
  }
  return k === n ? s : sliceSeries(s, 0, k);
}

/** Open time of the newest cached candle of a timeframe, any symbol (null when none). */
export function newestCandleTs(db: DB, timeframe: string): number | null {
  const r = db.prepare('SELECT MAX(ts) AS ts FROM candles WHERE timeframe=?').get(timeframe) as { ts: number | null };
  return r.ts;
}

/**
 * SHA-256 of every candle of a symbol and timeframe before `to` (open time, OHLCV as float64
 * bytes), with their count and range: what a run read, to tell later whether a replay reads the
 * same. Streams the rows (no array of a year of candles in memory).
 */
export function candleDigest(db: DB, symbol: string, timeframe: string, to: number): { sha256: string; candles: number; from: number | null; to: number | null } {
  const h = crypto.createHash('sha256');
  const buf = new Float64Array(6);
  let n = 0;
  let first: number | null = null;
  let last: number | null = null;
  const stmt = db.prepare('SELECT ts, open, high, low, close, volume FROM candles WHERE symbol=? AND timeframe=? AND ts<? ORDER BY ts').raw(true);
  for (const r of stmt.iterate(symbol, timeframe, to) as Iterable<number[]>) {
    for (let k = 0; k < 6; k++) buf[k] = r[k];
    h.update(new Uint8Array(buf.buffer));
    first ??= r[0];
    last = r[0];
    n++;
  }
  return { sha256: h.digest('hex'), candles: n, from: first, to: last };
}
