/**
 * Every message kind, in English and Spanish, as the chats receive it. Telegram markup is checked
 * by the local Bot API stand-in (the real grammy client sends; the stand-in parses the HTML and
 * enforces the 4096 / 1024 limits the way Telegram does), Discord chunks by the adapter's own
 * renderer.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Decision } from '../src/agents/decision.js';
import { discordChunks } from '../src/chat/discord.js';
import { createTelegramAdapter } from '../src/chat/telegram.js';
import type { ChatAdapter, OutgoingMessage } from '../src/chat/types.js';
import { PROJECT_ROOT } from '../src/config/load.js';
import type { PortfolioMetrics } from '../src/metrics/portfolio.js';
import type { DetailedTradeMetric } from '../src/metrics/types.js';
import { renderEquityChart, writePng } from '../src/render/charts/index.js';
import { createFmt, type Fmt } from '../src/render/format.js';
import { richToPlain } from '../src/render/rich.js';
import { renderTemplate } from '../src/render/template.js';
import * as V from '../src/render/views.js';
import { ruleCrew } from '../src/crew/analysts.js';
import { deliberate, deliberateSync, outcomeOf, reviseByRule, type ConsensusSettings } from '../src/crew/consensus.js';
import { whyRich } from '../src/crew/render.js';
import type { Analyst, Snapshot } from '../src/crew/types.js';
import { recordDecision, roundsOf, type DecisionRow } from '../src/store/crew.js';
import { openDb } from '../src/store/db.js';
import { ENGLISH_REASON_WORDS, ENGLISH_WORDS } from './support/english-words.js';
import { tempDataDir } from './support/spawn-bot.js';
import { startTelegramStandin } from './support/telegram-standin.js';

const TOKEN = '999111:MESSAGES-test-token';
const CHAT = 8181;
let tg: Awaited<ReturnType<typeof startTelegramStandin>>;
let adapter: ChatAdapter;
let png: string;

before(async () => {
  tg = await startTelegramStandin({ token: TOKEN });
  adapter = createTelegramAdapter({ token: TOKEN, apiRoot: tg.apiRoot, pollTimeoutSec: 1 });
  await adapter.start({ onCommand: async () => undefined, onButton: async () => '' }, []);
  const dir = tempDataDir('tc-msg-');
  png = await writePng(dir, 'equity.png', await renderEquityChart({ title: 'equity', points: [{ ts: 0, equity: 1 }, { ts: 3_600_000, equity: 2 }] }));
});

after(async () => {
  await adapter.stop();
  await tg.close();
});

const T0 = Date.UTC(2026, 10, 24, 15, 30);
const HOSTILE = '<b>&amp; a<b & "c"</i>';
const visible = (html: string) => html.replace(/<[^>]+>/g, '').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');

// ---------------------------------------------------------------------------------------------
// Realistic inputs for every view

const decision: Decision = {
  action: 'BUY', direction: 'LONG', strategy: 'trend_following', price: 64321.5, candleTs: T0, confidence: 0.83, confidenceLevel: 'VERY_HIGH',
  confluence: 0.67, stop: 63000.25, target: 66964, riskReward: 2, regime: 'TRENDING_UP', volatility: 0.0123, volumeConfirmed: true, atr: 880.8, reason: 'EMA12 above EMA26',
};
const metric: DetailedTradeMetric = {
  tradeId: 'T1', agentSymbol: 'BTC/USDT', timestamp: T0, cycleId: 3, action: 'BUY', direction: 'LONG', entryPrice: 64321.5, exitPrice: 65012.25, quantity: 0.0389, leverage: 1,
  entryTime: T0 - 7_200_000, exitTime: T0, durationCandles: 2, durationHours: 2, pnl: 1234.5678, pnlPct: 0.0107, balanceUsed: 2502.11, balanceAfter: 11234.57, confidence: 0.83,
  confidenceLevel: 'VERY_HIGH', setupScore: 0.83, calibrated: false, strategyName: 'trend_following', confluenceScore: 0.67, riskReward: 2, marketRegime: 'TRENDING_UP', volatilityLevel: 0.0123, volumeConfirmation: true,
  wasSuccessful: true, followedPlan: true, exitReason: 'TAKE_PROFIT', slippage: 1.25, fee: 5.01, qualityScore: 84.5, stop: 63000.25, target: 66964, timeframe: '1h',
};
const series = { totalReturn: 0.0123, sharpe: 1.5, sortino: 2, maxDrawdown: 0.021, var95: 0.01, winRate: 0.55, trades: 12, avgDurationHours: 5.5, fees: 12.5, pnl: 1234.5678 };
const portfolio: PortfolioMetrics = { ...series, avgCorrelation: 0.1, diversificationScore: 0.9, concentration: 0.4, bestAgent: 'BTC/USDT', worstAgent: 'ETH/USDT', avgQualityScore: 70, highQualityShare: 0.3, avgConfluence: 0.8, efficiency: 0.6, agents: {} };
const trade = { id: 'T7', symbol: 'BTC/USDT', direction: 'LONG', entry_price: 64321.5, exit_price: 65012.25, quantity: 0.0389, pnl: 1234.5678, exit_ts: T0, exit_reason: 'TAKE_PROFIT' };
const position = { id: 'T8', symbol: 'ETH/USDT', direction: 'SHORT', quantity: 1.5, entry_price: 2345.67, entry_ts: T0 - 3_600_000, stop: 2400, target: 2200, price: 2300.5 };
const pending = { id: 'p123', symbol: 'SOL/USDT', direction: 'LONG', entry: 150.25, expires_at: T0 + 300_000 };

/** Each message kind from its view function (what the bot really sends), for one language. */
function kinds(fmt: Fmt): Record<string, OutgoingMessage> {
  const L = fmt.lang;
  return {
    proposal: V.proposalMessage(fmt, { id: 'p123', symbol: 'BTC/USDT', quantity: 0.0389, expiresAt: T0 + 300_000, decision }, { status: 'waiting', buttons: [[{ label: 'ok', data: 'ap:p123:xxxxxxxxxx' }]] }),
    fill: V.fillMessage(fmt, { id: 'p123', symbol: 'BTC/USDT', direction: 'LONG', quantity: 0.0389, price: 64321.5, fee: 2.5, stop: 63000.25, target: 66964, broker: 'paper', approvedBy: 'bob' }),
    trade_completed: V.tradeCompletedMessage(fmt, metric),
    cycle_summary: V.cycleSummaryMessage(fmt, { runId: 'r1', cycle: 7, done: 7, total: 7, completedAt: T0, span: '7d', final: true, portfolio, agents: { 'BTC/USDT': series } }),
    alert: V.alertMessage(fmt, { severity: 'WARNING', title: 'BTC/USDT lost 3 cycles', body: 'equity 99' }),
    agents: V.agentsMessage(fmt, { time: T0, agents: [{ symbol: 'BTC/USDT', strategy: 'trend_following', trades: 12, winRate: 0.5, pnl: 1234.5678, maxDrawdown: 0.021, activity: 'open_long' }], requireEdge: true }),
    agent: V.agentMessage(fmt, {
      symbol: 'BTC/USDT', strategy: 'ensemble', timeframe: '1h', activity: 'watching', trades: 12, winRate: 0.5, pnl: 1234.5678, maxDrawdown: 0.021, position: { ...position, symbol: 'BTC/USDT' }, proposal: pending,
      recent: [trade], qStates: 42, episodes: 7, weights: { trend_following: 1.25 }, learned: {}, requireEdge: true,
    }),
    positions: V.positionsMessage(fmt, { time: T0, positions: [position], exposure: 0.345, limit: 0.75 }),
    trades: V.tradesMessage(fmt, [trade]),
    pnl: V.pnlMessage(fmt, { days: 3, pnl: 1234.5678, trades: 4, winRate: 0.5, fees: 12.5, best: trade, worst: null, upnl: -5.5, equity: 11234.57, startingBalance: 10000, byDay: [{ start: T0, trades: 4, wins: 2, pnl: 1234.5678 }] }),
    daily_table: V.periodsMessage(fmt, 'day', [{ start: T0, trades: 4, wins: 2, pnl: 1234.5678 }]),
    weekly_table: V.periodsMessage(fmt, 'week', [{ start: T0, trades: 4, wins: 2, pnl: 1234.5678 }]),
    balance: V.balanceMessage(fmt, { time: T0, mode: 'paper', broker: 'paper', cash: 11234.57, equity: 11300.1, starting: 10000, realised: 1234.5678, fees: 12.5, notional: 3500, exposure: 0.31, limit: 0.75, peak: 11500 }),
    chart: V.chartMessage(fmt, { symbol: 'ETH/USDT', timeframe: '1h', candles: 120, first: 2000, last: 2345.67, high: 2400, low: 1990, position }),
    close_confirm: V.closeConfirmMessage(fmt, { positions: [position], now: T0, minutes: 5, by: 'bob (telegram)', status: 'waiting', buttons: [[{ label: 'ok', data: 'cc:c1:xxxxxxxxxx' }]] }),
    settings: V.settingsMessage(fmt, {
      mode: 'paper', broker: 'paper', market: 'demo', timeframe: '1h', strategy: 'trend_following', symbols: ['BTC/USDT'], paused: false, autoApprove: { on: true, min: 0.8 }, expiry: '300 s', daily: '20:00', timezone: 'UTC', language: L,
      risk: [{ key: 'risk_per_trade', value: 0.015, changed: true, settable: true }, { key: 'allow_short', value: true, changed: false, settable: true }, { key: 'leverage', value: 1, changed: false, settable: false }],
    }),
    backtest: V.backtestMessage(fmt, {
      symbol: 'BTC/USDT', strategy: 'ensemble', timeframe: '1h', trainCandles: 1000, trainFrom: T0 - 9e8, trainTo: T0 - 4e8, testCandles: 400, testFrom: T0 - 4e8, testTo: T0, totalReturn: 0.0234, pnl: 1234.5678,
      buyHold: 0.05, trades: 12, winRate: 0.5, avgHours: 14.4, sharpe: 1.2, sortino: 1.8, maxDrawdown: 0.0167, fees: 61.07, refusals: { cooldown: 6 },
      buyHoldSharpe: 0.9, buyHoldDrawdown: 0.21, sharpeCI: [-0.4, 2.7], samples: 399, periodsPerYear: 8760, randomRuns: 100, randomSharpe: -0.3, randomReturn: -0.012, percentile: 0.93,
      verdict: { edge: false, code: 'verdict_not_enough', params: { trades: 12, min: 30 } },
    }),
    daily_summary: V.renderDailySummary(fmt, {
      dayStart: T0, trades: [trade], pnl: 1234.5678, startEquity: 10000, equity: 11234.57, best: trade, worst: trade, positions: [position], pending: [pending],
      agents: [{ symbol: 'BTC/USDT', activity: 'proposal', today: 1234.5678, pnl: 2000, trades: 3, winRate: 0.67 }], now: T0,
    }),
  };
}

/** A word of each kind's Spanish text, and the number 1234.5678 as each locale writes it. */
const SPANISH: Record<string, RegExp> = {
  proposal: /PROPUESTA DE OPERACIÓN/, fill: /ORDEN EJECUTADA/, trade_completed: /OPERACIÓN COMPLETADA/, cycle_summary: /RESUMEN DEL CICLO/, alert: /WARNING/, agents: /AGENTES/,
  agent: /AGENTE BTC\/USDT[\s\S]*Registro de entrenamiento[\s\S]*sin calibrar/, positions: /POSICIONES ABIERTAS/, trades: /ÚLTIMA OPERACIÓN\n/, pnl: /Realizado/, daily_table: /DIARIO/, weekly_table: /SEMANAL/, balance: /SALDO/,
  chart: /últimas 120 velas/, close_confirm: /¿CERRAR 1 POSICIÓN/, settings: /AJUSTES/, backtest: /Probado con 400 velas no vistas/, daily_summary: /RESUMEN DIARIO/,
};

test('every message kind renders in English and in Spanish, with es-ES numbers', () => {
  const en = kinds(createFmt('en', 'UTC'));
  const es = kinds(createFmt('es', 'Europe/Madrid'));
  assert.deepEqual(Object.keys(SPANISH).sort(), Object.keys(en).sort());
  for (const k of Object.keys(en)) {
    const e = richToPlain(en[k].rich);
    const s = richToPlain(es[k].rich);
    assert.match(s, SPANISH[k], `${k} in Spanish: ${s}`);
    if (k !== 'alert') assert.notEqual(e, s, `${k} differs between languages`);
    assert.doesNotMatch(s, /\b(Trades|Balance|Equity|Waiting|Expires|none|LONG|SHORT|LOW|MEDIUM|HIGH|VERY_HIGH|TRENDING_UP|TRENDING_DOWN|RANGING|VOLATILE)\b/, `${k}: no English left in the Spanish text`);
    if (/1[.,]?234/.test(e)) {
      assert.match(e, /1,234\.57/, `${k}: en-US grouping and decimals`);
      assert.match(s, /1\.234,57/, `${k}: es-ES grouping and decimals`);
      assert.doesNotMatch(s, /1,234\.57/, `${k}: no en-US number in Spanish`);
    }
  }
  // Dates and days follow the language and the timezone.
  assert.match(richToPlain(es.daily_summary.rich), /RESUMEN DIARIO · (mar|mié), 2[45] nov/);
  assert.match(richToPlain(en.daily_summary.rich), /DAILY SUMMARY · Tue, Nov 24/);
});

/** Every placeholder of a template file. */
function varsOf(file: string): string[] {
  return [...new Set([...fs.readFileSync(file, 'utf8').matchAll(/\{\{\s*([\w.]+)\s*\}\}/g)].map((m) => m[1]))];
}

test('every template in both languages survives hostile values as Telegram HTML (nothing becomes markup)', async () => {
  const names = fs.readdirSync(path.join(PROJECT_ROOT, 'templates', 'en')).filter((f) => f.endsWith('.txt') && f !== 'strings.txt').map((f) => f.slice(0, -4));
  assert.deepEqual(fs.readdirSync(path.join(PROJECT_ROOT, 'templates', 'es')).sort(), fs.readdirSync(path.join(PROJECT_ROOT, 'templates', 'en')).sort(), 'a complete Spanish translation');
  for (const lang of ['en', 'es']) {
    for (const name of names) {
      const vars = Object.fromEntries(varsOf(path.join(PROJECT_ROOT, 'templates', lang, `${name}.txt`)).map((v) => [v, `${HOSTILE} ${v}`]));
      const msg: OutgoingMessage = { rich: renderTemplate(lang, name, vars) };
      const before = tg.sent.length;
      // The stand-in answers 400 "can't parse entities" to broken HTML; the adapter would throw.
      await adapter.send(String(CHAT), msg);
      const got = tg.sent.slice(before);
      assert.ok(got.length >= 1, `${lang}/${name} delivered`);
      const text = got.map((m) => visible(m.text!)).join('\n');
      for (const v of Object.keys(vars)) assert.ok(text.includes(`${HOSTILE} ${v}`), `${lang}/${name}: {{${v}}} shown literally`);
      // Discord: the same message in chunks within 2000, the hostile value escaped, never bold.
      for (const chunk of discordChunks(msg)) assert.ok(chunk.length <= 2000);
    }
  }
});

test('real message kinds go through Telegram in both languages: photos with captions ≤ 1024, long text split ≤ 4096', async () => {
  for (const lang of ['en', 'es']) {
    const fmt = createFmt(lang, 'UTC');
    for (const [k, msg] of Object.entries(kinds(fmt))) {
      const before = tg.sent.length;
      await adapter.send(String(CHAT), { ...msg, imagePath: png });
      const got = tg.sent.slice(before);
      assert.ok((got[0].photoBytes ?? 0) > 0, `${lang}/${k}: the photo is sent first`);
      assert.ok(visible(got[0].caption ?? '').length <= 1024, `${lang}/${k}: caption within 1024`);
      const all = got.map((m) => visible(m.caption ?? '') + '\n' + visible(m.text ?? '')).join('\n');
      for (const line of richToPlain(msg.rich).split('\n')) if (line.trim()) assert.ok(all.includes(line), `${lang}/${k}: "${line}" arrived`);
      if (msg.buttons?.length) assert.ok(got.at(-1)!.reply_markup?.inline_keyboard?.length, `${lang}/${k}: buttons on the last part`);
    }
  }
  // A daily summary with many trades is longer than a caption and than one message.
  const fmt = createFmt('es', 'UTC');
  const many = Array.from({ length: 120 }, (_, i) => ({ id: `T${i} <&>`, symbol: 'BTC/USDT', direction: 'LONG', entry_price: 64321.5, exit_price: 65012.25, quantity: 0.0389, pnl: i % 2 ? 12.5 : -3.25, exit_ts: T0, exit_reason: 'TAKE_PROFIT' }));
  const long = V.renderDailySummary(fmt, { dayStart: T0, trades: many, pnl: 0, startEquity: 10000, equity: 10000, best: null, worst: null, positions: [], pending: [], agents: [], now: T0 }, png, 120);
  assert.ok(richToPlain(long.rich).length > 4096);
  const before = tg.sent.length;
  await adapter.send(String(CHAT), long);
  const got = tg.sent.slice(before);
  assert.ok(got.length >= 3, `photo + at least two text parts (${got.length})`);
  assert.ok(visible(got[0].caption ?? '').length <= 1024);
  for (const m of got.slice(1)) assert.ok(visible(m.text!).length <= 4096 && m.text!.length <= 4096);
  const ids = got.slice(1).flatMap((m) => [...visible(m.text!).matchAll(/T(\d+) <&>/g)].map((x) => Number(x[1])));
  assert.deepEqual(ids, many.map((_, i) => i), 'every line once, in order, the hostile id shown literally');
});

test('a bot configured with language: es answers every command in Spanish', async () => {
  const { startTestApp } = await import('./support/app.js');
  const { COMMANDS } = await import('../commands/index.js');
  const ES_TOKEN = '999222:ES-test-token';
  const tges = await startTelegramStandin({ token: ES_TOKEN });
  const USER = { id: 9001, username: 'lucia' };
  const app = await startTestApp({
    env: { TRADECREW_LANGUAGE: 'es', TRADECREW_TIMEZONE: 'Europe/Madrid', TELEGRAM_BOT_TOKEN: ES_TOKEN, TELEGRAM_API_ROOT: tges.apiRoot, TELEGRAM_CHAT_ID: '9090', TELEGRAM_ALLOWED_USERS: String(USER.id) },
    adapters: () => [createTelegramAdapter({ token: ES_TOKEN, apiRoot: tges.apiRoot, pushChatId: '9090', pollTimeoutSec: 1 })],
  });
  try {
    const ask = async (text: string) => {
      const before = tges.sent.length;
      tges.userSends(9090, USER, text);
      await tges.waitFor(() => tges.sent.length > before, 20_000);
      await app.outbox.drain(20_000);
      return tges.sent.slice(before).map((m) => visible(m.text ?? m.caption ?? '')).join('\n');
    };
    // A crew decision for /why to show: the rule analysts on a snapshot where all of them speak.
    recordCrewDecision(app.db);
    const args: Record<string, string> = { cancel: 'all', buy: 'BTC 100,5', sell: 'BTC', unlock: 'all', agent: 'BTC', chart: 'BTC', approve: 'pnada1', reject: 'pnada1', close: 'all', set: 'cooldown_candles 4', train: 'status', backtest: 'BTC trend_following 30', trades: '3', ask: 'qué pasa' };
    const english = ENGLISH_WORDS;
    const spanish: Record<string, RegExp> = {
      start: /un equipo de agentes/, dashboard: /El panel está apagado/, help: /Comandos \(trader/, status: /ESTADO[\s\S]*Último escaneo/, agents: /AGENTES[\s\S]*vigilando/, agent: /AGENTE BTC\/USDT[\s\S]*Registro de entrenamiento[\s\S]*sin calibrar/,
      positions: /POSICIONES ABIERTAS/, trades: /ÚLTIMAS 0 OPERACIONES/, pnl: /ÚLTIMOS 7 DÍAS[\s\S]*Por día/, daily: /RESUMEN DIARIO/, weekly: /SEMANAL · ÚLTIMAS 4 SEMANAS/, logs: /no guarda líneas de registro/, buy: /Propuesta p\w+: COMPRA [\d.,]+ BTC\/USDT a ~\$[\d.,]+ \(\$100,50\)[\s\S]*Espera aprobación/, sell: /solo opera en largo/, reload_config: /nada difiere de lo que está en marcha/, cancel: /No hay ninguna orden límite en el libro[\s\S]*papel/,
      locks: /BLOQUEOS · lo que impide[\s\S]*la propuesta p\w+ espera una decisión/, unlock: /Ningún símbolo está en pausa tras una salida/, whitelist: /LISTA DE SÍMBOLOS · 3 símbolos en demo \(con semilla\)/, monthly: /MENSUAL · ÚLTIMOS 6 MESES\nMES +OP/, balance: /SALDO[\s\S]*Efectivo/,
      chart: /últimas \d+ velas/, pending: /Propuestas pendientes/, why: /POR QUÉ[\s\S]*técnico[\s\S]*indicadores apuntan al alza[\s\S]*seguir la tendencia en largo/, ask: /Tripulación: activa/, approve: /No existe la propuesta/, reject: /No existe la propuesta/, close: /No hay posiciones abiertas/, pause: /En pausa/, resume: /Reanudado/,
      notifications: /NOTIFICACIONES · lo que envía el bot[\s\S]*operaciones cerradas: 🔔 activadas/, autoapprove: /aprobación automática está en NO/, settings: /AJUSTES[\s\S]*RIESGO/, set: /cooldown_candles: 3 → 4/, train: /Aún no hay ningún entrenamiento/, stop_training: /No hay ningún entrenamiento en curso/,
      backtest: /BACKTEST[\s\S]*velas no vistas/,
      profit: /Aún no hay operaciones cerradas \(todas las operaciones cerradas\)|BENEFICIO ·/, stats: /Aún no hay operaciones cerradas|ESTADÍSTICAS ·/, count: /Operaciones abiertas: \d+ de \d+ permitidas/, version: /tradecrew \d+\.\d+\.\d+ · Node .* · modo paper/, health: /SALUD[\s\S]*Base de datos: admite escrituras/,
    };
    for (const c of COMMANDS) {
      const text = await ask(`/${c.name}${args[c.name] ? ' ' + args[c.name] : ''}`);
      assert.doesNotMatch(text, english, `/${c.name} in Spanish: ${text.slice(0, 300)}`);
      if (c.name === 'why') assert.doesNotMatch(text, ENGLISH_REASON_WORDS, `/why in Spanish: ${text}`);
      assert.ok(spanish[c.name], `a Spanish expectation for /${c.name}`);
      assert.match(text, spanish[c.name], `/${c.name}: ${text.slice(0, 300)}`);
    }
    assert.match(await ask('/trades x'), /n debe ser un número entero, se recibió "x"\nUso: \/trades \[n\]/);
    // Every command's description in Spanish (the menus and /help show them).
    const { COMMANDS: ALL } = await import('../commands/index.js');
    const { str: s2 } = await import('../src/render/template.js');
    for (const c of ALL) assert.doesNotThrow(() => s2('es', `cmd.${c.name}`), `a Spanish description for /${c.name}`);
    // Usage placeholders in Spanish too.
    assert.match(await ask('/chart'), /Uso: \/chart <símbolo> \[marco temporal\]/);
    assert.match(await ask('/help'), /\/backtest <símbolo> \[estrategia\] \[días\] — /);
    assert.match(await ask('/balance'), /Capital: \$10\.000,00/);
  } finally {
    await app.shutdown();
    await tges.close();
  }
});

test('the proposal reason is said in the chat language (the kernel gives it as a key and figures)', () => {
  const coded = { ...decision, reasonCode: 'reason_trend_following_long', reasonParams: { adx: '39.3', rsi: '54.5', regime: 'TRENDING_UP' } };
  const say = (lang: string) => richToPlain(V.proposalMessage(createFmt(lang, 'UTC'), { id: 'p1', symbol: 'BTC/USDT', quantity: 0.01, expiresAt: T0, decision: coded }, { status: 'waiting' }).rich);
  assert.match(say('es'), /EMA12 por encima de EMA26 con ADX 39,3 \(tendencia alcista\), RSI 54,5: seguir la tendencia en largo/);
  assert.match(say('en'), /EMA12 above EMA26 with ADX 39\.3 \(trending up\), RSI 54\.5: ride the trend long/);
});

/** The rule crew's deliberation on a snapshot where every analyst votes or says why not, recorded. */
function recordCrewDecision(db: Parameters<typeof recordDecision>[0]) {
  const features = { close: 100, high: 101, low: 99, volume: 10, rsi: 58, emaFast: 101, emaSlow: 99, sma50: 97, macd: 1, macdSignal: 0.5, macdHist: 0.5, bbUpper: 104, bbMiddle: 100, bbLower: 96, atr: 1.5, adx: 30, pdi: 25, mdi: 15, donchianHigh: 100.5, donchianLow: 95, volSma: 8, volatility: 0.015, volatilityAvg: 0.014, momentum: 0.02 };
  const coded = { ...decision, reasonCode: 'reason_trend_following_long', reasonParams: { adx: '30', rsi: '58', regime: 'TRENDING_UP' } };
  const snap: Snapshot = {
    symbol: 'BTC/USDT', timeframe: '1h', candleTs: T0, decisionTs: T0 + 3_600_000, features, regime: 'TRENDING_UP', news: [], newsDays: 3, positions: [],
    risk: { equity: 10_000, peakEquity: 10_000, exposure: 0, openPositions: 0, maxOpenPositions: 3, maxTotalExposure: 0.75, maxDrawdown: 0.2 }, decision: coded,
  };
  const verdict = deliberateSync(snap, ruleCrew(), CREW_SETTINGS);
  recordDecision(db, { ts: T0, symbol: 'BTC/USDT', candleTs: T0, proposalId: null, agentSide: 'LONG', outcome: outcomeOf(verdict, 'BUY'), verdict });
}

const CREW_SETTINGS: ConsensusSettings = { rounds: 2, threshold: 0.6, reviseBelow: 0.6, persuadeShare: 0.67, weights: { technical: 1, risk: 1, monitor: 1, sentiment: 0.5, strategist: 1 } };

test('/why in Spanish: every analyst reason, a revised vote, a failed analyst and the figures, without English', async () => {
  const db = openDb(':memory:');
  const features = { close: 100, high: 101, low: 99, volume: 5, rsi: 80, emaFast: 101, emaSlow: 99, sma50: 97, macd: 1, macdSignal: 0.5, macdHist: 0.5, bbUpper: 104, bbMiddle: 100, bbLower: 96, atr: 1.5, adx: 12, pdi: 25, mdi: 15, donchianHigh: 100.5, donchianLow: 95, volSma: 8, volatility: 0.015, volatilityAvg: 0.014, momentum: 0.02 };
  const snap: Snapshot = {
    symbol: 'ETH/USDT', timeframe: '1h', candleTs: T0, decisionTs: T0 + 3_600_000, features, regime: 'RANGING', news: [{ ts: T0, headline: 'ETF approval boosts bitcoin', url: 'https://example.invalid/1' }], newsDays: 3, positions: [],
    risk: { equity: 10_000, peakEquity: 10_000, exposure: 0, openPositions: 3, maxOpenPositions: 3, maxTotalExposure: 0.75, maxDrawdown: 0.2 }, decision: { ...decision, riskReward: 1.2 },
  };
  const crew: Analyst[] = [...ruleCrew(['technical', 'risk', 'monitor', 'sentiment']), { name: 'strategist', kind: 'rule', analyze: () => { throw new Error('sin conexión'); } }];
  const verdict = await deliberate(snap, crew, CREW_SETTINGS);
  // A revised vote, as the debate produces it, in the record too.
  const revised = reviseByRule(verdict.votes[0].analysis, [{ analyst: 'risk', analysis: { recommendation: 'SELL', confidence: 0.9, reasoning: 'x', supportingData: {} }, weight: 1 }], { reviseBelow: 0.99, persuadeShare: 0.5 });
  verdict.history.push({ round: 1, analyst: 'technical', kind: 'rule', analysis: revised, changed: true });
  const id = recordDecision(db, { ts: T0, symbol: 'ETH/USDT', candleTs: T0, proposalId: null, agentSide: 'SHORT', outcome: 'hold', verdict });
  const row = db.prepare('SELECT * FROM decisions WHERE id=?').get(id) as DecisionRow;
  const say = (lang: string) => richToPlain(whyRich(lang, createFmt(lang, 'UTC'), row, roundsOf(db, id)));
  const es = say('es');
  assert.doesNotMatch(es, ENGLISH_WORDS, es);
  assert.doesNotMatch(es, ENGLISH_REASON_WORDS, es);
  assert.match(es, /cambió de COMPRAR a VENDER: el 100% del peso de los demás respalda VENDER \(antes: 6 de 6 indicadores apuntan al alza, ADX 12, RSI 80 \(sobrecomprado\)\)/);
  assert.match(es, /3 posiciones abiertas, el límite es 3/);
  assert.match(es, /mercado lateral \(ADX 12\)/);
  assert.match(es, /estratega: se abstiene — estratega falló: sin conexión/);
  assert.match(es, /volumen\/media=0,63/);
  // The same record in English says the same in English, from the same strings.
  const en = say('en');
  assert.match(en, /revised BUY→SELL: 100% of the others' weight backs SELL \(before: 6 of 6 indicators point up, ADX 12, RSI 80 \(overextended\)\)/);
  assert.match(en, /3 positions open, the limit is 3/);
  db.close();
});

test('risk-gate refusals are said in the chat language from their key and figures; an old row keeps its stored words', () => {
  const params = { drawdown: 0.213, max: 0.2, limit: 0.05, n: 3, since: 1, need: 3, rr: 1.4, min: 1.5 };
  const codes = ['paused', 'short_off', 'kill_switch', 'kill_switch_on', 'daily_loss', 'max_open', 'daily_trades', 'cooldown', 'risk_reward', 'no_stop', 'exposure_full', 'size_zero'];
  for (const code of codes) {
    const en = V.gateText(createFmt('en', 'UTC'), { code, params }, 'FALLBACK');
    const es = V.gateText(createFmt('es', 'UTC'), { code, params }, 'FALLBACK');
    assert.notEqual(en, 'FALLBACK', `${code} has English words`);
    assert.notEqual(es, 'FALLBACK', `${code} has Spanish words`);
    assert.notEqual(en, es, `${code} differs between languages`);
  }
  assert.equal(V.gateText(createFmt('es', 'UTC'), { code: 'cooldown', params: { since: 1, need: 3 } }, 'x'), 'enfriamiento: 1/3 velas desde la última salida');
  assert.equal(V.gateText(createFmt('es', 'UTC'), { code: 'risk_reward', params: { rr: 1.4, min: 1.5 } }, 'x'), 'riesgo:beneficio 1,40 por debajo de min_risk_reward 1,50');
  assert.equal(V.gateText(createFmt('es', 'UTC'), null, 'cooldown: 1/3 candles since the last exit'), 'cooldown: 1/3 candles since the last exit');
});
