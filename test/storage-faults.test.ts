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
