import { isVote, RECOMMENDATIONS, type Analysis, type Analyst, type AnalystName, type FinalVote, type Position, type Recommendation, type RoundEntry, type Snapshot, type Verdict, type Vote } from './types.js';
import { because, recWord } from './reasons.js';

/**
 * How the crew reaches a decision, as in the seed: initial analyses, up to N debate rounds in
 * which every analyst sees the others' latest positions and may revise, then a weighted vote.
 */
export interface ConsensusSettings {
  /** Debate rounds at most (0 = vote on the initial analyses). */
  rounds: number;
  /** Weighted share the top recommendation needs to be the crew's decision (0.5-1). */
  threshold: number;
  /** Effective weight per analyst (configured weight x learned multiplier). */
  weights: Record<AnalystName, number>;
  /** Rule revision: an analyst less confident than this may be persuaded... */
  reviseBelow: number;
  /** ...by this share of the others' weighted conviction behind another recommendation. */
  persuadeShare: number;
}

const r2 = (v: number) => Math.round(v * 100) / 100;

function emptyScores(): Record<Recommendation, number> {
  return { BUY: 0, SELL: 0, HOLD: 0 };
}

/** Sum of weight x confidence per recommendation over the positions that are votes. */
export function scoresOf(positions: Array<{ analysis: Analysis; weight: number }>): Record<Recommendation, number> {
  const s = emptyScores();
  for (const p of positions) if (isVote(p.analysis)) s[p.analysis.recommendation] += p.weight * p.analysis.confidence;
  return s;
}

/** The top recommendation and its share; a tie for the top has no winner. */
function top(scores: Record<Recommendation, number>): { rec: Recommendation | null; share: number } {
  const total = RECOMMENDATIONS.reduce((a, r) => a + scores[r], 0);
  if (!(total > 0)) return { rec: null, share: 0 };
  const sorted = [...RECOMMENDATIONS].sort((a, b) => scores[b] - scores[a]);
  const share = scores[sorted[0]] / total;
  return { rec: scores[sorted[0]] - scores[sorted[1]] > 1e-12 ? sorted[0] : null, share };
}

/**
 * The weighted vote: the recommendation with the largest sum of weight x confidence wins when its
 * share of all voters' sum reaches the threshold; otherwise there is no consensus. Abstentions
 * count for nothing either way.
 */
export function weightedVote(votes: FinalVote[], threshold: number): Pick<Verdict, 'consensus' | 'agreement' | 'scores'> {
  const scores = scoresOf(votes);
  const t = top(scores);
  return { consensus: t.rec !== null && t.share >= threshold - 1e-12 ? t.rec : null, agreement: t.share, scores };
}

/**
 * The debate rule of the rule analysts (LLM analysts are asked instead). An analyst keeps its view
 * unless ALL of these hold: it voted (abstentions stay out), its view is not firm (a risk limit),
 * its confidence is below `reviseBelow`, and at least `persuadeShare` of the OTHER voters'
 * weighted conviction backs one different recommendation. Then it adopts that recommendation,
 * persuaded but with 20% less conviction than it had, and says so in its reasoning.
 */
export function reviseByRule(own: Analysis, others: Position[], s: Pick<ConsensusSettings, 'reviseBelow' | 'persuadeShare'>): Analysis {
  if (!isVote(own) || own.firm || own.confidence >= s.reviseBelow) return own;
  const t = top(scoresOf(others));
  if (t.rec === null || t.rec === own.recommendation || t.share < s.persuadeShare) return own;
  // Said as a key and figures (the earlier reason nested), so /why words it in the chat's language.
  const why = because('revised', { from: recWord(own.recommendation), to: recWord(t.rec), share: Math.round(t.share * 100), before: own.why ?? own.reasoning });
  const revised: Vote = {
    recommendation: t.rec,
    confidence: r2(own.confidence * 0.8),
    reasoning: `revised ${own.recommendation}→${t.rec}: ${Math.round(t.share * 100)}% of the others' weight backs ${t.rec} (before: ${own.reasoning})`,
    why,
    supportingData: { ...own.supportingData, revisedFrom: own.recommendation },
  };
  return revised;
}

const recOf = (a: Analysis) => (isVote(a) ? a.recommendation : null);

function othersOf(names: AnalystName[], current: Analysis[], k: number, weights: Record<AnalystName, number>): Position[] {
  return names.flatMap((n, j) => (j === k ? [] : [{ analyst: n, analysis: current[j], weight: weights[n] ?? 1 }]));
}

function finish(analysts: Analyst[], current: Analysis[], history: RoundEntry[], rounds: number, s: ConsensusSettings, notices: string[]): Verdict {
  const votes: FinalVote[] = analysts.map((a, k) => ({ analyst: a.name, kind: a.kind, analysis: current[k], weight: s.weights[a.name] ?? 1 }));
  for (const v of votes) if (!isVote(v.analysis) && v.analysis.llmFailure) notices.push(`${v.analyst} (${v.analysis.reason})`);
  const vote = weightedVote(votes, s.threshold);
  return { ...vote, threshold: s.threshold, rounds, history, votes, notice: notices.length ? [...new Set(notices)].join('; ') : undefined };
}

/** A thrown analyst is an abstention with the error as its reason: never a made-up vote. */
function guard(name: string, e: unknown): Analysis {
  const error = ((e as Error)?.message ?? String(e)).slice(0, 250);
  return { abstain: true, reason: `${name} failed: ${error}`.slice(0, 300), why: because('failed', { name: { code: `analyst.${name}` }, error }) };
}

/**
 * The whole deliberation, for any mix of rule and LLM analysts. LLM analysts in one round are asked
 * in parallel. Debate stops early when a round changes nobody's recommendation.
 */
export async function deliberate(snapshot: Snapshot, analysts: Analyst[], s: ConsensusSettings): Promise<Verdict> {
  const names = analysts.map((a) => a.name);
  const history: RoundEntry[] = [];
  const notices: string[] = [];
  let current = await Promise.all(
    analysts.map(async (a) => {
      try {
        return await a.analyze(snapshot);
      } catch (e) {
        return guard(a.name, e);
      }
    }),
  );
  analysts.forEach((a, k) => history.push({ round: 0, analyst: a.name, kind: a.kind, analysis: current[k], changed: false }));
  let rounds = 0;
  for (let r = 1; r <= s.rounds && current.filter(isVote).length > 1; r++) {
    const prev = current;
    current = await Promise.all(
      analysts.map(async (a, k) => {
        const own = prev[k];
        if (!isVote(own)) return own;
        const others = othersOf(names, prev, k, s.weights);
        if (!a.revise) return reviseByRule(own, others, s);
        try {
          return await a.revise(snapshot, own, others);
        } catch (e) {
          notices.push(`${a.name} could not revise (${(e as Error)?.message ?? e}); kept its view`);
          return own;
        }
      }),
    );
    rounds = r;
    if (!recordRound(analysts, prev, current, r, history)) break;
  }
  return finish(analysts, current, history, rounds, s, notices);
}

/** Appends a debate round to the history; true when somebody changed their mind. */
function recordRound(analysts: Analyst[], prev: Analysis[], current: Analysis[], round: number, history: RoundEntry[]): boolean {
  let changedAny = false;
  analysts.forEach((a, k) => {
    const changed = recOf(current[k]) !== recOf(prev[k]);
    changedAny ||= changed;
    history.push({ round, analyst: a.name, kind: a.kind, analysis: current[k], changed });
  });
  return changedAny;
}

/**
 * The same deliberation, synchronous, for rule analysts only (the crew as a backtest strategy:
 * the engine asks for a signal per bar and cannot wait).
 */
export function deliberateSync(snapshot: Snapshot, analysts: Analyst[], s: ConsensusSettings): Verdict {
  const names = analysts.map((a) => a.name);
  const history: RoundEntry[] = [];
  let current = analysts.map((a) => {
    if (a.kind !== 'rule') throw new Error(`deliberateSync takes rule analysts only (${a.name} is ${a.kind})`);
    return a.analyze(snapshot) as Analysis;
  });
  analysts.forEach((a, k) => history.push({ round: 0, analyst: a.name, kind: a.kind, analysis: current[k], changed: false }));
  let rounds = 0;
  for (let r = 1; r <= s.rounds && current.filter(isVote).length > 1; r++) {
    const prev = current;
    current = analysts.map((_, k) => reviseByRule(prev[k], othersOf(names, prev, k, s.weights), s));
    rounds = r;
    if (!recordRound(analysts, prev, current, r, history)) break;
  }
  return finish(analysts, current, history, rounds, s, []);
}

/** What the verdict means for the agent's proposed side. */
export function outcomeOf(v: Verdict, side: 'BUY' | 'SELL'): import('./types.js').Outcome {
  if (v.consensus === null) return 'no_consensus';
  if (v.consensus === 'HOLD') return 'hold';
  return v.consensus === side ? 'proposal' : 'disagree';
}
