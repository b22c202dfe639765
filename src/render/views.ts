import { showsNoEdge } from '../agents/fitted.js';
import type { Decision } from '../agents/decision.js';
import type { Button, OutgoingMessage } from '../chat/types.js';
import type { PortfolioMetrics } from '../metrics/portfolio.js';
import type { SeriesMetrics } from '../metrics/series.js';
import type { AgentEdge, AgentFit, AgentState } from '../agents/types.js';
import { MIN_CALIBRATION_TRADES } from '../evaluation/calibration.js';
import type { DetailedTradeMetric, Regime } from '../metrics/types.js';
import type { Fmt } from './format.js';
import { numberIn, reasonOr } from '../crew/reasons.js';
import { plural, renderTemplate, str, strOr } from './template.js';

/**
 * View-models: domain objects in, template values out. All wording lives in templates/<lang>;
 * all number formatting in Fmt. Nothing here knows which chat the message goes to.
 */
export const REGIME_EMOJI: Record<Regime, string> = { TRENDING_UP: '📈', TRENDING_DOWN: '📉', RANGING: '↔️', VOLATILE: '🌪️' };
const CONF_EMOJI: Record<string, string> = { LOW: '🤏', MEDIUM: '👌', HIGH: '💪', VERY_HIGH: '🚀' };
const STRATEGY_EMOJI: Record<string, string> = { trend_following: '📈', mean_reversion: '🔄', breakout: '💥', rl_qlearning: '🧠', ensemble: '🤝' };

/**
 * A code the kernel speaks (LONG, VERY_HIGH, TRENDING_UP) in the chat's language: `code.<CODE>` in
 * strings.txt when the language has it; English shows the seed's codes as they are.
 */
export function codeWord(lang: string, code: string): string {
  return strOr(lang, `code.${code}`, code);
}

/**
 * A risk-gate refusal (src/risk/gate.ts: a key and figures) in the chat's language; `fallback`
 * (its English words, as stored) when there is no key, e.g. rows recorded before keys were.
 */
export function gateText(fmt: Fmt, coded: { code: string; params: Record<string, number> } | null | undefined, fallback: string): string {
  if (!coded) return fallback;
  const p = coded.params;
  const vars: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(p)) vars[k] = k === 'rr' || (k === 'min' && coded.code === 'risk_reward') ? fmt.num(v, 2) : ['drawdown', 'max', 'limit'].includes(k) ? fmt.pct(v, 1) : v;
  return strOr(fmt.lang, `gate.${coded.code}`, fallback, vars);
}

export const dirEmoji = (direction: string) => (direction === 'LONG' ? '🟢📈' : '🔴📉');
export const baseOf = (symbol: string) => symbol.split('/')[0];
export const quoteOf = (symbol: string) => symbol.split('/')[1] ?? 'USD';
/** BTC/USDT -> BTCUSDT, the seed's agent naming. */
/** One name form for an agent everywhere (reports, tables, proposals): its market, BTC/USDT. */
export const agentName = (symbol: string) => symbol;

export interface ProposalView {
  id: string;
  symbol: string;
  quantity: number;
  expiresAt: number;
  decision: Decision;
}

/** The proposal's evidence line: the record, its interval, or that there is not enough to tell. */
export function evidenceLine(fmt: Fmt, d: Decision): string {
  const e = d.evidence!;
  const p = { agent: d.strategy, dir: d.direction, trades: e.trades, source: str(fmt.lang, `evidence_source_${e.source.replace('+', '_')}`), win: fmt.pct(e.winRate, 0), avg: fmt.signedPct(e.avgReturn), sharpe: fmt.num(e.sharpe, 2) };
  if (!e.ci) return str(fmt.lang, 'evidence_thin', p);
  return str(fmt.lang, 'evidence_line', { ...p, lo: fmt.num(e.ci[0], 2), hi: fmt.num(e.ci[1], 2) });
}

export function proposalMessage(fmt: Fmt, p: ProposalView, o: { status: string; buttons?: Button[][]; hint?: string; imagePath?: string }): OutgoingMessage {
  const d = p.decision;
  const rich = renderTemplate(fmt.lang, 'proposal', {
    id: p.id,
    symbol: p.symbol,
    strategy: d.strategy,
    dirEmoji: dirEmoji(d.direction),
    direction: codeWord(fmt.lang, d.direction),
    entry: fmt.price(d.price),
    stop: fmt.price(d.stop),
    stopPct: fmt.signedPct(d.stop / d.price - 1),
    target: fmt.price(d.target),
    targetPct: fmt.signedPct(d.target / d.price - 1),
    rr: fmt.num(d.riskReward, 2),
    qty: fmt.qty(p.quantity),
    base: baseOf(p.symbol),
    notional: fmt.money(p.quantity * d.price),
    confLevel: codeWord(fmt.lang, d.confidenceLevel),
    confPct: fmt.pct(d.confidence, 0),
    confluence: fmt.pct(d.confluence, 0),
    regimeEmoji: REGIME_EMOJI[d.regime],
    regime: codeWord(fmt.lang, d.regime),
    volatility: fmt.pct(d.volatility, 1),
    volume: d.volumeConfirmed ? '✅' : '➖',
    reason: reasonText(fmt.lang, d),
    // No record yet: a few words on the confidence line (a photo caption has little room to spare).
    evidence: d.evidence && d.evidence.trades > 0 ? evidenceLine(fmt, d) : undefined,
    noRecord: d.evidence && d.evidence.trades === 0 ? ` · ${str(fmt.lang, 'evidence_none')}` : undefined,
    expires: fmt.dateTime(p.expiresAt),
    status: o.status,
    hint: o.hint,
  });
  // Coloured by direction while it waits for an answer, grey once settled.
  const tone = o.buttons?.length ? (d.direction === 'LONG' ? 'up' : 'down') : 'closed';
  return { rich, buttons: o.buttons ?? [], imagePath: o.imagePath, card: { kind: 'proposal', tone } };
}

export function tradeCompletedMessage(fmt: Fmt, t: DetailedTradeMetric, imagePath?: string): OutgoingMessage {
  const quote = quoteOf(t.agentSymbol);
  const win = t.pnl > 0;
  const rich = renderTemplate(fmt.lang, 'trade_completed', {
    headEmoji: win ? '✅' : '❌',
    dirEmoji: dirEmoji(t.direction),
    trophy: win ? (t.qualityScore >= 80 ? '🏆' : '👍') : '🩹',
    agent: agentName(t.agentSymbol),
    // Live and paper trades belong to no training cycle: say so instead of "#0000".
    cycle: t.cycleId > 0 ? `#${String(t.cycleId).padStart(4, '0')}` : str(fmt.lang, 'cycle_live'),
    time: fmt.dateTime(t.exitTime),
    direction: codeWord(fmt.lang, t.direction),
    leverage: fmt.num(t.leverage, 0),
    entry: fmt.price(t.entryPrice),
    exit: fmt.price(t.exitPrice),
    qty: fmt.qty(t.quantity),
    base: baseOf(t.agentSymbol),
    candles: t.durationCandles,
    hours: fmt.num(t.durationHours, 1),
    pnlEmoji: win ? '📈' : '📉',
    pnl: fmt.signed(t.pnl),
    quote,
    pnlPct: fmt.signedPct(t.pnlPct),
    capital: fmt.money(t.balanceUsed),
    balance: fmt.money(t.balanceAfter),
    confEmoji: CONF_EMOJI[t.confidenceLevel] ?? '💪',
    confLevel: codeWord(fmt.lang, t.confidenceLevel),
    confPct: fmt.pct(t.confidence, 0),
    strategyEmoji: STRATEGY_EMOJI[t.strategyName] ?? '📈',
    strategy: t.strategyName,
    rr: fmt.num(t.riskReward, 1),
    exitReason: t.exitReason,
    regimeEmoji: REGIME_EMOJI[t.marketRegime],
    regime: codeWord(fmt.lang, t.marketRegime),
    volatility: fmt.pct(t.volatilityLevel, 1),
    volume: t.volumeConfirmation ? '✅' : '➖',
    timeframe: t.timeframe,
    score: fmt.num(t.qualityScore, 1),
    followedPlan: t.followedPlan ? '✅' : '❌',
    slippage: fmt.money(t.slippage),
    fee: fmt.money(t.fee),
  });
  return { rich, imagePath, card: { kind: 'trade', tone: win ? 'up' : 'down' } };
}

export function fillMessage(fmt: Fmt, f: { id: string; symbol: string; direction: string; quantity: number; price: number; fee: number; stop: number; target: number; broker: string; approvedBy?: string }): OutgoingMessage {
  return {
    rich: renderTemplate(fmt.lang, 'fill', {
      id: f.id,
      symbol: f.symbol,
      dirEmoji: dirEmoji(f.direction),
      direction: codeWord(fmt.lang, f.direction),
      qty: fmt.qty(f.quantity),
      base: baseOf(f.symbol),
      price: fmt.price(f.price),
      fee: fmt.money(f.fee),
      stop: fmt.price(f.stop),
      target: fmt.price(f.target),
      broker: f.broker,
      approvedBy: f.approvedBy,
    }),
  };
}

export function simpleMessage(emoji: string, text: string): OutgoingMessage {
  // Texts from strings.txt often carry their own emoji; then none is prefixed.
  return { rich: renderTemplate('en', 'message', { emoji: emoji ? emoji + ' ' : '', text }) };
}

export function alertMessage(fmt: Fmt, a: { severity: 'INFO' | 'WARNING' | 'CRITICAL'; title: string; body: string }): OutgoingMessage {
  const severityEmoji = a.severity === 'CRITICAL' ? '🚨' : a.severity === 'WARNING' ? '⚠️' : 'ℹ️';
  return { rich: renderTemplate(fmt.lang, 'alert', { severityEmoji, ...a }) };
}

export interface CycleView {
  runId: string;
  cycle: number;
  done: number;
  total: number;
  completedAt: number;
  span: string;
  final: boolean;
  portfolio: PortfolioMetrics;
  agents: Record<string, SeriesMetrics>;
  /** The Sharpe's 95% bootstrap interval (null: too few returns) and the returns it rests on. */
  sharpeCI?: { ci: [number, number] | null; samples: number };
}

export function cycleSummaryMessage(fmt: Fmt, v: CycleView, imagePath?: string): OutgoingMessage {
  const p = v.portfolio;
  const ranked = Object.entries(v.agents).sort((a, b) => b[1].pnl - a[1].pnl);
  const L = fmt.lang;
  const agents = ranked
    .map(([sym, m], k) => {
      const medal = k === 0 && ranked.length > 1 ? ' 🏆' : k === ranked.length - 1 && ranked.length > 1 && m.pnl < 0 ? ' ⚠️' : '';
      return [
        str(L, 'cycle_agent', { agent: agentName(sym), emoji: m.pnl >= 0 ? '📈' : '📉', medal }),
        str(L, 'cycle_agent_pnl', { pnl: fmt.signed(m.pnl), ret: fmt.signedPct(m.totalReturn) }),
        str(L, 'cycle_agent_trades', { trades: m.trades, winRate: fmt.pct(m.winRate, 0) }),
        str(L, 'cycle_agent_dd', { dd: fmt.pct(m.maxDrawdown, 1) }),
      ].join('\n');
    })
    .join('\n');
  const rich = renderTemplate(fmt.lang, 'cycle_summary', {
    cycle: String(v.cycle).padStart(4, '0'),
    final: v.final ? str(L, 'cycle_final') : '',
    completed: fmt.shortDate(v.completedAt),
    runId: v.runId,
    done: v.done,
    total: v.total,
    span: v.span,
    pnlEmoji: p.pnl >= 0 ? '📈' : '📉',
    pnl: fmt.signed(p.pnl),
    ret: fmt.signedPct(p.totalReturn),
    sharpe: v.sharpeCI ? str(L, v.sharpeCI.ci ? 'sharpe_with_ci' : 'sharpe_no_ci', { sharpe: fmt.num(p.sharpe, 2), lo: v.sharpeCI.ci ? fmt.num(v.sharpeCI.ci[0], 2) : '', hi: v.sharpeCI.ci ? fmt.num(v.sharpeCI.ci[1], 2) : '', n: v.sharpeCI.samples }) : fmt.num(p.sharpe, 2),
    winRate: fmt.pct(p.winRate, 1),
    maxDd: fmt.pct(p.maxDrawdown, 2),
    diversification: fmt.num(p.diversificationScore, 2),
    avgCorr: fmt.num(p.avgCorrelation, 2),
    var95: fmt.pct(p.var95, 2),
    concentration: fmt.num(p.concentration, 2),
    trades: p.trades,
    avgDuration: `${fmt.num(p.avgDurationHours, 1)}h`,
    best: p.bestAgent ? agentName(p.bestAgent) : str(fmt.lang, 'none'),
    worst: p.worstAgent ? agentName(p.worstAgent) : str(fmt.lang, 'none'),
    efficiency: fmt.pct(p.efficiency, 0),
    avgScore: fmt.num(p.avgQualityScore, 1),
    highQuality: fmt.pct(p.highQualityShare, 0),
    avgConfluence: fmt.pct(p.avgConfluence, 0),
    agents: agents || str(fmt.lang, 'none'),
  });
  return { rich, imagePath, card: { kind: 'cycle', tone: p.pnl >= 0 ? 'up' : 'down' } };
}

export function progressBar(frac: number, width = 16): string {
  const k = Math.max(0, Math.min(width, Math.round(frac * width)));
  return '▰'.repeat(k) + '▱'.repeat(width - k);
}

// ---------------------------------------------------------------------------------------------
// Reports: /agents, /agent, /positions, /trades, /pnl, /daily, /weekly, /balance, /chart,
// /close, /settings, /backtest and the daily summary. Inputs are plain data; wording comes from
// templates/<lang>, numbers from Fmt.

/**
 * A monospace table (rendered as code lines): columns padded to their widest cell, numbers
 * right-aligned. The last column is never padded (it may hold emoji, whose width varies).
 */
export function textTable(rows: string[][], right: boolean[]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, k) => (widths[k] = Math.max(widths[k] ?? 0, [...c].length)));
  return rows
    .map((r) =>
      r
        .map((c, k) => {
          if (k === r.length - 1) return right[k] ? c.padStart(widths[k]) : c;
          const pad = widths[k] - [...c].length;
          return right[k] ? ' '.repeat(pad) + c : c + ' '.repeat(pad);
        })
        .join(' ')
        .trimEnd(),
    )
    .join('\n');
}

const STRATEGY_SHORT: Record<string, string> = { trend_following: 'trend', mean_reversion: 'meanrev', breakout: 'brkout', rl_qlearning: 'rl', ensemble: 'ensmbl', trend_participation: 'tpart', ml_forest: 'forest' };
export const shortStrategy = (s: string) => STRATEGY_SHORT[s] ?? s.slice(0, 7);

export type Activity = 'open_long' | 'open_short' | 'proposal' | 'paused' | 'watching' | 'aside';
export const activityText = (lang: string, a: Activity) => str(lang, `state_${a}`);

export interface AgentRowView {
  symbol: string;
  strategy: string;
  trades: number;
  winRate: number;
  pnl: number;
  /** Deepest fall of (starting balance + this agent's cumulative PnL), as a fraction. */
  maxDrawdown: number;
  activity: Activity;
}

/** A calendar day as 2018-07-20: records span years, the year matters. */
const isoDay = (ts: number) => new Date(ts).toISOString().slice(0, 10);

/** Sharpe with its interval, "n/a" for an interval not given (too few returns). */
function sharpeWithCI(fmt: Fmt, sharpe: number, ci: [number, number] | null): string {
  return `${fmt.num(sharpe, 2)} ${ci ? `[${fmt.num(ci[0], 2)}, ${fmt.num(ci[1], 2)}]` : '[n/a]'}`;
}

/**
 * May the agent propose? Its latest walk-forward record against its baselines, in one line (full:
 * with the figures it rests on). No record: it proposes on the configured rule, and says so.
 */
export function edgeLine(fmt: Fmt, e: AgentEdge | undefined, requireEdge: boolean, full: boolean): string {
  const L = fmt.lang;
  if (!e) return str(L, 'edge_none');
  const verdict = str(L, e.code, e.params);
  const head = e.edge ? str(L, 'edge_yes', { verdict }) : !showsNoEdge(e) ? str(L, 'edge_unproven', { verdict }) : requireEdge ? str(L, 'edge_no', { verdict }) : str(L, 'edge_no_ignored', { verdict });
  if (!full) return head;
  return `${head}\n${str(L, 'edge_figures', {
    trades: e.trades,
    sharpe: sharpeWithCI(fmt, e.sharpe, e.ci),
    samples: e.samples,
    ret: fmt.pct(e.totalReturn, 1),
    bh: fmt.num(e.buyHoldSharpe, 2),
    rnd: fmt.num(e.randomMedian, 2),
    pct: fmt.pct(e.percentile, 0),
    traded: e.periodsTraded,
    periods: e.periodsTotal,
    from: isoDay(e.from),
    to: isoDay(e.to),
    runId: e.runId,
  })}`;
}

/** What the agent trades now and why: the latest walk-forward fit, or the configured strategy. */
export function fitLine(fmt: Fmt, f: AgentFit | undefined, strategy: string): string {
  const L = fmt.lang;
  if (!f) return str(L, 'fit_none', { strategy });
  // The forest is one model checked on the window's unseen last part; the rules are the best of a grid.
  const best = f.best ? str(L, f.best.id.startsWith('ml_forest') ? 'fit_best_forest' : 'fit_best', { trials: f.trials, id: f.best.id, sharpe: fmt.num(f.best.sharpe, 2), trades: f.best.trades, deflated: fmt.pct(f.best.deflated, 0), bh: fmt.num(f.buyHoldSharpe, 2) }) : str(L, 'fit_no_best', { trials: f.trials });
  if (f.choice) return str(L, 'fit_choice', { id: f.choice.id, asOf: isoDay(f.asOf), best });
  return str(L, 'fit_aside', { asOf: isoDay(f.asOf), why: str(L, `fit_reason_${f.reason}`), best });
}

/** Confidence: calibrated or not, its Brier skill on the training record, and the reliability table. */
export function calibrationLines(fmt: Fmt, s: Pick<AgentState, 'edge' | 'calibration'>): string {
  const L = fmt.lang;
  const n = s.calibration?.n ?? 0;
  const lines = [n >= MIN_CALIBRATION_TRADES ? str(L, 'calib_on', { n }) : str(L, 'calib_off', { n, min: MIN_CALIBRATION_TRADES })];
  const r = s.edge?.calibration;
  if (r) {
    lines.push(str(L, 'calib_brier', { trades: r.trades, brier: fmt.num(r.brier, 3), skill: fmt.num(r.skill, 3), word: str(L, r.skill > 0 ? 'calib_skill_yes' : 'calib_skill_no') }));
    for (const row of r.rows) lines.push(str(L, 'calib_row', { lo: fmt.pct(row.lo, 0), hi: fmt.pct(row.hi, 0), n: row.n, pred: fmt.pct(row.predicted, 0), obs: fmt.pct(row.observed, 0) }));
  }
  return lines.join('\n');
}

export function agentsMessage(fmt: Fmt, v: { time: number; agents: Array<AgentRowView & { edge?: AgentEdge; fit?: AgentFit }>; requireEdge: boolean }): OutgoingMessage {
  const L = fmt.lang;
  const rows = [str(L, 'agents_header').split('|')];
  let trades = 0;
  let wins = 0;
  let pnl = 0;
  for (const a of v.agents) {
    rows.push([agentName(a.symbol), shortStrategy(a.strategy), String(a.trades), fmt.pct(a.winRate, 0), fmt.signed(a.pnl), fmt.pct(a.maxDrawdown, 1), activityText(L, a.activity)]);
    trades += a.trades;
    wins += Math.round(a.winRate * a.trades);
    pnl += a.pnl;
  }
  return {
    rich: renderTemplate(L, 'agents', {
      count: v.agents.length,
      time: fmt.dateTime(v.time),
      table: textTable(rows, [false, false, true, true, true, true, false]),
      legend: str(L, 'agents_legend'),
      edges: v.agents.map((a) => `• ${agentName(a.symbol)}: ${edgeLine(fmt, a.edge, v.requireEdge, false)}${a.fit && !a.fit.choice ? ` · ${str(L, 'fit_aside_short', { why: str(L, `fit_reason_${a.fit.reason}`) })}` : ''}`).join('\n'),
      trades,
      winRate: fmt.pct(trades ? wins / trades : 0, 0),
      pnl: fmt.signed(pnl),
    }),
  };
}

/** A closed trade as the reports list it (trades table columns). */
export interface TradeLineView {
  id: string;
  symbol: string;
  direction: string;
  entry_price: number;
  exit_price: number;
  quantity: number;
  pnl: number;
  exit_ts: number;
  exit_reason: string;
}

export function tradeLine(fmt: Fmt, t: TradeLineView): string {
  const notional = t.entry_price * t.quantity;
  return str(fmt.lang, 'trade_line', {
    emoji: t.pnl > 0 ? '✅' : '❌',
    id: t.id,
    direction: codeWord(fmt.lang, t.direction),
    symbol: t.symbol,
    pnl: fmt.signed(t.pnl),
    pnlPct: fmt.signedPct(notional > 0 ? t.pnl / notional : 0),
    reason: t.exit_reason,
    time: fmt.shortDate(t.exit_ts),
  });
}

/** An open position as the reports list it. */
export interface PositionView {
  id: string;
  symbol: string;
  direction: string;
  quantity: number;
  entry_price: number;
  entry_ts: number;
  stop: number;
  target: number;
  /** Last price (undefined when no candle is cached). */
  price?: number;
}

export function positionLines(fmt: Fmt, p: PositionView, now: number): string {
  const L = fmt.lang;
  const upnl = p.price === undefined ? 0 : (p.direction === 'LONG' ? 1 : -1) * (p.price - p.entry_price) * p.quantity;
  return [
    str(L, 'position_line', { dirEmoji: dirEmoji(p.direction), id: p.id, direction: codeWord(fmt.lang, p.direction), symbol: p.symbol, qty: fmt.qty(p.quantity), entry: fmt.price(p.entry_price) }),
    str(L, 'position_line2', {
      price: p.price === undefined ? '–' : fmt.price(p.price),
      upnl: fmt.signed(upnl),
      upnlPct: fmt.signedPct(p.entry_price * p.quantity > 0 ? upnl / (p.entry_price * p.quantity) : 0),
      stop: fmt.price(p.stop),
      target: fmt.price(p.target),
      held: fmt.duration(now - p.entry_ts),
    }),
  ].join('\n');
}

export interface PendingView {
  id: string;
  symbol: string;
  direction: string;
  entry: number;
  expires_at: number;
}

export const pendingLine = (fmt: Fmt, p: PendingView) => str(fmt.lang, 'pending_short', { id: p.id, direction: codeWord(fmt.lang, p.direction), symbol: p.symbol, entry: fmt.price(p.entry), expires: fmt.dateTime(p.expires_at) });

export function agentMessage(
  fmt: Fmt,
  v: {
    symbol: string;
    strategy: string;
    timeframe: string;
    activity: Activity;
    trades: number;
    winRate: number;
    pnl: number;
    maxDrawdown: number;
    position?: PositionView;
    proposal?: PendingView;
    recent: TradeLineView[];
    qStates: number;
    episodes: number;
    weights: Record<string, number>;
    /** The learned state: walk-forward fit, edge verdict, calibration. */
    learned: Pick<AgentState, 'fit' | 'edge' | 'calibration'>;
    requireEdge: boolean;
  },
  imagePath?: string,
): OutgoingMessage {
  const L = fmt.lang;
  const none = str(L, 'none');
  const pos = v.position;
  const weights = Object.entries(v.weights);
  return {
    rich: renderTemplate(L, 'agent', {
      agent: agentName(v.symbol),
      strategy: v.strategy,
      timeframe: v.timeframe,
      state: activityText(L, v.activity),
      trades: v.trades,
      winRate: fmt.pct(v.winRate, 0),
      pnl: fmt.signed(v.pnl),
      dd: fmt.pct(v.maxDrawdown, 1),
      position: pos
        ? str(L, 'agent_position', {
            dirEmoji: dirEmoji(pos.direction),
            direction: codeWord(fmt.lang, pos.direction),
            qty: fmt.qty(pos.quantity),
            entry: fmt.price(pos.entry_price),
            price: pos.price === undefined ? '–' : fmt.price(pos.price),
            upnl: fmt.signed(pos.price === undefined ? 0 : (pos.direction === 'LONG' ? 1 : -1) * (pos.price - pos.entry_price) * pos.quantity),
            stop: fmt.price(pos.stop),
            target: fmt.price(pos.target),
          })
        : none,
      proposal: v.proposal ? str(L, 'agent_proposal', { id: v.proposal.id, direction: codeWord(fmt.lang, v.proposal.direction), entry: fmt.price(v.proposal.entry), expires: fmt.dateTime(v.proposal.expires_at) }) : none,
      recent: v.recent.length ? v.recent.map((t) => tradeLine(fmt, t)).join('\n') : str(L, 'no_trades'),
      qStates: v.qStates,
      episodes: v.episodes,
      weights: weights.length ? weights.map(([k, w]) => `${shortStrategy(k)} ${fmt.num(w, 2)}`).join(' · ') : str(L, 'no_weights'),
      edge: edgeLine(fmt, v.learned.edge, v.requireEdge, true),
      fit: fitLine(fmt, v.learned.fit, v.strategy),
      calibration: calibrationLines(fmt, v.learned),
    }),
    imagePath,
  };
}

export function positionsMessage(fmt: Fmt, v: { time: number; positions: PositionView[]; exposure: number; limit: number }): OutgoingMessage {
  let upnl = 0;
  for (const p of v.positions) if (p.price !== undefined) upnl += (p.direction === 'LONG' ? 1 : -1) * (p.price - p.entry_price) * p.quantity;
  return {
    rich: renderTemplate(fmt.lang, 'positions', {
      count: v.positions.length,
      time: fmt.dateTime(v.time),
      list: v.positions.length ? v.positions.map((p) => positionLines(fmt, p, v.time)).join('\n') : str(fmt.lang, 'no_positions'),
      upnl: fmt.signed(upnl),
      exposure: fmt.pct(v.exposure, 1),
      limit: fmt.pct(v.limit, 0),
    }),
  };
}

export function tradesMessage(fmt: Fmt, trades: TradeLineView[]): OutgoingMessage {
  const pnl = trades.reduce((a, t) => a + t.pnl, 0);
  const wins = trades.filter((t) => t.pnl > 0).length;
  return {
    rich: renderTemplate(fmt.lang, 'trades', {
      count: trades.length,
      title: plural(fmt.lang, 'last_trades', trades.length),
      list: trades.length ? trades.map((t) => tradeLine(fmt, t)).join('\n') : str(fmt.lang, 'no_trades'),
      pnl: fmt.signed(pnl),
      winRate: fmt.pct(trades.length ? wins / trades.length : 0, 0),
    }),
  };
}

export interface PeriodView {
  start: number;
  trades: number;
  wins: number;
  pnl: number;
}

function periodTable(fmt: Fmt, rows: PeriodView[], headerKey: string, label: (ts: number) => string = fmt.day): string {
  const table = [str(fmt.lang, headerKey).split('|')];
  for (const r of rows) table.push([label(r.start), String(r.trades), r.trades ? fmt.pct(r.wins / r.trades, 0) : '–', fmt.signed(r.pnl)]);
  return textTable(table, [false, true, true, true]);
}

const bestWorst = (fmt: Fmt, t: { id: string; symbol: string; pnl: number } | null | undefined) => (t ? str(fmt.lang, 'best_worst', { id: t.id, symbol: t.symbol, pnl: fmt.signed(t.pnl) }) : str(fmt.lang, 'none'));

export function pnlMessage(
  fmt: Fmt,
  v: { days: number; pnl: number; trades: number; winRate: number; fees: number; best: { id: string; symbol: string; pnl: number } | null; worst: { id: string; symbol: string; pnl: number } | null; upnl: number; equity: number; startingBalance: number; byDay: PeriodView[] },
  imagePath?: string,
): OutgoingMessage {
  return {
    rich: renderTemplate(fmt.lang, 'pnl', {
      days: v.days,
      span: plural(fmt.lang, 'last_days', v.days),
      pnlEmoji: v.pnl >= 0 ? '📈' : '📉',
      pnl: fmt.signed(v.pnl),
      trades: v.trades,
      winRate: fmt.pct(v.winRate, 0),
      fees: fmt.money(v.fees),
      best: bestWorst(fmt, v.best),
      worst: bestWorst(fmt, v.worst),
      upnl: fmt.signed(v.upnl),
      equity: fmt.money(v.equity),
      ret: fmt.signedPct(v.startingBalance > 0 ? v.equity / v.startingBalance - 1 : 0),
      table: periodTable(fmt, v.byDay, 'period_header'),
    }),
    imagePath,
  };
}

const PERIOD_KEYS = {
  day: { title: 'periods_daily', header: 'period_header' },
  week: { title: 'periods_weekly', header: 'period_header_week' },
  month: { title: 'periods_monthly', header: 'period_header_month' },
} as const;

export function periodsMessage(fmt: Fmt, kind: 'day' | 'week' | 'month', rows: PeriodView[]): OutgoingMessage {
  const trades = rows.reduce((a, r) => a + r.trades, 0);
  const wins = rows.reduce((a, r) => a + r.wins, 0);
  return {
    rich: renderTemplate(fmt.lang, 'periods', {
      title: plural(fmt.lang, PERIOD_KEYS[kind].title, rows.length),
      table: periodTable(fmt, rows, PERIOD_KEYS[kind].header, kind === 'month' ? fmt.month : fmt.day),
      pnl: fmt.signed(rows.reduce((a, r) => a + r.pnl, 0)),
      trades,
      winRate: fmt.pct(trades ? wins / trades : 0, 0),
    }),
  };
}

export function balanceMessage(
  fmt: Fmt,
  v: { time: number; mode: string; broker: string; cash: number; equity: number; starting: number; realised: number; fees: number; notional: number; exposure: number; limit: number; peak: number },
): OutgoingMessage {
  return {
    rich: renderTemplate(fmt.lang, 'balance', {
      time: fmt.dateTime(v.time),
      mode: v.mode,
      broker: v.broker,
      cash: fmt.money(v.cash),
      equity: fmt.money(v.equity),
      upnl: fmt.signed(v.equity - v.cash),
      starting: fmt.money(v.starting),
      ret: fmt.signedPct(v.starting > 0 ? v.equity / v.starting - 1 : 0),
      realised: fmt.signed(v.realised),
      fees: fmt.money(v.fees),
      notional: fmt.money(v.notional),
      exposure: fmt.pct(v.exposure, 1),
      limit: fmt.pct(v.limit, 0),
      peak: fmt.money(v.peak),
      dd: fmt.pct(v.peak > 0 ? Math.max(0, 1 - v.equity / v.peak) : 0, 2),
    }),
  };
}

export function chartMessage(fmt: Fmt, v: { symbol: string; timeframe: string; candles: number; first: number; last: number; high: number; low: number; position?: PositionView }, imagePath?: string): OutgoingMessage {
  const pos = v.position;
  return {
    rich: renderTemplate(fmt.lang, 'chart', {
      symbol: v.symbol,
      timeframe: v.timeframe,
      candles: v.candles,
      price: fmt.price(v.last),
      change: fmt.signedPct(v.first > 0 ? v.last / v.first - 1 : 0),
      high: fmt.price(v.high),
      low: fmt.price(v.low),
      position: pos
        ? str(fmt.lang, 'agent_position', {
            dirEmoji: dirEmoji(pos.direction),
            direction: codeWord(fmt.lang, pos.direction),
            qty: fmt.qty(pos.quantity),
            entry: fmt.price(pos.entry_price),
            price: fmt.price(v.last),
            upnl: fmt.signed((pos.direction === 'LONG' ? 1 : -1) * (v.last - pos.entry_price) * pos.quantity),
            stop: fmt.price(pos.stop),
            target: fmt.price(pos.target),
          })
        : undefined,
    }),
    imagePath,
  };
}

export function closeConfirmMessage(
  fmt: Fmt,
  v: { positions: PositionView[]; now: number; minutes: number; by: string; status: string; results?: string[]; buttons?: Button[][]; hint?: string },
): OutgoingMessage {
  let upnl = 0;
  for (const p of v.positions) if (p.price !== undefined) upnl += (p.direction === 'LONG' ? 1 : -1) * (p.price - p.entry_price) * p.quantity;
  return {
    rich: renderTemplate(fmt.lang, 'close_confirm', {
      count: v.positions.length,
      list: v.positions.map((p) => positionLines(fmt, p, v.now)).join('\n'),
      upnl: fmt.signed(upnl),
      minutes: v.minutes,
      by: v.by,
      status: v.status,
      results: v.results?.length ? v.results.join('\n') : undefined,
      hint: v.hint,
    }),
    buttons: v.buttons ?? [],
  };
}

export interface RiskSettingView {
  key: string;
  value: number | boolean;
  changed: boolean;
  settable: boolean;
}

/** A risk value as a person reads it: fractions also as a percent. */
export function riskValue(fmt: Fmt, key: string, v: number | boolean): string {
  if (typeof v === 'boolean') return v ? str(fmt.lang, 'on') : str(fmt.lang, 'off');
  const fraction = /^(risk_per_trade|max_position_pct|max_total_exposure|daily_loss_limit|max_drawdown)$/.test(key);
  const plain = Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
  return fraction ? `${plain} (${fmt.pct(v, v * 100 < 1 ? 2 : 1)})` : plain;
}

export function settingsMessage(
  fmt: Fmt,
  v: { mode: string; broker: string; market: string; timeframe: string; strategy: string; symbols: string[]; paused: boolean; autoApprove: { on: boolean; min: number }; expiry: string; daily: string; timezone: string; language: string; risk: RiskSettingView[] },
): OutgoingMessage {
  const L = fmt.lang;
  const rows = v.risk.map((r) => [r.key, riskValue(fmt, r.key, r.value), r.changed ? str(L, 'mark_changed') : r.settable ? '' : str(L, 'mark_locked')]);
  return {
    rich: renderTemplate(L, 'settings', {
      mode: v.mode,
      broker: v.broker,
      market: v.market,
      timeframe: v.timeframe,
      strategy: v.strategy,
      symbols: v.symbols.join(', '),
      trading: v.paused ? str(L, 'trading_paused') : str(L, 'trading_running'),
      autoApprove: v.autoApprove.on ? str(L, 'auto_on', { min: fmt.pct(v.autoApprove.min, 0) }) : str(L, 'off'),
      expiry: v.expiry,
      daily: v.daily,
      timezone: v.timezone,
      language: v.language,
      risk: textTable(rows, [false, false, false]),
    }),
  };
}

export function backtestMessage(
  fmt: Fmt,
  v: {
    symbol: string;
    strategy: string;
    timeframe: string;
    trainCandles: number;
    trainFrom: number;
    trainTo: number;
    testCandles: number;
    testFrom: number;
    testTo: number;
    totalReturn: number;
    pnl: number;
    buyHold: number;
    trades: number;
    winRate: number;
    avgHours: number;
    sharpe: number;
    sortino: number;
    maxDrawdown: number;
    fees: number;
    refusals: Record<string, number>;
    buyHoldSharpe: number;
    buyHoldDrawdown: number;
    sharpeCI: [number, number] | null;
    samples: number;
    periodsPerYear: number;
    randomRuns: number;
    randomSharpe: number;
    randomReturn: number;
    percentile: number;
    verdict: { edge: boolean; code: string; params: Record<string, string | number> };
  },
  imagePath?: string,
): OutgoingMessage {
  const refusals = Object.entries(v.refusals).sort((a, b) => b[1] - a[1]);
  const ci = v.sharpeCI ? str(fmt.lang, 'sharpe_ci', { lo: fmt.num(v.sharpeCI[0], 2), hi: fmt.num(v.sharpeCI[1], 2) }) : str(fmt.lang, 'sharpe_ci_none');
  return {
    rich: renderTemplate(fmt.lang, 'backtest', {
      symbol: v.symbol,
      strategy: v.strategy,
      timeframe: v.timeframe,
      trainCandles: v.trainCandles,
      trainFrom: fmt.shortDate(v.trainFrom),
      trainTo: fmt.shortDate(v.trainTo),
      testCandles: v.testCandles,
      testFrom: fmt.shortDate(v.testFrom),
      testTo: fmt.shortDate(v.testTo),
      retEmoji: v.totalReturn >= 0 ? '📈' : '📉',
      ret: fmt.signedPct(v.totalReturn),
      pnl: fmt.signed(v.pnl),
      bh: fmt.signedPct(v.buyHold),
      trades: v.trades,
      winRate: fmt.pct(v.winRate, 0),
      avgHours: fmt.num(v.avgHours, 1),
      sharpe: fmt.num(v.sharpe, 2),
      sortino: fmt.num(v.sortino, 2),
      dd: fmt.pct(v.maxDrawdown, 2),
      fees: fmt.money(v.fees),
      ci,
      samples: v.samples,
      ppy: v.periodsPerYear,
      bhSharpe: fmt.num(v.buyHoldSharpe, 2),
      bhDd: fmt.pct(v.buyHoldDrawdown, 1),
      runs: v.randomRuns,
      rndSharpe: fmt.num(v.randomSharpe, 2),
      rndRet: fmt.signedPct(v.randomReturn),
      pctile: fmt.pct(v.percentile, 0),
      verdictEmoji: v.verdict.edge ? '✅' : '🚫',
      verdict: str(fmt.lang, v.verdict.code, v.verdict.params),
      refusals: refusals.length ? str(fmt.lang, 'backtest_refusals', { list: refusals.slice(0, 3).map(([k, n]) => `${k} ×${n}`).join('; ') }) : undefined,
    }),
    imagePath,
  };
}

export interface DailySummaryView {
  dayStart: number;
  trades: TradeLineView[];
  pnl: number;
  startEquity: number;
  equity: number;
  best: { id: string; symbol: string; pnl: number } | null;
  worst: { id: string; symbol: string; pnl: number } | null;
  positions: PositionView[];
  pending: PendingView[];
  agents: Array<{ symbol: string; activity: Activity; today: number; pnl: number; trades: number; winRate: number }>;
  now: number;
  /** The day's turned-down proposals against the crew ('' when none). */
  you?: string;
}

/** The daily summary; at most `maxTrades` trades are listed (the rest is in /trades). */
export function renderDailySummary(fmt: Fmt, v: DailySummaryView, imagePath?: string, maxTrades = 15): OutgoingMessage {
  const L = fmt.lang;
  const wins = v.trades.filter((t) => t.pnl > 0).length;
  const listed = v.trades.slice(-maxTrades);
  const more = v.trades.length - listed.length;
  return {
    rich: renderTemplate(L, 'daily_summary', {
      date: fmt.day(v.dayStart),
      pnlEmoji: v.pnl >= 0 ? '📈' : '📉',
      pnl: fmt.signed(v.pnl),
      ret: fmt.signedPct(v.startEquity > 0 ? v.pnl / v.startEquity : 0),
      trades: v.trades.length,
      winRate: fmt.pct(v.trades.length ? wins / v.trades.length : 0, 0),
      equity: fmt.money(v.equity),
      startEquity: fmt.money(v.startEquity),
      best: bestWorst(fmt, v.best),
      worst: bestWorst(fmt, v.worst),
      tradeList: listed.length ? [...(more > 0 ? [`… +${more}`] : []), ...listed.map((t) => tradeLine(fmt, t))].join('\n') : str(L, 'no_trades'),
      openCount: v.positions.length,
      openList: v.positions.length ? v.positions.map((p) => positionLines(fmt, p, v.now)).join('\n') : str(L, 'no_positions'),
      pendingCount: v.pending.length,
      pendingList: v.pending.length ? v.pending.map((p) => pendingLine(fmt, p)).join('\n') : str(L, 'no_pending'),
      agents: v.agents
        .map((a) => str(L, 'agent_standing_line', { agent: agentName(a.symbol), state: activityText(L, a.activity), today: fmt.signed(a.today), pnl: fmt.signed(a.pnl), trades: a.trades, winRate: fmt.pct(a.winRate, 0) }))
        .join('\n'),
      you: v.you || undefined,
    }),
    imagePath,
    card: { kind: 'daily', tone: v.pnl >= 0 ? 'up' : 'down' },
  };
}

/**
 * The trader scored against the crew (src/reports/stats.ts humanScore) in words: what the
 * proposals turned down would have done, and what the approved ones did. '' when none was.
 */
export function humanScoreText(fmt: Fmt, s: { rejected: number; expired: number; finished: number; won: number; stillOpen: number; turnedDownPnl: number; executed: { n: number; pnl: number; wins: number } }): string {
  if (s.rejected + s.expired === 0) return '';
  const L = fmt.lang;
  const verdict = s.finished === 0 ? str(L, 'you_pending') : s.turnedDownPnl > 0 ? str(L, 'you_cost', { pnl: fmt.num(s.turnedDownPnl, 2) }) : str(L, 'you_saved', { pnl: fmt.num(-s.turnedDownPnl, 2) });
  return str(L, 'you_text', {
    proposals: plural(L, 'n_proposals', s.rejected + s.expired),
    rejected: s.rejected,
    expired: s.expired,
    finished: s.finished,
    won: s.won,
    open: s.stillOpen,
    pnl: fmt.signed(s.turnedDownPnl),
    verdict,
    executed: s.executed.n,
    executedWon: s.executed.wins,
    executedPnl: fmt.signed(s.executed.pnl),
  });
}

/**
 * The proposal's reason in the chat's language, its figures in the chat's number format and its
 * regime in words (decisions stored before reasons had codes: as stored). The same rendering as
 * the analysts' reasons in /why (src/crew/reasons.ts).
 */
export function reasonText(lang: string, d: Pick<Decision, 'reason' | 'reasonCode' | 'reasonParams'>): string {
  return reasonOr(lang, d.reasonCode ? { code: d.reasonCode, params: { ...d.reasonParams } } : undefined, d.reason, numberIn(lang));
}
