import type { DB } from './db.js';

const ROLLBACK = new Error('probe: roll back');

/**
 * Can the database take a write right now? A full disk (SQLITE_FULL), a read-only or failing
 * file (SQLITE_READONLY, SQLITE_IOERR) says no. The probe writes 16 KiB (several new pages, as a
 * burst of candles or a proposal with its chart would) inside a transaction it always rolls back,
 * so it leaves nothing behind.
 */
export function probeWritable(db: DB): { ok: true } | { ok: false; code: string; message: string } {
  try {
    db.transaction(() => {
      db.prepare(`INSERT OR REPLACE INTO kv (key, value) VALUES ('storage.probe', ?)`).run('x'.repeat(16_384));
      throw ROLLBACK;
    })();
    return { ok: true };
  } catch (e) {
    if (e === ROLLBACK) return { ok: true };
    const code = String((e as { code?: string }).code ?? '');
    if (/^SQLITE_(FULL|READONLY|IOERR|CANTOPEN)/.test(code)) return { ok: false, code, message: (e as Error).message };
    throw e;
  }
}

/** Is this error the database refusing a write (disk full, read-only, I/O)? */
export function isStorageError(e: unknown): boolean {
  return /^SQLITE_(FULL|READONLY|IOERR|CANTOPEN)/.test(String((e as { code?: string })?.code ?? ''));
}
