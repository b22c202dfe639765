/**
 * What the analyst crew adds to each proposal. Run: node --import tsx bench/crew.bench.ts
 *
 * Per proposal = the crew's deliberation (initial analyses, debate rounds, weighted vote) plus
 * storing it (decisions + decision_rounds in SQLite), on a real snapshot: features of a seeded
 * synthetic series at its last bar, the agent's decision there, the default crew settings.
 * - rules:   the offline crew (no LLM), 200 runs
 * - LLM:     every analyst on the LLM through the real openai client against the local stand-in
 *            (test/support/openai-standin.ts, answers at once), 20 runs: 4 requests for the initial
 *            analyses + 4 for the debate round that changes nobody's mind (the sentiment analyst
 *            has no headlines on this snapshot, so it abstains without a request)
 * Medians, with p90. The stand-in answers instantly: a real model adds its own latency per request
 * (analysts are asked in parallel, so about 2 x one request's time per proposal).
 */
import { describeEntry } from '../src/agents/decision.js';
import { loadConfig } from '../src/config/load.js';
import { buildSnapshot, neutralRisk } from '../src/crew/analysts.js';
import { deliberate } from '../src/crew/consensus.js';
import { NO_NEWS } from '../src/crew/news.js';
import { createCrew } from '../src/crew/service.js';
import { recordDecision } from '../src/store/crew.js';
import { computeFeatures } from '../src/indicators/features.js';
import { seriesFromCandles, type Candle } from '../src/market/types.js';
import { openDb } from '../src/store/db.js';
import { roleOf, startOpenAiStandin, vote } from '../test/support/openai-standin.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2024, 0, 1);

function candles(n: number): Candle[] {
  const out: Candle[] = [];
  let prev = 100;
  for (let i = 0; i < n; i++) {
    const close = 100 + 0.05 * i + 3 * Math.sin(i / 15);
    out.push({ ts: T0 + i * HOUR, open: prev, close, high: Math.max(prev, close) + 0.5, low: Math.min(prev, close) - 0.5, volume: 10 + 5 * Math.sin(i / 7) });
    prev = close;
  }
  return out;
}

const cs = candles(400);
const f = computeFeatures(seriesFromCandles('BTC/USDT', '1h', cs));
const i = cs.length - 1;
const decision = describeEntry(f, i, 1, 'trend_following', cs[i].ts, { atrStopMult: 1.5, atrTargetMult: 3 });
const snapshot = buildSnapshot({ symbol: 'BTC/USDT', timeframe: '1h', f, i, candleTs: cs[i].ts, tfMs: HOUR, news: NO_NEWS, newsDays: 3, positions: [], risk: neutralRisk(), decision });

function stats(ms: number[]): string {
  const s = [...ms].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return `median ${q(0.5).toFixed(2)} ms · p90 ${q(0.9).toFixed(2)} ms · n=${s.length}`;
}

async function measure(label: string, runs: number, crewEnv: Record<string, string>): Promise<{ median: number; requests?: number }> {
  const db = openDb(':memory:');
  const cfg = loadConfig({ env: crewEnv });
  const crew = createCrew(cfg.crew, db);
  const times: number[] = [];
  let consensus = '';
  for (let k = 0; k < runs + 2; k++) {
    const t0 = performance.now();
    const v = await deliberate(snapshot, crew.analysts, crew.settings());
    recordDecision(db, { ts: Date.now(), symbol: 'BTC/USDT', candleTs: snapshot.candleTs, proposalId: `p${k}`, agentSide: 'BUY', outcome: 'proposal', verdict: v });
    const dt = performance.now() - t0;
    if (k >= 2) times.push(dt); // two warm-up runs (JIT, the client's first connection)
    consensus = `${v.consensus} ${Math.round(v.agreement * 100)}%, ${v.rounds} round(s), analysts ${crew.analysts.map((a) => a.kind).join('/')}`;
  }
  db.close();
  console.log(`${label.padEnd(24)} ${stats(times)}   [${consensus}]`);
  return { median: [...times].sort((a, b) => a - b)[Math.floor(times.length / 2)] };
}

const rules = await measure('rules (no LLM)', 200, {});
const standin = await startOpenAiStandin((req) => ({ content: vote('BUY', 0.7, `${roleOf(req)}: uptrend intact`) }));
try {
  const before = standin.requests.length;
  const llm = await measure('LLM stand-in (5 LLM)', 20, { OPENAI_BASE_URL: standin.baseURL, OPENAI_API_KEY: 'bench' });
  console.log(`requests per proposal: ${((standin.requests.length - before) / 22).toFixed(1)}`);
  console.log(`crew per proposal: rules ${rules.median.toFixed(2)} ms, with the LLM stand-in ${llm.median.toFixed(2)} ms`);
} finally {
  await standin.close();
}
