/**
 * Reports as Discord embeds. Pure: a chat-neutral message in, the JSON of one or more Discord
 * messages out, each within Discord's limits.
 *
 * How a report's rich text is laid out (the templates already have this shape):
 * - its first line is the embed's title (the header, e.g. "🔔 TRADE PROPOSAL P-1");
 * - the rest of its first block (up to the first empty line) is the description;
 * - every later block that starts with a heading (a bold line, an emoji or two allowed before
 *   it, e.g. "💰 **RESULTS:**") becomes a field named by the heading; a block without a heading,
 *   or too long for a field, goes into a description (a new embed when fields came before it,
 *   so the order of the report is kept);
 * - the chart is the first embed's image (`attachment://chart.png`, uploaded with the message).
 *
 * Limits (Discord refuses the whole message with 50035 when one is exceeded): title 256,
 * description 4096, 25 fields, field name 256, field value 1024, at most 10 embeds per message
 * and 6000 characters over all of them (titles, descriptions, field names and values). Lengths
 * are counted in UTF-16 units here, which is never fewer than Discord's count of code points.
 */
import { lineToDiscordMarkdown, splitLines, type Line, type Rich } from '../render/rich.js';
import type { Card, OutgoingMessage } from './types.js';

export const EMBED_LIMITS = {
  title: 256,
  description: 4096,
  fields: 25,
  fieldName: 256,
  fieldValue: 1024,
  embedsPerMessage: 10,
  totalPerMessage: 6000,
} as const;

/** The name the chart is uploaded under; the embed refers to it as attachment://chart.png. */
export const CHART_FILE = 'chart.png';

export interface EmbedField {
  name: string;
  value: string;
  inline?: boolean;
}

export interface Embed {
  title?: string;
  description?: string;
  color: number;
  fields?: EmbedField[];
  image?: { url: string };
}

/** Colours by tone: the chart's own green and red, Discord's blurple, a settled grey. */
export const TONE_COLOUR: Record<Card['tone'], number> = { up: 0x26a69a, down: 0xef5350, neutral: 0x5865f2, closed: 0x8a8f9c };

/** The characters of an embed that count against the 6000 per message. */
export function embedSize(e: Embed): number {
  let n = (e.title?.length ?? 0) + (e.description?.length ?? 0);
  for (const f of e.fields ?? []) n += f.name.length + f.value.length;
  return n;
}

const lineText = (l: Line) => l.map((s) => s.text).join('');
const isBlank = (l: Line) => lineText(l).trim() === '';

/** A heading line: some bold text, and nothing outside the bold but emoji, spaces and punctuation. */
function isHeading(l: Line): boolean {
  return l.some((s) => s.style === 'bold' && /[\p{L}\p{N}]/u.test(s.text)) && l.every((s) => s.style === 'bold' || !/[\p{L}\p{N}]/u.test(s.text));
}

/** Cuts text to `limit` characters, saying so with an ellipsis. */
export function clip(s: string, limit: number): string {
  if (s.length <= limit) return s;
  // Never leave half of a surrogate pair (an emoji) at the cut.
  let cut = limit - 1;
  if (/[\uD800-\uDBFF]/.test(s[cut - 1] ?? '')) cut--;
  return s.slice(0, cut) + '…';
}

/** A title as markdown without bold (a title is bold already), within `limit` even after escaping. */
function titleOf(l: Line, limit: number): string {
  const unbold: Line = l.map((s) => ({ text: s.text, style: s.style === 'bold' ? 'plain' : s.style }));
  let md = lineToDiscordMarkdown(unbold).trim();
  if (md.length <= limit) return md;
  // Escapes may lengthen the text: cut the plain text until its markdown fits.
  const text = lineText(l).trim();
  for (let n = Math.min(text.length, limit); n > 1; ) {
    md = lineToDiscordMarkdown([{ text: clip(text, n), style: 'plain' }]);
    if (md.length <= limit) return md;
    // Shrink in proportion to the overshoot (an escaped character takes two).
    n = Math.min(n - 1, Math.floor((n * limit) / md.length));
  }
  return '…';
}

function blocksOf(rich: Rich): Line[][] {
  const blocks: Line[][] = [];
  let cur: Line[] = [];
  for (const l of rich) {
    if (isBlank(l)) {
      if (cur.length) blocks.push(cur);
      cur = [];
    } else cur.push(l);
  }
  if (cur.length) blocks.push(cur);
  return blocks;
}

/** The embeds of a report, each within the per-embed limits and at most 6000 characters. */
export function reportEmbeds(rich: Rich, card: Card, withImage: boolean): Embed[] {
  const color = TONE_COLOUR[card.tone] ?? TONE_COLOUR.neutral;
  const blocks = blocksOf(rich);
  const embeds: Embed[] = [];
  let cur: Embed = { color };
  embeds.push(cur);
  const fresh = () => {
    cur = { color };
    embeds.push(cur);
  };
  const room = () => EMBED_LIMITS.totalPerMessage - embedSize(cur);

  /** Lines into descriptions: a new embed when this one already has fields or is full. */
  const describe = (lines: Line[]) => {
    if (cur.fields?.length) fresh();
    // One line longer than a description (a wall of text) is cut hard by splitLines.
    for (const md of splitLines(lines.map(lineToDiscordMarkdown), EMBED_LIMITS.description)) {
      const joined = cur.description ? `${cur.description}\n\n${md}` : md;
      if (joined.length > EMBED_LIMITS.description || joined.length - (cur.description?.length ?? 0) > room()) {
        fresh();
        cur.description = md;
      } else cur.description = joined;
    }
  };

  const first = blocks.shift() ?? [];
  if (first.length) {
    cur.title = titleOf(first[0], EMBED_LIMITS.title);
    if (first.length > 1) describe(first.slice(1));
  }
  for (const block of blocks) {
    const value = block
      .slice(1)
      .map(lineToDiscordMarkdown)
      .join('\n');
    const name = clip(lineText(block[0]).trim(), EMBED_LIMITS.fieldName);
    if (isHeading(block[0]) && value.trim() && value.length <= EMBED_LIMITS.fieldValue) {
      if ((cur.fields?.length ?? 0) >= EMBED_LIMITS.fields || name.length + value.length > room()) fresh();
      (cur.fields ??= []).push({ name, value });
    } else describe(block);
  }
  if (!cur.title && !cur.description && !cur.fields?.length && embeds.length === 1) cur.description = '\u200b';
  if (withImage) embeds[0].image = { url: `attachment://${CHART_FILE}` };
  return embeds.filter((e) => e.title || e.description || e.fields?.length);
}

/** Embeds packed into messages: at most 10 per message and 6000 characters over them. */
export function packEmbeds(embeds: Embed[]): Embed[][] {
  const out: Embed[][] = [];
  let cur: Embed[] = [];
  let size = 0;
  for (const e of embeds) {
    const n = embedSize(e);
    if (cur.length && (cur.length >= EMBED_LIMITS.embedsPerMessage || size + n > EMBED_LIMITS.totalPerMessage)) {
      out.push(cur);
      cur = [];
      size = 0;
    }
    cur.push(e);
    size += n;
  }
  if (cur.length) out.push(cur);
  return out;
}

/** Is this message shown as an embed on Discord? Reports, and anything sent with a chart. */
export const isCard = (msg: OutgoingMessage) => !!msg.card || !!msg.imagePath;

/** The card of a message: its own, or a neutral report for a message that only has a chart. */
export const cardOf = (msg: OutgoingMessage): Card => msg.card ?? { kind: 'report', tone: 'neutral' };

/** One message of embeds per element (the chart on the first embed of the first message). */
export function cardMessages(msg: OutgoingMessage, withImage: boolean): Embed[][] {
  return packEmbeds(reportEmbeds(msg.rich, cardOf(msg), withImage));
}
