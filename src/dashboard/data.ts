import type { App } from '../app/context.js';
import type { Decision } from '../agents/decision.js';
import { crewVotesRich } from '../crew/render.js';
import { isVote } from '../crew/types.js';
import { richToPlain } from '../render/rich.js';
import { activityText, edgeLine, evidenceLine, proposalMessage } from '../render/views.js';
import { agentStandings, equityCurve, marketNow, recentClosed, unrealisedPnl } from '../reports/stats.js';
import { lastCandles } from '../store/candles.js';
import { decisionForProposal, votesOf } from '../store/crew.js';
import { getKv } from '../store/kv.js';
import { openTrades } from '../trading/account.js';
import { agentStateFor, currentEquity, lastPrices } from '../trading/live.js';
import { pendingProposals } from '../trading/proposals.js';

/**
 * What the dashboard shows, as JSON, built from the same reports the chat commands use
 * (/pnl's equity curve, /positions, /pending, /trades, /train status, /agents). Chart times are
 * in seconds (lightweight-charts' UTCTimestamp). Nothing secret: no tokens, keys or settings.
 */
const EMPTY_DAYS = 7;
const sec = (ms: number) => Math.floor(ms / 1000);

/** Strictly increasing times, as the chart library wants (the last value of a second wins). */
function series(points: Array<{ ts: number; value: number }>): Array<{ time: number; value: number }> {
  const out: Array<{ time: number; value: number }> = [];
  for (const p of points) {
    const time = sec(p.ts);
    if (out.length && out[out.length - 1].time >= time) out[out.length - 1] = { time: out[out.length - 1].time, value: p.value };
    else out.push({ time, value: p.value });
  }
  return out;
}

export function overview(app: App) {
  const { fmt, cfg } = app;
  const now = marketNow(app);
  // /pnl's curve (snapshots, or rebuilt from realised PnL) since the first trade; with none yet,
  // the last week on the market's clock (a flat line at the starting balance).
  const curve = equityCurve(app, recentClosed(app, 1).length ? 0 : now - EMPTY_DAYS * 86_400_000, now + 1, 200);
  let peak = -Infinity;
  const equity = series(curve.map((p) => ({ ts: p.ts, value: p.equity })));
  const drawdown = equity.map((p) => {
    peak = Math.max(peak, p.value);
    return { time: p.time, value: peak > 0 ? (p.value / peak - 1) * 100 : 0 };
  });
  const prices = lastPrices(app);
  const positions = openTrades(app.db).map((t) => ({
    id: t.id,
    symbol: t.symbol,
    direction: t.direction,
    quantity: t.quantity,
    entry: t.entry_price,
    price: prices[t.symbol] ?? null,
    pnl: unrealisedPnl(t, prices[t.symbol]),
    stop: t.stop,
    target: t.target,
    entryTs: t.entry_ts,
  }));
  const pending = pendingProposals(app).map((p) => {
    const decision = JSON.parse(p.decision_json) as Decision;
    const crew = decisionForProposal(app.db, p.id);
    const msg = proposalMessage(fmt, { id: p.id, symbol: p.symbol, quantity: p.quantity, expiresAt: p.expires_at, decision }, { status: '' });
    return {
      id: p.id,
      symbol: p.symbol,
      direction: p.direction,
      status: p.status,
      entry: p.entry,
      stop: p.stop,
      target: p.target,
      quantity: p.quantity,
      confidence: p.confidence,
      createdAt: p.created_at,
      expiresAt: p.expires_at,
      text: richToPlain(msg.rich).trim(),
      evidence: decision.evidence && decision.evidence.trades > 0 ? evidenceLine(fmt, decision) : null,
      votes: crew
        ? votesOf(crew).map((v) => ({ analyst: v.analyst, vote: isVote(v.analysis) ? v.analysis.recommendation : null, confidence: isVote(v.analysis) ? v.analysis.confidence : null }))
        : [],
      votesText: crew ? richToPlain(crewVotesRich(fmt.lang, fmt, crew, 1500)).trim() : null,
      candles: lastCandles(app.db, p.symbol, cfg.timeframe, 80).map((c) => ({ time: sec(c.ts), open: c.open, high: c.high, low: c.low, close: c.close })),
    };
  });
  const trades = recentClosed(app, 20).map((t) => ({ id: t.id, symbol: t.symbol, direction: t.direction, entry: t.entry_price, exit: t.exit_price, pnl: t.pnl, exitTs: t.exit_ts, reason: t.exit_reason }));
  const cur = app.trainer.current();
  const latest = app.trainer.latest();
  const agents = agentStandings(app).map((a) => {
    const edge = agentStateFor(app, a.symbol).edge;
    return { ...a, activityText: activityText(fmt.lang, a.activity), edge: edge ? edge.edge : null, edgeText: edgeLine(fmt, edge, cfg.training.require_edge, false) };
  });
  return {
    now,
    mode: cfg.mode,
    market: app.demo ? 'demo' : cfg.exchange.id,
    paused: getKv(app.db, 'paused', false),
    equity: { current: currentEquity(app), start: cfg.starting_balance, points: equity, drawdown },
    positions,
    pending,
    trades,
    training: {
      current: cur ? { runId: cur.runId, done: cur.done, total: cur.total, startedAt: cur.startedAt } : null,
      latest: latest ? { id: latest.id, status: latest.status, done: latest.done, total: latest.total } : null,
    },
    agents,
  };
}
