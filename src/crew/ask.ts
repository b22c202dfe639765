import { str } from '../render/template.js';
import { z } from 'zod';
import type { App } from '../app/context.js';
import { decisionCounts, decisionForProposal, recentDecisions, votesOf, type DecisionRow } from '../store/crew.js';
import { crewFor } from './service.js';
import { LlmError } from './llm.js';
import { effectiveWeights, trackRecords } from './track-record.js';
import { isVote } from './types.js';

/**
 * /ask: questions about the crew's state and recent decisions. The facts always come from SQLite
 * (crewContext); with an LLM configured the model phrases the answer from those facts only,
 * otherwise (or when it fails) the facts are the answer, arranged by what the question names
 * (a proposal id, a symbol, weights).
 */
export interface CrewContext {
  enabled: boolean;
  llm: { configured: boolean; model?: string; tokensToday?: number; budget?: number };
  weights: Array<{ analyst: string; configured: number; effective: number; hits: number; misses: number }>;
  decisions: Array<{ id: number; time: string; symbol: string; agentSide: string | null; consensus: string | null; agreement: number; outcome: string; proposal: string | null; votes: string[]; notice: string | null }>;
  counts: Record<string, number>;
  focus: { proposal?: string; symbol?: string };
}

function decisionFacts(d: DecisionRow): CrewContext['decisions'][number] {
  return {
    id: d.id,
    time: new Date(d.ts).toISOString(),
    symbol: d.symbol,
    agentSide: d.agent_side,
    consensus: d.consensus,
    agreement: Math.round(d.agreement * 100) / 100,
    outcome: d.outcome,
    proposal: d.proposal_id,
    votes: votesOf(d).map((v) => (isVote(v.analysis) ? `${v.analyst} ${v.analysis.recommendation} ${Math.round(v.analysis.confidence * 100)}%: ${v.analysis.reasoning}` : `${v.analyst} abstains: ${v.analysis.reason}`)),
    notice: d.notice,
  };
}

export function crewContext(app: App, question: string): CrewContext {
  const c = app.cfg.crew;
  const crew = crewFor(app);
  const eff = effectiveWeights(app.db, c.weights, c.learn_weights);
  const q = question.toUpperCase();
  const proposal = /\b(p[0-9a-z]{4,})\b/i.exec(question)?.[1]?.toLowerCase();
  const symbol = app.cfg.symbols.find((s) => q.includes(s) || new RegExp(`\\b${s.split('/')[0]}\\b`).test(q));
  let decisions = recentDecisions(app.db, 8, symbol);
  const pd = proposal ? decisionForProposal(app.db, proposal) : undefined;
  if (pd) decisions = [pd, ...decisions.filter((d) => d.id !== pd.id)].slice(0, 8);
  const counts = decisionCounts(app.db);
  const u = crew.llm?.usage();
  return {
    enabled: c.enabled,
    llm: crew.llm ? { configured: true, model: crew.llm.model, tokensToday: u?.tokens, budget: u?.budget } : { configured: false },
    weights: trackRecords(app.db).map((t) => ({ analyst: t.analyst, configured: c.weights[t.analyst], effective: Math.round(eff[t.analyst] * 100) / 100, hits: t.hits, misses: t.misses })),
    decisions: decisions.map(decisionFacts),
    counts,
    focus: { proposal: pd ? proposal : undefined, symbol },
  };
}

/** The facts as text (the answer without an LLM), in the bot's language. */
export function structuredAnswer(ctx: CrewContext, lang = 'en'): string {
  const t = (key: string, vars: Record<string, string | number> = {}) => str(lang, key, vars);
  const lines: string[] = [];
  const llm = ctx.llm.configured ? t('ask_llm_on', { model: ctx.llm.model ?? '', used: ctx.llm.tokensToday ?? 0, budget: ctx.llm.budget ?? 0 }) : t('ask_llm_off');
  lines.push(t('ask_crew', { state: ctx.enabled ? t('ask_on') : t('ask_off'), llm }));
  const total = Object.values(ctx.counts).reduce((a, b) => a + b, 0);
  lines.push(t('ask_decisions', { n: total, detail: total ? ` (${Object.entries(ctx.counts).map(([k, v]) => `${k} ${v}`).join(', ')})` : '' }));
  lines.push(t('ask_weights'));
  for (const w of ctx.weights) lines.push(t('ask_weight_line', { analyst: w.analyst, configured: w.configured, effective: w.effective, hits: w.hits, misses: w.misses }));
  const title = ctx.focus.proposal ? t('ask_title_proposal', { id: ctx.focus.proposal }) : ctx.focus.symbol ? t('ask_title_symbol', { symbol: ctx.focus.symbol }) : t('ask_title_recent');
  lines.push(title);
  if (ctx.decisions.length === 0) lines.push(t('ask_none_yet'));
  const shown = ctx.focus.proposal ? ctx.decisions.slice(0, 1) : ctx.decisions.slice(0, 5);
  for (const d of shown) {
    lines.push(`• ${d.time.slice(0, 16).replace('T', ' ')} ${d.symbol} ${t('ask_agent')} ${d.agentSide ?? '—'} → ${d.outcome}${d.consensus ? ` (${d.consensus} ${Math.round(d.agreement * 100)}%)` : ` (${Math.round(d.agreement * 100)}%)`}${d.proposal ? ` · ${d.proposal}` : ''}`);
    if (ctx.focus.proposal) for (const v of d.votes) lines.push(`   ${v}`);
  }
  return lines.join('\n');
}

const answerSchema = z.object({ answer: z.string().min(1).max(3000) });

export async function answerQuestion(app: App, question: string): Promise<{ text: string; via: 'llm' | 'structured'; notice?: string }> {
  const ctx = crewContext(app, question);
  const llm = crewFor(app).llm;
  if (!llm) return { text: structuredAnswer(ctx, app.cfg.language), via: 'structured' };
  try {
    const r = await llm.askJson(
      'You answer questions about a trading bot\'s analyst crew (technical, risk, monitor, sentiment, strategist) using ONLY the facts in the JSON context. Say so when the facts do not answer the question. Be brief. Answer with ONLY a JSON object {"answer":"..."}.',
      JSON.stringify({ question, context: ctx }),
      answerSchema,
    );
    return { text: r.answer, via: 'llm' };
  } catch (e) {
    if (!(e instanceof LlmError)) throw e;
    return { text: structuredAnswer(ctx, app.cfg.language), via: 'structured', notice: `LLM ${app.scrub(e.message)}; the facts instead:` };
  }
}
