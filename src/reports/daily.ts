import type { App } from '../app/context.js';
import type { OutgoingMessage } from '../chat/types.js';
import { str } from '../render/template.js';
import { humanScoreText, renderDailySummary } from '../render/views.js';
import { realisedPnlBefore } from '../store/reports.js';
import { openTrades } from '../trading/account.js';
import { currentEquity, lastPrices } from '../trading/live.js';
import { pendingProposals } from '../trading/proposals.js';
import { equityImage } from './charts.js';
import { agentStandings, closedIn, equityCurve, humanScore, marketNow, tradeStats } from './stats.js';

const DAY_MS = 86_400_000;
/** Days of equity the summary's chart shows. */
export const DAILY_CHART_DAYS = 30;

/**
 * The daily summary of the day starting at `dayStartTs` (local midnight in the configured
 * timezone, see Fmt.dayStart; with the demo market, days follow the market's clock: marketNow):
 * that day's trades and PnL, the equity chart of the last 30 days,
 * open positions, pending proposals and every agent's standing. For a past day the figures are
 * those of that day; positions and proposals are always the current ones.
 */
export async function dailySummaryMessage(app: App, dayStartTs: number): Promise<OutgoingMessage> {
  const { fmt } = app;
  const now = marketNow(app);
  // The next local midnight, DST-safe: a day is 23 to 25 hours long.
  const dayEnd = fmt.dayStart(dayStartTs + DAY_MS + DAY_MS / 2);
  const rows = closedIn(app, dayStartTs, dayEnd);
  const s = tradeStats(rows);
  // The same start of day as /status (todaySoFar): equity realised by midnight.
  const startEquity = app.cfg.starting_balance + realisedPnlBefore(app.db, dayStartTs);
  const isToday = now >= dayStartTs && now < dayEnd;
  // A past day ends at its realised equity; today at the marked-to-market equity.
  const equity = isToday ? currentEquity(app) : startEquity + s.pnl;
  const prices = lastPrices(app);
  const today = new Map<string, number>();
  for (const t of rows) today.set(t.symbol, (today.get(t.symbol) ?? 0) + t.pnl);
  const chartFrom = fmt.dayStart(dayStartTs - (DAILY_CHART_DAYS - 1) * DAY_MS + DAY_MS / 2);
  const points = equityCurve(app, chartFrom, dayEnd);
  const image = await equityImage(app, `daily-${fmt.day(dayStartTs)}`, str(fmt.lang, 'daily_chart_title', { days: DAILY_CHART_DAYS }), points);
  return renderDailySummary(
    fmt,
    {
      dayStart: dayStartTs,
      trades: rows,
      // Today's PnL is marked to market, as in /status; a past day's is what it realised.
      pnl: isToday ? equity - startEquity : s.pnl,
      startEquity,
      equity,
      best: s.best,
      worst: s.worst,
      positions: openTrades(app.db).map((t) => ({ ...t, price: prices[t.symbol] })),
      pending: pendingProposals(app),
      agents: agentStandings(app).map((a) => ({ symbol: a.symbol, activity: a.activity, today: today.get(a.symbol) ?? 0, pnl: a.pnl, trades: a.trades, winRate: a.winRate })),
      now,
      you: humanScoreText(fmt, humanScore(app, dayStartTs)),
    },
    image,
  );
}

/** Pushes today's summary to every push chat (Telegram, Discord, console) through the outbox. */
export async function pushDailySummary(app: App): Promise<void> {
  const msg = await dailySummaryMessage(app, app.fmt.dayStart(marketNow(app)));
  app.push('daily_summary', msg);
}
