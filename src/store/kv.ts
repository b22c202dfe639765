import type { DB } from './db.js';

export function getKv<T>(db: DB, key: string, fallback: T): T {
  const r = db.prepare('SELECT value FROM kv WHERE key=?').get(key) as { value: string } | undefined;
  return r ? (JSON.parse(r.value) as T) : fallback;
}

export function setKv(db: DB, key: string, value: unknown): void {
  db.prepare('INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value').run(key, JSON.stringify(value));
}
