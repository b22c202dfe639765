import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { COMMANDS } from '../commands/index.js';
import { ask } from '../commands/ask.js';
import { why } from '../commands/why.js';
import type { App } from '../src/app/context.js';
import { createApp } from '../src/app/create.js';
import { createConsoleAdapter } from '../src/chat/console.js';
import { createRouter } from '../src/chat/router.js';
import { loadConfig } from '../src/config/load.js';
import { answerQuestion } from '../src/crew/ask.js';
import { deliberate } from '../src/crew/consensus.js';
import { createCrew } from '../src/crew/service.js';
import { decisionForProposal } from '../src/store/crew.js';
import type { Snapshot, Vote } from '../src/crew/types.js';
import { backfill } from '../src/market/refresh.js';
import { openDb, type DB } from '../src/store/db.js';
import { silentLogger } from '../src/util/logger.js';
import { scanUntilProposal } from './support/app.js';
import { roleOf, startOpenAiStandin, vote, type OpenAiStandin } from './support/openai-standin.js';
import { tempDataDir } from './support/spawn-bot.js';

const KEY = 'sk-test-never-shown-0123456789';

function snapshot(): Snapshot {
  const features = { close: 100, high: 101, low: 99, volume: 10, rsi: 58, emaFast: 101, emaSlow: 99, sma50: 97, macd: 1, macdSignal: 0.5, macdHist: 0.5, bbUpper: 104, bbMiddle: 100, bbLower: 96, atr: 1.5, adx: 30, pdi: 25, mdi: 15, donchianHigh: 100.5, donchianLow: 95, volSma: 8, volatility: 0.015, volatilityAvg: 0.014, momentum: 0.02 };
  return {
    symbol: 'BTC/USDT',
    timeframe: '1h',
    candleTs: Date.parse('2021-06-10T09:00:00Z'),
    decisionTs: Date.parse('2021-06-10T10:00:00Z'),
    features,
    regime: 'TRENDING_UP',
    news: [{ ts: Date.parse('2021-06-09T00:00:00Z'), headline: 'El Salvador adopts BTC as Legal Tender', url: '' }],
    newsDays: 3,
    positions: [],
    risk: { equity: 10_000, peakEquity: 10_000, exposure: 0, openPositions: 0, maxOpenPositions: 3, maxTotalExposure: 0.75, maxDrawdown: 0.2 },
    decision: { action: 'BUY', direction: 'LONG', strategy: 'trend_following', price: 100, candleTs: 0, confidence: 0.8, confidenceLevel: 'VERY_HIGH', confluence: 0.83, stop: 97.75, target: 104.5, riskReward: 2, regime: 'TRENDING_UP', volatility: 0.015, volumeConfirmed: true, atr: 1.5, reason: 'EMA12 above EMA26' },
  };
}

/** The crew with every analyst on the LLM, pointed at the stand-in through OPENAI_BASE_URL. */
function crewAt(db: DB, standin: OpenAiStandin, env: Record<string, string> = {}) {
  const cfg = loadConfig({ env: { OPENAI_BASE_URL: standin.baseURL, OPENAI_API_KEY: KEY, TRADECREW_CREW__LLM__MODEL: 'standin-model', ...env } });
  return createCrew(cfg.crew, db, () => Date.parse('2021-06-10T10:00:00Z'), { language: cfg.language });
}

describe('LLM analysts against a local OpenAI-compatible server (real openai client)', () => {
  let s: OpenAiStandin;
  let db: DB;
  before(async () => {
    s = await startOpenAiStandin();
  });
  after(async () => {
    await s.close();
  });

  test('valid JSON votes: every analyst asks the model; votes, reasons and the debate come from it', async () => {
    db = openDb(':memory:');
    s.requests.length = 0;
    s.setHandler((req) => {
      const role = roleOf(req);
      const debate = req.messages.some((m) => m.content.includes('Debate round'));
      // The technical analyst starts unconvinced and comes round in the debate (LLM revision by prompt).
      if (role === 'technical') return { content: debate ? vote('BUY', 0.6, 'the others convinced me: trend is intact') : vote('HOLD', 0.5, 'momentum unclear') };
      return { content: vote('BUY', 0.75, `${role} sees an uptrend`) };
    });
    const crew = crewAt(db, s);
    assert.ok(crew.llm && crew.analysts.every((a) => a.kind === 'llm'));
    const v = await deliberate(snapshot(), crew.analysts, crew.settings());
    assert.equal(v.consensus, 'BUY');
    assert.equal(v.notice, undefined);
    assert.deepEqual(new Set(s.requests.map((r) => roleOf(r.body))), new Set(['technical', 'risk', 'monitor', 'sentiment', 'strategist']));
    // An English bot asks for no other language; a Spanish one asks for the reasoning in Spanish.
    assert.ok(s.requests.every((r) => !/Write "reasoning" in/.test(r.body.messages[0].content)));
    const first = s.requests[0];
    assert.equal(first.body.model, 'standin-model');
    assert.deepEqual(first.body.response_format, { type: 'json_object' });
    assert.equal(first.authorization, `Bearer ${KEY}`);
    assert.match(s.requests.find((r) => roleOf(r.body) === 'sentiment')!.body.messages[1].content, /El Salvador adopts BTC/, 'the headlines reach the model');
    const tech = v.history.filter((h) => h.analyst === 'technical');
    assert.equal((tech[0].analysis as Vote).recommendation, 'HOLD');
    assert.equal(tech[1].changed, true);
    assert.equal((tech[1].analysis as Vote).reasoning, 'the others convinced me: trend is intact');
    assert.equal(crew.llm!.usage().tokens, 50 * s.requests.length, 'every answer is counted against the day\'s budget');
    // A Spanish bot asks for the reasoning in Spanish (the JSON keys and BUY/SELL/HOLD stay).
    s.requests.length = 0;
    await deliberate(snapshot(), crewAt(db, s, { TRADECREW_LANGUAGE: 'es' }).analysts, crew.settings());
    assert.ok(s.requests.length > 0 && s.requests.every((r) => r.body.messages[0].content.endsWith('Write "reasoning" in Spanish.')), 'the Spanish bot asks for Spanish reasoning');
    db.close();
  });

  test('invalid JSON then a valid retry: the vote counts; the retry tells the model what was wrong', async () => {
    db = openDb(':memory:');
    s.requests.length = 0;
    const seen = new Set<string>();
    s.setHandler((req) => {
      const role = roleOf(req);
      if (role === 'strategist' && !seen.has(role)) {
        seen.add(role);
        return { content: 'Sure! I think you should buy. {"recommendation": "MAYBE"}' };
      }
      return { content: vote('BUY', 0.7, `${role} ok`) };
    });
    const crew = crewAt(db, s, { TRADECREW_CREW__DEBATE_ROUNDS: '0' });
    const v = await deliberate(snapshot(), crew.analysts, crew.settings());
    const strat = s.requests.filter((r) => roleOf(r.body) === 'strategist');
    assert.equal(strat.length, 2, 'asked twice');
    assert.match(strat[1].body.messages.at(-1)!.content, /invalid \(recommendation: .*\)/);
    assert.equal((v.votes.find((x) => x.analyst === 'strategist')!.analysis as Vote).reasoning, 'strategist ok');
    assert.equal(v.consensus, 'BUY');
    // Invalid twice: the analyst abstains rather than inventing a vote.
    s.setHandler((req) => ({ content: roleOf(req) === 'risk' ? 'not json at all' : vote('BUY', 0.7, 'ok') }));
    const v2 = await deliberate(snapshot(), crew.analysts, crew.settings());
    const risk = v2.votes.find((x) => x.analyst === 'risk')!.analysis;
    assert.equal(risk.abstain, true);
    assert.match((risk as { reason: string }).reason, /^LLM invalid answer twice/);
    assert.match(v2.notice!, /^risk \(LLM invalid answer twice/);
    db.close();
  });

  test('a server answering 401 with the key echoed (as some proxies do): the analyst abstains and the key appears nowhere', async () => {
    db = openDb(':memory:');
    s.requests.length = 0;
    // The echo is long enough that the client's message is cut in the middle of the key.
    const echo = `Incorrect API key provided: ${KEY}. You can find your API key at https://example.invalid/account/api-keys. ${'x'.repeat(60)} (key ${KEY})`;
    s.setHandler(() => ({ status: 401, errorMessage: echo }));
    const crew = crewAt(db, s, { TRADECREW_CREW__DEBATE_ROUNDS: '0' });
    const v = await deliberate(snapshot(), crew.analysts, crew.settings());
    const text = JSON.stringify(v);
    assert.ok(v.votes.every((x) => !('recommendation' in x.analysis)), 'every LLM analyst abstains');
    assert.match(text, /server error 401/);
    assert.ok(!text.includes(KEY) && !text.includes(KEY.slice(0, 12)), `the key leaked: ${text.slice(0, 400)}`);
    db.close();
  });

  test('timeout: an analyst whose model does not answer in time abstains, and the verdict says so', async () => {
    db = openDb(':memory:');
    s.requests.length = 0;
    s.setHandler((req) => (roleOf(req) === 'strategist' ? { delayMs: 3000, content: vote('SELL', 0.99, 'too late') } : { content: vote('BUY', 0.7, 'ok') }));
    const crew = crewAt(db, s, { TRADECREW_CREW__LLM__TIMEOUT_SECONDS: '0.3', TRADECREW_CREW__DEBATE_ROUNDS: '0' });
    const t0 = Date.now();
    const v = await deliberate(snapshot(), crew.analysts, crew.settings());
    assert.ok(Date.now() - t0 < 2500, 'bounded by the timeout, not by the server');
    const strat = v.votes.find((x) => x.analyst === 'strategist')!.analysis;
    assert.deepEqual(strat, { abstain: true, reason: 'LLM no answer within 0.3 s', llmFailure: true });
    assert.equal(s.requests.filter((r) => roleOf(r.body) === 'strategist').length, 1, 'no silent retries of a slow server');
    assert.equal(v.consensus, 'BUY', 'the others still decide');
    assert.equal(v.notice, 'strategist (LLM no answer within 0.3 s)');
    db.close();
  });

  test('token budget exhausted: no more requests, every LLM analyst abstains with a notice', async () => {
    db = openDb(':memory:');
    s.requests.length = 0;
    s.setHandler(() => ({ content: vote('BUY', 0.7, 'ok'), totalTokens: 400 }));
    const crew = crewAt(db, s, { TRADECREW_CREW__LLM__DAILY_TOKEN_BUDGET: '1000', TRADECREW_CREW__DEBATE_ROUNDS: '0' });
    const v1 = await deliberate(snapshot(), crew.analysts, crew.settings());
    assert.equal(v1.consensus, 'BUY');
    assert.ok(crew.llm!.usage().tokens >= 1000, 'the first deliberation spent the budget');
    const asked = s.requests.length;
    const v2 = await deliberate(snapshot(), crew.analysts, crew.settings());
    assert.equal(s.requests.length, asked, 'the server was not asked again');
    assert.ok(v2.votes.every((x) => x.analysis.abstain === true));
    assert.equal(v2.consensus, null, 'no votes, no consensus: nothing is invented');
    assert.match(v2.notice!, /daily LLM token budget exhausted \(2000\/1000 tokens today\)/);
    // The budget lives in SQLite: a new crew on the same database (a restart) still sees it spent.
    const again = crewAt(db, s, { TRADECREW_CREW__LLM__DAILY_TOKEN_BUDGET: '1000' });
    assert.equal(again.llm!.usage().tokens, 2000);
    db.close();
  });
});

describe('whole app with the LLM stand-in', () => {
  let s: OpenAiStandin;
  let app: App;
  let out = '';
  const input = new PassThrough();
  before(async () => {
    s = await startOpenAiStandin((req) => {
      if (/answer questions/.test(req.messages[0].content)) return { content: JSON.stringify({ answer: 'The crew proposed one trade; the strategist timed out.' }) };
      // The strategist's model is too slow: it abstains and the proposal says so.
      if (roleOf(req) === 'strategist') return { delayMs: 2000, content: vote('BUY', 0.9, 'late') };
      const side = /"side":"SELL"/.test(req.messages[1].content) ? 'SELL' : 'BUY';
      return { content: vote(side, 0.72, `${roleOf(req)} (model) agrees with ${side}`) };
    });
    const dataDir = tempDataDir();
    const cfg = loadConfig({ env: { TRADECREW_DATA_DIR: dataDir, OPENAI_BASE_URL: s.baseURL, OPENAI_API_KEY: KEY, TRADECREW_CREW__LLM__TIMEOUT_SECONDS: '0.5' } });
    const output = new PassThrough();
    output.on('data', (d) => (out += d));
    const adapter = createConsoleAdapter({ input, output, userName: 'tester' });
    app = createApp(cfg, { adapters: [adapter], log: silentLogger(), outbox: { backoffBaseMs: 50, pollMs: 50 } });
    await backfill(app);
    await adapter.start(createRouter(app, [...COMMANDS, why, ask]), []);
  });
  after(async () => {
    input.end();
    await app.outbox.stop();
    for (const a of app.adapters) await a.stop();
    app.db.close();
    await s.close();
  });

  test('the proposal shows the LLM votes, says the strategist abstained, and /ask is answered by the model', async () => {
    const id = await scanUntilProposal(app);
    const end = Date.now() + 10_000;
    let msg = '';
    while (Date.now() < end && !(msg = new RegExp(`TRADE PROPOSAL ${id}[\\s\\S]*?\\[ ✅ Approve \\]`).exec(out)?.[0] ?? '')) await new Promise((r) => setTimeout(r, 25));
    assert.ok(msg, out.slice(-1500));
    assert.match(msg, /technical \(LLM\): (BUY|SELL) 72% — technical \(model\) agrees/);
    assert.match(msg, /strategist \(LLM\): abstains — LLM no answer within 0\.5 s/);
    assert.match(msg, /⚠️ LLM failed, abstained: strategist \(LLM no answer within 0\.5 s\)/);
    assert.ok(!out.includes(KEY), 'the API key never appears in a message');
    const d = decisionForProposal(app.db, id)!;
    assert.match(d.notice!, /^strategist \(LLM no answer/);
    const r = await answerQuestion(app, `what happened with ${id}?`);
    assert.equal(r.via, 'llm');
    assert.equal(r.text, 'The crew proposed one trade; the strategist timed out.');
    const q = s.requests.at(-1)!.body.messages[1].content;
    assert.ok(q.includes(id), 'the model is given the facts about the proposal');
  });
});
