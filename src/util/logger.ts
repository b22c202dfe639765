import fs from 'node:fs';
import path from 'node:path';
import pino, { type Logger } from 'pino';

export type { Logger };

/**
 * pino JSON logs into `<data_dir>/logs/tradecrew.log` (stdout belongs to the console chat).
 * Secrets are removed twice: known key names are redacted, and every string is scrubbed of the
 * configured secret values, so a token inside an error message or a URL never lands in a log.
 */
export function createLogger(opts: { dataDir: string; level: string; scrub: (s: string) => string; destination?: string }): Logger {
  const file = opts.destination ?? path.join(opts.dataDir, 'logs', 'tradecrew.log');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const scrubDeep = (v: unknown, depth = 0): unknown => {
    if (typeof v === 'string') return opts.scrub(v);
    if (v instanceof Error) return { type: v.name, message: opts.scrub(v.message), stack: v.stack ? opts.scrub(v.stack) : undefined };
    if (!v || typeof v !== 'object' || depth > 4) return v;
    if (Array.isArray(v)) return v.map((x) => scrubDeep(x, depth + 1));
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, scrubDeep(x, depth + 1)]));
  };
  return pino(
    {
      level: opts.level,
      redact: { paths: ['token', 'apiKey', 'secret', '*.token', '*.apiKey', '*.secret', '*.bot_token', '*.api_key'], censor: '***' },
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((a) => scrubDeep(a)) as Parameters<typeof method>);
        },
      },
    },
    pino.destination({ dest: file, sync: false, mkdir: true }),
  );
}

/** A logger that writes nowhere, for tests and pure code paths. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
