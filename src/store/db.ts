import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS } from './migrations.js';

export type DB = Database.Database;

/**
 * Opens (and migrates) the SQLite database. WAL so readers never block the writer, and
 * synchronous=FULL so a committed money-path transaction survives kill -9 and power loss.
 */
export function openDb(file: string, o: { check?: boolean } = {}): DB {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
  const db = new Database(file);
  try {
    checkSchemaVersion(db, file);
    // The bot's start checks the file: a damaged database must stop it, not serve /status from
    // half of its pages. (Not on every open: quick_check reads every page of a big candle cache.)
    if (o.check) checkIntegrity(db, file);
  } catch (e) {
    db.close();
    throw e;
  }
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  return db;
}

export function migrate(db: DB): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  for (let v = current; v < MIGRATIONS.length; v++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[v]);
      db.pragma(`user_version = ${v + 1}`);
    })();
  }
}

/** A database this build cannot use, with what to do about it in one line. */
export class DatabaseUnusable extends Error {}

function checkSchemaVersion(db: DB, file: string): void {
  let v: number;
  try {
    v = db.pragma('user_version', { simple: true }) as number;
  } catch (e) {
    throw damaged(file, (e as Error).message);
  }
  if (v > MIGRATIONS.length) {
    throw new DatabaseUnusable(`${file} was written by a newer tradecrew (schema ${v}; this one knows up to ${MIGRATIONS.length}): run the newer version, or point TRADECREW_DATA_DIR at another folder`);
  }
}

function checkIntegrity(db: DB, file: string): void {
  let result: string;
  try {
    result = String(db.pragma('quick_check', { simple: true }));
  } catch (e) {
    result = (e as Error).message;
  }
  if (result !== 'ok') throw damaged(file, result);
}

function damaged(file: string, why: string): DatabaseUnusable {
  return new DatabaseUnusable(`${file} is damaged (SQLite: ${why.split('\n')[0]}): restore a backup of it, or move it away to start afresh (it holds trades, proposals and settings)`);
}

export function dbFile(dataDir: string): string {
  return path.join(dataDir, 'tradecrew.db');
}
