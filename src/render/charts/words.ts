/**
 * What a chart says, in the chart's language: every word drawn on an image comes from
 * templates/<lang>/strings.txt (keys `chart.*`), and numbers use the language's format
 * (en 1,234.5; es 1.234,5), as the messages around the image do.
 */
import { str, type Vars } from '../template.js';

/** The language charts are drawn in when a caller names none (tests, benchmarks). */
export const DEFAULT_CHART_LANG = 'en';

export const chartWord = (lang: string, key: string, vars: Vars = {}) => str(lang, `chart.${key}`, vars);

export const chartLocale = (lang: string) => (lang === 'es' ? 'es-ES' : 'en-US');

const formats = new Map<string, Intl.NumberFormat>();
/** A number in the language's format, with `min`..`max` decimals. */
export function chartNumber(lang: string, v: number, max: number, min = 0): string {
  const key = `${lang}:${min}:${max}`;
  let f = formats.get(key);
  if (!f) {
    // The same grouping as the messages' Fmt (src/render/format.ts), so image and text agree.
    f = new Intl.NumberFormat(chartLocale(lang), { minimumFractionDigits: min, maximumFractionDigits: max, useGrouping: true });
    formats.set(key, f);
  }
  return f.format(v);
}

/** A signed percent of a value already in percent: +1,25% / +1.25% (as Fmt.signedPct writes it). */
export function chartSignedPct(lang: string, pct: number, digits = 2): string {
  return `${pct >= 0 ? '+' : ''}${chartNumber(lang, pct, digits, digits)}%`;
}
