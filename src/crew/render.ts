import type { Fmt } from '../render/format.js';
import { richToPlain, type Rich } from '../render/rich.js';
import { plural, renderTemplate, str, strOr } from '../render/template.js';
import type { DecisionRow, RoundRow } from '../store/crew.js';
import { analysisOf, votesOf } from '../store/crew.js';
import { numberIn, reasonOr } from './reasons.js';
import { isVote, type Analysis, type AnalystName } from './types.js';

/**
 * The crew in messages: the vote block of a proposal (templates/<lang>/crew_votes.txt) and the
 * full debate of /why (why.txt). The few words built here in code (the vote lines) come from a
 * small per-language table; everything else is in the templates.
 */
export const ANALYST_EMOJI: Record<AnalystName, string> = { technical: '📐', risk: '🛡️', monitor: '📡', sentiment: '📰', strategist: '♟️' };

const WORDS: Record<string, Record<string, string>> = {
  en: { abstains: 'abstains', initial: 'initial analyses', round: 'debate round', unchanged: 'nobody changed their mind', changed: 'changed', proposal: 'consensus → proposal', no_consensus: 'no consensus → proposal for you to decide', hold: 'HOLD consensus → no proposal', disagree: "consensus against the agent's side → no proposal", none: 'none' },
  es: { abstains: 'se abstiene', initial: 'análisis iniciales', round: 'ronda de debate', unchanged: 'nadie cambió de opinión', changed: 'cambió', proposal: 'consenso → propuesta', no_consensus: 'sin consenso → propuesta para que decidas', hold: 'consenso MANTENER → sin propuesta', disagree: 'consenso contra el lado del agente → sin propuesta', none: 'ninguna' },
};
export const word = (lang: string, k: string) => (WORDS[lang] ?? WORDS.en)[k] ?? WORDS.en[k];


/** An analyst's name, a recommendation, in the chat's words. */
const analystName = (lang: string, a: string) => strOr(lang, `analyst.${a}`, a);
const recName = (lang: string, r: string) => strOr(lang, `rec.${r}`, r);

/** A supporting figure as the chat writes it: a number in its format, a regime in words, yes/no. */
function dataValue(lang: string, fmt: Fmt, key: string, v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : fmt.num(v, 2);
  if (typeof v === 'boolean') return str(lang, v ? 'on' : 'off');
  if (key === 'regime' && typeof v === 'string') return strOr(lang, `regime_${v}`, v);
  if (key === 'revisedFrom' && typeof v === 'string') return recName(lang, v);
  return String(v);
}

function cut(s: string, n: number): string {
  if (n <= 0) return '';
  return s.length <= n ? s : s.slice(0, Math.max(0, n - 1)).trimEnd() + '…';
}

function voteLine(lang: string, fmt: Fmt, analyst: AnalystName, kind: string, a: Analysis, reasonMax: number, weight?: number): string {
  const who = `${ANALYST_EMOJI[analyst]} ${analystName(lang, analyst)}${kind === 'llm' ? ' (LLM)' : ''}${weight !== undefined ? ` ×${fmt.num(weight, 2)}` : ''}`;
  // The reason in the chat's language when it has a key (rule analysts); an LLM's own words as it gave them.
  const num = numberIn(lang);
  if (!isVote(a)) return `• ${who}: ${word(lang, 'abstains')} — ${cut(reasonOr(lang, a.why, a.reason, num), Math.max(reasonMax, 40))}`;
  const why = cut(reasonOr(lang, a.why, a.reasoning, num), reasonMax);
  return `• ${who}: ${recName(lang, a.recommendation)} ${fmt.pct(a.confidence, 0)}${why ? ` — ${why}` : ''}`;
}

/**
 * The proposal's crew block. `maxChars` bounds the whole block's plain length: vote reasons are
 * shortened until it fits (a Telegram photo caption holds 1024 characters for the whole proposal;
 * /why always has the full text).
 */
export function crewVotesRich(lang: string, fmt: Fmt, d: DecisionRow, maxChars = 1000): Rich {
  const votes = votesOf(d);
  const render = (reasonMax: number) =>
    renderTemplate(lang, 'crew_votes', {
      rounds: plural(lang, 'debate_rounds', d.rounds),
      consensus: d.consensus_reached && d.consensus ? recName(lang, d.consensus) : undefined,
      top: d.consensus_reached ? undefined : recName(lang, topOf(d) ?? '—'),
      agreement: fmt.pct(d.agreement, 0),
      threshold: fmt.pct(d.threshold, 0),
      votes: votes.map((v) => voteLine(lang, fmt, v.analyst, v.kind, v.analysis, reasonMax)).join('\n'),
      notice: d.notice ? cut(d.notice, 200) : undefined,
      id: d.proposal_id ?? undefined,
    });
  for (const n of [110, 80, 60, 45, 38, 30, 0]) {
    const r = render(n);
    if (richToPlain(r).length <= maxChars || n === 0) return r;
  }
  return render(0);
}

function topOf(d: DecisionRow): string | null {
  const s: Record<string, number> = {};
  for (const v of votesOf(d)) if (isVote(v.analysis)) s[v.analysis.recommendation] = (s[v.analysis.recommendation] ?? 0) + v.weight * v.analysis.confidence;
  const e = Object.entries(s).sort((a, b) => b[1] - a[1]);
  return e[0]?.[0] ?? null;
}

/** /why: every round of the debate, then the final weighted votes. */
export function whyRich(lang: string, fmt: Fmt, d: DecisionRow, rounds: RoundRow[], p?: { id: string; direction: string; status: string; strategy: string; confidence: number }): Rich {
  const lines: string[] = [];
  const byRound = new Map<number, RoundRow[]>();
  for (const r of rounds) byRound.set(r.round, [...(byRound.get(r.round) ?? []), r]);
  for (const [n, rows] of [...byRound].sort((a, b) => a[0] - b[0])) {
    lines.push(n === 0 ? `— ${word(lang, 'initial')}:` : `— ${word(lang, 'round')} ${n}:`);
    const shown = n === 0 ? rows : rows.filter((r) => r.changed);
    if (shown.length === 0) lines.push(`  ${word(lang, 'unchanged')}`);
    for (const r of shown) {
      lines.push(`  ${voteLine(lang, fmt, r.analyst, r.kind, analysisOf(r), 400)}${n > 0 ? ` (${word(lang, 'changed')})` : ''}`);
      const data = JSON.parse(r.supporting_json) as Record<string, unknown>;
      const keys = Object.entries(data);
      if (n === 0 && keys.length) lines.push(`    ${keys.map(([k, v]) => `${strOr(lang, `crew_data.${k}`, k)}=${dataValue(lang, fmt, k, v)}`).join(', ')}`);
    }
  }
  const finals = votesOf(d).map((v) => voteLine(lang, fmt, v.analyst, v.kind, v.analysis, 160, v.weight));
  return renderTemplate(lang, 'why', {
    id: d.proposal_id ?? `#${d.id}`,
    symbol: d.symbol,
    side: d.agent_side ? strOr(lang, `side.${d.agent_side}`, d.agent_side) : '—',
    time: fmt.dateTime(d.ts),
    agent: p ? `${p.strategy} · ${strOr(lang, `side.${p.direction}`, p.direction)} · ${fmt.pct(p.confidence, 0)}` : undefined,
    status: p ? strOr(lang, `proposal_state.${p.status}`, p.status) : undefined,
    outcome: word(lang, d.outcome),
    consensus: d.consensus ? recName(lang, d.consensus) : word(lang, 'none'),
    agreement: fmt.pct(d.agreement, 0),
    threshold: fmt.pct(d.threshold, 0),
    rounds: plural(lang, 'debate_rounds', d.rounds),
    detail: lines.join('\n'),
    votes: finals.join('\n'),
    notice: d.notice ?? undefined,
  });
}
