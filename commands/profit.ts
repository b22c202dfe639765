import { catchUpLine } from '../src/app/catch-up.js';
import type { App } from '../src/app/context.js';
import type { Command, CommandContext } from '../src/chat/command.js';
import type { ChatAdapter } from '../src/chat/types.js';
import { closedIn, exposure, humanScore } from '../src/reports/stats.js';
import { humanScoreText, simpleMessage } from '../src/render/views.js';
import type { ClosedTradeRow } from '../src/store/reports.js';
import { openTrades } from '../src/trading/account.js';
import { effectiveRisk } from '../src/risk/settings.js';
import { intArg, maxArgs, t } from './args.js';
import { probeWritable } from '../src/store/health.js';
import { pendingCount } from '../src/store/outbox.js';
import { packageVersion } from '../src/config/load.js';
import { ccxtVersion } from '../src/market/ccxt-load.js';
import { timeframeMs } from '../src/market/timeframe.js';

/**
 * freqtrade's read-only commands a trader reaches for: /profit, /stats, /count, /version. All
 * figures come from the closed trades in SQLite, after fees.
 */

const DAY = 86_400_000;

/** `[days]` of /profit and /stats, and the closed trades of those days (all of them without days). */
function closedOfArgs(ctx: CommandContext): { days: number | undefined; rows: ClosedTradeRow[] } {
  maxArgs(ctx, 1);
  const days = intArg(ctx.app, ctx.args[0], 'days', 1, 3650);
  return { days, rows: closedIn(ctx.app, days === undefined ? 0 : ctx.app.now() - days * DAY, Number.MAX_SAFE_INTEGER) };
}

function spanText(app: App, days: number | undefined): string {
  return days === undefined ? t(app, 'span_all') : t(app, 'span_days', { days });
}

export const profit: Command = {
  name: 'profit',
  description: 'Profit of the closed trades: profit factor, expectancy, volume',
  usage: '/profit [days]',
  details: 'days: 1-3650 (default: every closed trade). Figures are after fees.',
  role: 'viewer',
  options: [{ name: 'days', description: 'how many days back, 1-3650 (default: all)', type: 'integer' }],
  run(ctx) {
    const { app } = ctx;
    const f = app.fmt;
    const { days, rows } = closedOfArgs(ctx);
    if (!rows.length) {
      ctx.reply(simpleMessage('💰', t(app, 'profit_none', { span: spanText(app, days) })));
      return;
    }
    let gains = 0;
    let losses = 0;
    let volume = 0;
    let wins = 0;
    let pctSum = 0;
    for (const r of rows) {
      if (r.pnl > 0) (gains += r.pnl), wins++;
      else losses -= r.pnl;
      const notional = r.entry_price * r.quantity;
      volume += notional + r.exit_price * r.quantity;
      pctSum += notional > 0 ? r.pnl / notional : 0;
    }
    const n = rows.length;
    const best = rows.reduce((a, r) => (r.pnl > a.pnl ? r : a));
    const worst = rows.reduce((a, r) => (r.pnl < a.pnl ? r : a));
    ctx.reply(
      simpleMessage(
        '💰',
        t(app, 'profit_text', {
          span: spanText(app, days),
          trades: n,
          pnl: f.signed(gains - losses),
          wins,
          winRate: f.pct(wins / n, 0),
          pf: losses > 0 ? f.num(gains / losses, 2) : t(app, 'profit_pf_no_losses'),
          expectancy: f.signed((gains - losses) / n),
          expectancyPct: f.signedPct(pctSum / n, 2),
          volume: f.money(volume),
          best: `${best.id} ${best.symbol} ${f.signed(best.pnl)}`,
          worst: `${worst.id} ${worst.symbol} ${f.signed(worst.pnl)}`,
        }),
      ),
    );
  },
};

export const stats: Command = {
  name: 'stats',
  description: 'How trades ended: exit reasons, and how long wins and losses lasted',
  usage: '/stats [days]',
  details: 'days: 1-3650 (default: every closed trade).',
  role: 'viewer',
  options: [{ name: 'days', description: 'how many days back, 1-3650 (default: all)', type: 'integer' }],
  run(ctx) {
    const { app } = ctx;
    const f = app.fmt;
    const { days, rows } = closedOfArgs(ctx);
    const you = youVsCrew(app, days);
    if (!rows.length) {
      ctx.reply(simpleMessage('📊', [t(app, 'profit_none', { span: spanText(app, days) }), you].filter(Boolean).join('\n')));
      return;
    }
    const byReason = new Map<string, { n: number; wins: number; pnl: number }>();
    for (const r of rows) {
      const x = byReason.get(r.exit_reason) ?? { n: 0, wins: 0, pnl: 0 };
      x.n++;
      if (r.pnl > 0) x.wins++;
      x.pnl += r.pnl;
      byReason.set(r.exit_reason, x);
    }
    const held = (xs: ClosedTradeRow[]) => (xs.length ? f.duration(xs.reduce((a, r) => a + (r.exit_ts - r.entry_ts), 0) / xs.length) : '–');
    const reasons = [...byReason]
      .sort((a, b) => b[1].n - a[1].n)
      .map(([reason, x]) => t(app, 'stats_reason_line', { reason, n: x.n, wins: x.wins, losses: x.n - x.wins, pnl: f.signed(x.pnl) }))
      .join('\n');
    ctx.reply(
      simpleMessage(
        '📊',
        t(app, 'stats_text', {
          span: spanText(app, days),
          trades: rows.length,
          reasons,
          winHeld: held(rows.filter((r) => r.pnl > 0)),
          lossHeld: held(rows.filter((r) => r.pnl <= 0)),
        }) + (you ? `\n${you}` : ''),
      ),
    );
  },
};

/** The trader scored against the crew since `days` ago (all time without days). */
function youVsCrew(app: App, days: number | undefined): string {
  return humanScoreText(app.fmt, humanScore(app, days === undefined ? 0 : app.now() - days * DAY));
}

export const count: Command = {
  name: 'count',
  description: 'Open trades against the limits',
  usage: '/count',
  role: 'viewer',
  options: [],
  run(ctx) {
    maxArgs(ctx, 0);
    const { app } = ctx;
    const ex = exposure(app);
    ctx.reply(simpleMessage('🔢', t(app, 'count_text', { open: openTrades(app.db).length, max: effectiveRisk(app).max_open_positions, exposure: app.fmt.pct(ex.fraction, 1), limit: app.fmt.pct(ex.limit, 0) })));
  },
};

export const version: Command = {
  name: 'version',
  description: 'Which tradecrew is running (and Node, ccxt)',
  usage: '/version',
  role: 'viewer',
  options: [],
  run(ctx) {
    maxArgs(ctx, 0);
    ctx.reply(simpleMessage('🏷️', t(ctx.app, 'version_text', { version: packageVersion(), node: process.version, ccxt: ccxtVersion(), mode: ctx.app.cfg.mode })));
  },
};

/** One chat in /health: its name, how many chats it pushes to, and its own health (⚠️ when failing), asked once. */
function chatHealthLine(a: ChatAdapter): string {
  const h = a.health?.();
  return `${a.name} (${a.pushChatIds.length}${h ? `, ${h.detail}${h.ok ? '' : ' ⚠️'}` : ''})`;
}

export const health: Command = {
  name: 'health',
  description: 'Is the bot well: database, chats, scans, outbox, training',
  usage: '/health',
  role: 'viewer',
  options: [],
  run(ctx) {
    maxArgs(ctx, 0);
    const { app } = ctx;
    const f = app.fmt;
    const db = probeWritable(app.db);
    const backlog = pendingCount(app.db);
    const lastScan = app.scans.last;
    // A scan older than three timeframes (or the demo's three candles) is late.
    const every = app.demo ? app.cfg.demo.candle_every_seconds * 1000 : timeframeMs(app.cfg.timeframe);
    const late = lastScan !== null && app.now() - lastScan > 3 * every;
    ctx.reply(
      simpleMessage(
        '🩺',
        t(app, 'health_text', {
            uptime: f.duration(process.uptime() * 1000),
            db: db.ok ? t(app, 'health_ok') : t(app, 'health_db_bad', { code: db.code }),
            chats: app.adapters.map(chatHealthLine).join(', '),
            scan: lastScan === null ? t(app, 'not_yet') : `${f.duration(app.now() - lastScan)} ${t(app, 'health_ago')}${late ? ` ⚠️ ${t(app, 'health_late')}` : ''}`,
            backlog,
            training: ((cur) => (cur ? t(app, 'health_train_running', { runId: cur.runId, done: cur.done, total: cur.total }) : t(app, 'health_train_idle')))(app.trainer.current()),
            rss: Math.round(process.memoryUsage().rss / 1_048_576),
          }) + ((line) => (line ? `\n${line}` : ''))(catchUpLine(app)),
      ),
    );
  },
};
