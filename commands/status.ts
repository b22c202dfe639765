import type { Command } from '../src/chat/command.js';
import { str } from '../src/render/template.js';
import { renderTemplate } from '../src/render/template.js';
import { recentRefusals } from '../src/store/audit.js';
import { getKv } from '../src/store/kv.js';
import { getBalance, openTrades } from '../src/trading/account.js';
import { autoApprove, currentEquity, lastPrices } from '../src/trading/live.js';
import { pendingProposals } from '../src/trading/proposals.js';

export const status: Command = {
  name: 'status',
  description: 'What the crew is doing: positions, proposals, scans, training, balance',
  usage: '/status',
  role: 'viewer',
  run(ctx) {
    const { app } = ctx;
    const { cfg, fmt, db } = app;
    const L = cfg.language;
    const prices = lastPrices(app);
    const open = openTrades(db);
    const pending = pendingProposals(app);
    const equity = currentEquity(app);
    const day = getKv(db, 'account.day', { day: -1, equity });
    const auto = autoApprove(app);
    const openList = open
      .map((t) => {
        const p = prices[t.symbol];
        const upnl = p === undefined ? 0 : (t.direction === 'LONG' ? 1 : -1) * (p - t.entry_price) * t.quantity;
        return `• ${t.id} ${t.direction} ${t.symbol} ${fmt.qty(t.quantity)} @ ${fmt.price(t.entry_price)} → ${p === undefined ? '–' : fmt.price(p)} (${fmt.signed(upnl)})`;
      })
      .join('\n');
    const pendingList = pending.map((p) => `• ${p.id} ${p.direction} ${p.symbol} @ ${fmt.price(p.entry)} · ${p.status} · expires ${fmt.dateTime(p.expires_at)}`).join('\n');
    const refusals = recentRefusals(db, 3)
      .map((r) => `• ${fmt.shortDate(r.ts)} ${r.symbol}: ${r.reason}`)
      .join('\n');
    ctx.reply({
      rich: renderTemplate(L, 'status', {
        time: fmt.dateTime(app.now()),
        mode: cfg.mode,
        market: app.demo ? `demo (seed ${cfg.demo.seed}, 1 candle / ${cfg.demo.candle_every_seconds}s)` : cfg.exchange.id,
        timeframe: cfg.timeframe,
        symbols: cfg.symbols.join(', '),
        balance: fmt.money(getBalance(db, cfg.starting_balance)),
        equity: fmt.money(equity),
        todayPnl: `${fmt.signed(equity - day.equity)} (${fmt.signedPct(day.equity ? equity / day.equity - 1 : 0)})`,
        paused: getKv(db, 'paused', false) ? str(L, 'paused') : str(L, 'running'),
        autoApprove: auto.on ? `ON ≥ ${fmt.pct(auto.min, 0)}` : 'OFF',
        openCount: open.length,
        openList: openList || str(L, 'no_positions'),
        pendingCount: pending.length,
        pendingList: pendingList || str(L, 'no_pending'),
        lastScan: app.scans.last ? fmt.dateTime(app.scans.last) : 'not yet',
        nextScan: app.scans.next ? fmt.dateTime(app.scans.next) : 'not scheduled',
        training: app.trainer.describe(),
        refusals: refusals || str(L, 'none'),
      }),
    });
  },
};
