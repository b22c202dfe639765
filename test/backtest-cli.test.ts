/**
 * The backtest command-line contract, driven through the real CLI in a child process
 * (`node --import tsx src/cli/main.ts ...`), plus the lookahead check over every strategy and every
 * real series (in-process: 30 child processes would spend most of their time starting up).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { prepareAgent } from '../src/agents/learn.js';
import { STRATEGIES } from '../src/agents/registry.js';
import { EXIT, HOLD, OPEN_LONG, type Strategy } from '../src/agents/types.js';
import { engineSettings } from '../src/kernel/settings.js';
import { formatLookahead, runLookaheadCheck } from '../src/cli/lookahead.js';
import { loadConfig } from '../src/config/load.js';
import { computeFeatures } from '../src/indicators/features.js';
import { readCandlesCsv, symbolFromFileName } from '../src/market/csv.js';
import { seriesFromCandles, sliceSeries, type Series } from '../src/market/types.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DATA = path.resolve(REPO, '../shared/data/market');
const FILES = ['BTC-USD_1h.csv', 'ETH-USD_1h.csv', 'LTC-USD_1h.csv', 'SPY_1d.csv', 'MSFT_1d.csv', 'AAPL_1d.csv'];
const HAVE_DATA = fs.existsSync(DATA);
const NO_DATA = `real data not found at ${DATA} (../shared/data/market beside the repo)`;
const real = (f: string) => path.join(DATA, f);

// The project's defaults only: no TRADECREW_* from the caller's shell, no config/local.yaml.
const ENV: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TRADECREW_')));
ENV.TRADECREW_CONFIG = path.join(REPO, 'config', 'default.yaml');
// Backtests are recorded in the data folder: a temporary one, not the checkout's data/.
ENV.TRADECREW_DATA_DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'tc-backtest-cli-'));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: REPO, env: ENV, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** Up to two child processes at a time (a 2-core machine). */
async function cliAll(runs: string[][]): Promise<Run[]> {
  const out: Run[] = new Array(runs.length);
  let next = 0;
  const worker = async () => {
    while (next < runs.length) {
      const k = next++;
      out[k] = await cli(...runs[k]);
    }
  };
  await Promise.all([worker(), worker()]);
  return out;
}

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const TRADE_FIELDS: Record<string, 'string' | 'number' | 'boolean'> = {
  tradeId: 'string', agentSymbol: 'string', timestamp: 'string', cycleId: 'number', action: 'string', direction: 'string',
  entryPrice: 'number', exitPrice: 'number', quantity: 'number', leverage: 'number', entryTime: 'string', exitTime: 'string',
  durationCandles: 'number', durationHours: 'number', pnl: 'number', pnlPct: 'number', balanceUsed: 'number', balanceAfter: 'number',
  confidence: 'number', confidenceLevel: 'string', setupScore: 'number', calibrated: 'boolean', strategyName: 'string', confluenceScore: 'number', riskReward: 'number',
  marketRegime: 'string', volatilityLevel: 'number', volumeConfirmation: 'boolean', wasSuccessful: 'boolean', followedPlan: 'boolean',
  exitReason: 'string', slippage: 'number', fee: 'number', qualityScore: 'number', stop: 'number', target: 'number', timeframe: 'string',
};
const SUMMARY_NUMBERS = ['candles', 'trades', 'winRate', 'totalReturn', 'sharpe', 'sortino', 'maxDrawdown', 'var95', 'fees', 'samples', 'periodsPerYear', 'cagr', 'exposure', 'expectancy', 'turnover'];

/** Asserts the JSON contract against the CSV it came from. */
function checkContract(out: Run, file: string, symbol: string, timeframe: string): void {
  assert.equal(out.code, 0, out.stderr);
  assert.equal(out.stderr, '');
  const j = JSON.parse(out.stdout);
  assert.deepEqual(Object.keys(j).sort(), ['baselines', 'buyHold', 'runId', 'summary', 'trades']);
  assert.match(j.runId, /^b[0-9a-z]+$/, 'recorded, with the id replay takes');
  const s = j.summary;
  assert.equal(s.symbol, symbol);
  assert.equal(s.timeframe, timeframe);
  assert.equal(s.strategy, 'crew');
  for (const k of SUMMARY_NUMBERS) assert.ok(typeof s[k] === 'number' && Number.isFinite(s[k]), `summary.${k} = ${s[k]}`);
  const candles = readCandlesCsv(file);
  assert.equal(s.candles, candles.length);
  assert.equal(s.from, new Date(candles[0].ts).toISOString());
  assert.equal(s.to, new Date(candles[candles.length - 1].ts).toISOString());
  // Fractions stay fractions.
  assert.ok(s.winRate >= 0 && s.winRate <= 1 && s.maxDrawdown >= 0 && s.maxDrawdown < 1 && s.var95 >= 0 && s.var95 < 1, JSON.stringify(s));
  assert.ok(Math.abs(s.totalReturn) < 5, `totalReturn ${s.totalReturn} looks like a percentage`);
  // Buy-and-hold: first open to last close, no fees.
  assert.ok(Math.abs(j.buyHold.totalReturn - (candles[candles.length - 1].close / candles[0].open - 1)) < 1e-12);
  assert.ok(typeof j.buyHold.sharpe === 'number' && j.buyHold.maxDrawdown > 0 && j.buyHold.maxDrawdown < 1);
  assert.ok(Array.isArray(j.trades) && j.trades.length === s.trades && s.trades > 0, `${s.trades} trades`);
  // Honest figures: the market's calendar, the Sharpe's interval around it, every baseline.
  const exchange = timeframe === '1d' && !symbol.startsWith('BTC');
  assert.equal(s.calendar, exchange ? 'exchange' : 'crypto');
  assert.equal(s.periodsPerYear, exchange ? 252 : 8760);
  assert.equal(s.samples, candles.length - 1);
  assert.ok(Array.isArray(s.sharpeCI) && s.sharpeCI[0] < s.sharpe && s.sharpe < s.sharpeCI[1], `sharpe ${s.sharpe} inside ${s.sharpeCI}`);
  assert.ok(s.exposure > 0 && s.exposure < 1);
  assert.equal(typeof s.edge, 'boolean');
  assert.match(s.edgeReason, /edge|not enough data/);
  assert.deepEqual(j.baselines.buyHold, j.buyHold);
  assert.deepEqual(j.baselines.cash, { totalReturn: 0, sharpe: 0, maxDrawdown: 0 });
  const re = j.baselines.randomEntry;
  assert.equal(re.runs, 100);
  assert.equal(re.entries, s.trades);
  assert.ok(Math.abs(re.tradesMedian - s.trades) <= 0.2 * s.trades, `random entries made ${re.tradesMedian} trades against ${s.trades}`);
  assert.ok(re.percentile >= 0 && re.percentile <= 1 && Number.isFinite(re.sharpeMedian) && Number.isFinite(re.returnMedian));
  let fees = 0;
  let wins = 0;
  for (const t of j.trades) {
    assert.deepEqual(Object.keys(t).sort(), Object.keys(TRADE_FIELDS).sort());
    for (const [k, type] of Object.entries(TRADE_FIELDS)) assert.equal(typeof t[k], type, `trade.${k} = ${t[k]}`);
    for (const k of ['timestamp', 'entryTime', 'exitTime']) assert.match(t[k], ISO, k);
    assert.ok(t.entryTime < t.exitTime || (t.entryTime === t.exitTime && t.exitReason !== 'SIGNAL'));
    assert.ok(t.entryTime >= s.from && t.exitTime <= s.to);
    fees += t.fee;
    if (t.wasSuccessful) wins++;
  }
  assert.ok(Math.abs(s.fees - fees) < 1e-6);
  assert.equal(s.winRate, wins / s.trades);
}

test('backtest --json: the contract on BTC-USD_1h and SPY_1d', { skip: !HAVE_DATA && NO_DATA }, async () => {
  const [btc, spy] = await cliAll([
    ['backtest', '--data', real('BTC-USD_1h.csv'), '--symbol', 'BTC/USD', '--timeframe', '1h', '--json'],
    ['backtest', '--data', real('SPY_1d.csv'), '--json'], // symbol and timeframe from the file name
  ]);
  checkContract(btc, real('BTC-USD_1h.csv'), 'BTC/USD', '1h');
  checkContract(spy, real('SPY_1d.csv'), 'SPY/USD', '1d');
});

test('every real series backtests through the CLI', { skip: !HAVE_DATA && NO_DATA }, async () => {
  const runs = await cliAll(FILES.map((f) => ['backtest', '--data', real(f), '--json']));
  const failed = runs.map((r, k) => (r.code === 0 ? '' : `${FILES[k]}: exit ${r.code}: ${r.stderr.trim()}`)).filter(Boolean);
  assert.deepEqual(failed, []);
});

/** Cuts a real file at a date into train (before) and eval (from) CSVs, keeping the file name. */
function splitCsv(file: string, at: string, dir: string): { train: string; evalFile: string } {
  const [header, ...rows] = fs.readFileSync(real(file), 'utf8').trim().split('\n');
  const train = path.join(dir, 'train', file);
  const evalFile = path.join(dir, 'eval', file);
  fs.mkdirSync(path.dirname(train), { recursive: true });
  fs.mkdirSync(path.dirname(evalFile), { recursive: true });
  fs.writeFileSync(train, [header, ...rows.filter((r) => r < at)].join('\n') + '\n');
  fs.writeFileSync(evalFile, [header, ...rows.filter((r) => r >= at)].join('\n') + '\n');
  return { train, evalFile };
}

test('--train-data: RL and ensemble trade after training on 2017-07..2018-03, evaluated on 2018-04..2018-12; same seed, same bytes', { skip: !HAVE_DATA && NO_DATA }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tradecrew-bt-'));
  try {
    const { train, evalFile } = splitCsv('BTC-USD_1h.csv', '2018-04-01', dir);
    const withTrain = (strategy: string, seed = '42') => ['backtest', '--data', evalFile, '--train-data', train, '--strategy', strategy, '--seed', seed, '--json'];
    const [rl, ens, rlAgain, ensAgain, rlSeed7, untrained, human] = await cliAll([
      withTrain('rl_qlearning'),
      withTrain('ensemble'),
      withTrain('rl_qlearning'),
      withTrain('ensemble'),
      withTrain('rl_qlearning', '7'),
      ['backtest', '--data', evalFile, '--strategy', 'rl_qlearning', '--json'],
      ['backtest', '--data', evalFile, '--strategy', 'rl_qlearning'],
    ]);
    for (const r of [rl, ens]) {
      assert.equal(r.code, 0, r.stderr);
      const j = JSON.parse(r.stdout);
      assert.equal(j.summary.from, '2018-04-01T00:00:00.000Z');
      assert.ok(j.summary.trades > 0, `${j.summary.strategy}: no trades after training`);
      // Nothing of the evaluation data was traded during learning: every trade is in --data.
      assert.ok(j.trades.every((t: { entryTime: string }) => t.entryTime >= '2018-04-01'));
    }
    // Each run has its own recorded id; everything else is byte for byte the same.
    const figures = (r: Run) => r.stdout.replace(/^\{"runId":"b[0-9a-z]+",/, '{');
    assert.notEqual(JSON.parse(rlAgain.stdout).runId, JSON.parse(rl.stdout).runId);
    assert.equal(figures(rlAgain), figures(rl), 'rl_qlearning: same seed, byte-identical JSON');
    assert.equal(figures(ensAgain), figures(ens), 'ensemble: same seed, byte-identical JSON');
    assert.notEqual(figures(rlSeed7), figures(rl), 'the seed drives exploration while learning');
    // Untrained, the RL policy is empty and holds; the human output says so.
    assert.equal(JSON.parse(untrained.stdout).summary.trades, 0);
    assert.equal(human.code, 0);
    assert.match(human.stdout, /untrained \(no --train-data\)/);
    assert.match(human.stdout, /total return/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('bad input exits non-zero with one line naming what and where', { skip: !HAVE_DATA && NO_DATA }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tradecrew-bad-'));
  try {
    const H = 'ts,open,high,low,close,volume';
    const ok = ['2024-01-01T00:00:00Z,1,2,0.5,1.5,10', '2024-01-01T01:00:00Z,1.5,2,1,1.2,10', '2024-01-01T02:00:00Z,1.2,1.4,1,1.3,10'];
    const write = (name: string, lines: string[]) => {
      const p = path.join(dir, name);
      fs.writeFileSync(p, lines.join('\n') + '\n');
      return p;
    };
    const header = write('header_1h.csv', ['time,o,h,l,c,v', ...ok]);
    const unsorted = write('unsorted_1h.csv', [H, ok[0], ok[2], ok[1]]);
    const dup = write('dup_1h.csv', [H, ok[0], ok[1], ok[1]]);
    const nonNum = write('nonnum_1h.csv', [H, ok[0], '2024-01-01T01:00:00Z,1.5,2,1,abc,10', ok[2]]);
    const missing = path.join(dir, 'nope_1h.csv');
    const btc = real('BTC-USD_1h.csv');
    const cases: Array<{ args: string[]; code: number; line: RegExp }> = [
      { args: ['backtest', '--data', missing], code: 1, line: /nope_1h\.csv: cannot read file \(no such file\)/ },
      { args: ['backtest', '--data', header], code: 1, line: /header_1h\.csv:1: wrong header/ },
      { args: ['backtest', '--data', unsorted], code: 1, line: /unsorted_1h\.csv:4: timestamps not ascending/ },
      { args: ['backtest', '--data', dup], code: 1, line: /dup_1h\.csv:4: duplicate timestamp/ },
      { args: ['backtest', '--data', nonNum], code: 1, line: /nonnum_1h\.csv:3: close is not a number/ },
      { args: ['backtest', '--data', btc, '--strategy', 'moonshot'], code: 1, line: /unknown strategy "moonshot"/ },
      { args: ['backtest', '--data', btc, '--timeframe', '7x'], code: 1, line: /bad timeframe "7x"/ },
      { args: ['backtest', '--data', btc, '--timeframe', '1d'], code: 1, line: /BTC-USD_1h\.csv: candles are 1h apart but the timeframe is 1d/ },
      { args: ['backtest', '--data', btc, '--fee', '0.05'], code: 1, line: /--fee must be a fraction with 0 <= fee < 0\.05/ },
      { args: ['backtest', '--data', btc, '--fee=-0.001'], code: 1, line: /--fee must be a fraction/ },
      { args: ['backtest', '--data', btc, '--fee', '-0.001'], code: 2, line: /option --fee needs a value; write a value starting with "-" as --fee=<value>/ },
      { args: ['backtest', '--data', btc, '--fee', 'abc'], code: 1, line: /--fee must be a number/ },
      { args: ['backtest', '--data', btc, '--seed', '1.5'], code: 1, line: /--seed must be a whole number/ },
      { args: ['backtest', '--data', btc, '--symbol', 'BTCUSD'], code: 1, line: /--symbol must look like BASE\/QUOTE/ },
      { args: ['backtest', '--data', btc, '--train-data', header], code: 1, line: /header_1h\.csv:1: wrong header/ },
      { args: ['lookahead-check', '--data', dup], code: 1, line: /dup_1h\.csv:4: duplicate timestamp/ },
      { args: ['backtest', '--data', btc, '--frobnicate'], code: 2, line: /unknown option --frobnicate/ },
      { args: ['backtest', '--data'], code: 2, line: /option --data needs a value/ },
      { args: ['backtest', '--json'], code: 2, line: /--data <csv> is required/ },
      { args: ['backtest', btc], code: 2, line: /unexpected argument/ },
      { args: ['frobnicate'], code: 2, line: /unknown subcommand "frobnicate"/ },
    ];
    const runs = await cliAll(cases.map((c) => c.args));
    cases.forEach((c, k) => {
      const r = runs[k];
      const what = c.args.slice(1).join(' ');
      assert.equal(r.code, c.code, `${what}: exit ${r.code}, stderr ${r.stderr}`);
      assert.equal(r.stdout, '', `${what}: nothing on stdout`);
      const lines = r.stderr.split('\n').filter(Boolean);
      assert.equal(lines.length, 1, `${what}: one line, got ${JSON.stringify(r.stderr)}`);
      assert.match(lines[0], c.line, what);
      assert.doesNotMatch(lines[0], /\bat .*\.ts:\d+/, 'no stack trace');
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('--help and no arguments print the usage of every subcommand', async () => {
  const [none, help, sub] = await cliAll([[], ['--help'], ['backtest', '--help']]);
  for (const r of [none, help]) {
    assert.equal(r.code, 0);
    assert.match(r.stdout, /backtest --data <csv>/);
    assert.match(r.stdout, /lookahead-check --data <csv>/);
  }
  assert.equal(sub.code, 0);
  assert.match(sub.stdout, /--train-data/);
});

test('lookahead-check through the CLI: OK line and JSON, with a trained ensemble', { skip: !HAVE_DATA && NO_DATA }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tradecrew-la-'));
  try {
    const { train, evalFile } = splitCsv('ETH-USD_1h.csv', '2018-04-01', dir);
    const [human, json] = await cliAll([
      ['lookahead-check', '--data', evalFile, '--train-data', train, '--strategy', 'ensemble'],
      ['lookahead-check', '--data', evalFile, '--train-data', train, '--strategy', 'ensemble', '--json'],
    ]);
    assert.equal(human.code, 0, human.stdout + human.stderr);
    assert.match(human.stdout, /^lookahead-check: OK — 23 cuts, \d+ decisions and [1-9]\d* trades compared, no difference\n$/);
    const j = JSON.parse(json.stdout);
    assert.deepEqual(Object.keys(j), ['ok', 'cuts', 'decisionsCompared', 'tradesCompared', 'differences']);
    assert.equal(j.ok, true);
    assert.equal(j.cuts, 23);
    assert.ok(j.decisionsCompared > 20_000 && j.tradesCompared > 0);
    assert.deepEqual(j.differences, []);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

function loadReal(file: string): Series {
  const { symbol, timeframe } = symbolFromFileName(file);
  return seriesFromCandles(symbol, timeframe!, readCandlesCsv(real(file)));
}

const cfg = loadConfig({ env: { TRADECREW_CONFIG: path.join(REPO, 'config', 'default.yaml') } });
const settings = engineSettings(cfg);

test('lookahead check: every built-in strategy on every real series decides from the past only', { skip: !HAVE_DATA && NO_DATA }, async (t) => {
  for (const file of FILES) {
    await t.test(file, (tt) => {
      let s: Series;
      try {
        s = loadReal(file);
      } catch (e) {
        // That failure is the test 'every real series backtests through the CLI'.
        return tt.skip(`${file} does not load: ${(e as Error).message}`);
      }
      // RL and ensemble learn on the first 40% and are checked on the rest, so they actually trade.
      const cut = Math.floor(s.ts.length * 0.4);
      const trainS = sliceSeries(s, 0, cut);
      const evalS = sliceSeries(s, cut, s.ts.length);
      const train = { series: trainS, features: computeFeatures(trainS) };
      let trades = 0;
      for (const strategy of Object.values(STRATEGIES)) {
        const state = prepareAgent({ strategy: strategy.name, symbol: s.symbol, train, settings, seed: 42, startingEquity: 10_000 });
        const r = runLookaheadCheck({ series: evalS, strategy, state, settings, seed: 42, startingEquity: 10_000, cuts: 12, randomCuts: 2 });
        assert.ok(r.ok, `${file} ${strategy.name}: ${formatLookahead(r, 3)}`);
        assert.ok(r.cuts >= 12 && r.decisionsCompared > 5 * evalS.ts.length);
        trades += r.tradesCompared;
      }
      assert.ok(trades > 0, `${file}: no trade was compared at all`);
    });
  }
});

test('lookahead check catches a strategy that peeks at the next close', { skip: !HAVE_DATA && NO_DATA }, () => {
  const s = loadReal('BTC-USD_1h.csv');
  // Buys when the NEXT close will be higher, sells when it will be lower: a perfect, impossible trader.
  const cheat: Strategy = {
    name: 'trend_following',
    signal(f, i, pos) {
      if (pos === 0) return f.close[i + 1] > f.close[i] ? OPEN_LONG : HOLD;
      return f.close[i + 1] < f.close[i] ? EXIT : HOLD;
    },
  };
  const state = prepareAgent({ strategy: 'trend_following', symbol: s.symbol, train: null, settings, seed: 42, startingEquity: 10_000 });
  const r = runLookaheadCheck({ series: s, strategy: cheat, state, settings, seed: 42, startingEquity: 10_000, cuts: 12, randomCuts: 2 });
  assert.equal(r.ok, false);
  assert.ok(r.differences.length > 0 && r.differences.some((d) => d.kind === 'decision'));
  const text = formatLookahead(r);
  assert.match(text, /^lookahead-check: FAILED/);
  assert.match(text, /without the future/);
});
