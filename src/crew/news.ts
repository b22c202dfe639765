import fs from 'node:fs';
import type { Headline } from './types.js';

const DAY_MS = 86_400_000;

/**
 * Where headlines come from. `recent` is synchronous on purpose: the crew also runs inside the
 * backtest engine (one synchronous call per bar), so a feed answers from what it already holds.
 * A live feed refreshes its holding in the background (`refresh`).
 */
export interface NewsFeed {
  readonly name: string;
  /**
   * Headlines published in the `days` days before `beforeTs`. A headline dated only by day is
   * visible from the END of that day: a decision at 10:00 must not read a headline dated today,
   * which may have been published at 23:00 (lookahead).
   */
  recent(beforeTs: number, days: number): Headline[];
  refresh?(): Promise<void>;
}

/** Parses one CSV line with RFC 4180 quoting ("a, b" and doubled "" inside quotes). */
export function parseCsvLine(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let k = 0; k < line.length; k++) {
    const ch = line[k];
    if (quoted) {
      if (ch === '"' && line[k + 1] === '"') {
        cur += '"';
        k++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

/** Reads headlines in the format of ../shared/data/news (header `date,url,headline`, date YYYY-MM-DD). */
export function parseHeadlinesCsv(text: string): Headline[] {
  const lines = text.replace(/\r\n/g, '\n').split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) return [];
  const header = parseCsvLine(lines[0]).map((h) => h.trim().toLowerCase());
  const di = header.indexOf('date');
  const ui = header.indexOf('url');
  const hi = header.indexOf('headline');
  if (di < 0 || hi < 0) throw new Error('news CSV needs a header with date and headline columns (date,url,headline)');
  const out: Headline[] = [];
  for (const line of lines.slice(1)) {
    const cols = parseCsvLine(line);
    const ts = Date.parse(`${cols[di]?.trim()}T00:00:00Z`);
    const headline = cols[hi]?.trim();
    if (!Number.isFinite(ts) || !headline) continue; // a bad row is skipped, not guessed
    out.push({ ts, headline, url: ui >= 0 ? (cols[ui] ?? '').trim() : '' });
  }
  return out.sort((a, b) => a.ts - b.ts);
}

/** A fixed list of headlines (the CSV feed, tests). */
export function staticFeed(headlines: Headline[], name = 'static'): NewsFeed {
  const sorted = [...headlines].sort((a, b) => a.ts - b.ts);
  return {
    name,
    recent(beforeTs, days) {
      // Day-dated headlines count as known at the end of their day (see NewsFeed.recent).
      return sorted.filter((h) => h.ts + DAY_MS <= beforeTs && h.ts + DAY_MS > beforeTs - days * DAY_MS);
    },
  };
}

/** The offline feed: a CSV file in the shared news format, read once. */
export function csvNewsFeed(file: string): NewsFeed {
  return staticFeed(parseHeadlinesCsv(fs.readFileSync(file, 'utf8')), `csv:${file}`);
}

/** No feed configured: every query answers nothing (the sentiment analyst then abstains). */
export const NO_NEWS: NewsFeed = { name: 'none', recent: () => [] };

/** Decodes the XML entities RSS titles carry (&amp; &lt; &#8217; ...) and strips CDATA. */
function xmlText(raw: string): string {
  const t = raw.replace(/^\s*<!\[CDATA\[([\s\S]*?)\]\]>\s*$/, '$1');
  return t
    .replace(/&#(\d+);/g, (_, d) => String.fromCodePoint(Number(d)))
    .replace(/&#x([0-9a-f]+);/gi, (_, h) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&')
    .trim();
}

function tag(block: string, name: string): string | undefined {
  const m = new RegExp(`<${name}(?:\\s[^>]*)?>([\\s\\S]*?)</${name}>`, 'i').exec(block);
  return m ? xmlText(m[1]) : undefined;
}

/**
 * Headlines of an RSS 2.0 (<item><title><pubDate><link>) or Atom (<entry><title><updated|published>
 * <link href>) document. Items without a parseable date are skipped: an undated headline could
 * leak into a decision made before it was published.
 */
export function parseFeed(xml: string): Headline[] {
  const out: Headline[] = [];
  const blocks = xml.match(/<item[\s>][\s\S]*?<\/item>|<entry[\s>][\s\S]*?<\/entry>/gi) ?? [];
  for (const b of blocks) {
    const title = tag(b, 'title');
    const when = tag(b, 'pubDate') ?? tag(b, 'published') ?? tag(b, 'updated') ?? tag(b, 'dc:date');
    const ts = when ? Date.parse(when) : NaN;
    if (!title || !Number.isFinite(ts)) continue;
    const url = tag(b, 'link') || /<link[^>]*href="([^"]+)"/i.exec(b)?.[1] || '';
    out.push({ ts, headline: title, url });
  }
  return out.sort((a, b) => a.ts - b.ts);
}

/**
 * RSS/Atom over HTTP for live use. `refresh()` fetches the feed (bounded by a timeout) and keeps
 * what it has read, newest last, merged by link and title; a failed fetch keeps the old headlines
 * and is reported through `onError`. Started with `every` it refreshes itself in the background
 * (the timer never keeps the process alive). RSS items carry exact times, so a headline counts
 * from its publication time on.
 */
export function rssNewsFeed(url: string, o: { timeoutMs?: number; every?: number; onError?: (e: Error) => void; keep?: number } = {}): NewsFeed & { size(): number; stop(): void } {
  let held: Headline[] = [];
  const keep = o.keep ?? 500;
  const refresh = async () => {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(o.timeoutMs ?? 10_000), headers: { accept: 'application/rss+xml, application/atom+xml, text/xml' } });
      if (!res.ok) throw new Error(`news feed ${url} answered ${res.status}`);
      const fresh = parseFeed(await res.text());
      const seen = new Map(held.map((h) => [`${h.url}|${h.headline}`, h]));
      for (const h of fresh) seen.set(`${h.url}|${h.headline}`, h);
      held = [...seen.values()].sort((a, b) => a.ts - b.ts).slice(-keep);
    } catch (e) {
      o.onError?.(e as Error);
    }
  };
  const timer = o.every ? setInterval(() => void refresh(), o.every) : null;
  timer?.unref();
  if (o.every) void refresh();
  return {
    name: `rss:${url}`,
    recent(beforeTs: number, days: number): Headline[] {
      return held.filter((h) => h.ts < beforeTs && h.ts >= beforeTs - days * DAY_MS);
    },
    refresh,
    size: () => held.length,
    stop: () => {
      if (timer) clearInterval(timer);
    },
  };
}

/**
 * The transparent sentiment lexicon. Each word (matched as a whole word, case-insensitive, with
 * simple suffixes) scores +1 or -1; a headline's score is the sign of its sum. Kept short and
 * readable so anyone can see why a headline counted as good or bad news.
 */
export const POSITIVE_WORDS = [
  'accept', 'accepts', 'adopt', 'adopts', 'adds', 'approve', 'approves', 'buy', 'buys', 'launch', 'launches',
  'legal tender', 'allowed', 'integrates', 'invest', 'investment', 'offers', 'rise', 'rally', 'surge', 'soar',
  'record', 'high', 'gain', 'gains', 'bull', 'bullish', 'upgrade', 'activated', 'promotes', 'passes', 'restarts',
  'partnership', 'growth', 'boom', 'recover', 'recovers', 'arrested', 'defend', 'valued',
];
export const NEGATIVE_WORDS = [
  'ban', 'bans', 'banned', 'crackdown', 'clamps', 'curbs', 'halt', 'halts', 'halted', 'hack', 'hacked', 'hacker',
  'hackers', 'steal', 'steals', 'stole', 'theft', 'fraud', 'scam', 'crash', 'crashes', 'plunge', 'drop', 'drops',
  'fall', 'falls', 'dark', 'shut', 'shutdown', 'shutdowns', 'suspend', 'suspends', 'closes', 'freeze', 'sanctions',
  'threat', 'threatens', 'threatened', 'warns', 'bug', 'rollback', 'outage', 'outages', 'lawsuit', 'sue', 'penalties',
  'forbidden', 'forbids', 'downgrades', 'bear', 'bearish', 'crisis', 'invades', 'inflation', 'blocks',
  'offline', 'prevent', 'rejects', 'compromise', 'hurts', 'dies', 'suicide', 'bankrupt', 'collapse', 'liquidation',
];

const wordRe = (w: string) => new RegExp(`(^|[^a-z])${w.replace(/ /g, '\\s+')}([^a-z]|$)`, 'i');
const POS = POSITIVE_WORDS.map((w) => [w, wordRe(w)] as const);
const NEG = NEGATIVE_WORDS.map((w) => [w, wordRe(w)] as const);

export interface HeadlineScore {
  headline: string;
  score: number;
  hits: string[];
}

export function scoreHeadline(text: string): HeadlineScore {
  const hits: string[] = [];
  let score = 0;
  for (const [w, re] of POS) if (re.test(text)) (score++, hits.push(`+${w}`));
  for (const [w, re] of NEG) if (re.test(text)) (score--, hits.push(`-${w}`));
  return { headline: text, score, hits };
}
