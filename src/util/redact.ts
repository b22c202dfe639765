/**
 * Secrets must never reach a log, a chat message or an error text. Every outgoing string passes
 * through a scrubber built from the configured secrets (bot tokens, exchange keys, API keys).
 */
export function makeScrubber(secrets: string[]): (text: string) => string {
  const list = [...new Set(secrets.filter((s) => s && s.length >= 4))].sort((a, b) => b.length - a.length);
  if (list.length === 0) return (t) => t;
  return (text: string) => {
    let out = text;
    for (const s of list) out = out.split(s).join('***');
    return out;
  };
}
