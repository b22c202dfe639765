import fs from 'node:fs';
import path from 'node:path';
import pino, { type Logger } from 'pino';
import { createLogRing, type LogRing } from './log-ring.js';

export type { Logger };

/**
 * pino JSON logs into `<data_dir>/logs/tradecrew.log` (stdout belongs to the console chat).
 * Secrets are removed twice: known key names are redacted, and every string is scrubbed of the
 * configured secret values, so a token inside an error message or a URL never lands in a log.
 */
export function createLogger(opts: { dataDir: string; level: string; scrub: (s: string) => string; destination?: string; ringLines?: number }): Logger {
  const file = opts.destination ?? path.join(opts.dataDir, 'logs', 'tradecrew.log');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const scrubDeep = (v: unknown, depth = 0): unknown => {
    if (typeof v === 'string') return opts.scrub(v);
    if (v instanceof Error) return { type: v.name, message: opts.scrub(v.message), stack: v.stack ? opts.scrub(v.stack) : undefined };
    if (!v || typeof v !== 'object' || depth > 4) return v;
    if (Array.isArray(v)) return v.map((x) => scrubDeep(x, depth + 1));
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, scrubDeep(x, depth + 1)]));
  };
  const destination = pino.destination({ dest: file, sync: false, mkdir: true });
  // pino flushes synchronously when the process exits; a file not open yet (a start that fails at
  // once) made that throw "sonic boom is not ready yet" over the real error. Lines not yet
  // written by then are lost either way.
  const flushSync = destination.flushSync.bind(destination);
  destination.flushSync = () => {
    try {
      flushSync();
    } catch {
      /* not open yet, or unwritable: nothing more to do at exit */
    }
  };
  // A full disk or a vanished log folder makes the writer emit 'error'; unhandled, that would kill
  // the bot. It keeps trading and answering; the condition is said once on stderr.
  let complained = false;
  destination.on('error', (e: Error) => {
    if (complained) return;
    complained = true;
    process.stderr.write(`tradecrew: cannot write the log ${file}: ${opts.scrub(e.message)} (the bot goes on without it)\n`);
    // From now on the writer is a sink: pino's exit hook flushes it synchronously, and a writer
    // that never opened would throw there and turn a clean exit into exit 1.
    Object.assign(destination, { write: () => true, flushSync: () => undefined, flush: (cb?: () => void) => cb?.(), end: () => undefined });
    destination.emit('ready');
  });
  // What /logs shows: the same lines as the file, kept in memory as they are written.
  const ring = createLogRing(opts.ringLines ?? 500, opts.scrub);
  const log = pino(
    {
      level: opts.level,
      redact: { paths: ['token', 'apiKey', 'secret', '*.token', '*.apiKey', '*.secret', '*.bot_token', '*.api_key'], censor: '***' },
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((a) => scrubDeep(a)) as Parameters<typeof method>);
        },
        streamWrite(line) {
          ring.push(line);
          return line;
        },
      },
    },
    destination,
  );
  destinations.set(log, destination);
  rings.set(log, ring);
  return log;
}

const rings = new WeakMap<Logger, LogRing>();

/** The in-memory tail of a logger made by createLogger; null for one that keeps none (silentLogger). */
export function logRingOf(log: Logger): LogRing | null {
  return rings.get(log) ?? null;
}

type Destination = ReturnType<typeof pino.destination>;
const destinations = new WeakMap<Logger, Destination>();

/**
 * Flushes the log file, waiting for it to open first: a bot that answers piped input and exits at
 * once would otherwise flush a file that is not open yet ("sonic boom is not ready yet", exit 1).
 * Never throws: a log that cannot be written must not decide how the process ends.
 */
export async function flushLog(log: Logger): Promise<void> {
  const d = destinations.get(log);
  if (!d) return;
  try {
    if ((d as unknown as { fd: number }).fd < 0) await new Promise<void>((r) => d.once('ready', () => r()));
    await new Promise<void>((r) => d.flush(() => r()));
  } catch {
    /* nothing more to do for a log that cannot be written */
  }
}

/** A logger that writes nowhere, for tests and pure code paths. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
