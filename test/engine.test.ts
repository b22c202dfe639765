/**
 * The backtest engine's rules, each on a few synthetic candles built here so the rule is visible in
 * the numbers. Unless a test says otherwise: hourly candles flat at 100, ATR forced to 2, stop 1 ATR
 * and target 2 ATR away (a long decided on a close of 100 has stop 98 and target 104), fee 0.1% per
 * side, slippage 0.05% per fill, risk 1% of 10 000 per trade (quantity 100 / 2 = 50), no cooldown,
 * no kill switch.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ENSEMBLE_FIT_SHARE, prepareAgent, RL_EPISODES } from '../src/agents/learn.js';
import { ENSEMBLE_MEMBERS, updatedWeight } from '../src/agents/ensemble.js';
import { rlQLearning } from '../src/agents/rl-qlearning.js';
import { trendFollowing } from '../src/agents/rules.js';
import { cloneAgentState, EXIT, HOLD, newAgentState, OPEN_LONG, OPEN_SHORT, type Signal, type Strategy } from '../src/agents/types.js';
import { computeFeatures, type Features } from '../src/indicators/features.js';
import { generateDemoSeries } from '../src/market/demo.js';
import type { Series } from '../src/market/types.js';
import type { RiskSettings } from '../src/risk/gate.js';
import { runEngine, runPortfolio, type EngineSettings, type RunInput } from '../src/kernel/backtest.js';
import path from 'node:path';
import { STRATEGIES } from '../src/agents/registry.js';
import { loadConfig } from '../src/config/load.js';
import { newPortfolio } from '../src/kernel/portfolio.js';
import { engineSettings } from '../src/kernel/settings.js';
import { sliceSeries } from '../src/market/types.js';
import { REPO } from './support/spawn-bot.js';
import { createRng } from '../src/util/rng.js';
import { seriesMetricsOf, tallyOf } from '../src/metrics/series.js';

const H = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);
const FEE = 0.001;
const SLIP = 0.0005;
const EPS = 1e-9;

function near(actual: number, expected: number, what: string): void {
  assert.ok(Math.abs(actual - expected) <= EPS * Math.max(1, Math.abs(expected)), `${what}: expected ${expected}, got ${actual}`);
}

/** Candles [open, high, low, close]; unspecified bars are flat at 100. */
function series(n: number, bars: Record<number, [number, number, number, number]> = {}): Series {
  const s: Series = {
    symbol: 'TEST/USD',
    timeframe: '1h',
    ts: new Float64Array(n),
    open: new Float64Array(n),
    high: new Float64Array(n),
    low: new Float64Array(n),
    close: new Float64Array(n),
    volume: new Float64Array(n).fill(1),
  };
  for (let i = 0; i < n; i++) {
    const [o, h, l, c] = bars[i] ?? [100, 100, 100, 100];
    s.ts[i] = T0 + i * H;
    s.open[i] = o;
    s.high[i] = h;
    s.low[i] = l;
    s.close[i] = c;
  }
  return s;
}

/** Real features, with ATR forced to a constant so stops and sizes are round numbers. */
function features(s: Series, atr = 2): Features {
  return { ...computeFeatures(s), atr: new Float64Array(s.close.length).fill(atr) };
}

function risk(over: Partial<RiskSettings> = {}): RiskSettings {
  return {
    risk_per_trade: 0.01,
    max_position_pct: 1,
    max_total_exposure: 1,
    max_open_positions: 1,
    daily_trade_limit: 1000,
    cooldown_candles: 0,
    daily_loss_limit: 1,
    max_drawdown: 1,
    min_risk_reward: 0,
    allow_short: true,
    leverage: 1,
    ...over,
  };
}

function settings(over: Partial<RiskSettings> = {}, maxHoldCandles = 1000): EngineSettings {
  return { risk: risk(over), costs: { fee: FEE, slippage: SLIP }, atrStopMult: 1, atrTargetMult: 2, maxHoldCandles, trailingStopAtr: 0 };
}

/** A strategy that says what the script says at each bar, HOLD elsewhere. */
function scripted(script: Record<number, Signal>): Strategy {
  return { name: 'trend_following', signal: (_f, i) => script[i] ?? HOLD };
}

function run(s: Series, strategy: Strategy, over: Partial<RunInput> = {}, atr = 2) {
  return runEngine({
    series: s,
    features: features(s, atr),
    strategy,
    state: newAgentState(s.symbol, strategy.name),
    settings: settings(),
    ctx: { learn: false, rng: createRng(1), allowShort: true },
    startingEquity: 10_000,
    ...over,
  });
}

const barOf = (ts: number) => (ts - T0) / H;

test('a decision on close t fills at open t+1 with slippage against us and fees on both sides (long)', () => {
  // Decide long on the close of bar 2 (100); bar 3 opens at 101; exit decided on bar 4, bar 5 opens at 102.
  const s = series(8, { 3: [101, 101.5, 100.5, 101], 4: [101, 101.8, 100.8, 101.5], 5: [102, 102, 101.5, 102] });
  const r = run(s, scripted({ 2: OPEN_LONG, 4: EXIT }));
  assert.equal(r.trades.length, 1);
  const t = r.trades[0];
  const entry = 101 * (1 + SLIP); // buy fills above the open: 101.0505
  const exit = 102 * (1 - SLIP); // sell fills below the open: 101.949
  const q = (10_000 * 0.01) / 2; // 50: 1% of equity over the stop distance (100 - 98)
  near(t.quantity, q, 'quantity');
  near(t.entryPrice, entry, 'entry price');
  near(t.exitPrice, exit, 'exit price');
  near(t.fee, entry * q * FEE + exit * q * FEE, 'fee (both sides)');
  near(t.pnl, (exit - entry) * q - (entry + exit) * q * FEE, 'pnl net of fees');
  near(t.balanceAfter, 10_000 + t.pnl, 'balance after');
  near(r.finalEquity, 10_000 + t.pnl, 'final equity');
  assert.equal(t.entryTime, s.ts[3]);
  assert.equal(t.exitTime, s.ts[5]);
  assert.equal(t.exitReason, 'SIGNAL');
  assert.equal(t.durationCandles, 2);
  assert.equal(t.direction, 'LONG');
});

test('a short fills below the open on entry and above it on exit', () => {
  const s = series(8, { 3: [99, 99.5, 98.5, 99], 5: [98, 98.5, 97.5, 98] });
  const r = run(s, scripted({ 2: OPEN_SHORT, 4: EXIT }));
  assert.equal(r.trades.length, 1);
  const t = r.trades[0];
  const entry = 99 * (1 - SLIP);
  const exit = 98 * (1 + SLIP);
  near(t.entryPrice, entry, 'entry price');
  near(t.exitPrice, exit, 'exit price');
  near(t.pnl, (entry - exit) * 50 - (entry + exit) * 50 * FEE, 'pnl');
  assert.equal(t.direction, 'SHORT');
});

test('stop and target both inside one candle: the stop wins (long and short)', () => {
  // Long decided at 100, filled at 100 x (1 + SLIP): stop and target keep their distance from the
  // fill (stop 98 + 100 x SLIP, target 104 + 100 x SLIP); bar 4 reaches both 105 and 97.
  const long = run(series(8, { 4: [100, 105, 97, 100] }), scripted({ 2: OPEN_LONG }));
  assert.equal(long.trades[0].exitReason, 'STOP_LOSS');
  near(long.trades[0].stop, 98 + 100 * SLIP, 'long stop anchored to the fill');
  near(long.trades[0].exitPrice, (98 + 100 * SLIP) * (1 - SLIP), 'long stop fill');
  // Short from 100: filled at 100 x (1 - SLIP), stop 102 - 100 x SLIP, target 96 - 100 x SLIP.
  const short = run(series(8, { 4: [100, 103, 95, 100] }), scripted({ 2: OPEN_SHORT }));
  assert.equal(short.trades[0].exitReason, 'STOP_LOSS');
  near(short.trades[0].exitPrice, (102 - 100 * SLIP) * (1 + SLIP), 'short stop fill');
});

test('a gap through the stop fills at the open, not at the stop', () => {
  // Long from 100 (stop 98); bar 4 opens at 95, below the stop.
  const r = run(series(8, { 4: [95, 96, 94, 95.5] }), scripted({ 2: OPEN_LONG }));
  const t = r.trades[0];
  assert.equal(t.exitReason, 'STOP_LOSS');
  near(t.exitPrice, 95 * (1 - SLIP), 'gap fill');
  assert.equal(t.exitTime, T0 + 4 * H);
});

test('take-profit pays no slippage (a resting limit order)', () => {
  // Long from 100 (target 104, anchored to the fill: 104 + 100 x SLIP); bar 4 trades up to 105.
  const r = run(series(8, { 4: [100, 105, 99.5, 104.5] }), scripted({ 2: OPEN_LONG }));
  const t = r.trades[0];
  assert.equal(t.exitReason, 'TAKE_PROFIT');
  near(t.exitPrice, 104 + 100 * SLIP, 'target fill, no slippage');
  // Only the entry's slippage is recorded: (100.05 - 100) x 50 = 2.5.
  near(t.slippage, 100 * SLIP * 50, 'slippage');
});

test('the time stop closes after max_hold_candles with TIMEOUT', () => {
  const s = series(12, { 6: [101, 101, 101, 101] });
  const r = run(s, scripted({ 2: OPEN_LONG }), { settings: settings({}, 3) });
  const t = r.trades[0];
  assert.equal(t.exitReason, 'TIMEOUT');
  // Entered at the open of bar 3, held 3 candles, out at the open of bar 6.
  assert.equal(barOf(t.entryTime), 3);
  assert.equal(barOf(t.exitTime), 6);
  assert.equal(t.durationCandles, 3);
  near(t.exitPrice, 101 * (1 - SLIP), 'exit at the open with slippage');
});

test('whatever is open at the end closes at the last close (END_OF_DATA)', () => {
  const s = series(8, { 7: [100, 101.5, 99.5, 101] });
  const r = run(s, scripted({ 2: OPEN_LONG }));
  assert.equal(r.trades.length, 1);
  const t = r.trades[0];
  assert.equal(t.exitReason, 'END_OF_DATA');
  near(t.exitPrice, 101 * (1 - SLIP), 'last close with slippage');
  assert.equal(t.exitTime, s.ts[7]);
  assert.equal(r.equity[r.equity.length - 1], r.finalEquity);
  near(r.finalEquity, t.balanceAfter, 'final equity = balance after the forced close');
});

test('position size = equity x risk_per_trade / stop distance, capped by max_position_pct', () => {
  const s = series(8);
  // Stop distance 2 -> 10 000 x 1% / 2 = 50 units (5 000 notional, under the cap).
  assert.equal(run(s, scripted({ 2: OPEN_LONG })).trades[0].quantity, 50);
  // ATR 0.1 -> 1 000 units (100 000 notional), capped at 25% of 10 000 = 2 500 -> 25 units.
  const capped = run(s, scripted({ 2: OPEN_LONG }), { settings: settings({ max_position_pct: 0.25 }) }, 0.1);
  near(capped.trades[0].quantity, 25, 'capped quantity');
  const uncapped = run(s, scripted({ 2: OPEN_LONG }), { settings: settings({ max_position_pct: 1 }) }, 0.1);
  near(uncapped.trades[0].quantity, 100, 'capped at 100% of equity');
});

test('allow_short = false: the gate refuses every short, even if the strategy asks', () => {
  const s = series(8);
  const off = run(s, scripted({ 2: OPEN_SHORT }), { settings: settings({ allow_short: false }) });
  assert.equal(off.trades.length, 0);
  assert.ok(Object.keys(off.refusals).some((k) => /short/.test(k)), JSON.stringify(off.refusals));
  assert.equal(run(s, scripted({ 2: OPEN_SHORT })).trades.length, 1, 'the same short with shorts allowed');
});

test('cooldown: no new entry until cooldown_candles have passed since the last exit', () => {
  // Always in the market: open when flat, exit as soon as in a position.
  const churn: Strategy = { name: 'trend_following', signal: (_f, _i, pos) => (pos === 0 ? OPEN_LONG : EXIT) };
  const gaps = (cooldown: number) => {
    const r = run(series(60), churn, { settings: settings({ cooldown_candles: cooldown }) });
    assert.ok(r.trades.length > 3);
    return r.trades.slice(1).map((t, k) => barOf(t.entryTime) - barOf(r.trades[k].exitTime));
  };
  // Exit fills at the open of bar x; decisions at x, x+1, x+2 are refused (0, 1, 2 < 3 candles);
  // the decision at x+3 passes and fills at the open of x+4.
  assert.ok(gaps(3).every((g) => g === 4), `gaps ${gaps(3)}`);
  assert.ok(gaps(0).every((g) => g === 1), `gaps ${gaps(0)}`);
});

test('kill switch: no entry after equity falls max_drawdown below its peak', () => {
  // A market falling 1% a candle; the strategy buys every time it is flat and exits next candle.
  const bars: Record<number, [number, number, number, number]> = {};
  let p = 100;
  for (let i = 0; i < 200; i++) {
    const c = p * 0.99;
    bars[i] = [p, p, c, c];
    p = c;
  }
  const s = series(200, bars);
  const churn: Strategy = { name: 'trend_following', signal: (_f, _i, pos) => (pos === 0 ? OPEN_LONG : EXIT) };
  const r = run(s, churn, { settings: settings({ max_drawdown: 0.05 }) });
  assert.ok(Object.keys(r.refusals).some((k) => k.startsWith('kill switch')), JSON.stringify(r.refusals));
  // The first close where equity is more than 5% under its running peak; nothing enters after it.
  let peak = -Infinity;
  let breach = -1;
  for (let i = 0; i < r.equity.length && breach < 0; i++) {
    peak = Math.max(peak, r.equity[i]);
    if (r.equity[i] < peak * 0.95) breach = i;
  }
  assert.ok(breach > 0, 'the fall must breach 5%');
  const entryBars = r.trades.map((t) => barOf(t.entryTime));
  assert.ok(entryBars.every((b) => b <= breach), `entries ${entryBars.slice(-3)} after the breach at ${breach}`);
  const noSwitch = run(s, churn);
  assert.ok(noSwitch.trades.length > r.trades.length + 10, 'without the switch it keeps trading');
});

test('daily_trade_limit counts an entry filled on the first candle of a UTC day toward that day', () => {
  // Decide long on the 23:00 close of day 1 -> fills 00:00 day 2; then exit / re-enter every other
  // candle: entries at 00:00, 02:00, 04:00, ... With a limit of 2 a day, day 2 may hold 2 entries.
  // (Engine bug at the time of writing: the day's counter is reset AFTER that 00:00 fill, so the
  // fill counts for the day before and day 2 gets 3 entries.)
  const s = series(24 * 4);
  const churn: Strategy = { name: 'trend_following', signal: (_f, i, pos) => (i < 23 ? HOLD : pos === 0 ? OPEN_LONG : EXIT) };
  const r = run(s, churn, { settings: settings({ daily_trade_limit: 2 }) });
  const perDay: Record<string, number> = {};
  for (const t of r.trades) {
    const d = new Date(t.entryTime).toISOString().slice(0, 10);
    perDay[d] = (perDay[d] ?? 0) + 1;
  }
  assert.ok(r.trades.length >= 6, `${r.trades.length} trades`);
  for (const [d, k] of Object.entries(perDay)) assert.ok(k <= 2, `${k} entries on ${d} with daily_trade_limit 2: ${JSON.stringify(perDay)}`);
});

const demo = generateDemoSeries({ seed: 3, symbol: 'BTC/USDT', timeframe: '1h', startTs: T0 }, 3000);
const demoF = computeFeatures(demo);

function rlRun(seed: number, learn: boolean, state = newAgentState(demo.symbol, 'rl_qlearning')) {
  const r = runEngine({
    series: demo,
    features: demoF,
    strategy: rlQLearning,
    state,
    settings: settings({ cooldown_candles: 1 }, 48),
    ctx: { learn, rng: createRng(seed), allowShort: true },
    startingEquity: 10_000,
  });
  return { r, state };
}

test('the same seed gives identical results; another seed explores differently', () => {
  const a = rlRun(7, true);
  const b = rlRun(7, true);
  assert.ok(a.r.trades.length > 10, 'exploration trades');
  assert.deepEqual(b.r.trades, a.r.trades);
  assert.deepEqual(b.state, a.state);
  assert.deepEqual(Array.from(b.r.equity), Array.from(a.r.equity));
  const c = rlRun(8, true);
  assert.notDeepEqual(c.state.q, a.state.q);
});

test('RL: learning (epsilon-greedy) changes the Q-table; evaluating does not', () => {
  const { state } = rlRun(7, true);
  assert.ok(Object.keys(state.q).length > 20, 'states visited while learning');
  assert.ok(Object.values(state.q).some((q) => q.some((v) => v !== 0)), 'non-zero Q-values');
  const before = cloneAgentState(state);
  rlRun(7, false, state);
  assert.deepEqual(state, before);
});

test('prepareAgent: RL learns on the training series, deterministically; rule strategies learn nothing', () => {
  const base = { symbol: demo.symbol, train: { series: demo, features: demoF }, settings: settings({ cooldown_candles: 1 }, 48), seed: 5, startingEquity: 10_000 };
  const a = prepareAgent({ ...base, strategy: 'rl_qlearning' });
  const b = prepareAgent({ ...base, strategy: 'rl_qlearning' });
  assert.ok(Object.keys(a.q).length > 20);
  assert.deepEqual(a, b);
  assert.ok(a.episodes > RL_EPISODES * 10, `trades seen while learning: ${a.episodes}`);
  assert.equal(a.rlPending, null);
  assert.deepEqual(prepareAgent({ ...base, strategy: 'trend_following' }), newAgentState(demo.symbol, 'trend_following'));
  assert.deepEqual(prepareAgent({ ...base, strategy: 'rl_qlearning', train: null }), newAgentState(demo.symbol, 'rl_qlearning'));
});

test('prepareAgent: ensemble trains its RL member and weighs every member on the last 30% of the training data', () => {
  const set = settings({ cooldown_candles: 1 }, 48);
  const st = prepareAgent({ strategy: 'ensemble', symbol: demo.symbol, train: { series: demo, features: demoF }, settings: set, seed: 5, startingEquity: 10_000 });
  assert.ok(Object.keys(st.q).length > 20, 'the RL member learned (shared Q-table)');
  assert.deepEqual(Object.keys(st.weights).sort(), ENSEMBLE_MEMBERS.map((m) => m.name).sort());
  // The trend_following weight, re-derived: evaluate it on bars [70%, 100%) only.
  const cut = Math.floor(demo.close.length * ENSEMBLE_FIT_SHARE);
  const oos = runEngine({
    series: demo,
    features: demoF,
    strategy: trendFollowing,
    state: newAgentState(demo.symbol, 'ensemble'),
    settings: set,
    ctx: { learn: false, rng: createRng(5), allowShort: true },
    startingEquity: 10_000,
    from: cut,
  });
  assert.equal(st.weights.trend_following, updatedWeight(undefined, oos.finalEquity / 10_000 - 1, oos.trades.length));
});


test('several agents on other calendars: an idle agent changes nothing for the one that trades, whichever candles they share', () => {
  const base = engineSettings(loadConfig({ env: { TRADECREW_CONFIG: path.join(REPO, 'config', 'default.yaml') } }));
  const settings: EngineSettings = { ...base, risk: { ...base.risk, allow_short: true } };
  // A trades on weekdays only (a stock), B on every day (crypto), starting 40 days later and
  // ending 30 days earlier, so the merged timeline has times of A alone, B alone and both.
  const all = generateDemoSeries({ seed: 21, symbol: 'AAA', timeframe: '1d', startTs: Date.UTC(2021, 0, 4) }, 1400);
  const keep = Array.from(all.ts.keys()).filter((i) => ![0, 6].includes(new Date(all.ts[i]).getUTCDay()));
  const pick = (c: Float64Array) => Float64Array.from(keep, (i) => c[i]);
  const a: Series = { symbol: 'AAA', timeframe: '1d', ts: pick(all.ts), open: pick(all.open), high: pick(all.high), low: pick(all.low), close: pick(all.close), volume: pick(all.volume) };
  const b = sliceSeries(generateDemoSeries({ seed: 22, symbol: 'BBB/USDT', timeframe: '1d', startTs: Date.UTC(2021, 0, 4) }, 1400), 40, 1370);
  const idle: Strategy = { name: 'trend_following', features: [], signal: () => HOLD };
  const agent = (s: Series, strategy: Strategy, from: number) => ({ symbol: s.symbol, strategy, state: newAgentState(s.symbol, strategy.name), features: computeFeatures(s), ctx: { learn: false, rng: createRng(4), allowShort: true }, series: s, from, to: s.ts.length, idPrefix: `${s.symbol}-t` });
  for (const [name, from] of [['trend_following', 60], ['mean_reversion', 60], ['breakout', 300]] as const) {
    const run = (agents: ReturnType<typeof agent>[]) => runPortfolio({ agents, settings, portfolio: newPortfolio(20_000), agentCash: Object.fromEntries(agents.map((x) => [x.symbol, 10_000])), cycleId: 1, closeAtEnd: true, recordSignals: true });
    const alone = run([agent(a, STRATEGIES[name], from)]);
    const withIdle = run([agent(a, STRATEGIES[name], from), agent(b, idle, 0)]);
    const idleFirst = run([agent(b, idle, 0), agent(a, STRATEGIES[name], from)]);
    assert.ok(alone.trades.length > 10, `${name}: too few trades (${alone.trades.length}) to test anything`);
    for (const [what, r] of [['after', withIdle], ['before', idleFirst]] as const) {
      assert.equal(JSON.stringify(r.trades), JSON.stringify(alone.trades), `${name}, idle agent ${what}: other trades`);
      assert.deepEqual(r.signals.AAA, alone.signals.AAA, `${name}, idle agent ${what}: other signals`);
      // A's attributed equity at each of A's candle times is its equity alone.
      const at = new Map(Array.from(r.ts, (t, n) => [t, r.agentEquity.AAA[n]]));
      alone.ts.forEach((t, n) => assert.ok(Object.is(at.get(t), alone.agentEquity.AAA[n]), `${name}, idle agent ${what}: equity differs at ${new Date(t).toISOString()}`));
      assert.equal(r.ts.length, new Set([...a.ts.subarray(from), ...b.ts]).size, 'the merged timeline is the union of both calendars');
    }
  }
});

test('a ranking run (tallyOnly) fills, marks and refuses exactly like a backtest, and keeps only the tally of its trades', () => {
  const base = engineSettings(loadConfig({ env: { TRADECREW_CONFIG: path.join(REPO, 'config', 'default.yaml') } }));
  // The configured risk rules all in play (kill switch, daily limits, cooldown), shorts allowed.
  const settings: EngineSettings = { ...base, risk: { ...base.risk, allow_short: true } };
  const s = generateDemoSeries({ seed: 5, symbol: 'BTC/USDT', timeframe: '1h', startTs: Date.UTC(2022, 0, 1) }, 6000);
  const f = computeFeatures(s);
  for (const name of ['trend_following', 'mean_reversion', 'breakout'] as const) {
    const go = (tallyOnly: boolean) =>
      runEngine({ series: s, features: f, strategy: STRATEGIES[name], state: newAgentState(s.symbol, name), settings, ctx: { learn: false, rng: createRng(3), allowShort: true }, startingEquity: 10_000, from: 200, priceOnly: true, tallyOnly });
    const full = go(false);
    const ranked = go(true);
    assert.ok(full.trades.length > 30, `${name}: too few trades (${full.trades.length}) to test anything`);
    assert.equal(ranked.trades.length, 0, `${name}: a ranking run keeps no trade records`);
    assert.ok(Buffer.from(ranked.equity.buffer, ranked.equity.byteOffset, ranked.equity.byteLength).equals(Buffer.from(full.equity.buffer, full.equity.byteOffset, full.equity.byteLength)), `${name}: the equity curves differ`);
    assert.ok(Object.is(ranked.finalEquity, full.finalEquity), `${name}: final equity ${ranked.finalEquity} vs ${full.finalEquity}`);
    assert.deepEqual(ranked.refusals, full.refusals, `${name}: other refusals`);
    // The tally is the records' sums, in their order: the summary metrics come out bit-identical.
    assert.deepEqual(ranked.tally, tallyOf(full.trades), `${name}: the tally is not the records' sums`);
    assert.deepEqual(full.tally, ranked.tally, `${name}: a backtest's own tally differs`);
    assert.equal(ranked.tally.wins, full.trades.filter((t) => t.wasSuccessful).length);
    const ts = s.ts.subarray(200);
    assert.deepEqual(seriesMetricsOf(ts, ranked.equity, ranked.tally, s.timeframe), seriesMetricsOf(ts, full.equity, full.trades, s.timeframe), `${name}: the metrics differ`);
  }
});

test('a ranking run refuses a learning agent: it would keep no record for the agent to learn from', () => {
  const s = generateDemoSeries({ seed: 6, symbol: 'BTC/USDT', timeframe: '1h', startTs: T0 }, 400);
  const input = { series: s, features: computeFeatures(s), strategy: rlQLearning, state: newAgentState(s.symbol, 'rl_qlearning'), settings: settings(), ctx: { learn: true, rng: createRng(1), allowShort: true }, startingEquity: 10_000 };
  assert.throws(() => runEngine({ ...input, tallyOnly: true }), /tallyOnly run keeps no trade records/);
  assert.doesNotThrow(() => runEngine(input), 'the same learning run with its records');
});
