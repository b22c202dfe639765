import { codeWord, gateText } from '../src/render/views.js';
import { catchUpLine } from '../src/app/catch-up.js';
import type { App } from '../src/app/context.js';
import type { Command } from '../src/chat/command.js';
import { renderTemplate, str } from '../src/render/template.js';
import { recentRefusals } from '../src/store/audit.js';
import { getKv } from '../src/store/kv.js';
import { getBalance, openTrades } from '../src/trading/account.js';
import { autoApprove, currentEquity, lastPrices } from '../src/trading/live.js';
import { pendingProposals } from '../src/trading/proposals.js';
import { maxArgs, t, tOr } from './args.js';
import { marketNow, onMarketClock, todaySoFar } from '../src/reports/stats.js';

/** The trainer's state in the chat's language. */
function trainingLine(app: App, L: string): string {
  const cur = app.trainer.current();
  if (cur) return str(L, 'status_training_running', { runId: cur.runId, done: cur.done, total: cur.total });
  const l = app.trainer.latest();
  return l ? str(L, 'status_training_last', { runId: l.id, status: l.status, done: l.done, total: l.total }) : str(L, 'status_training_none');
}

export const status: Command = {
  name: 'status',
  description: 'What the crew is doing: positions, proposals, scans, training, balance',
  usage: '/status',
  role: 'viewer',
  options: [],
  run(ctx) {
    maxArgs(ctx, 0);
    const { app } = ctx;
    const { cfg, fmt, db } = app;
    const L = cfg.language;
    const prices = lastPrices(app);
    const open = openTrades(db);
    const pending = pendingProposals(app);
    const equity = currentEquity(app);
    // One 'today' for /status, /daily and /pnl (the old account.day figure was no longer kept).
    const today = todaySoFar(app);
    const auto = autoApprove(app);
    const openList = open
      .map((t) => {
        const p = prices[t.symbol];
        const upnl = p === undefined ? 0 : (t.direction === 'LONG' ? 1 : -1) * (p - t.entry_price) * t.quantity;
        return str(L, 'status_open_line', { id: t.id, direction: codeWord(L, t.direction), symbol: t.symbol, qty: fmt.qty(t.quantity), entry: fmt.price(t.entry_price), price: p === undefined ? '–' : fmt.price(p), upnl: fmt.signed(upnl) });
      })
      .join('\n');
    const pendingList = pending.map((p) => str(L, 'status_pending_line', { id: p.id, direction: codeWord(L, p.direction), symbol: p.symbol, entry: fmt.price(p.entry), status: tOr(L, `proposal_state.${p.status}`, p.status), expires: fmt.dateTime(onMarketClock(app, p.expires_at)) })).join('\n');
    const refusals = recentRefusals(db, 3)
      .map((r) => str(L, 'refusal_line', { time: fmt.shortDate(r.ts), symbol: r.symbol, reason: gateText(fmt, r.reason_json ? JSON.parse(r.reason_json) : null, r.reason) }))
      .join('\n');
    ctx.reply({
      rich: renderTemplate(L, 'status', {
        // The demo market runs its own fast clock: every view shows that one, and says so.
        time: fmt.dateTime(marketNow(app)) + (app.demo ? ` ${str(L, 'market_clock')}` : ''),
        mode: cfg.mode,
        market: app.demo ? t(app, 'market_demo_status', { seed: cfg.demo.seed, seconds: cfg.demo.candle_every_seconds }) : cfg.exchange.id,
        timeframe: cfg.timeframe,
        symbols: cfg.symbols.join(', '),
        balance: fmt.money(getBalance(db, cfg.starting_balance)),
        equity: fmt.money(equity),
        todayPnl: `${fmt.signed(today.pnl)} (${fmt.signedPct(today.startEquity ? today.pnl / today.startEquity : 0)})`,
        // Catching up after a start: what runs and what waits says more than "Running".
        paused: getKv(db, 'paused', false) ? [catchUpLine(app), str(L, 'paused')].filter(Boolean).join('\n') : (catchUpLine(app) ?? str(L, 'running')),
        autoApprove: auto.on ? str(L, 'auto_on', { min: fmt.pct(auto.min, 0) }) : str(L, 'off'),
        openCount: open.length,
        openList: openList || str(L, 'no_positions'),
        pendingCount: pending.length,
        pendingList: pendingList || str(L, 'no_pending'),
        lastScan: app.scans.last ? fmt.dateTime(onMarketClock(app, app.scans.last)) : str(L, 'not_yet'),
        nextScan: app.scans.next ? fmt.dateTime(app.scans.next) : str(L, 'not_scheduled'),
        training: trainingLine(app, L),
        refusals: refusals || str(L, 'none'),
      }),
    });
  },
};
