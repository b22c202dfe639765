import type OpenAI from 'openai';
import { makeScrubber } from '../util/redact.js';
import { z } from 'zod';
import type { DB } from '../store/db.js';
import { llmUsageOn, recordLlmCall } from '../store/llm-usage.js';
import type { Analysis, Analyst, AnalystName, Position, Snapshot } from './types.js';
import { because } from './reasons.js';
import { isVote } from './types.js';

/**
 * The crew's LLM port: any OpenAI-compatible chat-completions server through the openai package
 * (OPENAI_BASE_URL points it at Ollama, LM Studio, a local stand-in...). Answers are JSON validated
 * against a zod schema, retried once on invalid output, bounded by a timeout per request and a
 * token budget per UTC day kept in SQLite. Every failure is an LlmError; callers turn it into an
 * abstention, never into a vote.
 */
export interface LlmSettings {
  apiKey: string;
  baseURL: string;
  model: string;
  timeoutMs: number;
  dailyTokenBudget: number;
  maxTokens: number;
}

export type LlmFailure = 'timeout' | 'invalid' | 'budget' | 'http';

export class LlmError extends Error {
  constructor(
    message: string,
    public readonly kind: LlmFailure,
  ) {
    super(message);
    this.name = 'LlmError';
  }
}

export interface LlmUsage {
  day: string;
  tokens: number;
  calls: number;
  failures: number;
  budget: number;
}

export interface LlmClient {
  readonly model: string;
  askJson<T>(system: string, user: string, schema: z.ZodType<T>): Promise<T>;
  usage(): LlmUsage;
}

const dayOf = (ts: number) => new Date(ts).toISOString().slice(0, 10);

/** The JSON in an answer: the whole text, or the first {...} block (models like code fences). */
export function extractJson(text: string): unknown {
  const t = text.trim();
  try {
    return JSON.parse(t);
  } catch {
    const a = t.indexOf('{');
    const b = t.lastIndexOf('}');
    if (a >= 0 && b > a) return JSON.parse(t.slice(a, b + 1));
    throw new Error('no JSON object in the answer');
  }
}

export function createLlm(db: DB, s: LlmSettings, now: () => number = Date.now): LlmClient {
  // The openai package (~0.1 s and ~10 MiB to load) is imported at the first call, not at every
  // bot start: most runs configure no LLM, and ones that do pay it once.
  // maxRetries 0: one retry is ours to decide (invalid output); a slow server must not get
  // three more chances to blow the timeout.
  let sdk: Promise<{ client: OpenAI; sdk: typeof import('openai') }> | null = null;
  const connect = () =>
    (sdk ??= import('openai').then((m) => ({ sdk: m, client: new m.default({ apiKey: s.apiKey || 'not-needed', baseURL: s.baseURL || undefined, timeout: s.timeoutMs, maxRetries: 0 }) })));
  const usage = (): LlmUsage => {
    const day = dayOf(now());
    return { day, ...llmUsageOn(db, day), budget: s.dailyTokenBudget };
  };
  const count = (tokens: number, failed: boolean) => recordLlmCall(db, dayOf(now()), tokens, failed);
  const scrub = makeScrubber([s.apiKey]);

  async function call(messages: OpenAI.Chat.Completions.ChatCompletionMessageParam[]): Promise<string> {
    const u = usage();
    if (u.tokens >= s.dailyTokenBudget) throw new LlmError(`daily LLM token budget exhausted (${u.tokens}/${s.dailyTokenBudget} tokens today)`, 'budget');
    const { client, sdk: { APIConnectionTimeoutError, APIError } } = await connect();
    try {
      const res = await client.chat.completions.create(
        { model: s.model, messages, temperature: 0, max_tokens: s.maxTokens, response_format: { type: 'json_object' } },
        { timeout: s.timeoutMs, maxRetries: 0 },
      );
      const text = res.choices[0]?.message?.content ?? '';
      // Servers that do not report usage are charged by length (about 4 characters a token).
      const spent = res.usage?.total_tokens ?? Math.ceil((JSON.stringify(messages).length + text.length) / 4);
      count(spent, false);
      return text;
    } catch (e) {
      count(0, true);
      if (e instanceof APIConnectionTimeoutError) throw new LlmError(`no answer within ${Math.round(s.timeoutMs / 100) / 10} s`, 'timeout');
      // Scrubbed before it is cut: a server may echo the key, and a cut key is no longer the key.
      if (e instanceof APIError) throw new LlmError(`server error ${e.status ?? ''} ${scrub(e.message ?? '').slice(0, 120)}`.trim(), 'http');
      throw new LlmError(`request failed: ${scrub(String((e as Error)?.message ?? e))}`.slice(0, 200), 'http');
    }
  }

  return {
    model: s.model,
    usage,
    async askJson<T>(system: string, user: string, schema: z.ZodType<T>): Promise<T> {
      const messages: OpenAI.Chat.Completions.ChatCompletionMessageParam[] = [
        { role: 'system', content: system },
        { role: 'user', content: user },
      ];
      let problem = '';
      for (let attempt = 0; attempt < 2; attempt++) {
        const text = await call(messages);
        try {
          const parsed = schema.safeParse(extractJson(text));
          if (parsed.success) return parsed.data;
          problem = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
        } catch (e) {
          problem = (e as Error).message;
        }
        // One retry, telling the model what was wrong with its answer.
        messages.push({ role: 'assistant', content: text.slice(0, 2000) }, { role: 'user', content: `That answer was invalid (${problem}). Reply again with ONLY the JSON object in the required shape.` });
      }
      throw new LlmError(`invalid answer twice (${problem.slice(0, 160)})`, 'invalid');
    },
  };
}

export const voteSchema = z.object({
  recommendation: z.enum(['BUY', 'SELL', 'HOLD']),
  confidence: z.number().min(0).max(1),
  reasoning: z.string().min(1).max(1000),
  supporting_data: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).optional(),
});

const ROLES: Record<AnalystName, string> = {
  technical: 'You are the TECHNICAL ANALYST of a trading crew. Judge the indicator values only (trend, momentum, RSI, MACD, ADX, Bollinger).',
  risk: "You are the RISK MANAGER of a trading crew. Judge whether the agent's proposed trade is acceptable for the account (open positions, exposure, drawdown, volatility, reward:risk). Recommend HOLD when it is not; otherwise back the trade's side.",
  monitor: 'You are the MARKET MONITOR of a trading crew. Judge the market regime, volume and volatility.',
  sentiment: 'You are the SENTIMENT ANALYST of a trading crew. Judge the recent news headlines for the market.',
  strategist: "You are the STRATEGIST of a trading crew. Weigh everything in the snapshot, including the agent's own decision, and decide.",
};

const ANSWER_SHAPE =
  'Answer with ONLY a JSON object: {"recommendation":"BUY"|"SELL"|"HOLD","confidence":number 0-1,"reasoning":"one or two sentences","supporting_data":{"key":value,...}}. BUY = open or favour a long position, SELL = a short one, HOLD = no trade.';

/** Languages the reasoning is asked in, besides English (the prompts' own). */
const LANGUAGE_NAMES: Record<string, string> = { es: 'Spanish' };

const r4 = (v: number) => (Number.isFinite(v) ? Math.round(v * 1e4) / 1e4 : null);

/** The snapshot as the model sees it: rounded numbers, no internals. */
export function promptSnapshot(s: Snapshot, ruleReading?: Analysis): Record<string, unknown> {
  const d = s.decision;
  return {
    symbol: s.symbol,
    timeframe: s.timeframe,
    decision_time: new Date(s.decisionTs).toISOString(),
    regime: s.regime,
    features: Object.fromEntries(Object.entries(s.features).map(([k, v]) => [k, r4(v)])),
    news: s.news.map((h) => ({ date: new Date(h.ts).toISOString().slice(0, 10), headline: h.headline })),
    open_positions: s.positions,
    account: s.risk,
    agent_decision: d && { side: d.direction === 'LONG' ? 'BUY' : 'SELL', strategy: d.strategy, confidence: r4(d.confidence), entry: d.price, stop: d.stop, target: d.target, risk_reward: r4(d.riskReward), reason: d.reason },
    ...(ruleReading ? { rule_based_reading: isVote(ruleReading) ? { recommendation: ruleReading.recommendation, confidence: ruleReading.confidence, reasoning: ruleReading.reasoning } : { abstains: ruleReading.reason } } : {}),
  };
}

function toVote(a: z.infer<typeof voteSchema>): Analysis {
  return { recommendation: a.recommendation, confidence: Math.round(a.confidence * 100) / 100, reasoning: a.reasoning.slice(0, 400), supportingData: a.supporting_data ?? {} };
}

/**
 * An analyst that asks the LLM. It is given its rule-based counterpart's reading as one more
 * input (small local models do better with it) but its vote is the model's own. Any LLM failure
 * is an abstention naming the failure.
 */
export function llmAnalyst(name: AnalystName, llm: LlmClient, rule?: (s: Snapshot) => Analysis, language = 'en'): Analyst {
  // The reasoning is shown to the trader as written (/why): in the chat's language. The JSON keys
  // and BUY/SELL/HOLD stay as they are (they are parsed, not shown).
  const system = `${ROLES[name]} ${ANSWER_SHAPE}${LANGUAGE_NAMES[language] ? ` Write "reasoning" in ${LANGUAGE_NAMES[language]}.` : ''}`;
  return {
    name,
    kind: 'llm',
    async analyze(s) {
      // Nothing to read: no request (and no tokens) for a sentiment analyst without headlines.
      if (name === 'sentiment' && s.news.length === 0) return { abstain: true, reason: `no recent news (last ${s.newsDays} days)`, why: because('sentiment_no_news', { days: s.newsDays }) };
      try {
        return toVote(await llm.askJson(system, JSON.stringify({ snapshot: promptSnapshot(s, rule?.(s)) }), voteSchema));
      } catch (e) {
        if (e instanceof LlmError) return { abstain: true, reason: `LLM ${e.message}`, llmFailure: true };
        throw e;
      }
    },
    async revise(s, own, others: Position[]) {
      const user = JSON.stringify({
        snapshot: promptSnapshot(s),
        debate: 'Debate round. These are your position and the other analysts\' current positions (weight = their vote weight). Keep your view or revise it if their arguments convince you.',
        your_position: isVote(own) ? { recommendation: own.recommendation, confidence: own.confidence, reasoning: own.reasoning } : null,
        others: others.map((o) => ({ analyst: o.analyst, weight: Math.round(o.weight * 100) / 100, ...(isVote(o.analysis) ? { recommendation: o.analysis.recommendation, confidence: o.analysis.confidence, reasoning: o.analysis.reasoning } : { abstains: o.analysis.reason }) })),
      });
      // An LlmError propagates: deliberate() keeps the analyst's previous view and notes why.
      return toVote(await llm.askJson(system, user, voteSchema));
    },
  };
}
