/**
 * Rich text, chat-neutral. Templates render to a list of lines, each a list of spans; adapters
 * turn that into Telegram HTML, Discord markdown or plain console text. Spans never cross a
 * line, so any message can be split at a line boundary without breaking markup.
 */
export type SpanStyle = 'plain' | 'bold' | 'italic' | 'code';
export interface Span {
  text: string;
  style: SpanStyle;
}
export type Line = Span[];
export type Rich = Line[];

export function plain(text: string): Rich {
  return text.split('\n').map((l) => [{ text: l, style: 'plain' as const }]);
}

export function richToPlain(r: Rich): string {
  return r.map((line) => line.map((s) => s.text).join('')).join('\n');
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"]/g, (c) => HTML_ESCAPES[c]);
}

export function lineToTelegramHtml(line: Line): string {
  return line
    .map((s) => {
      const t = escapeHtml(s.text);
      if (!t) return '';
      if (s.style === 'bold') return `<b>${t}</b>`;
      if (s.style === 'italic') return `<i>${t}</i>`;
      if (s.style === 'code') return `<code>${t}</code>`;
      return t;
    })
    .join('');
}

/** Escapes Discord markdown so user or market text never turns into formatting. */
export function escapeDiscord(s: string): string {
  return s.replace(/([\\*_`~|>#\-\[\]()])/g, '\\$1');
}

export function lineToDiscordMarkdown(line: Line): string {
  return line
    .map((s) => {
      if (!s.text) return '';
      if (s.style === 'code') return '`' + s.text.replace(/`/g, 'ˋ') + '`';
      const t = escapeDiscord(s.text);
      if (s.style === 'bold') return `**${t}**`;
      if (s.style === 'italic') return `*${t}*`;
      return t;
    })
    .join('');
}

/**
 * Joins formatted lines into chunks of at most `limit` characters, breaking only between
 * lines. A single line longer than the limit (rare: a wall of text) is cut hard.
 */
export function splitLines(lines: string[], limit: number): string[] {
  const chunks: string[] = [];
  let cur = '';
  for (let line of lines) {
    while (line.length > limit) {
      if (cur) {
        chunks.push(cur);
        cur = '';
      }
      chunks.push(line.slice(0, limit));
      line = line.slice(limit);
    }
    const next = cur ? cur + '\n' + line : line;
    if (next.length > limit) {
      chunks.push(cur);
      cur = line;
    } else cur = next;
  }
  if (cur || chunks.length === 0) chunks.push(cur);
  return chunks;
}
