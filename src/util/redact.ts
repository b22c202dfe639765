/**
 * Secrets must never reach a log, a chat message or an error text. Every outgoing string passes
 * through a scrubber built from the configured secrets (bot tokens, exchange keys, API keys).
 */
export function makeScrubber(secrets: string[]): (text: string) => string {
  const list = [...new Set(secrets.filter((s) => s && s.length >= 4))].sort((a, b) => b.length - a.length);
  return (text: string) => {
    let out = text;
    for (const s of list) out = out.split(s).join('***');
    return scrubTokenShapes(out);
  };
}

/**
 * Token-like substrings of known formats, whoever they belong to: a remote service that echoes a
 * key (an LLM proxy answering 401 with the key in its message) may echo one that is not ours, or
 * a cut-off piece of ours that the exact match above cannot see.
 */
const TOKEN_SHAPES: RegExp[] = [
  /\bsk-[A-Za-z0-9_-]{8,}/g, // OpenAI and compatible API keys (sk-..., sk-proj-...)
  /\bBearer\s+[A-Za-z0-9._~+/=-]{8,}/gi, // Authorization headers
  /(?<![0-9])\d{6,12}:[A-Za-z0-9_-]{30,}/g, // Telegram bot tokens (also inside .../bot<token>/...)
  /\b[A-Za-z0-9_-]{23,28}\.[A-Za-z0-9_-]{6,7}\.[A-Za-z0-9_-]{27,}/g, // Discord bot tokens
  /\b(api[_-]?key|secret|password|token)(["']?\s*[:=]\s*["']?)[^\s"',;&]{6,}/gi, // key=value pairs
];

export function scrubTokenShapes(text: string): string {
  let out = text;
  for (const re of TOKEN_SHAPES) out = out.replace(re, (m, name?: string, sep?: string) => (typeof name === 'string' && typeof sep === 'string' ? `${name}${sep}***` : '***'));
  return out;
}
