/**
 * The fast indicator path (src/indicators/fast.ts) against the reference library
 * (technicalindicators) on every real series and a demo series, and one indicator against numbers
 * worked out by hand.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ATR, RSI } from 'technicalindicators';
import { computeFeatures, type Features } from '../src/indicators/features.js';
import * as fast from '../src/indicators/fast.js';
import { readCandlesCsv, symbolFromFileName } from '../src/market/csv.js';
import { generateDemoSeries } from '../src/market/demo.js';
import { seriesFromCandles, type Series } from '../src/market/types.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DATA = path.resolve(REPO, '../shared/data/market');
const FILES = ['BTC-USD_1h.csv', 'ETH-USD_1h.csv', 'LTC-USD_1h.csv', 'SPY_1d.csv', 'MSFT_1d.csv', 'AAPL_1d.csv'];

/**
 * Tolerances. RSI: 0.01, because the library rounds RSI to 2 decimals. Everything else: 1e-9
 * relative to the quantity's own scale (the close for price-like columns, including MACD, which is
 * a difference of prices; 100 for ADX and the DIs), so a MACD histogram crossing zero is not held
 * to a relative error of a value near 0.
 */
const PRICE_COLUMNS = ['emaFast', 'emaSlow', 'sma50', 'macd', 'macdSignal', 'macdHist', 'bbUpper', 'bbMiddle', 'bbLower', 'atr'] as const;
const PERCENT_COLUMNS = ['adx', 'pdi', 'mdi'] as const;

function compare(s: Series): void {
  const a = computeFeatures(s, 'fast');
  const b = computeFeatures(s, 'technicalindicators');
  const check = (col: keyof Features, tol: (i: number) => number) => {
    const x = a[col] as Float64Array;
    const y = b[col] as Float64Array;
    let defined = 0;
    for (let i = 0; i < s.close.length; i++) {
      // Both defined from the same bar, and at every bar after it.
      assert.equal(Number.isNaN(x[i]), Number.isNaN(y[i]), `${s.symbol} ${col}[${i}]: fast ${x[i]} vs library ${y[i]}`);
      if (Number.isNaN(x[i])) continue;
      defined++;
      assert.ok(Math.abs(x[i] - y[i]) <= tol(i), `${s.symbol} ${col}[${i}]: fast ${x[i]} vs library ${y[i]}`);
    }
    assert.ok(defined > s.close.length - 60, `${s.symbol} ${col}: only ${defined} defined values`);
  };
  check('rsi', () => 0.01);
  for (const col of PRICE_COLUMNS) check(col, (i) => 1e-9 * s.close[i]);
  for (const col of PERCENT_COLUMNS) check(col, () => 1e-9 * 100);
}

test('fast indicators equal technicalindicators on every real series', async (t) => {
  if (!fs.existsSync(DATA)) {
    t.skip(`real data not found at ${DATA} (../shared/data/market beside the repo); nothing to compare`);
    return;
  }
  for (const file of FILES) {
    await t.test(file, (tt) => {
      const p = path.join(DATA, file);
      if (!fs.existsSync(p)) return tt.skip(`${p} is missing`);
      let candles;
      try {
        candles = readCandlesCsv(p);
      } catch (e) {
        // Reported by its own failing test in backtest-cli.test.ts ("every real series backtests").
        return tt.skip(`${file} does not load: ${(e as Error).message}`);
      }
      const { symbol, timeframe } = symbolFromFileName(p);
      compare(seriesFromCandles(symbol, timeframe!, candles));
    });
  }
});

test('fast indicators equal technicalindicators on a demo series', () => {
  compare(generateDemoSeries({ seed: 11, symbol: 'ETH/USDT', timeframe: '15m', startTs: Date.UTC(2024, 0, 1) }, 5000));
});

// Six candles [high, low, close] for the hand-worked examples below.
const HLC: Array<[number, number, number]> = [
  [10.5, 9.5, 10],
  [11.2, 10.1, 11],
  [11.0, 10.2, 10.5],
  [11.6, 10.4, 11.5],
  [12.3, 11.4, 12],
  [12.1, 10.8, 11],
];
const high = HLC.map((c) => c[0]);
const low = HLC.map((c) => c[1]);
const close = HLC.map((c) => c[2]);

test('RSI(3) on six closes, worked by hand', () => {
  // Closes 10, 11, 10.5, 11.5, 12, 11 -> changes +1, -0.5, +1, +0.5, -1.
  // Bar 3: first averages over changes 1..3: gain (1 + 0 + 1) / 3 = 2/3, loss (0 + 0.5 + 0) / 3 = 1/6;
  //        RS = (2/3) / (1/6) = 4, RSI = 100 - 100 / (1 + 4) = 80.
  // Bar 4: change +0.5: gain = (2/3 x 2 + 0.5) / 3 = 11/18, loss = (1/6 x 2 + 0) / 3 = 1/9 = 2/18;
  //        RS = 5.5, RSI = 100 - 100 / 6.5 = 84.6153846...
  // Bar 5: change -1: gain = (11/18 x 2) / 3 = 11/27, loss = (2/18 x 2 + 1) / 3 = 11/27;
  //        RS = 1, RSI = 50.
  const r = fast.rsi(close, 3);
  assert.ok(Number.isNaN(r[0]) && Number.isNaN(r[1]) && Number.isNaN(r[2]), 'undefined before 3 changes');
  assert.ok(Math.abs(r[3] - 80) < 1e-12, `bar 3: ${r[3]}`);
  assert.ok(Math.abs(r[4] - (100 - 100 / 6.5)) < 1e-12, `bar 4: ${r[4]}`);
  assert.ok(Math.abs(r[5] - 50) < 1e-12, `bar 5: ${r[5]}`);
  // The library agrees, rounded to 2 decimals.
  assert.deepEqual(RSI.calculate({ values: close, period: 3 }), [80, 84.62, 50]);
});

test('ATR(3) on six candles, worked by hand', () => {
  // True range = max(high - low, |high - previous close|, |low - previous close|):
  //   bar 1: max(1.1, |11.2 - 10| = 1.2, |10.1 - 10| = 0.1) = 1.2
  //   bar 2: max(0.8, |11.0 - 11| = 0,   |10.2 - 11| = 0.8) = 0.8
  //   bar 3: max(1.2, |11.6 - 10.5| = 1.1, |10.4 - 10.5| = 0.1) = 1.2
  //   bar 4: max(0.9, |12.3 - 11.5| = 0.8, |11.4 - 11.5| = 0.1) = 0.9
  //   bar 5: max(1.3, |12.1 - 12| = 0.1, |10.8 - 12| = 1.2) = 1.3
  // ATR[3] = (1.2 + 0.8 + 1.2) / 3 = 3.2/3 = 1.0666...
  // ATR[4] = (3.2/3 x 2 + 0.9) / 3 = (6.4 + 2.7) / 9 = 9.1/9 = 1.0111...
  // ATR[5] = (9.1/9 x 2 + 1.3) / 3 = (18.2 + 11.7) / 27 = 29.9/27 = 1.10740...
  const a = fast.atr(high, low, close, 3);
  assert.ok(Number.isNaN(a[2]));
  const want = [3.2 / 3, 9.1 / 9, 29.9 / 27];
  for (let k = 0; k < 3; k++) assert.ok(Math.abs(a[3 + k] - want[k]) < 1e-12, `bar ${3 + k}: ${a[3 + k]} vs ${want[k]}`);
  const lib = ATR.calculate({ high, low, close, period: 3 });
  assert.equal(lib.length, 3);
  lib.forEach((v, k) => assert.ok(Math.abs(v - want[k]) < 1e-12, `library bar ${3 + k}: ${v}`));
});
