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

/**
 * RSS/HTTP feed for live use — a STUB. TODO: fetch the URL on `refresh()` (scheduled by the
 * scanner), parse <item><title>/<pubDate>, keep the last days in memory. Until then it holds no
 * headlines and says so in its name, so the sentiment analyst abstains with "no recent news".
 */
export function rssNewsFeed(url: string): NewsFeed {
  return { name: `rss:${url} (not implemented: no headlines)`, recent: () => [], refresh: async () => {} };
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
