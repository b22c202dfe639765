import fs from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../config/load.js';
import type { Line, Rich, SpanStyle } from './rich.js';

/**
 * Message templates live in templates/<lang>/<name>.txt. Syntax, kept tiny on purpose:
 *   {{name}}      a value (escaped for the channel later: values never become markup)
 *   **bold**  __italic__  `code`   styles, toggled within one line
 *   a line whose values include a missing one (undefined/null) is left out, so optional lines
 *   need no conditionals; a multi-line value spreads over several lines in the same style.
 */
export type Vars = Record<string, string | number | undefined | null>;

const cache = new Map<string, string>();

export function templatePath(lang: string, name: string): string {
  return path.join(PROJECT_ROOT, 'templates', lang, `${name}.txt`);
}

function load(lang: string, name: string): string {
  const key = `${lang}/${name}`;
  let t = cache.get(key);
  if (t === undefined) {
    const file = fs.existsSync(templatePath(lang, name)) ? templatePath(lang, name) : templatePath('en', name);
    t = fs.readFileSync(file, 'utf8').replace(/\r\n/g, '\n').replace(/\n+$/, '');
    cache.set(key, t);
  }
  return t;
}

type Token = { kind: 'text'; text: string } | { kind: 'var'; name: string } | { kind: 'style'; style: SpanStyle };

function tokenize(line: string): Token[] {
  const out: Token[] = [];
  const re = /\{\{\s*([\w.]+)\s*\}\}|\*\*|__|`/g;
  let last = 0;
  for (let m = re.exec(line); m; m = re.exec(line)) {
    if (m.index > last) out.push({ kind: 'text', text: line.slice(last, m.index) });
    if (m[1]) out.push({ kind: 'var', name: m[1] });
    else out.push({ kind: 'style', style: m[0] === '**' ? 'bold' : m[0] === '__' ? 'italic' : 'code' });
    last = re.lastIndex;
  }
  if (last < line.length) out.push({ kind: 'text', text: line.slice(last) });
  return out;
}

/** Renders one template line; returns null when a value it needs is missing. */
function renderLine(line: string, vars: Vars): Line[] | null {
  const tokens = tokenize(line);
  let style: SpanStyle = 'plain';
  // Lines of output: a multi-line value opens new lines.
  const lines: Line[] = [[]];
  for (const t of tokens) {
    if (t.kind === 'style') {
      style = style === t.style ? 'plain' : t.style;
      continue;
    }
    let text: string;
    if (t.kind === 'text') text = t.text;
    else {
      const v = vars[t.name];
      if (v === undefined || v === null) return null;
      text = String(v);
    }
    const parts = text.split('\n');
    parts.forEach((p, k) => {
      if (k > 0) lines.push([]);
      if (p) lines[lines.length - 1].push({ text: p, style });
    });
  }
  return lines;
}

export function renderTemplateText(text: string, vars: Vars): Rich {
  const out: Rich = [];
  for (const line of text.split('\n')) {
    const r = renderLine(line, vars);
    if (r) out.push(...r);
  }
  return out;
}

export function renderTemplate(lang: string, name: string, vars: Vars): Rich {
  return renderTemplateText(load(lang, name), vars);
}

/**
 * A counted phrase: `key_one`, `key_other` (and any other category Intl.PluralRules gives the
 * language, e.g. `key_few`) from strings.txt, chosen for `n`; `{{n}}` is the count. The language's
 * own plural rules come from the platform (CLDR through Intl), not from a hand-written table.
 */
export function plural(lang: string, key: string, n: number, vars: Vars = {}): string {
  const category = new Intl.PluralRules(lang === 'es' ? 'es-ES' : 'en-US').select(n);
  const v = { n, ...vars };
  try {
    return str(lang, `${key}_${category}`, v);
  } catch {
    return str(lang, `${key}_other`, v);
  }
}

/** Short strings (button labels, notices, errors) from templates/<lang>/strings.txt: `key = text`. */
const stringsCache = new Map<string, Map<string, string>>();
export function str(lang: string, key: string, vars: Vars = {}): string {
  let m = stringsCache.get(lang);
  if (!m) {
    m = new Map();
    for (const l of ['en', lang]) {
      const file = path.join(PROJECT_ROOT, 'templates', l, 'strings.txt');
      if (!fs.existsSync(file)) continue;
      for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
        const eq = line.indexOf(' = ');
        if (eq > 0 && !line.startsWith('#')) m.set(line.slice(0, eq).trim(), line.slice(eq + 3));
      }
    }
    stringsCache.set(lang, m);
  }
  const t = m.get(key);
  if (t === undefined) throw new Error(`missing string "${key}" in templates/${lang}/strings.txt`);
  // strings.txt keeps one line per key: `\n` in a text is a line break.
  return t.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, k) => String(vars[k] ?? '')).replace(/\\n/g, '\n');
}

/** A string when the key exists (in the language or in English), else `fallback` as it is. */
export function strOr(lang: string, key: string, fallback: string, vars: Vars = {}): string {
  try {
    return str(lang, key, vars);
  } catch {
    return fallback;
  }
}
