/**
 * Replayable runs: every training run records a manifest (code version, seed, data digests, search
 * size), and `replay <run id>` runs it again and says whether every figure matches, refusing when
 * the data changed and listing the differences when a figure does not match.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import path from 'node:path';
import { loadConfig } from '../src/config/load.js';
import { generateDemoSeries } from '../src/market/demo.js';
import { startConsoleApp } from './support/console-app.js';
import { REPO, tempDataDir } from './support/spawn-bot.js';

function cli(dataDir: string, ...args: string[]) {
  return cliEnv({ TRADECREW_DATA_DIR: dataDir }, ...args);
}

function cliEnv(env: Record<string, string>, ...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: REPO, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 300_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

test('a run records its manifest, replays to the same figures, and a replay refuses changed data and reports a changed figure', async () => {
  const dir = tempDataDir();
  const t = cli(dir, 'train', '--days', '40', '--seed', '5', '--json');
  assert.equal(t.code, 0, t.err);
  const runId = JSON.parse(t.out).runId as string;
  const db = new Database(path.join(dir, 'tradecrew.db'));
  try {
    const { manifest, params } = JSON.parse((db.prepare('SELECT config_json FROM training_runs WHERE id=?').get(runId) as { config_json: string }).config_json);
    assert.match(manifest.code.version, /^\d+\.\d+\.\d+/);
    assert.equal(manifest.seed, 5);
    for (const s of params.symbols) {
      assert.match(manifest.data[s].sha256, /^[0-9a-f]{64}$/);
      assert.ok(manifest.data[s].candles > 40 * 24, `${s}: ${manifest.data[s].candles} candles`);
    }
    // Walk-forward on by default: 36 configurations a refit, a refit every 30 days of 40 -> 2 per agent.
    assert.deepEqual([manifest.search.configurationsPerRefit, manifest.search.refits], [36, 2 * params.symbols.length]);

    const ok = cli(dir, 'replay', runId);
    assert.equal(ok.code, 0, ok.out + ok.err);
    assert.match(ok.out, new RegExp(`replay of ${runId} as \\S+: every figure matches \\(40 cycles`));

    // A figure of the stored result altered: the replay must notice and say where.
    const row = db.prepare('SELECT result_json FROM training_runs WHERE id=?').get(runId) as { result_json: string };
    const res = JSON.parse(row.result_json);
    res.final.portfolio.totalReturn += 0.01;
    db.prepare('UPDATE training_runs SET result_json=? WHERE id=?').run(JSON.stringify(res), runId);
    const diff = cli(dir, 'replay', runId);
    assert.equal(diff.code, 1);
    assert.match(diff.out, /DIFFERENT[\s\S]*\$\.final\.portfolio\.totalReturn: /);

    // One candle the run read changed: no replay, and the reason names the symbol.
    db.prepare('UPDATE candles SET close = close * 1.001 WHERE symbol=? AND ts = (SELECT MIN(ts) FROM candles WHERE symbol=?)').run(params.symbols[0], params.symbols[0]);
    const changed = cli(dir, 'replay', runId);
    assert.equal(changed.code, 1);
    assert.match(changed.err, new RegExp(`the candles of ${params.symbols[0].replace('/', '\\/')} changed since run ${runId}`));
  } finally {
    db.close();
  }
  // The chat shows the same manifest: /train status <run id>.
  const bot = await startConsoleApp(loadConfig({ env: { TRADECREW_DATA_DIR: dir } }));
  try {
    bot.say(`/train status ${runId}`);
    await bot.waitFor(/Replay it with/);
    assert.match(bot.text(), new RegExp(`Run ${runId} \\(done\\): crew \\(trend_following\\), seed 5, tradecrew \\d+\\.\\d+\\.\\d+`));
    assert.match(bot.text(), /Candles read:[\s\S]*sha256 [0-9a-f]{12}[\s\S]*Search: 36 configurations a refit, \d+ refits[\s\S]*npm run cli -- replay/);
  } finally {
    await bot.stop();
  }
  const none = cli(dir, 'replay', 'r-nope');
  assert.equal(none.code, 1);
  assert.match(none.err, /no training run r-nope/);
  assert.equal(cli(dir, 'replay').code, 2, 'no run id: a usage error');
});

test('a backtest is recorded with its manifest, replays to the same report, and a replay refuses a changed file and reports a changed figure', () => {
  const dir = tempDataDir();
  // A candle file of the seeded demo market (no outside data needed).
  const s = generateDemoSeries({ seed: 9, symbol: 'BTC/USDT', timeframe: '1h', startTs: Date.UTC(2024, 0, 1) }, 3000);
  const csv = path.join(dir, 'BTC-USDT_1h.csv');
  const rows = ['ts,open,high,low,close,volume'];
  for (let i = 0; i < s.ts.length; i++) rows.push(`${new Date(s.ts[i]).toISOString()},${s.open[i]},${s.high[i]},${s.low[i]},${s.close[i]},${s.volume[i]}`);
  fs.writeFileSync(csv, rows.join('\n') + '\n');
  const SECRET = '123456:backtest-secret-token-xyz';
  const b = cliEnv({ TRADECREW_DATA_DIR: dir, TELEGRAM_BOT_TOKEN: SECRET, TELEGRAM_CHAT_ID: '4242' }, 'backtest', '--data', csv, '--strategy', 'trend_following', '--seed', '7', '--json');
  assert.equal(b.code, 0, b.err);
  const { runId: id, ...report } = JSON.parse(b.out);
  assert.match(id, /^b/, 'the JSON carries the run id replay takes');
  assert.equal(b.err, '');

  const db = new Database(path.join(dir, 'tradecrew.db'));
  try {
    const row = db.prepare('SELECT * FROM backtest_runs WHERE id=?').get(id) as Record<string, string>;
    const manifest = JSON.parse(row.manifest_json);
    assert.equal(manifest.kind, 'backtest');
    assert.equal(manifest.seed, 7);
    assert.equal(manifest.strategy, 'trend_following');
    assert.match(manifest.code.version, /^\d+\.\d+\.\d+/);
    assert.deepEqual([manifest.data.data.file, manifest.data.data.candles], [csv, 3000]);
    assert.match(manifest.data.data.sha256, /^[0-9a-f]{64}$/);
    assert.deepEqual(JSON.parse(row.result_json), report, 'the report as printed is the report recorded');
    // The config is recorded as resolved, secrets blanked: the token is nowhere in the database.
    assert.equal(JSON.parse(row.config_json).telegram.bot_token, '');
    for (const f of ['tradecrew.db', 'tradecrew.db-wal']) if (fs.existsSync(path.join(dir, f))) assert.ok(!fs.readFileSync(path.join(dir, f)).includes(SECRET), `no secret in ${f}`);

    const ok = cli(dir, 'replay', id!);
    assert.equal(ok.code, 0, ok.out + ok.err);
    assert.match(ok.out, new RegExp(`replay of backtest ${id}: every figure matches \\(trend_following, ${report.trades.length} trades\\)`));

    // A figure of the stored report altered: the replay notices and says where.
    const tampered = JSON.parse(row.result_json);
    tampered.summary.sharpe += 0.5;
    db.prepare('UPDATE backtest_runs SET result_json=? WHERE id=?').run(JSON.stringify(tampered), id);
    const diff = cli(dir, 'replay', id!);
    assert.equal(diff.code, 1);
    assert.match(diff.out, /DIFFERENT[\s\S]*\$\.summary\.sharpe: /);

    // One close in the file changed: no replay, and the reason names the file.
    const lines = fs.readFileSync(csv, 'utf8').split('\n');
    const cells = lines[500].split(',');
    cells[4] = String(Number(cells[4]) * 1.001);
    lines[500] = cells.join(',');
    fs.writeFileSync(csv, lines.join('\n'));
    const changed = cli(dir, 'replay', id!);
    assert.equal(changed.code, 1);
    assert.match(changed.err, new RegExp(`the candles of ${csv.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} changed since backtest ${id}`));

    fs.rmSync(csv);
    const gone = cli(dir, 'replay', id!);
    assert.equal(gone.code, 1);
    assert.match(gone.err, new RegExp(`backtest ${id} cannot read its candles again`));
    assert.match(cli(dir, 'replay', 'bnosuchrun').err, /no backtest run bnosuchrun/);
  } finally {
    db.close();
  }
});
