import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { REPO, tempDataDir } from './support/spawn-bot.js';

const MARKET = path.resolve(REPO, '..', 'shared', 'data', 'market');
const HAVE_DATA = fs.existsSync(path.join(MARKET, 'BTC-USD_1h.csv'));
const SKIP = HAVE_DATA ? false : `real market data not found at ${MARKET}`;

const DATA = ['BTC-USD_1h.csv', 'ETH-USD_1h.csv', 'LTC-USD_1h.csv'].flatMap((f) => ['--data', path.join(MARKET, f)]);
// ~1000 cycles of 12h over 500 days: long enough to be killed in the middle.
const RUN = ['--days', '500', '--cycle-size', '12', '--seed', '7', '--json', ...DATA];
const ENV = { TRADECREW_TRAINING__CHECKPOINT_INTERVAL: '7' };

function cli(dataDir: string, args: string[], extraEnv: Record<string, string> = {}): string {
  return execFileSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'train', ...args], {
    cwd: REPO,
    env: { ...process.env, ...ENV, ...extraEnv, TRADECREW_DATA_DIR: dataDir },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 240_000,
  });
}

const withoutRunId = (json: string) => {
  const r = JSON.parse(json);
  delete r.runId;
  return r;
};

let reference: ReturnType<typeof withoutRunId> | undefined;
function uninterrupted() {
  reference ??= withoutRunId(cli(tempDataDir(), RUN));
  return reference;
}

test('a run killed with SIGKILL mid-way resumes from its checkpoint to the same final JSON', { skip: SKIP }, async () => {
  const dir = tempDataDir();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'train', ...RUN], {
    cwd: REPO,
    env: { ...process.env, ...ENV, TRADECREW_DATA_DIR: dir },
    stdio: 'ignore',
  });
  const exited = new Promise((r) => child.on('exit', r));
  const dbPath = path.join(dir, 'tradecrew.db');
  let done = 0;
  let total = 0;
  const deadline = Date.now() + 120_000;
  // Kill it once it has checkpointed a good part of the way, but well before the end.
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 15));
    if (!fs.existsSync(dbPath)) continue;
    try {
      const db = new Database(dbPath, { readonly: true, fileMustExist: true });
      const row = db.prepare(`SELECT cycles_done, cycles_total, checkpoint_json IS NOT NULL AS cp FROM training_runs`).get() as { cycles_done: number; cycles_total: number; cp: number } | undefined;
      db.close();
      if (row && row.cp && row.cycles_done >= 200) {
        ({ cycles_done: done, cycles_total: total } = row);
        child.kill('SIGKILL');
        break;
      }
    } catch {
      /* the writer holds a lock for a moment: look again */
    }
  }
  await exited;
  assert.ok(done >= 200 && done < total, `killed mid-run (at ${done}/${total})`);
  const resumed = withoutRunId(cli(dir, ['--resume', '--json']));
  assert.deepEqual(resumed, uninterrupted());
  assert.equal(resumed.cycles.length, total);
  const db = new Database(path.join(dir, 'tradecrew.db'), { readonly: true });
  const dupes = db.prepare('SELECT cycle, COUNT(*) AS n FROM training_cycles GROUP BY run_id, cycle HAVING n > 1').all();
  db.close();
  assert.deepEqual(dupes, [], 'no cycle stored twice');
});

test('a training run is one account: positions carry across cycle ends, only the end of the run forces a close', { skip: SKIP }, () => {
  const r = uninterrupted();
  assert.ok(r.final.portfolio.trades > 50, `${r.final.portfolio.trades} trades: enough to see positions cross cycle ends`);
  assert.deepEqual(Object.keys(r.final.agents).sort(), ['BTC/USD', 'ETH/USD', 'LTC/USD']);
  for (const k of ['totalReturn', 'sharpe', 'maxDrawdown', 'winRate', 'trades']) assert.equal(typeof r.final.portfolio[k], 'number', k);
  // The Sharpe comes with its 95% interval and the returns it rests on (hourly, ~500 days).
  const p = r.final.portfolio;
  assert.ok(p.samples > 11_000 && p.samples < 13_000, `${p.samples} returns`);
  assert.ok(p.sharpeCI[0] < p.sharpe && p.sharpe < p.sharpeCI[1] && p.sharpeCI[1] - p.sharpeCI[0] > 0.5, `sharpe ${p.sharpe} in ${p.sharpeCI}`);
  // Every trade is in the JSON, with the backtest's fields.
  assert.equal(r.trades.length, r.final.portfolio.trades);
  for (const k of ['tradeId', 'entryTime', 'exitTime', 'entryPrice', 'exitPrice', 'quantity', 'exitReason', 'pnl']) assert.ok(k in r.trades[0], k);
  // Cycles of 12h: a trade entered in one cycle and closed in a later one proves the account carried it.
  const cycleOf = (iso: string) => r.cycles.findIndex((c: { from: string; to: string }) => iso >= c.from && iso < c.to);
  const spanning = r.trades.filter((t: { entryTime: string; exitTime: string }) => cycleOf(t.entryTime) !== cycleOf(t.exitTime));
  assert.ok(spanning.length > 10, `only ${spanning.length} trades span a cycle end`);
  // Forced closes only at the very end of the run (at most one per agent), not at every cycle end.
  const forced = r.trades.filter((t: { exitReason: string }) => t.exitReason === 'END_OF_DATA');
  assert.ok(forced.length <= 3, `${forced.length} END_OF_DATA closes`);
  const last = r.cycles[r.cycles.length - 1].to;
  for (const t of forced) assert.ok(t.exitTime < last && cycleOf(t.exitTime) === r.cycles.length - 1);
});

test('SIGTERM checkpoints, says where it stopped, and --resume finishes the same run', { skip: SKIP }, async () => {
  const dir = tempDataDir();
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'train', ...RUN], {
    cwd: REPO,
    env: { ...process.env, ...ENV, TRADECREW_DATA_DIR: dir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  child.stdout.resume();
  const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
  const dbPath = path.join(dir, 'tradecrew.db');
  for (let t = 0; t < 2000; t++) {
    await new Promise((r) => setTimeout(r, 15));
    try {
      const db = new Database(dbPath, { readonly: true, fileMustExist: true });
      const row = db.prepare('SELECT cycles_done FROM training_runs').get() as { cycles_done: number } | undefined;
      db.close();
      if (row && row.cycles_done >= 50) break;
    } catch {
      /* not there yet */
    }
  }
  child.kill('SIGTERM');
  assert.equal(await exited, 130);
  const m = /stopped after cycle (\d+); checkpoint saved/.exec(err);
  assert.ok(m, err);
  const resumed = withoutRunId(cli(dir, ['--resume', '--json']));
  assert.deepEqual(resumed, uninterrupted());
});

test('train from the demo market is reproducible by seed on a fresh data folder', () => {
  const a = withoutRunId(cli(tempDataDir(), ['--days', '10', '--seed', '3', '--json']));
  const b = withoutRunId(cli(tempDataDir(), ['--days', '10', '--seed', '3', '--json']));
  assert.deepEqual(a, b);
  assert.equal(a.cycles.length, 10);
  const c = withoutRunId(cli(tempDataDir(), ['--days', '10', '--seed', '4', '--json']));
  assert.notDeepEqual(a, c, 'another seed explores differently');
});

test('bad training input is one clear line and exit 1', () => {
  for (const [args, re] of [
    [['--days', '0'], /--days must be a whole number from 1 to 3650/],
    [['--data', '/nope/BTC-USD_1h.csv'], /cannot read file \(no such file\)/],
    [['--strategy', 'yolo'], /unknown strategy "yolo"/],
    [['--resume'], /no interrupted training run/],
  ] as const) {
    try {
      cli(tempDataDir(), [...args]);
      assert.fail(`should fail: ${args.join(' ')}`);
    } catch (e) {
      const stderr = (e as { stderr: string }).stderr;
      assert.equal((e as { status: number }).status, 1, stderr);
      assert.match(stderr, re);
      assert.equal(stderr.trim().split('\n').length, 1, stderr);
    }
  }
});
