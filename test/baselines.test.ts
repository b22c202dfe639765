/**
 * The random-entry baseline (src/kernel/baselines.ts): entries at random, exits and sizing the
 * kernel's. Checked: the same seed gives the same numbers; the random agent is calibrated to make
 * about as many entries as the strategy did (real BTC candles); its positions leave only by the
 * kernel's exits; its sizes are the risk gate's; and on a market that only goes up (down) random
 * longs make (lose) money, so the baseline measures the market, not a constant.
 */
import { emptySeries } from '../src/market/types.js';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { STRATEGIES } from '../src/agents/registry.js';
import { EXIT, newAgentState, OPEN_LONG, OPEN_SHORT } from '../src/agents/types.js';
import { loadConfig } from '../src/config/load.js';
import { computeFeatures, type Features } from '../src/indicators/features.js';
import { runEngine } from '../src/kernel/backtest.js';
import { entryRate, median, randomEntryBaseline, randomEntryStrategy, rankOf } from '../src/kernel/baselines.js';
import { engineSettings, type EngineSettings } from '../src/kernel/settings.js';
import { readCandlesCsv } from '../src/market/csv.js';
import { seriesFromCandles, type Series } from '../src/market/types.js';
import { periodsPerYear, returnsOf, sharpe } from '../src/metrics/series.js';
import { createRng, gaussian } from '../src/util/rng.js';
import { REPO } from './support/spawn-bot.js';

const MARKET = path.resolve(REPO, '..', 'shared', 'data', 'market');
const BTC_FILE = path.join(MARKET, 'BTC-USD_1h.csv');
const SKIP_BTC = fs.existsSync(BTC_FILE) ? false : `real market data not found at ${BTC_FILE} (../shared/data/market beside the repo)`;
const PPY = periodsPerYear('1h');
const H = 3_600_000;
const START = 10_000;

/** The project's defaults (config/default.yaml), with risk overrides. */
function defaults(overrides: Record<string, unknown> = {}): EngineSettings {
  const cfg = loadConfig({ env: { TRADECREW_CONFIG: path.join(REPO, 'config', 'default.yaml') } });
  return engineSettings(cfg, { overrides });
}

let btcCache: { s: Series; f: Features } | null = null;
function btc(): { s: Series; f: Features } {
  if (!btcCache) {
    const s = seriesFromCandles('BTC/USD', '1h', readCandlesCsv(BTC_FILE));
    btcCache = { s, f: computeFeatures(s, 'fast') };
  }
  return btcCache;
}

/**
 * Hourly candles drifting `drift` per candle (log) with noise, seeded: open = previous close, high
 * and low a little outside the body.
 */
function trending(n: number, drift: number, seed: number, vol = 0.004): Series {
  const rng = createRng(seed);
  const s: Series = emptySeries('SYN/USD', '1h', n);
  let prev = 100;
  for (let i = 0; i < n; i++) {
    const close = prev * Math.exp(drift + vol * gaussian(rng));
    s.ts[i] = Date.UTC(2024, 0, 1) + i * H;
    s.open[i] = prev;
    s.close[i] = close;
    s.high[i] = Math.max(prev, close) * (1 + 0.002 * rng());
    s.low[i] = Math.min(prev, close) * (1 - 0.002 * rng());
    s.volume[i] = 100 + 50 * rng();
    prev = close;
  }
  return s;
}

function runRandom(s: Series, f: Features, settings: EngineSettings, p: number, allowShort: boolean, seed: number, from = 0, to = s.close.length) {
  const strategy = randomEntryStrategy(p, allowShort);
  return runEngine({
    series: s,
    features: f,
    strategy,
    state: newAgentState(s.symbol, strategy.name),
    settings,
    ctx: { learn: false, rng: createRng(seed), allowShort },
    startingEquity: START,
    from,
    to,
    recordSignals: true,
  });
}

test('helpers: entryRate, median, rankOf', () => {
  assert.equal(entryRate(10, 200), 0.05);
  assert.equal(entryRate(0, 0), 0);
  assert.equal(entryRate(5, 0), 0);
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
  assert.equal(rankOf([1, 2, 3, 4], 5), 1);
  assert.equal(rankOf([1, 2, 3, 4], 0), 0);
  assert.equal(rankOf([1, 2, 3, 4], 2), 0.375); // one below, one tie (half)
  assert.throws(() => randomEntryStrategy(1.5, false), /p must be in \[0, 1\]/);
});

test('the same seed gives the same numbers; another seed gives other numbers', () => {
  const s = trending(3000, 0, 11, 0.006);
  const f = computeFeatures(s, 'fast');
  const settings = defaults();
  const x = { series: s, features: f, settings, startingEquity: START, entries: 40, runs: 20, periodsPerYear: PPY };
  const a = randomEntryBaseline({ ...x, seed: 5 });
  const b = randomEntryBaseline({ ...x, seed: 5 });
  const c = randomEntryBaseline({ ...x, seed: 6 });
  assert.deepEqual(a, b);
  assert.equal(a.runs, 20);
  assert.equal(a.sharpes.length, 20);
  assert.equal(a.returns.length, 20);
  assert.notDeepEqual(a.sharpes, c.sharpes);
  // The medians are the medians of the per-run lists, and the runs differ from each other.
  assert.equal(a.sharpeMedian, median(a.sharpes));
  assert.equal(a.returnMedian, median(a.returns));
  assert.ok(new Set(a.returns).size > 10, 'seeded runs should differ');
  // Run k is createRng(seed + k) through runEngine, its Sharpe the backtest summary's.
  const r3 = runRandom(s, f, settings, a.entryRate, settings.risk.allow_short, 5 + 3);
  assert.equal(a.sharpes[3], sharpe(returnsOf(r3.equity), PPY));
  assert.equal(a.returns[3], r3.equity[r3.equity.length - 1] / r3.equity[0] - 1);
  // No entries to match: the random agent stays flat.
  const none = randomEntryBaseline({ ...x, entries: 0, seed: 5 });
  assert.equal(none.entryRate, 0);
  assert.equal(none.tradesMedian, 0);
  assert.deepEqual(new Set(none.returns), new Set([0]));
});

test('calibration: the random agent makes about as many entries as the strategy (BTC 1h, 100 runs)', { skip: SKIP_BTC }, (t) => {
  const { s, f } = btc();
  const settings = defaults();
  for (const name of ['trend_following', 'mean_reversion', 'breakout'] as const) {
    const strategy = STRATEGIES[name];
    const r = runEngine({
      series: s,
      features: f,
      strategy,
      state: newAgentState(s.symbol, name),
      settings,
      ctx: { learn: false, rng: createRng(42), allowShort: settings.risk.allow_short },
      startingEquity: START,
    });
    const entries = r.trades.length;
    assert.ok(entries >= 30, `${name}: expected a strategy that trades (got ${entries} trades)`);
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const b = randomEntryBaseline({ series: s, features: f, settings, startingEquity: START, entries, seed: 1, periodsPerYear: PPY });
    const cpu = process.cpuUsage(cpu0);
    const ms = performance.now() - t0;
    const own = sharpe(returnsOf(r.equity), PPY);
    t.diagnostic(
      `${name}: ${entries} entries; random p=${b.entryRate.toFixed(4)} -> median ${b.tradesMedian} trades; ` +
        `sharpe ${own.toFixed(2)} vs random median ${b.sharpeMedian.toFixed(2)} (above ${(100 * rankOf(b.sharpes, own)).toFixed(0)}% of runs); ` +
        `return median ${(100 * b.returnMedian).toFixed(1)}%; ${s.close.length} bars x ${b.runs} runs in ${ms.toFixed(0)} ms (cpu ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms)`,
    );
    assert.equal(b.runs, 100);
    assert.ok(Math.abs(b.tradesMedian - entries) <= 0.15 * entries, `${name}: random median ${b.tradesMedian} trades vs ${entries} entries (more than 15% apart)`);
    // Bars in a position cannot start an entry: the calibrated p is above the naive entries / bars.
    assert.ok(b.entryRate > entries / s.close.length, `${name}: p ${b.entryRate} should exceed ${entries / s.close.length}`);
  }
});

test('random entries leave only by the kernel exits, never by a signal', { skip: SKIP_BTC }, () => {
  const { s, f } = btc();
  // A tight kill switch and a short time stop, so every exit kind happens in the window.
  const settings = { ...defaults({ allow_short: true, max_drawdown: 0.08, trailing_stop_atr: 2 }), maxHoldCandles: 12 };
  const reasons = new Map<string, number>();
  let longs = 0;
  let shorts = 0;
  for (let seed = 0; seed < 5; seed++) {
    const r = runRandom(s, f, settings, 0.05, true, seed, 0, 6000);
    assert.ok(r.trades.length > 20);
    for (const t of r.trades) {
      reasons.set(t.exitReason, (reasons.get(t.exitReason) ?? 0) + 1);
      if (t.direction === 'LONG') longs++;
      else shorts++;
    }
    assert.ok(!r.signals!.includes(EXIT), 'the random agent never says EXIT');
  }
  const allowed = new Set(['STOP_LOSS', 'TAKE_PROFIT', 'TIMEOUT', 'KILL_SWITCH', 'END_OF_DATA']);
  for (const reason of reasons.keys()) assert.ok(allowed.has(reason), `exit by ${reason}`);
  assert.equal(reasons.get('SIGNAL'), undefined);
  for (const reason of ['STOP_LOSS', 'TAKE_PROFIT', 'TIMEOUT', 'KILL_SWITCH']) assert.ok((reasons.get(reason) ?? 0) > 0, `no ${reason} exit in ${JSON.stringify([...reasons])}`);
  // allowShort: about half the entries are short.
  assert.ok(shorts > 0.35 * (longs + shorts) && longs > 0.35 * (longs + shorts), `${longs} longs, ${shorts} shorts`);

  // Without allowShort, only longs.
  const r = runRandom(s, f, defaults(), 0.05, false, 1, 0, 3000);
  assert.ok(r.trades.length > 0);
  assert.ok(r.trades.every((t) => t.direction === 'LONG'));
  assert.ok(!r.signals!.includes(OPEN_SHORT));
  assert.ok(r.signals!.includes(OPEN_LONG));
});

test("random entries are sized by the risk gate: within max_position_pct of equity, else risk_per_trade over the stop", { skip: SKIP_BTC }, () => {
  const { s, f } = btc();
  const from = 2000;
  const to = 6000;
  // Default caps (the position cap binds on hourly BTC), then a loose cap (risk per trade binds).
  for (const [over, binds] of [[{}, 'cap'], [{ max_position_pct: 10, max_total_exposure: 10 }, 'risk']] as const) {
    const settings = defaults({ ...over, allow_short: true });
    const risk = settings.risk;
    const r = runRandom(s, f, settings, 0.03, true, 7, from, to);
    assert.ok(r.trades.length > 20);
    let atCap = 0;
    for (const t of r.trades) {
      const d = Math.round((t.entryTime - s.ts[0]) / H) - 1; // the decision candle: the fill is at the next open
      assert.equal(s.ts[d + 1], t.entryTime);
      const eq = r.equity[d - from]; // equity at the decision close, as the gate saw it
      const price = s.close[d];
      const dir = t.direction === 'LONG' ? 1 : -1;
      const atr = Number.isNaN(f.atr[d]) ? price * 0.01 : f.atr[d];
      const stopDist = Math.abs(price - (price - dir * settings.atrStopMult * atr));
      const cap = Math.min(eq * risk.max_position_pct * risk.leverage, eq * risk.max_total_exposure * risk.leverage);
      const expected = Math.min((eq * risk.risk_per_trade) / stopDist, cap / price);
      assert.ok(Math.abs(t.quantity - expected) <= 1e-9 * expected, `${t.tradeId}: quantity ${t.quantity}, gate ${expected}`);
      assert.ok(t.quantity * price <= risk.max_position_pct * risk.leverage * eq * (1 + 1e-12), `${t.tradeId}: notional over max_position_pct`);
      if (Math.abs(t.quantity * price - cap) <= 1e-9 * cap) atCap++;
    }
    if (binds === 'cap') assert.ok(atCap > 0.5 * r.trades.length, `cap binds on ${atCap}/${r.trades.length}`);
    else assert.equal(atCap, 0);
  }
});

test('random longs make money in a market that rises steadily and lose in one that falls', (t) => {
  const settings = defaults();
  assert.equal(settings.risk.allow_short, false);
  const x = { settings, startingEquity: START, entries: 40, runs: 40, seed: 3, periodsPerYear: PPY };
  const upS = trending(3000, 0.001, 21);
  const downS = trending(3000, -0.001, 21);
  const up = randomEntryBaseline({ ...x, series: upS, features: computeFeatures(upS, 'fast') });
  const down = randomEntryBaseline({ ...x, series: downS, features: computeFeatures(downS, 'fast') });
  assert.ok(up.returnMedian > 0, `up: median return ${up.returnMedian}`);
  assert.ok(up.sharpeMedian > 0, `up: median sharpe ${up.sharpeMedian}`);
  assert.ok(down.returnMedian < 0, `down: median return ${down.returnMedian}`);
  assert.ok(down.sharpeMedian < 0, `down: median sharpe ${down.sharpeMedian}`);
  t.diagnostic(`up: median return ${(100 * up.returnMedian).toFixed(1)}%, sharpe ${up.sharpeMedian.toFixed(2)}, ${up.tradesMedian} trades; down: ${(100 * down.returnMedian).toFixed(1)}%, sharpe ${down.sharpeMedian.toFixed(2)}, ${down.tradesMedian} trades`);
  // And both traded about as often as asked.
  for (const b of [up, down]) assert.ok(Math.abs(b.tradesMedian - 40) <= 0.15 * 40, `trades ${b.tradesMedian}`);
});
