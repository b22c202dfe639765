/**
 * The production start: `npm run build` compiles the bot into build/ and `npm start` runs it with
 * plain node. Every other test runs the source through tsx (test/support/spawn-bot.ts), so this
 * file builds first: it never runs a build older than the code under test.
 *
 * Also what a start loads: the demo loads nothing of ccxt, an exchange start only that exchange's
 * ccxt module (src/market/ccxt-load.ts), seen through a loader hook on the real process.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import { liveEnv, startExchangeStandin } from './support/exchange-standin.js';
import { REPO, tempDataDir } from './support/spawn-bot.js';

const RECORD = path.join(REPO, 'test', 'support', 'record-imports.mjs');
/** What `npm start` runs after `node` (its flags and the build's entry). */
const START_ARGS = (JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')).scripts.start as string).split(/\s+/).slice(1);

before(() => {
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: REPO, encoding: 'utf8', stdio: 'pipe', timeout: 300_000 });
});

/** The ES modules a start that runs `input` and exits at its end loaded, by URL. */
function importsOf(args: string[], env: Record<string, string>, input: string): { urls: string[]; stdout: string; status: number | null; stderr: string } {
  const log = path.join(tempDataDir('tc-imports-'), 'imports.txt');
  const r = spawnSync(process.execPath, ['--import', RECORD, ...args], {
    cwd: REPO,
    input,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', TC_IMPORT_LOG: log, ...env },
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { urls: fs.existsSync(log) ? fs.readFileSync(log, 'utf8').split('\n').filter(Boolean) : [], stdout: r.stdout, status: r.status, stderr: r.stderr };
}

const ccxtModules = (urls: string[]) => urls.filter((u) => u.includes('/node_modules/ccxt/'));
const exchangeModules = (urls: string[]) => [...new Set(urls.map((u) => /\/node_modules\/ccxt\/js\/src\/(\w+)\.js$/.exec(u)?.[1]).filter((x): x is string => !!x))];

test('npm run build, then `printf "/status\\n/version\\n" | npm start` runs the build with plain node and exits 0', () => {
  assert.ok(fs.existsSync(path.join(REPO, 'build', 'src', 'main.js')));
  assert.equal(execFileSync('bash', ['src/setup/build.sh', '--check'], { cwd: REPO, encoding: 'utf8' }), '', 'the build just made matches the source');
  const start = JSON.parse(fs.readFileSync(path.join(REPO, 'package.json'), 'utf8')).scripts.start as string;
  assert.match(start, /^node (--[\w-]+=\S+ )*build\/src\/main\.js$/, 'npm start runs the build with plain node, no tsx');
  const r = spawnSync('npm', ['start', '--silent'], { cwd: REPO, input: '/status\n/version\n', env: { ...process.env, TRADECREW_DATA_DIR: tempDataDir() }, encoding: 'utf8', timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stderr, '', 'no warning about a stale build');
  // Config, templates and the strings resolve from build/ (PROJECT_ROOT is found, not counted).
  assert.match(r.stdout, /STATUS[\s\S]*Mode: paper · Market: demo/);
  assert.match(r.stdout, /tradecrew \d+\.\d+\.\d+ · Node v\d+\.\d+\.\d+ · ccxt \d+\.\d+\.\d+ · mode paper/);
});

test('the demo loads no ccxt module, from the build or from the source', () => {
  for (const args of [START_ARGS, ['--import', 'tsx', 'src/main.ts']]) {
    const r = importsOf(args, { TRADECREW_DATA_DIR: tempDataDir() }, '/status\n');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /STATUS/);
    assert.ok(r.urls.some((u) => u.endsWith('/main.js') || u.endsWith('/main.ts')), 'the hook saw the start');
    assert.deepEqual(ccxtModules(r.urls), [], `${args.join(' ')}: ccxt stays unloaded in the demo`);
  }
});

test('with EXCHANGE=binance the build loads ccxt for binance only, and still trades against the stand-in', async () => {
  const standin = await startExchangeStandin();
  try {
    const env = liveEnv(standin, tempDataDir(), ['BTC/USDT']);
    // An async child: the stand-in runs in this process and must keep answering.
    const log = path.join(tempDataDir('tc-imports-'), 'imports.txt');
    const child = spawn(process.execPath, ['--import', RECORD, ...START_ARGS], { cwd: REPO, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', TC_IMPORT_LOG: log, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.stdin.end('/status\n/balance\n');
    const code = await exited;
    assert.equal(code, 0, err);
    assert.match(out, /Mode: live · Market: binance/);
    assert.match(out, /USDT/, '/balance answered from the stand-in');
    const urls = fs.readFileSync(log, 'utf8').split('\n').filter(Boolean);
    assert.deepEqual(exchangeModules(urls), ['binance'], 'no other exchange class is loaded');
    assert.ok(!urls.some((u) => u.endsWith('/node_modules/ccxt/js/ccxt.js')), "ccxt's index (every exchange) is not loaded");
  } finally {
    await standin.close();
  }
});
