import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { COMMANDS } from '../commands/index.js';
import { ask } from '../commands/ask.js';
import { why } from '../commands/why.js';
import { trendFollowing } from '../src/agents/rules.js';
import { newAgentState } from '../src/agents/types.js';
import type { App } from '../src/app/context.js';
import { createApp } from '../src/app/create.js';
import { createConsoleAdapter } from '../src/chat/console.js';
import { createRouter } from '../src/chat/router.js';
import { loadSeries } from '../src/cli/backtest.js';
import { engineSettings } from '../src/kernel/settings.js';
import { runLookaheadCheck } from '../src/cli/lookahead.js';
import { loadConfig } from '../src/config/load.js';
import { sentimentView } from '../src/crew/analysts.js';
import { deliberateSync, outcomeOf, reviseByRule, weightedVote, type ConsensusSettings } from '../src/crew/consensus.js';
import { csvNewsFeed, parseHeadlinesCsv, scoreHeadline } from '../src/crew/news.js';
import { crewReview } from '../src/crew/review.js';
import { effectiveWeights, scoreClosedTrade, trackRecords } from '../src/crew/track-record.js';
import { decisionForProposal, recordDecision, roundsOf } from '../src/store/crew.js';
import type { Analysis, Analyst, AnalystName, FinalVote, Snapshot, Verdict } from '../src/crew/types.js';
import { backfill } from '../src/market/refresh.js';
import { timeframeMs } from '../src/market/timeframe.js';
import { openDb } from '../src/store/db.js';
import { openTrades } from '../src/trading/account.js';
import { closeTrade } from '../src/trading/live.js';
import { approveProposal, getProposal } from '../src/trading/proposals.js';
import { silentLogger } from '../src/util/logger.js';
import { scanUntilProposal } from './support/app.js';
import { tempDataDir } from './support/spawn-bot.js';

const SHARED = path.resolve(import.meta.dirname, '..', '..', 'shared', 'data');
const NEWS_CSV = path.join(SHARED, 'news', 'crypto_headlines.csv');
const BTC_CSV = path.join(SHARED, 'market', 'BTC-USD_1h.csv');

const W: Record<AnalystName, number> = { technical: 1, risk: 1, monitor: 1, sentiment: 0.5, strategist: 1 };
const SETTINGS: ConsensusSettings = { rounds: 2, threshold: 0.6, reviseBelow: 0.6, persuadeShare: 0.67, weights: W };

const v = (recommendation: 'BUY' | 'SELL' | 'HOLD', confidence: number, firm = false): Analysis => ({ recommendation, confidence, reasoning: `says ${recommendation}`, supportingData: {}, ...(firm ? { firm } : {}) });
const fixed = (name: AnalystName, a: Analysis): Analyst => ({ name, kind: 'rule', analyze: () => a });

function snapshot(over: Partial<Snapshot> = {}): Snapshot {
  const features = { close: 100, high: 101, low: 99, volume: 10, rsi: 58, emaFast: 101, emaSlow: 99, sma50: 97, macd: 1, macdSignal: 0.5, macdHist: 0.5, bbUpper: 104, bbMiddle: 100, bbLower: 96, atr: 1.5, adx: 30, pdi: 25, mdi: 15, donchianHigh: 100.5, donchianLow: 95, volSma: 8, volatility: 0.015, volatilityAvg: 0.014, momentum: 0.02 };
  return { symbol: 'BTC/USDT', timeframe: '1h', candleTs: 0, decisionTs: 3_600_000, features, regime: 'TRENDING_UP', news: [], newsDays: 3, positions: [], risk: { equity: 10_000, peakEquity: 10_000, exposure: 0, openPositions: 0, maxOpenPositions: 3, maxTotalExposure: 0.75, maxDrawdown: 0.2 }, decision: null, ...over };
}

describe('consensus', () => {
  test('unanimous: every voter BUY -> consensus BUY at 100% agreement, the agent side gets its proposal', () => {
    const crew = (['technical', 'risk', 'monitor', 'strategist'] as const).map((n) => fixed(n, v('BUY', 0.7)));
    const verdict = deliberateSync(snapshot(), crew, SETTINGS);
    assert.equal(verdict.consensus, 'BUY');
    assert.equal(verdict.agreement, 1);
    assert.equal(verdict.rounds, 1, 'one round in which nobody moved, then the debate stops');
    assert.equal(outcomeOf(verdict, 'BUY'), 'proposal');
    assert.equal(outcomeOf(verdict, 'SELL'), 'disagree');
  });

  test('split: confident analysts on both sides -> no consensus; each view is kept', () => {
    const crew = [fixed('technical', v('BUY', 0.8)), fixed('monitor', v('BUY', 0.7)), fixed('risk', v('SELL', 0.8)), fixed('strategist', v('SELL', 0.75))];
    const verdict = deliberateSync(snapshot(), crew, SETTINGS);
    assert.equal(verdict.consensus, null);
    assert.ok(verdict.agreement < 0.6);
    assert.equal(outcomeOf(verdict, 'BUY'), 'no_consensus');
    assert.deepEqual(verdict.votes.map((x) => (x.analysis as { recommendation: string }).recommendation), ['BUY', 'BUY', 'SELL', 'SELL']);
  });

  test('HOLD consensus makes no proposal; abstentions count for nothing', () => {
    const crew = [fixed('technical', v('HOLD', 0.7)), fixed('monitor', v('HOLD', 0.6)), fixed('sentiment', { abstain: true, reason: 'no recent news' }), fixed('strategist', v('BUY', 0.5))];
    const verdict = deliberateSync(snapshot(), crew, SETTINGS);
    assert.equal(verdict.consensus, 'HOLD');
    assert.equal(outcomeOf(verdict, 'BUY'), 'hold');
    // The lone, unsure BUY was persuaded in round 1 (HOLD 0.4); the abstention stayed out.
    assert.ok(Math.abs(verdict.scores.HOLD - 1.7) < 1e-9);
    assert.equal(verdict.scores.BUY, 0);
    assert.equal(verdict.votes.find((x) => x.analyst === 'sentiment')!.analysis.abstain, true);
  });

  test('revised in debate: an unsure analyst facing a supermajority changes its vote; a firm one does not', () => {
    const crew = [fixed('technical', v('BUY', 0.5)), fixed('risk', v('HOLD', 0.55, true)), fixed('monitor', v('SELL', 0.8)), fixed('strategist', v('SELL', 0.9)), fixed('sentiment', v('SELL', 0.7))];
    const verdict = deliberateSync(snapshot(), crew, SETTINGS);
    const r1 = verdict.history.filter((h) => h.round === 1);
    const tech = r1.find((h) => h.analyst === 'technical')!;
    assert.equal(tech.changed, true);
    assert.equal((tech.analysis as { recommendation: string }).recommendation, 'SELL');
    assert.match((tech.analysis as { reasoning: string }).reasoning, /revised BUY→SELL/);
    assert.equal((tech.analysis as { confidence: number }).confidence, 0.4, 'persuaded with 20% less conviction');
    assert.equal(r1.find((h) => h.analyst === 'risk')!.changed, false, 'a firm risk limit is not talked away');
    assert.equal(verdict.rounds, 2, 'round 2 found nobody else to move and ended the debate');
    assert.equal(verdict.consensus, 'SELL');
    // A confident analyst keeps its view even when alone.
    assert.deepEqual(reviseByRule(v('BUY', 0.8), [{ analyst: 'monitor', analysis: v('SELL', 0.9), weight: 1 }], SETTINGS), v('BUY', 0.8));
  });

  test('weights change with the track record and can turn a split into a consensus', () => {
    const db = openDb(':memory:');
    const votes: FinalVote[] = [
      { analyst: 'technical', kind: 'rule', analysis: v('BUY', 0.7), weight: 1 },
      { analyst: 'monitor', kind: 'rule', analysis: v('SELL', 0.7), weight: 1 },
    ];
    assert.equal(weightedVote(votes, 0.6).consensus, null, 'equal weights: split');
    const verdict: Verdict = { consensus: null, agreement: 0.5, scores: { BUY: 0.7, SELL: 0.7, HOLD: 0 }, threshold: 0.6, rounds: 0, history: [], votes };
    for (let k = 0; k < 3; k++) {
      recordDecision(db, { ts: k, symbol: 'BTC/USDT', candleTs: k, proposalId: `p${k}`, agentSide: 'BUY', outcome: 'no_consensus', verdict });
      // Each BUY trade won: technical (BUY) was right, monitor (SELL) was wrong.
      assert.ok(scoreClosedTrade(db, { tradeId: `T${k}`, proposalId: `p${k}`, direction: 'LONG', pnl: 25, ts: k }));
    }
    assert.equal(scoreClosedTrade(db, { tradeId: 'T0', proposalId: 'p0', direction: 'LONG', pnl: 25, ts: 9 }), null, 'a trade counts once');
    const t = Object.fromEntries(trackRecords(db).map((r) => [r.analyst, r]));
    assert.deepEqual([t.technical.hits, t.technical.misses, t.monitor.hits, t.monitor.misses], [3, 0, 0, 3]);
    const w = effectiveWeights(db, W, true);
    assert.ok(Math.abs(w.technical - 1.6) < 1e-9); // 2 x 4/5
    assert.ok(Math.abs(w.monitor - 0.4) < 1e-9); // 2 x 1/5
    assert.deepEqual(effectiveWeights(db, W, false), W, 'learning off: configured weights');
    const learned = weightedVote(votes.map((x) => ({ ...x, weight: w[x.analyst] })), 0.6);
    assert.equal(learned.consensus, 'BUY');
    assert.ok(Math.abs(learned.agreement - 0.8) < 1e-9);
    db.close();
  });
});

describe('news and the sentiment lexicon', () => {
  test('CSV headlines with quotes parse; scoring is by visible words', () => {
    const h = parseHeadlinesCsv('date,url,headline\n2021-01-02,http://x,"Coinbase Files S-1, Going Public"\n2021-01-03,http://y,China Bans BTC Payments\n');
    assert.equal(h[0].headline, 'Coinbase Files S-1, Going Public');
    assert.deepEqual(scoreHeadline('China Bans BTC Payments').hits, ['-bans']);
    assert.deepEqual(scoreHeadline('El Salvador adopts BTC as Legal Tender').hits, ['+adopts', '+legal tender']);
  });

  test('the shared headlines: a ban seen from the next day on, never on its own day', (t) => {
    if (!fs.existsSync(NEWS_CSV)) return t.skip(`shared news data absent (${NEWS_CSV})`);
    const feed = csvNewsFeed(NEWS_CSV);
    const sameDay = feed.recent(Date.parse('2017-09-05T10:00:00Z'), 3);
    assert.ok(!sameDay.some((x) => x.headline === 'China Bans ICOs'), 'a headline dated today may be from tonight: not yet visible');
    const nextDay = feed.recent(Date.parse('2017-09-06T10:00:00Z'), 3);
    assert.ok(nextDay.some((x) => x.headline === 'China Bans ICOs'));
    const a = sentimentView(snapshot({ news: nextDay }));
    assert.equal((a as { recommendation: string }).recommendation, 'SELL');
    assert.match((a as { reasoning: string }).reasoning, /China Bans ICOs/);
    const quiet = sentimentView(snapshot({ news: feed.recent(Date.parse('2026-11-01T00:00:00Z'), 3) }));
    assert.deepEqual(quiet, { abstain: true, reason: 'no recent news (last 3 days)', why: { code: 'crew_reason.sentiment_no_news', params: { days: 3 } } });
  });
});

test('backtest: the crew reviewing entries (rules, news, no LLM) passes the lookahead check', (t) => {
  if (!fs.existsSync(BTC_CSV)) return t.skip(`shared market data absent (${BTC_CSV}): lookahead check not run`);
  const full = loadSeries(BTC_CSV, 'BTC/USD', '1h');
  // Jul-Dec 2017: a bull run and the autumn China headlines, ~4000 candles keep the test quick.
  const n = 4000;
  const series = { ...full, ts: full.ts.slice(0, n), open: full.open.slice(0, n), high: full.high.slice(0, n), low: full.low.slice(0, n), close: full.close.slice(0, n), volume: full.volume.slice(0, n) };
  const cfg = loadConfig({ env: {} });
  const settings = engineSettings(cfg);
  const outcomes = new Map<number, string>();
  let sawNews = false;
  const review = crewReview({ ...cfg.crew, news_days: 7 }, {
    timeframe: '1h',
    tfMs: timeframeMs('1h'),
    settings,
    news: fs.existsSync(NEWS_CSV) ? csvNewsFeed(NEWS_CSV) : undefined,
    onVerdict: (i, vd) => {
      outcomes.set(i, vd.consensus ?? 'none');
      if (vd.votes.some((x) => x.analyst === 'sentiment' && x.analysis.abstain !== true)) sawNews = true;
    },
  });
  const report = runLookaheadCheck({ series, strategy: trendFollowing, review, state: newAgentState('BTC/USD', 'trend_following'), settings, seed: 42, startingEquity: 10_000 });
  assert.equal(report.ok, true, JSON.stringify(report.differences.slice(0, 3)));
  assert.ok(report.decisionsCompared > 10_000);
  const vals = [...outcomes.values()];
  assert.ok(vals.includes('BUY') || vals.includes('SELL'), 'the crew backed some entries');
  assert.ok(vals.some((x) => x === 'HOLD' || x === 'none') || vals.includes('SELL'), 'and did not back every entry');
  if (fs.existsSync(NEWS_CSV)) assert.ok(sawNews, 'the sentiment analyst read 2017 headlines at some entry');
});

describe('whole app (demo market, console chat, rule crew)', () => {
  let app: App;
  let out = '';
  const input = new PassThrough();
  let dataDir = '';

  before(async () => {
    dataDir = tempDataDir();
    const cfg = loadConfig({ env: { TRADECREW_DATA_DIR: dataDir } });
    const output = new PassThrough();
    output.on('data', (d) => (out += d));
    const adapter = createConsoleAdapter({ input, output, userName: 'tester' });
    app = createApp(cfg, { adapters: [adapter], log: silentLogger(), outbox: { backoffBaseMs: 50, pollMs: 50 } });
    await backfill(app);
    await adapter.start(createRouter(app, [...COMMANDS, why, ask]), []);
  });

  after(async () => {
    input.end();
    await Promise.allSettled([...app.background]);
    await app.outbox.stop();
    for (const a of app.adapters) await a.stop();
    app.db.close();
  });

  const waitFor = async (re: RegExp, from = 0, ms = 10_000) => {
    const end = Date.now() + ms;
    while (Date.now() < end) {
      const m = re.exec(out.slice(from));
      if (m) return m;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`timed out waiting for ${re}; got:\n${out.slice(from).slice(-2000)}`);
  };

  test('a demo proposal shows the crew votes and reasons; /why shows the debate; /ask answers from SQLite', async () => {
    const id = await scanUntilProposal(app);
    const msg = (await waitFor(new RegExp(`TRADE PROPOSAL ${id}[\\s\\S]*?\\[ ✅ Approve \\]`)))[0];
    assert.match(msg, /CREW VOTE/);
    for (const a of ['technical', 'risk', 'monitor', 'sentiment', 'strategist']) assert.match(msg, new RegExp(`• \\S+ ${a}: `), `${a} appears in the proposal`);
    assert.match(msg, /sentiment: abstains — no recent news/, 'no headlines for the demo dates: the sentiment analyst abstains');
    assert.match(msg, /consensus (BUY|SELL) \d+%|NO CONSENSUS/);
    assert.ok(msg.indexOf('CREW VOTE') < msg.indexOf('Waiting for your approval'), 'the crew block comes before the status line');
    const d = decisionForProposal(app.db, id)!;
    assert.ok(d, 'the deliberation is stored with the proposal');
    assert.equal(d.outcome, getProposal(app, id)!.direction === 'LONG' ? (d.consensus === 'BUY' ? 'proposal' : 'no_consensus') : d.consensus === 'SELL' ? 'proposal' : 'no_consensus');
    assert.ok(roundsOf(app.db, d.id).filter((r) => r.round === 0).length === 5, 'five initial analyses stored');

    const at = out.length;
    input.write(`/why ${id}\n`);
    const w = (await waitFor(/WHY (p\w+)[\s\S]*?FINAL VOTES[\s\S]*?strategist ×[\d.]+: [^\n]*/, at))[0];
    assert.ok(w.includes(id));
    assert.match(w, /initial analyses/);
    assert.match(w, /ups=\d, downs=\d/, 'supporting data of the technical analyst');
    input.write('/why pnothere\n');
    await waitFor(/No crew record for pnothere/, at);
    input.write('/ask what did the crew decide on BTC?\n');
    const a = (await waitFor(/Crew: on · LLM: not configured[\s\S]*?Recent decisions[^\n]*\n[^\n]*/, at))[0];
    assert.match(a, /technical: 1 → 1 \(0 right, 0 wrong\)/);
    assert.ok(a.includes(id) || /Recent decisions on BTC\/USDT/.test(a));
  });

  test('a closed crew trade updates the analysts\' track record (hook in closeTrade)', async () => {
    const id = (app.db.prepare(`SELECT id FROM proposals WHERE status='pending' ORDER BY created_at DESC`).get() as { id: string }).id;
    const r = await approveProposal(app, id, 'tester');
    assert.ok(r.ok, r.code);
    const t = openTrades(app.db).find((x) => x.proposal_id === id)!;
    const win = t.direction === 'LONG' ? t.entry_price * 1.02 : t.entry_price * 0.98;
    const m = await closeTrade(app, t, { ref: win, reason: 'MANUAL', exitCandleTs: t.entry_candle_ts + 3_600_000 });
    assert.ok(m && m.pnl > 0);
    const d = decisionForProposal(app.db, id)!;
    const voters = (JSON.parse(d.votes_json) as FinalVote[]).filter((x) => x.analysis.abstain !== true);
    const track = Object.fromEntries(trackRecords(app.db).map((x) => [x.analyst, x]));
    const side = t.direction === 'LONG' ? 'BUY' : 'SELL';
    for (const x of voters) {
      const right = (x.analysis as { recommendation: string }).recommendation === side;
      assert.deepEqual([track[x.analyst].hits, track[x.analyst].misses], right ? [1, 0] : [0, 1], x.analyst);
    }
    assert.deepEqual([track.sentiment.hits, track.sentiment.misses], [0, 0], 'an abstention is not scored');
    const before = out.length;
    input.write('/ask weights?\n');
    const tt = track.technical;
    assert.equal(tt.hits + tt.misses, 1);
    const expected = `technical: 1 → ${Math.round(tt.multiplier * 100) / 100} (${tt.hits} right, ${tt.misses} wrong)`;
    assert.notEqual(tt.multiplier, 1, 'the weight moved');
    await waitFor(new RegExp(expected.replace(/[.()]/g, '\\$&')), before);
  });
});

async function quickApp(env: Record<string, string>): Promise<{ app: App; out: () => string; stop(): Promise<void> }> {
  const cfg = loadConfig({ env: { TRADECREW_DATA_DIR: tempDataDir(), ...env } });
  const input = new PassThrough();
  const output = new PassThrough();
  let out = '';
  output.on('data', (d) => (out += d));
  const adapter = createConsoleAdapter({ input, output, userName: 'tester' });
  const app = createApp(cfg, { adapters: [adapter], log: silentLogger(), outbox: { backoffBaseMs: 50, pollMs: 50 } });
  await backfill(app);
  await adapter.start(createRouter(app, [...COMMANDS, why, ask]), []);
  return {
    app,
    out: () => out,
    async stop() {
      input.end();
      await app.outbox.stop();
      await adapter.stop();
      app.db.close();
    },
  };
}

async function proposalText(x: { out: () => string }, id: string): Promise<string> {
  const end = Date.now() + 10_000;
  const re = new RegExp(`TRADE PROPOSAL ${id}[\\s\\S]*?⌨️`);
  while (Date.now() < end) {
    const m = re.exec(x.out());
    if (m) return m[0];
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`proposal ${id} not shown`);
}

test('a split crew: the proposal is marked NO CONSENSUS with every view and is never auto-approved', async () => {
  // Every vote weighs nothing: no recommendation can reach the threshold.
  const zero = Object.fromEntries(['TECHNICAL', 'RISK', 'MONITOR', 'SENTIMENT', 'STRATEGIST'].map((a) => [`TRADECREW_CREW__WEIGHTS__${a}`, '0']));
  const x = await quickApp({ ...zero, TRADECREW_APPROVAL__AUTO_APPROVE: 'true', TRADECREW_APPROVAL__AUTO_MIN_CONFIDENCE: '0' });
  try {
    const id = await scanUntilProposal(x.app);
    const msg = await proposalText(x, id);
    assert.match(msg, /NO CONSENSUS/);
    assert.match(msg, /technical: (BUY|SELL|HOLD) \d+%/, 'each view is shown');
    assert.equal(getProposal(x.app, id)!.status, 'pending', 'auto-approve is on, but a split crew leaves it to the human');
    assert.equal(decisionForProposal(x.app.db, id)!.outcome, 'no_consensus');
  } finally {
    await x.stop();
  }
});

test('crew.enabled=false: proposals come straight from the agent, without a crew block or record', async () => {
  const x = await quickApp({ TRADECREW_CREW__ENABLED: 'false' });
  try {
    const id = await scanUntilProposal(x.app);
    const msg = await proposalText(x, id);
    assert.doesNotMatch(msg, /CREW VOTE/);
    assert.equal((x.app.db.prepare('SELECT COUNT(*) AS n FROM decisions').get() as { n: number }).n, 0);
  } finally {
    await x.stop();
  }
});
