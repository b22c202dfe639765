/**
 * The last log lines in memory, for /logs: the file is on the server, the trader is in a chat.
 * Lines arrive as pino wrote them (JSON, already scrubbed of secrets by the logger) and are
 * scrubbed once more on the way in, so a line that slipped past the logger's hooks (a message
 * built by string concatenation elsewhere) still never holds a token.
 */
export interface LogRing {
  push(line: string): void;
  /** The newest `n` lines, oldest first. */
  tail(n: number): string[];
  readonly capacity: number;
}

/** Longest line kept: a stack trace of a few KB is kept to its start. */
const MAX_LINE = 1000;

export function createLogRing(capacity: number, scrub: (s: string) => string): LogRing {
  const lines: string[] = new Array(capacity);
  let next = 0;
  let size = 0;
  return {
    capacity,
    push(line) {
      const clean = scrub(line.replace(/\n$/, ''));
      lines[next] = clean.length > MAX_LINE ? clean.slice(0, MAX_LINE) + '…' : clean;
      next = (next + 1) % capacity;
      size = Math.min(size + 1, capacity);
    },
    tail(n) {
      const k = Math.max(0, Math.min(n, size));
      const out: string[] = [];
      for (let i = k; i > 0; i--) out.push(lines[(next - i + capacity) % capacity]);
      return out;
    },
  };
}

const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
/** pino's own fields, said by the line's prefix or of no use in a chat. */
const OWN = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'v']);

/**
 * A pino JSON line as one readable chat line: `12:03:04 WARN order rejected trade=T1 err=…`.
 * `time` formats the timestamp (the bot's timezone). A line that is not JSON is shown as it is.
 */
export function readableLogLine(line: string, time: (ts: number) => string): string {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  if (!o || typeof o !== 'object') return line;
  const extra = Object.entries(o)
    .filter(([k]) => !OWN.has(k))
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  const ts = typeof o.time === 'number' ? time(o.time) : '';
  return [ts, LEVELS[o.level as number] ?? String(o.level ?? ''), typeof o.msg === 'string' ? o.msg : '', extra].filter(Boolean).join(' ');
}
