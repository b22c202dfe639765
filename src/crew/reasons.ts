/**
 * Why an analyst votes as it does, as a key and figures (like a proposal's reasonCode and
 * reasonParams), so /why and the proposal's vote block say it in the chat's language. The English
 * sentence an analysis also carries (`reasoning`, `reason`) is rendered from the same strings: it
 * is what the LLM analysts read in the debate and what old records show.
 *
 * A figure is a number (written in the chat's number format), a text (a strategy name, a quoted
 * headline), or another reason (a revised vote says what it was before, the strategist says the
 * agent's reason).
 */
import { str } from '../render/template.js';

export interface Reason {
  /** A strings.txt key: `crew_reason.<what>` for the analysts, `reason_<strategy>_<side>` for an agent. */
  code: string;
  params?: Record<string, string | number | Reason>;
}

export const because = (what: string, params?: Reason['params']): Reason => ({ code: `crew_reason.${what}`, params });

const isReason = (v: unknown): v is Reason => typeof v === 'object' && v !== null && typeof (v as Reason).code === 'string';

/** Decimals a figure was rounded to (at most 2): 39 → 0, 1.5 → 1, 0.25 → 2. */
const decimals = (v: number) => (Number.isInteger(v) ? 0 : Math.min(2, (String(v).split('.')[1] ?? '').length));

/** A figure given as text but written as a number ('40.7': the agents' reasons keep them so). */
const NUMERAL = /^-?\d+(\.\d+)?$/;

/** Numbers as `lang` writes them (es 1.234,5), with the decimals asked for. */
export function numberIn(lang: string): (v: number, digits: number) => string {
  const locale = lang === 'es' ? 'es-ES' : 'en-US';
  return (v, digits) => new Intl.NumberFormat(locale, { minimumFractionDigits: digits, maximumFractionDigits: digits, useGrouping: true }).format(v);
}

/** A reason in `lang`; numbers through `num` (the chat's format), plain English digits by default. */
export function sayReason(lang: string, r: Reason, num: (v: number, digits: number) => string = (v) => String(v)): string {
  const vars: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.params ?? {})) {
    if (isReason(v)) vars[k] = sayReason(lang, v, num);
    else if (typeof v === 'number') vars[k] = num(v, decimals(v));
    else if (NUMERAL.test(v)) vars[k] = num(Number(v), (v.split('.')[1] ?? '').length);
    // A market regime is a code (TRENDING_UP): said in words, as in the proposal's reason.
    else if (k === 'regime' && /^[A-Z_]+$/.test(v)) vars[k] = str(lang, `regime_${v}`);
    else vars[k] = v;
  }
  return str(lang, r.code, vars);
}

/** The reason in `lang` when it has a code (and the code is known), else the stored text. */
export function reasonOr(lang: string, why: Reason | undefined, text: string, num?: (v: number, digits: number) => string): string {
  if (!why) return text;
  try {
    return sayReason(lang, why, num);
  } catch {
    return text;
  }
}

/** A recommendation (BUY, SELL, HOLD) as a figure of a reason: said in the chat's words. */
export const recWord = (rec: string): Reason => ({ code: `rec.${rec}` });
