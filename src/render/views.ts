import type { Decision } from '../agents/decision.js';
import type { Button, OutgoingMessage } from '../chat/types.js';
import type { PortfolioMetrics } from '../metrics/portfolio.js';
import type { SeriesMetrics } from '../metrics/series.js';
import type { DetailedTradeMetric, Regime } from '../metrics/types.js';
import type { Fmt } from './format.js';
import { renderTemplate, str } from './template.js';

/**
 * View-models: domain objects in, template values out. All wording lives in templates/<lang>;
 * all number formatting in Fmt. Nothing here knows which chat the message goes to.
 */
export const REGIME_EMOJI: Record<Regime, string> = { TRENDING_UP: '📈', TRENDING_DOWN: '📉', RANGING: '↔️', VOLATILE: '🌪️' };
const CONF_EMOJI: Record<string, string> = { LOW: '🤏', MEDIUM: '👌', HIGH: '💪', VERY_HIGH: '🚀' };
const STRATEGY_EMOJI: Record<string, string> = { trend_following: '📈', mean_reversion: '🔄', breakout: '💥', rl_qlearning: '🧠', ensemble: '🤝' };

export const dirEmoji = (direction: string) => (direction === 'LONG' ? '🟢📈' : '🔴📉');
export const baseOf = (symbol: string) => symbol.split('/')[0];
export const quoteOf = (symbol: string) => symbol.split('/')[1] ?? 'USD';
/** BTC/USDT -> BTCUSDT, the seed's agent naming. */
export const agentName = (symbol: string) => symbol.replace('/', '');

export interface ProposalView {
  id: string;
  symbol: string;
  quantity: number;
  expiresAt: number;
  decision: Decision;
}

export function proposalMessage(fmt: Fmt, p: ProposalView, o: { status: string; buttons?: Button[][]; hint?: string; imagePath?: string }): OutgoingMessage {
  const d = p.decision;
  const rich = renderTemplate(fmt.lang, 'proposal', {
    id: p.id,
    symbol: p.symbol,
    strategy: d.strategy,
    dirEmoji: dirEmoji(d.direction),
    direction: d.direction,
    entry: fmt.price(d.price),
    stop: fmt.price(d.stop),
    stopPct: fmt.signedPct(d.stop / d.price - 1),
    target: fmt.price(d.target),
    targetPct: fmt.signedPct(d.target / d.price - 1),
    rr: fmt.num(d.riskReward, 2),
    qty: fmt.qty(p.quantity),
    base: baseOf(p.symbol),
    notional: fmt.money(p.quantity * d.price),
    confLevel: d.confidenceLevel,
    confPct: fmt.pct(d.confidence, 0),
    confluence: fmt.pct(d.confluence, 0),
    regimeEmoji: REGIME_EMOJI[d.regime],
    regime: d.regime,
    volatility: fmt.pct(d.volatility, 1),
    volume: d.volumeConfirmed ? '✅' : '➖',
    reason: d.reason,
    expires: fmt.dateTime(p.expiresAt),
    status: o.status,
    hint: o.hint,
  });
  return { rich, buttons: o.buttons ?? [], imagePath: o.imagePath };
}

export function tradeCompletedMessage(fmt: Fmt, t: DetailedTradeMetric, imagePath?: string): OutgoingMessage {
  const quote = quoteOf(t.agentSymbol);
  const win = t.pnl > 0;
  const rich = renderTemplate(fmt.lang, 'trade_completed', {
    headEmoji: win ? '✅' : '❌',
    dirEmoji: dirEmoji(t.direction),
    trophy: win ? (t.qualityScore >= 80 ? '🏆' : '👍') : '🩹',
    agent: agentName(t.agentSymbol),
    cycle: String(t.cycleId).padStart(4, '0'),
    time: fmt.time(t.exitTime),
    direction: t.direction,
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
    confLevel: t.confidenceLevel,
    confPct: fmt.pct(t.confidence, 0),
    strategyEmoji: STRATEGY_EMOJI[t.strategyName] ?? '📈',
    strategy: t.strategyName,
    rr: fmt.num(t.riskReward, 1),
    exitReason: t.exitReason,
    regimeEmoji: REGIME_EMOJI[t.marketRegime],
    regime: t.marketRegime,
    volatility: fmt.pct(t.volatilityLevel, 1),
    volume: t.volumeConfirmation ? '✅' : '➖',
    timeframe: t.timeframe,
    score: fmt.num(t.qualityScore, 1),
    followedPlan: t.followedPlan ? '✅' : '❌',
    slippage: fmt.money(t.slippage),
    fee: fmt.money(t.fee),
  });
  return { rich, imagePath };
}

export function fillMessage(fmt: Fmt, f: { id: string; symbol: string; direction: string; quantity: number; price: number; fee: number; stop: number; target: number; broker: string; approvedBy?: string }): OutgoingMessage {
  return {
    rich: renderTemplate(fmt.lang, 'fill', {
      id: f.id,
      symbol: f.symbol,
      dirEmoji: dirEmoji(f.direction),
      direction: f.direction,
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
}

export function cycleSummaryMessage(fmt: Fmt, v: CycleView, imagePath?: string): OutgoingMessage {
  const p = v.portfolio;
  const ranked = Object.entries(v.agents).sort((a, b) => b[1].pnl - a[1].pnl);
  const agents = ranked
    .map(([sym, m], k) => {
      const medal = k === 0 && ranked.length > 1 ? ' 🏆' : k === ranked.length - 1 && ranked.length > 1 && m.pnl < 0 ? ' ⚠️' : '';
      return [
        `${agentName(sym)}: ${m.pnl >= 0 ? '📈' : '📉'}${medal}`,
        `├ PnL: ${fmt.signed(m.pnl)} (${fmt.signedPct(m.totalReturn)})`,
        `├ Trades: ${m.trades} (WR ${fmt.pct(m.winRate, 0)})`,
        `└ DD: ${fmt.pct(m.maxDrawdown, 1)}`,
      ].join('\n');
    })
    .join('\n');
  const rich = renderTemplate(fmt.lang, 'cycle_summary', {
    cycle: String(v.cycle).padStart(4, '0'),
    final: v.final ? ' · FINAL' : '',
    completed: fmt.shortDate(v.completedAt),
    runId: v.runId,
    done: v.done,
    total: v.total,
    span: v.span,
    pnlEmoji: p.pnl >= 0 ? '📈' : '📉',
    pnl: fmt.signed(p.pnl),
    ret: fmt.signedPct(p.totalReturn),
    sharpe: fmt.num(p.sharpe, 2),
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
  return { rich, imagePath };
}

export function progressBar(frac: number, width = 16): string {
  const k = Math.max(0, Math.min(width, Math.round(frac * width)));
  return '▰'.repeat(k) + '▱'.repeat(width - k);
}
