/**
 * Replayable runs: every training run records a manifest (code version, seed, data digests, search
 * size), and `replay <run id>` runs it again and says whether every figure matches, refusing when
 * the data changed and listing the differences when a figure does not match.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import path from 'node:path';
import { loadConfig } from '../src/config/load.js';
import { startConsoleApp } from './support/console-app.js';
import { REPO, tempDataDir } from './support/spawn-bot.js';

function cli(dataDir: string, ...args: string[]) {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: REPO, env: { ...process.env, TRADECREW_DATA_DIR: dataDir }, encoding: 'utf8', timeout: 300_000 });
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
