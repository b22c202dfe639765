/**
 * Values that pass a loose check and fail later are refused at start with one line naming the key
 * (config), and import-csv applies the same candle checks as backtest (issue #13, items 9 and 11).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../src/config/load.js';
import { REPO, tempDataDir } from './support/spawn-bot.js';

function refused(env: Record<string, string>): string {
  try {
    loadConfig({ env });
  } catch (e) {
    assert.ok(e instanceof ConfigError, `a ConfigError, not ${String(e)}`);
    return e.message;
  }
  throw new Error(`accepted ${JSON.stringify(env)}`);
}

test('config: zero-length timeframes, bad schedules, hex numbers, repeated symbols and a missing news file are refused at start, naming the key', () => {
  assert.match(refused({ TRADECREW_TIMEFRAME: '0m' }), /^config error: timeframe must be a timeframe like 1m.*got "0m".*TRADECREW_TIMEFRAME/);
  assert.match(refused({ TRADECREW_TRAINING__SCHEDULE: 'nightly' }), /^config error: training\.schedule must be a node-cron expression.*got "nightly"/);
  assert.match(refused({ TRADECREW_SCAN__SCHEDULE: 'every minute' }), /^config error: scan\.schedule must be a node-cron expression/);
  assert.match(refused({ TRADECREW_STARTING_BALANCE: '0x10' }), /^config error: starting_balance must be a number \(got "0x10"/);
  assert.match(refused({ TRADECREW_SYMBOLS: 'BTC/USDT,ETH/USDT,BTC/USDT' }), /^config error: symbols must not name a symbol twice/);
  assert.match(refused({ TRADECREW_CREW__NEWS_FILE: 'no/such/news.csv' }), /^config error: crew\.news_file .*no\/such\/news\.csv does not exist/);
  // What is fine stays fine.
  const ok = loadConfig({ env: { TRADECREW_TIMEFRAME: '15m', TRADECREW_TRAINING__SCHEDULE: '0 3 * * *', TRADECREW_STARTING_BALANCE: '2500.5', TRADECREW_CREW__NEWS_FILE: '' } });
  assert.equal(ok.timeframe, '15m');
  assert.equal(ok.starting_balance, 2500.5);
});

function importCsv(file: string, extra: string[] = []) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'import-csv', '--data', file, ...extra], { cwd: REPO, env: { ...process.env, TRADECREW_DATA_DIR: tempDataDir() }, encoding: 'utf8', timeout: 60_000 });
}

test('import-csv refuses daily candles imported as 1h and candles from the future, and imports nothing', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tc-csv-'));
  const day = 86_400_000;
  const t0 = Date.UTC(2020, 0, 1);
  const rows = (n: number, step: number, start = t0) => Array.from({ length: n }, (_, k) => `${new Date(start + k * step).toISOString()},100,101,99,100.5,10`);
  const daily = path.join(dir, 'XYZ-USD_1d.csv');
  fs.writeFileSync(daily, ['ts,open,high,low,close,volume', ...rows(30, day)].join('\n') + '\n');
  const asHourly = importCsv(daily, ['--timeframe', '1h']);
  assert.equal(asHourly.status, 1, asHourly.stdout);
  assert.match(asHourly.stderr, /candles are 1d apart but the timeframe is 1h \(pass --timeframe 1d\)/);
  assert.equal(importCsv(daily).status, 0, 'the same file as 1d is fine');
  const future = path.join(dir, 'XYZ-USD_1h.csv');
  fs.writeFileSync(future, ['ts,open,high,low,close,volume', ...rows(24, 3_600_000, Date.UTC(2099, 0, 1))].join('\n') + '\n');
  const r = importCsv(future);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /a candle opens at 2099-01-01T23:00:00\.000Z, in the future/);
  assert.doesNotMatch(r.stdout, /imported/);
});

test('the scrubber removes configured secrets and token-shaped strings nobody configured, and leaves ordinary figures alone', async () => {
  const { makeScrubber } = await import('../src/util/redact.js');
  const scrub = makeScrubber(['my-exchange-secret-42']);
  const cases: Array<[string, string]> = [
    ['order failed: signature for my-exchange-secret-42 invalid', 'order failed: signature for *** invalid'],
    ['Incorrect API key provided: sk-proj-abcDEF123456789. See', 'Incorrect API key provided: ***. See'],
    ['GET https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0/getMe failed', 'GET https://api.telegram.org/bot***/getMe failed'],
    ['header Authorization: Bearer abc.DEF-123_xyz', 'header Authorization: ***'],
    ['{"api_key": "k3y-value-here"}', '{"api_key": "***"}'],
    ['BTC/USDT LONG 0.0389 @ 64321.50, ts 1700000000000, run rmx2e92rb5508', 'BTC/USDT LONG 0.0389 @ 64321.50, ts 1700000000000, run rmx2e92rb5508'],
  ];
  for (const [input, want] of cases) assert.equal(scrub(input), want, input);
});
