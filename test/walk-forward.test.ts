/**
 * Training that teaches and agents that stand aside: walk-forward fitting on past candles only,
 * calibrated confidence, each agent's verdict against its baselines, and the live agent that
 * proposes nothing without an edge. On real data where it exists (../shared/data/market).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { tradedStrategy } from '../src/agents/fitted.js';
import { newAgentState, type AgentEdge } from '../src/agents/types.js';
import { loadConfig } from '../src/config/load.js';
import { calibrated, calibrationReport, MIN_CALIBRATION_TRADES, newCalibration, observe } from '../src/evaluation/calibration.js';
import { computeFeatures } from '../src/indicators/features.js';
import { engineSettings } from '../src/kernel/settings.js';
import { readCandlesCsv } from '../src/market/csv.js';
import { backfill, refreshCandles } from '../src/market/refresh.js';
import { seriesFromCandles } from '../src/market/types.js';
import { periodsPerYear } from '../src/metrics/series.js';
import { candidatesFor, FIT_STRATEGIES, fitAgent, MIN_FIT_CANDLES } from '../src/training/select.js';
import { agentStateFor, scanAll } from '../src/trading/live.js';
import { startConsoleApp } from './support/console-app.js';
import { REPO, tempDataDir } from './support/spawn-bot.js';

const MARKET = path.resolve(REPO, '..', 'shared', 'data', 'market');
const BTC = path.join(MARKET, 'BTC-USD_1h.csv');
const SKIP = fs.existsSync(BTC) ? false : `real market data not found at ${MARKET}`;

test('calibration gives no probability before 20 closed trades, then each score bin’s win rate shrunk to the agent’s', () => {
  const c = newCalibration();
  for (let k = 0; k < MIN_CALIBRATION_TRADES - 1; k++) observe(c, 0.85, k % 4 !== 0);
  assert.equal(calibrated(c, 0.85), null, 'too few trades: no probability');
  observe(c, 0.3, false);
  const high = calibrated(c, 0.85)!;
  const low = calibrated(c, 0.3)!;
  const overall = (c.wins + 1) / (c.n + 2);
  // The high bin won 14 of 19: its probability sits between its own rate and the overall one.
  assert.ok(high > 0 && high < 1 && Math.abs(high - (14 + 10 * overall) / 29) < 1e-12, `high ${high}`);
  // One loss says little: the low bin stays near the overall rate, below it.
  assert.ok(low < overall && low > overall - 0.1, `low ${low}, overall ${overall}`);
});

test('calibration report: perfect forecasts have Brier 0 and skill 1, always forecasting the win rate has skill 0', () => {
  const outcomes = Array.from({ length: 40 }, (_, k) => k % 4 === 0);
  const perfect = calibrationReport(outcomes.map((won) => ({ p: won ? 1 : 0, won })))!;
  assert.equal(perfect.brier, 0);
  assert.equal(perfect.skill, 1);
  const flat = calibrationReport(outcomes.map((won) => ({ p: 0.25, won })))!;
  assert.ok(Math.abs(flat.skill) < 1e-12, `skill ${flat.skill}`);
  assert.deepEqual(flat.rows.map((r) => [r.n, r.observed]), [[40, 0.25]]);
  assert.equal(calibrationReport(outcomes.slice(0, MIN_CALIBRATION_TRADES - 1).map((won) => ({ p: 0.5, won }))), null, 'too few trades: no report');
});

test('a fit reads only its window: rewriting every later candle changes nothing; too short a window stands aside', { skip: SKIP }, () => {
  const candles = readCandlesCsv(BTC);
  const from = 1_000;
  const to = 3_160;
  const cfg = loadConfig({ env: {} });
  const settings = engineSettings(cfg, { simulated: true });
  const fit = (cs: typeof candles, a = from, b = to) => {
    const s = seriesFromCandles('BTC/USD', '1h', cs);
    return fitAgent({ series: s, features: computeFeatures(s), from: a, to: b, settings, candidates: candidatesFor(FIT_STRATEGIES), allowShort: false, periodsPerYear: periodsPerYear('1h'), startingEquity: 10_000 });
  };
  const real = fit(candles);
  assert.equal(real.trials, FIT_STRATEGIES.length * 9);
  assert.ok(real.best && real.best.trades > 0, 'the best candidate traded');
  assert.ok(real.best.deflated >= 0 && real.best.deflated <= 1);
  // The future turned upside down: a crash after the window.
  const rewritten = candles.map((c, i) => (i < to ? c : { ...c, open: c.open * 0.5, high: c.high * 0.5, low: c.low * 0.4, close: c.close * 0.45 }));
  assert.deepEqual(fit(rewritten), real, 'the fit saw candles after its window');
  const short = fit(candles, from, from + MIN_FIT_CANDLES - 1);
  assert.equal(short.choice, null);
  assert.equal(short.reason, 'no_history');
});

test('what an agent trades: the fitted configuration, or standing aside when the fit found nothing or the record shows no edge', () => {
  const st = newAgentState('BTC/USD', 'trend_following');
  const edge = (over: Partial<AgentEdge>): AgentEdge => ({
    edge: false, code: 'verdict_random', params: {}, runId: 'r', from: 0, to: 1, trades: 40, sharpe: 0, ci: null, samples: 100, buyHoldSharpe: 0, randomMedian: 0, percentile: 0.5, totalReturn: 0, periodsTraded: 1, periodsTotal: 2, calibration: null, ...over,
  });
  assert.equal(tradedStrategy(st, 'trend_following', true).aside, null, 'no record: the configured rule');
  st.fit = { choice: { id: 'breakout/s3/t6', strategy: 'breakout', exits: { atrStopMult: 3, atrTargetMult: 6 } }, reason: 'fit', asOf: 0, trials: 36, best: null, buyHoldSharpe: 0 };
  const fitted = tradedStrategy(st, 'trend_following', true);
  assert.equal(fitted.aside, null);
  assert.equal(fitted.strategy.name, 'breakout');
  assert.deepEqual(fitted.strategy.exits, { atrStopMult: 3, atrTargetMult: 6 });
  st.edge = edge({});
  assert.equal(tradedStrategy(st, 'trend_following', true).aside, 'no_edge');
  assert.equal(tradedStrategy(st, 'trend_following', false).aside, null, 'require_edge off: it proposes');
  st.edge = edge({ trades: 12, code: 'verdict_not_enough' });
  assert.equal(tradedStrategy(st, 'trend_following', true).aside, null, 'too few trades is not a no');
  st.fit = { ...st.fit, choice: null, reason: 'luck' };
  assert.equal(tradedStrategy(st, 'trend_following', true).aside, 'fit');
});

interface TrainJ {
  cycles: Array<{ from: string; to: string }>;
  trades: Array<{ entryTime: string; exitTime: string; tradeId: string; pnl: number; strategyName: string }>;
  verdicts: Record<string, AgentEdge>;
  fits: Record<string, Array<{ cycle: number; choice: string | null; reason: string; best: { id: string; deflated: number } | null; buyHoldSharpe: number }>>;
}

function train(csv: string, env: Record<string, string> = {}): TrainJ {
  const out = execFileSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'train', '--data', `BTC/USD=${csv}`, '--days', '240', '--cycle-size', '24', '--seed', '3', '--json'], {
    cwd: REPO,
    env: { ...process.env, TRADECREW_DATA_DIR: tempDataDir(), TRADECREW_TRAINING__REFIT_DAYS: '20', TRADECREW_TRAINING__FIT_CONFIDENCE: '0.3', ...env },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 300_000,
  });
  return JSON.parse(out) as TrainJ;
}

test('walk-forward training: refits on schedule from the past only, enters only in periods it chose to trade, and judges each agent against its baselines', { skip: SKIP }, () => {
  const r = train(BTC);
  const fits = r.fits['BTC/USD'];
  // 240 daily cycles, a refit every 20 days.
  assert.deepEqual(fits.map((f) => f.cycle), Array.from({ length: 12 }, (_, k) => 1 + 20 * k));
  const chosen = fits.filter((f) => f.choice);
  assert.ok(chosen.length >= 1 && chosen.length < fits.length, `a real choice each time: ${chosen.length} of ${fits.length} periods traded`);
  for (const f of fits) if (!f.choice) assert.ok(['luck', 'below_buy_hold', 'few_trades', 'no_history'].includes(f.reason), f.reason);
  // Standing aside means no entry: every trade was entered in a period whose fit chose a configuration.
  const periodOf = (iso: string) => Math.floor(r.cycles.findIndex((c) => iso >= c.from && iso < c.to) / 20);
  assert.ok(r.trades.length > 0, 'it traded somewhere');
  for (const t of r.trades) {
    const p = periodOf(t.entryTime);
    assert.ok(p >= 0 && fits[p].choice, `trade ${t.tradeId} entered at ${t.entryTime}, in period ${p} that stood aside (${fits[p]?.reason})`);
    assert.equal(t.strategyName, fits[p].choice!.split('/')[0], 'traded the fitted strategy');
  }
  // The verdict carries its baselines and uncertainty, and is the live agent's right to propose.
  const v = r.verdicts['BTC/USD'];
  assert.equal(v.trades, r.trades.length);
  for (const k of ['sharpe', 'buyHoldSharpe', 'randomMedian', 'percentile', 'totalReturn'] as const) assert.ok(Number.isFinite(v[k]), k);
  assert.ok(v.samples > 5_000, `${v.samples} hourly returns`);
  assert.equal(v.periodsTraded, chosen.length);
  assert.equal(v.periodsTotal, fits.length);
  assert.equal(v.edge, v.code === 'verdict_edge');

  // The same run on a file whose candles after the 7th refit are rewritten: everything decided
  // before that refit is unchanged (fits, and trades closed before it).
  const candles = readCandlesCsv(BTC);
  const cut = Date.parse(r.cycles[6 * 20].from);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tc-wf-'));
  const file = path.join(tmp, 'BTC-USD_1h.csv');
  fs.writeFileSync(file, 'ts,open,high,low,close,volume\n' + candles.map((c) => {
    const k = c.ts >= cut ? 0.7 : 1;
    return `${new Date(c.ts).toISOString()},${c.open * k},${c.high * k},${c.low * k},${c.close * k},${c.volume}`;
  }).join('\n') + '\n');
  const changed = train(file);
  assert.deepEqual(changed.fits['BTC/USD'].slice(0, 7), fits.slice(0, 7), 'refits before the change saw only the past');
  const before = (x: TrainJ) => x.trades.filter((t) => Date.parse(t.exitTime) < cut).map((t) => [t.tradeId, t.entryTime, t.exitTime, t.pnl]);
  assert.deepEqual(before(changed), before(r), 'trades closed before the change are the same');
  assert.notDeepEqual(changed.fits['BTC/USD'].slice(7), fits.slice(7), 'later refits did see the new candles');
});

test('live: an agent whose training shows no edge proposes nothing and /agents says so; with too few trades to tell it proposes', async () => {
  const cfg = loadConfig({ env: { TRADECREW_DATA_DIR: tempDataDir() } });
  const bot = await startConsoleApp(cfg);
  const app = bot.app;
  try {
    await backfill(app);
    const verdict: AgentEdge = {
      edge: false, code: 'verdict_random', params: { pct: '41%', need: '95%' }, runId: 'rtest', from: 0, to: 1, trades: 57, sharpe: 0.4, ci: [-1.2, 2.1], samples: 4000,
      buyHoldSharpe: 0.9, randomMedian: 0.5, percentile: 0.41, totalReturn: 0.01, periodsTraded: 3, periodsTotal: 8, calibration: null,
    };
    for (const s of cfg.symbols) agentStateFor(app, s).edge = { ...verdict };
    const details: string[] = [];
    for (let k = 0; k < 200; k++) {
      const out = await scanAll(app);
      assert.ok(!out.some((o) => o.action === 'proposal'), `proposed without an edge: ${JSON.stringify(out)}`);
      for (const o of out) if (o.detail) details.push(o.detail);
      if (details.includes('standing aside: no edge in training')) break;
      await refreshCandles(app);
    }
    assert.ok(details.includes('standing aside: no edge in training'), `the rule never wanted in: ${details.slice(-5)}`);
    bot.say('/agents');
    await bot.waitFor(/no edge: standing aside/);
    assert.match(bot.text(), /standing aside[\s\S]*May they propose\?[\s\S]*no edge: standing aside · no edge: random entries with the same exits do as well \(41% of them beaten, 95% needed\)/);
    // Too few trades to tell is not a "no": the same agents propose again.
    for (const s of cfg.symbols) agentStateFor(app, s).edge = { ...verdict, trades: 17, code: 'verdict_not_enough', params: { trades: 17, min: 30 } };
    let proposed = false;
    for (let k = 0; k < 300 && !proposed; k++) {
      proposed = (await scanAll(app)).some((o) => o.action === 'proposal');
      if (!proposed) await refreshCandles(app);
    }
    assert.ok(proposed, 'an agent with a record too short to judge proposes');
  } finally {
    await bot.stop();
  }
});
