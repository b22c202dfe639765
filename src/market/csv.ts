import fs from 'node:fs';
import type { Candle } from './types.js';

/** A problem in a CSV file, with file and line, in one line. */
export class CsvError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CsvError';
  }
}

const HEADER = 'ts,open,high,low,close,volume';

/**
 * Reads candles in the format of ../shared/data/market: header `ts,open,high,low,close,volume`,
 * ts ISO-8601 UTC (or epoch ms), rows ascending and unique. Any deviation is an error naming the
 * file and line: a backtest on silently repaired data would be a lie.
 */
export function readCandlesCsv(file: string): Candle[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CsvError(`${file}: cannot read file (${code === 'ENOENT' ? 'no such file' : (e as Error).message})`);
  }
  const lines = text.split(/\r?\n/);
  const header = (lines[0] ?? '').trim().replace(/^\uFEFF/, '');
  if (header !== HEADER) throw new CsvError(`${file}:1: wrong header "${header.slice(0, 80)}", expected "${HEADER}"`);
  const out: Candle[] = [];
  let prev = -Infinity;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i].trim();
    if (!line) continue;
    const where = `${file}:${i + 1}`;
    const cells = line.split(',');
    if (cells.length !== 6) throw new CsvError(`${where}: expected 6 columns, found ${cells.length}`);
    const ts = /^\d+$/.test(cells[0]) ? Number(cells[0]) : Date.parse(cells[0]);
    if (!Number.isFinite(ts)) throw new CsvError(`${where}: bad timestamp "${cells[0]}"`);
    const nums = cells.slice(1).map(Number);
    const bad = nums.findIndex((v, k) => !Number.isFinite(v) || cells[k + 1].trim() === '');
    if (bad >= 0) throw new CsvError(`${where}: ${HEADER.split(',')[bad + 1]} is not a number ("${cells[bad + 1]}")`);
    const [open, close, volume] = [nums[0], nums[3], nums[4]];
    let [high, low] = [nums[1], nums[2]];
    if (ts === prev) throw new CsvError(`${where}: duplicate timestamp ${cells[0]}`);
    if (ts < prev) throw new CsvError(`${where}: timestamps not ascending (${cells[0]} after ${new Date(prev).toISOString()})`);
    // Real exports carry float noise (MSFT_1d.csv:765 has low 1e-16 above close): tolerate it, clamp.
    const tol = 1e-9 * Math.max(open, close);
    if (high < Math.max(open, close, low) - tol || low > Math.min(open, close) + tol) throw new CsvError(`${where}: high/low do not enclose open/close`);
    high = Math.max(high, open, close);
    low = Math.min(low, open, close);
    if (volume < 0 || open <= 0 || close <= 0 || low <= 0) throw new CsvError(`${where}: prices must be positive and volume non-negative`);
    prev = ts;
    out.push({ ts, open, high, low, close, volume });
  }
  if (out.length === 0) throw new CsvError(`${file}: no candles after the header`);
  return out;
}

/** `BTC-USD_1h.csv` -> { symbol: 'BTC/USD', timeframe: '1h' }; `SPY_1d.csv` -> SPY/USD. */
export function symbolFromFileName(file: string): { symbol: string; timeframe?: string } {
  const base = file.split('/').pop()!.replace(/\.csv$/i, '');
  const [pair, tf] = base.split('_');
  const symbol = pair.includes('-') ? pair.replace('-', '/').toUpperCase() : `${pair.toUpperCase()}/USD`;
  return { symbol, timeframe: tf };
}

/** A span of milliseconds as a timeframe would write it (3600000 -> 1h). */
export function spanText(ms: number): string {
  for (const [unit, size] of [['w', 604_800_000], ['d', 86_400_000], ['h', 3_600_000], ['m', 60_000]] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms} ms`;
}

/**
 * What is wrong with candles read for `timeframe`, or null. The closest two must be one timeframe
 * apart (daily candles read as 1h would make every annualised figure and time stop 24x off; gaps
 * such as weekends are fine), and none may open after `now` (a candle dated 2099 in the cache
 * would make the live agent wait for that date).
 */
export function candlesProblem(candles: ReadonlyArray<{ ts: number }>, timeframe: string, tfMs: number, now: number): string | null {
  let minGap = Infinity;
  for (let i = 1; i < candles.length; i++) minGap = Math.min(minGap, candles[i].ts - candles[i - 1].ts);
  if (Number.isFinite(minGap) && minGap !== tfMs) return `candles are ${spanText(minGap)} apart but the timeframe is ${timeframe} (pass --timeframe ${spanText(minGap)})`;
  const last = candles.length ? candles[candles.length - 1].ts : -Infinity;
  if (last > now) return `a candle opens at ${new Date(last).toISOString()}, in the future: fix the file's dates`;
  return null;
}
