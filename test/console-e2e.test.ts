import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { REPO, spawnBot, tempDataDir } from './support/spawn-bot.js';

// The demo clock is sped up (one candle a second) and positions are closed by a short time stop,
// so the whole loop fits in seconds; everything else is the embedded default.
const FAST = {
  TRADECREW_DEMO__CANDLE_EVERY_SECONDS: '1',
  TRADECREW_RISK__MAX_HOLD_CANDLES: '3',
  TRADECREW_RISK__COOLDOWN_CANDLES: '0',
};

test('console demo: proposal -> /approve -> fill -> close -> trade completed report with chart', async () => {
  const dir = tempDataDir();
  const bot = spawnBot({ TRADECREW_DATA_DIR: dir, ...FAST });
  try {
    const proposal = await bot.waitFor(/TRADE PROPOSAL (p[0-9a-z]+)[\s\S]*?chart: (\S+\.png)/, 60_000);
    const id = proposal[1];
    assert.ok(fs.statSync(proposal[2]).size > 10_000, 'the proposal chart is a real PNG under the data dir');
    assert.ok(proposal[2].startsWith(dir), 'charts are written under TRADECREW_DATA_DIR');
    const at = bot.out().length;
    bot.send(`/approve ${id}`);
    const fill = await bot.waitFor(new RegExp(`ORDER FILLED[\\s\\S]*?Proposal: ${id}`), 20_000, at);
    assert.ok(fill);
    await bot.waitFor(/Approved by .* filled at \$/, 10_000, at);
    // Approving again changes nothing.
    bot.send(`/approve ${id}`);
    await bot.waitFor(/already executed/, 10_000, at);
    const report = await bot.waitFor(/TRADE COMPLETED[\s\S]*?QUALITY:[\s\S]*?Fee: \$[\d.,]+\n🖼️ {2}chart: (\S+\.png)/, 30_000, at);
    for (const section of ['💹 TRADE:', '⏱️ DURATION:', '💰 RESULTS:', '🎯 ANALYSIS:', '📊 CONTEXT:', '🔧 QUALITY:', '• Direction:', '• New balance:', '• Exit: ', '• Exit reason: ']) {
      assert.ok(report[0].includes(section), `report has "${section}"`);
    }
    assert.ok(fs.existsSync(report[1]));
    bot.endInput();
    const { code } = await bot.exited;
    assert.equal(code, 0, bot.err());
    const fills = bot.out().match(/ORDER FILLED[\s\S]*?Proposal: (p[0-9a-z]+)/g) ?? [];
    assert.equal(fills.filter((f) => f.includes(id)).length, 1, 'the order was filled exactly once');
  } finally {
    bot.child.kill('SIGKILL');
  }
});

// `npm run dev` is `npm start` on the source (tsx): a test must see the code as it is now, not
// the last build (test/build.test.ts builds, then runs `npm start` itself).
test('printf "/status\\n/train 7\\n" | npm run dev finishes the training it started and exits 0', () => {
  const dir = tempDataDir();
  const out = execFileSync('npm', ['run', 'dev', '--silent'], {
    cwd: REPO,
    input: '/status\n/train 7\n',
    env: { ...process.env, TRADECREW_DATA_DIR: dir },
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.match(out, /STATUS/);
  assert.match(out, /Mode: paper · Market: demo/);
  assert.match(out, /Training started: 7 days/);
  assert.match(out, /CYCLE SUMMARY #0007 · FINAL/);
  // The Sharpe comes with its interval and the returns it rests on.
  assert.match(out, /• Sharpe: [+-]?[\d.]+ \(95% interval [+-]?[\d.]+ to [+-]?[\d.]+, \d{3} returns\)/);
  for (const s of ['💰 PERFORMANCE GLOBAL:', '⚖️ RISK:', '🔄 OPERATIONS:', '🎯 QUALITY:', '📊 PER AGENT:']) assert.ok(out.includes(s), s);
  const chart = /cycle-[\w]+-7\.png/.exec(out);
  assert.ok(chart && fs.existsSync(path.join(dir, 'charts', chart[0])), 'cycle chart written');
});

test('piped input on an existing data folder exits 0 every time; a log file that cannot be opened does not stop the bot', () => {
  const run = (dir: string) => spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: REPO, input: '/status\n', env: { ...process.env, TRADECREW_DATA_DIR: dir }, encoding: 'utf8', timeout: 60_000 });
  const dir = tempDataDir();
  // The first start creates the data folder; the later ones find it (and its log) in place, which
  // is where the log used to be flushed before its file was open.
  for (let k = 0; k < 4; k++) {
    const r = run(dir);
    assert.equal(r.status, 0, `run ${k + 1}: exit ${r.status}: ${r.stderr}`);
    assert.match(r.stdout, /STATUS/);
  }
  // The log path is a folder: the writer fails to open it.
  const broken = tempDataDir();
  fs.mkdirSync(path.join(broken, 'logs', 'tradecrew.log'), { recursive: true });
  const r = run(broken);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /STATUS/, 'it still answers');
  assert.match(r.stderr, /cannot write the log .*tradecrew\.log: EISDIR.*goes on without it/);
});

test('/train 150 on the 120-day demo history trains what there is, says so, and sends a handful of messages, not a flood', () => {
  const out = execFileSync('npm', ['run', 'dev', '--silent'], { cwd: REPO, input: '/train 150\n', env: { ...process.env, TRADECREW_DATA_DIR: tempDataDir() }, encoding: 'utf8', timeout: 180_000 });
  const started = /Training started: (\d+) days .* \(you asked for 150; the history holds (\d+) after the indicators' warm-up\)/.exec(out);
  assert.ok(started, out.slice(0, 1500));
  assert.equal(started[1], started[2]);
  assert.ok(Number(started[1]) < 120 && Number(started[1]) > 100, `${started[1]} days`);
  // The console prints every message (and every edit of the progress message) under a separator.
  const messages = out.split(/── message #\d+ ──/).slice(1);
  const training = messages.filter((m) => /TRAINING|Training|CYCLE SUMMARY|lost \d+ cycles in a row|may the agents propose/.test(m));
  // Bound: the reply, the progress message, at most one losing-streak alert per agent (3), the
  // final summary and the verdicts = 7. It was ~45 (15 summaries with photos, ~30 repeated alerts).
  assert.ok(training.length <= 7, `${training.length} training messages:\n${training.map((m) => m.trim().split('\n')[0]).join('\n')}`);
  assert.equal(training.filter((m) => /CYCLE SUMMARY/.test(m)).length, 1, 'only the final summary: the run is shorter than the summary gap');
  for (const sym of ['BTC/USDT', 'ETH/USDT', 'SOL/USDT']) assert.ok(training.filter((m) => m.includes(`${sym} lost`)).length <= 1, `${sym}: one alert`);
  assert.match(out, /may the agents propose\?[\s\S]*BTC\/USDT:/);
  // The same run in Spanish: the alerts too, with Spanish number format.
  const es = execFileSync('npm', ['run', 'dev', '--silent'], { cwd: REPO, input: '/train 150\n/autoapprove 0,5\n', env: { ...process.env, TRADECREW_DATA_DIR: tempDataDir(), TRADECREW_LANGUAGE: 'es' }, encoding: 'utf8', timeout: 180_000 });
  assert.match(es, /perdió 3 ciclos seguidos/);
  assert.match(es, /Último ciclo #\d+: [+-][\d.]*\d,\d\d; capital [\d.]*\d,\d\d\. \(Se avisa una vez por entrenamiento\.\)/);
  assert.doesNotMatch(es, /lost \d+ cycles|Last cycle|equity \d/);
  assert.match(es, /aprobación automática.*(SÍ|ON).*50 ?%/i);
});

test('a bad config value stops the bot with one line naming the key', () => {
  const dir = tempDataDir();
  let err = '';
  try {
    execFileSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: REPO, input: '', env: { ...process.env, TRADECREW_DATA_DIR: dir, TRADECREW_RISK__RISK_PER_TRADE: 'lots' }, encoding: 'utf8', stdio: 'pipe' });
    assert.fail('should have exited non-zero');
  } catch (e) {
    err = (e as { stderr: string }).stderr;
    assert.equal((e as { status: number }).status, 2);
  }
  assert.equal(err.trim().split('\n').length, 1, err);
  assert.match(err, /risk\.risk_per_trade must be a number \(got "lots" from TRADECREW_RISK__RISK_PER_TRADE\)/);
});

test('unknown commands and wrong arguments get a clear reply and change nothing', () => {
  const dir = tempDataDir();
  const out = execFileSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: REPO,
    input: '/frobnicate\n/train lots\n/approve\n/approve pnope\n/autoapprove 150\n/help train\n',
    env: { ...process.env, TRADECREW_DATA_DIR: dir },
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.match(out, /Unknown command \/frobnicate/);
  assert.match(out, /days must be a whole number, got "lots"\nUsage: \/train \[days\]/);
  assert.match(out, /give the proposal id[\s\S]*Usage: \/approve <id>/);
  assert.match(out, /No proposal pnope/);
  assert.match(out, /minimum confidence must be between 0 and 1/);
  assert.match(out, /\/train[\s\S]*Usage: \/train \[days\] \[symbols\] \[cycle_hours\]/);
  assert.doesNotMatch(out, /Training started/);
});
