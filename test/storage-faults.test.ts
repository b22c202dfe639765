/**
 * A database the bot cannot trust stops it at start with one line saying what to do (issue #13,
 * item 8): a damaged file, or one written by a newer schema.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { REPO, tempDataDir } from './support/spawn-bot.js';

const start = (dir: string) => spawnSync(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: REPO, input: '/status\n', env: { ...process.env, TRADECREW_DATA_DIR: dir }, encoding: 'utf8', timeout: 60_000 });

test('a damaged database or one from a newer schema stops the start with one line; a healthy one starts', () => {
  const dir = tempDataDir();
  const first = start(dir);
  assert.equal(first.status, 0, first.stderr);
  const file = path.join(dir, 'tradecrew.db');
  // Fold the WAL in, so the damage lands in pages the database really uses.
  const db = new Database(file);
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  const size = fs.statSync(file).size;
  assert.ok(size > 64 * 1024, `a real database (${size} bytes)`);

  // A newer schema: refused, nothing written.
  const newer = tempDataDir();
  fs.copyFileSync(file, path.join(newer, 'tradecrew.db'));
  const n = new Database(path.join(newer, 'tradecrew.db'));
  n.pragma('user_version = 999');
  n.close();
  const r1 = start(newer);
  assert.notEqual(r1.status, 0);
  assert.match(r1.stderr, /tradecrew\.db was written by a newer tradecrew \(schema 999; this one knows up to \d+\): run the newer version/);
  assert.equal(r1.stderr.trim().split('\n').length, 1, r1.stderr);
  assert.doesNotMatch(r1.stdout, /STATUS/, 'it serves nothing');

  // 8 KiB of random bytes in the middle of the file.
  const fd = fs.openSync(file, 'r+');
  fs.writeSync(fd, crypto.randomBytes(8192), 0, 8192, Math.floor(size / 2 / 4096) * 4096);
  fs.closeSync(fd);
  const r2 = start(dir);
  assert.notEqual(r2.status, 0);
  assert.match(r2.stderr, /tradecrew\.db is damaged \(SQLite: .+\): restore a backup of it, or move it away/);
  assert.equal(r2.stderr.trim().split('\n').length, 1, r2.stderr);
  assert.doesNotMatch(r2.stdout, /STATUS/);
});

test('a database that cannot be written (a full disk): the bot says so once in chat, decides and sends nothing, still answers, and resumes when it can write', async () => {
  const { PassThrough, Writable } = await import('node:stream');
  const { COMMANDS } = await import('../commands/index.js');
  const { createApp } = await import('../src/app/create.js');
  const { createConsoleAdapter } = await import('../src/chat/console.js');
  const { createRouter } = await import('../src/chat/router.js');
  const { loadConfig } = await import('../src/config/load.js');
  const { backfill } = await import('../src/market/refresh.js');
  const { startScheduler } = await import('../src/scheduler/jobs.js');
  const { silentLogger } = await import('../src/util/logger.js');
  // A slow demo clock: scans happen when the test asks for them.
  const cfg = loadConfig({ env: { TRADECREW_DATA_DIR: tempDataDir(), TRADECREW_DEMO__CANDLE_EVERY_SECONDS: '3600' } });
  let text = '';
  const output = new Writable({ write: (c, _e, cb) => ((text += String(c)), cb()) });
  const input = new PassThrough();
  const con = createConsoleAdapter({ input, output, userName: 'alice' });
  const app = createApp(cfg, { adapters: [con], log: silentLogger(), outbox: { backoffBaseMs: 20, pollMs: 20 } });
  await con.start(createRouter(app, COMMANDS), []);
  const sched = startScheduler(app);
  const until = async (what: string, ok: () => boolean) => {
    const end = Date.now() + 15_000;
    while (!ok()) {
      if (Date.now() > end) throw new Error(`${what}; chat:\n${text.slice(-1500)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  try {
    await backfill(app);
    const count = (t: string) => (app.db.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get() as { n: number }).n;
    // 1. The database may not grow by a page: what a full disk does to SQLite. Small writes that
    //    fit in pages it has still go through; the probe (a burst of new pages) does not.
    const pages = app.db.pragma('page_count', { simple: true }) as number;
    app.db.pragma(`max_page_count = ${pages}`);
    const before = count('proposals');
    await sched.tick();
    await sched.tick();
    await until('the storage notice', () => /cannot write to its database \(SQLITE_FULL/.test(text));
    assert.equal((text.match(/cannot write to its database/g) ?? []).length, 1, 'said once, not at every scan');
    assert.equal(count('proposals'), before, 'nothing decided');
    app.db.pragma('max_page_count = 1073741823');
    await sched.tick();
    await until('the all-clear', () => /takes writes again/.test(text));
    // 2. No write at all (a read-only file): a command is still answered, directly, saying why.
    app.db.pragma('query_only = ON');
    const outboxBefore = count('outbox');
    input.write('/status\n');
    await until('a /status answer', () => /STATUS[\s\S]*Answered without the database/.test(text));
    assert.equal(count('outbox'), outboxBefore);
    await sched.tick();
    await until('the read-only notice', () => /cannot write to its database \(SQLITE_READONLY/.test(text));
    app.db.pragma('query_only = OFF');
    await sched.tick();
    await until('the second all-clear', () => (text.match(/takes writes again/g) ?? []).length === 2);
  } finally {
    sched.stop();
    await sched.idle();
    await app.outbox.stop();
    await con.stop();
    app.db.close();
  }
});
