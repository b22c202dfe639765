/**
 * Reading cached candles the fast ways gives what the plain ways give.
 *
 * A refit's candles (its window and the warm-up before it) are read the cheap way (only the rows
 * needed, or from the training segment already in memory), and must be exactly the rows the
 * plain way gives: every cached candle of the refit's span, trimmed by fitColumns. Checked on
 * series with weekends (SPY daily from ../shared/data when present, a synthetic weekday series
 * otherwise) and on an hourly series with holes, including one longer than the warm-up part of a refit's span.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { readCandlesCsv } from '../src/market/csv.js';
import { generateDemoSeries } from '../src/market/demo.js';
import { timeframeMs } from '../src/market/timeframe.js';
import type { Candle } from '../src/market/types.js';
import { candleDigest, loadSeries, loadWindowSeries, saveCandles } from '../src/store/candles.js';
import crypto from 'node:crypto';
import { openDb } from '../src/store/db.js';
import { fitColumns, fitColumnsWithin, fitSpan, fitWindowStart, WARMUP_CANDLES } from '../src/training/fit-task.js';
import { createRng } from '../src/util/rng.js';
import { REPO, tempDataDir } from './support/spawn-bot.js';

const SPY = path.resolve(REPO, '..', 'shared', 'data', 'market', 'SPY_1d.csv');

function candlesOf(n: number, tf: string, keep: (ts: number, i: number) => boolean): Candle[] {
  const s = generateDemoSeries({ seed: 5, symbol: 'X', timeframe: tf, startTs: Date.UTC(2020, 0, 6) }, n);
  const out: Candle[] = [];
  for (let i = 0; i < n; i++) if (keep(s.ts[i], i)) out.push({ ts: s.ts[i], open: s.open[i], high: s.high[i], low: s.low[i], close: s.close[i], volume: s.volume[i] });
  return out;
}

test('a refit reads the same candles from its window query and from a segment in memory as from its whole span', () => {
  const db = openDb(path.join(tempDataDir('tc-fitwin-'), 'tradecrew.db'));
  const rng = createRng(9);
  const weekday = (ts: number) => ![0, 6].includes(new Date(ts).getUTCDay());
  const daily = fs.existsSync(SPY) ? readCandlesCsv(SPY) : candlesOf(3000, '1d', weekday);
  if (!fs.existsSync(SPY)) console.log(`# ${SPY} not found: a synthetic weekday series instead`);
  // Hourly with 3% of candles missing and a hole of 1,400 hours (longer than the warm-up part of a span) at 1/2.
  const hourly = candlesOf(12_000, '1h', (_, i) => !(i > 6000 && i < 7400) && rng() > 0.03);
  const cases: Array<{ sym: string; tf: string; candles: Candle[]; fitCandles: number }> = [
    { sym: 'SPY', tf: '1d', candles: daily, fitCandles: 126 },
    { sym: 'HOLEY/USDT', tf: '1h', candles: hourly, fitCandles: 1000 },
  ];
  let fromSegment = 0;
  let notCovered = 0;
  let checked = 0;
  for (const c of cases) {
    saveCandles(db, c.sym, c.tf, c.candles);
    const tfMs = timeframeMs(c.tf);
    const all = loadSeries(db, c.sym, c.tf, 0, Number.MAX_SAFE_INTEGER);
    // Refit times on candles and between them, from before the history has a warm-up to its end,
    // and (hourly) a sweep of the times whose warm-up falls in the hole.
    const sweep = c.tf === '1h' ? Array.from({ length: 60 }, (_, j) => Date.UTC(2020, 0, 6) + (7400 + c.fitCandles + 20 * j) * tfMs) : [];
    const times = [...Array.from({ length: 120 }, () => all.ts[Math.floor(rng() * all.ts.length)]), ...sweep];
    for (const [k, t] of times.entries()) {
      const task = { asOf: t + (k % 3 === 0 ? Math.floor(tfMs / 2) : 0), timeframe: c.tf };
      const span = fitSpan(task, c.fitCandles);
      const plain = fitColumns(loadSeries(db, c.sym, c.tf, span.from, span.to), task, c.fitCandles);
      const windowed = fitColumns(loadWindowSeries(db, c.sym, c.tf, span.from, fitWindowStart(task, c.fitCandles), span.to, WARMUP_CANDLES), task, c.fitCandles);
      assert.deepEqual(windowed, plain, `${c.sym} asOf ${new Date(task.asOf).toISOString()}: the window query read other candles`);
      // Segments as training loads them (some start too late, some end too early, some reach far back).
      const back = [c.fitCandles + WARMUP_CANDLES, c.fitCandles + WARMUP_CANDLES / 2, 3 * (c.fitCandles + WARMUP_CANDLES)][k % 3];
      const seg = loadSeries(db, c.sym, c.tf, task.asOf - back * tfMs, task.asOf + (k % 5 === 0 ? 0 : 50 * tfMs));
      const within = fitColumnsWithin(seg, task, c.fitCandles);
      if (within) {
        assert.deepEqual(within, plain, `${c.sym} asOf ${new Date(task.asOf).toISOString()}: the segment gave other candles`);
        fromSegment++;
      } else notCovered++;
      checked++;
    }
  }
  db.close();
  // Both ways were really taken.
  assert.ok(fromSegment > 40 && notCovered > 20, `segment used ${fromSegment} times, refused ${notCovered} times of ${checked}`);
});

test("a run's candle digest (hashed a block at a time) is the SHA-256 of every candle's six float64 values in time order", () => {
  const db = openDb(path.join(tempDataDir('tc-digest-'), 'tradecrew.db'));
  // 10,001 candles: two full blocks of 4,096 and a part; a query bound inside the history.
  const candles = candlesOf(10_001, '1m', () => true);
  saveCandles(db, 'BTC/USDT', '1m', candles);
  for (const to of [Number.MAX_SAFE_INTEGER, candles[8192].ts, candles[4095].ts, candles[0].ts]) {
    const h = crypto.createHash('sha256');
    const rows = candles.filter((c) => c.ts < to);
    for (const c of rows) h.update(new Uint8Array(Float64Array.of(c.ts, c.open, c.high, c.low, c.close, c.volume).buffer));
    const d = candleDigest(db, 'BTC/USDT', '1m', to);
    assert.deepEqual(d, { sha256: h.digest('hex'), candles: rows.length, from: rows[0]?.ts ?? null, to: rows.at(-1)?.ts ?? null }, `bound ${to}`);
  }
  db.close();
});
