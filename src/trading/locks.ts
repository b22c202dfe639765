import type { App } from '../app/context.js';
import { dayOf, equityOf, killSwitchTripped } from '../kernel/portfolio.js';
import { timeframeMs } from '../market/timeframe.js';
import { marketNow, onMarketClock } from '../reports/stats.js';
import { effectiveRisk } from '../risk/settings.js';
import { lastCandles } from '../store/candles.js';
import { getKv } from '../store/kv.js';
import { lastExits, releaseCooldown } from '../store/locks.js';
import { currentPortfolio } from './live.js';
import { pendingProposals } from './proposals.js';

/**
 * What keeps a symbol from opening a new trade right now, said as locks with a reason and an end
 * (/locks). Nothing here is a second rule: each lock is read from the rule that enforces it.
 *
 *  - cooldown: the risk gate refuses an entry until risk.cooldown_candles candles have passed since
 *    the symbol's last exit (any exit, won or lost). The only lock /unlock ends: the release is
 *    kept in SQLite (store/locks.ts) and the live portfolio then forgets that exit.
 *  - proposal: a proposal waiting for a decision (or an approved limit order resting on the book)
 *    stops the scan from proposing that symbol again until it is decided or expires. Not a lock to
 *    lift: /reject (or /approve) decides it.
 *  - account-wide refusals (pause, kill switch, daily loss limit, position and daily trade limits)
 *    block every symbol; each has its own way out, which the message names.
 *
 * Times are on the clock the views show (the demo market's, with the demo).
 */
export type SymbolLock =
  | { kind: 'cooldown'; symbol: string; until: number; since: number; exitCandleTs: number; cooldown: number }
  | { kind: 'proposal'; symbol: string; until: number; proposalId: string; status: string };

export type AccountBlock =
  | { kind: 'paused' }
  | { kind: 'kill_switch'; drawdown: number; limit: number }
  | { kind: 'daily_loss_limit'; limit: number; until: number }
  | { kind: 'max_open_positions'; open: number; max: number }
  | { kind: 'daily_trade_limit'; entries: number; max: number; until: number };

const DAY_MS = 86_400_000;

/** The latest closed candle's open time of a symbol (0 when none is cached). */
function lastCandleTs(app: App, symbol: string): number {
  return lastCandles(app.db, symbol, app.cfg.timeframe, 1)[0]?.ts ?? 0;
}

export function symbolLocks(app: App): SymbolLock[] {
  const tfMs = timeframeMs(app.cfg.timeframe);
  const cooldown = effectiveRisk(app).cooldown_candles;
  const pf = currentPortfolio(app);
  const out: SymbolLock[] = [];
  for (const symbol of app.cfg.symbols) {
    const last = pf.lastExit[symbol];
    if (last !== undefined && cooldown > 0) {
      // The gate allows the decision on candle last + cooldown, taken when that candle closes.
      const until = (last + cooldown + 1) * tfMs;
      const decidedOn = Math.round(lastCandleTs(app, symbol) / tfMs);
      if (until > marketNow(app)) out.push({ kind: 'cooldown', symbol, until, since: Math.max(0, decidedOn - last), exitCandleTs: last * tfMs, cooldown });
    }
  }
  for (const p of pendingProposals(app)) {
    if (!app.cfg.symbols.includes(p.symbol)) continue;
    out.push({ kind: 'proposal', symbol: p.symbol, until: onMarketClock(app, p.expires_at), proposalId: p.id, status: p.status });
  }
  return out.sort((a, b) => a.symbol.localeCompare(b.symbol) || a.until - b.until);
}

/** The account-wide refusals in force now (the same tests as the risk gate's, each said). */
export function accountBlocks(app: App): AccountBlock[] {
  const risk = effectiveRisk(app);
  const lastTs = Math.max(0, ...app.cfg.symbols.map((s) => lastCandleTs(app, s)));
  const pf = currentPortfolio(app, lastTs);
  const equity = equityOf(pf);
  // The kernel's day is the UTC day (portfolio.ts dayOf): its limits end at UTC midnight.
  const nextUtcDay = (dayOf(lastTs) + 1) * DAY_MS;
  const out: AccountBlock[] = [];
  if (getKv(app.db, 'paused', false)) out.push({ kind: 'paused' });
  if (killSwitchTripped(pf, risk.max_drawdown)) out.push({ kind: 'kill_switch', drawdown: 1 - equity / pf.peak, limit: risk.max_drawdown });
  if (pf.dayStart > 0 && equity < pf.dayStart * (1 - risk.daily_loss_limit)) out.push({ kind: 'daily_loss_limit', limit: risk.daily_loss_limit, until: nextUtcDay });
  const open = Object.keys(pf.positions).length + pf.reserved.positions;
  if (open >= risk.max_open_positions) out.push({ kind: 'max_open_positions', open, max: risk.max_open_positions });
  const entries = pf.entries.day === dayOf(lastTs) ? pf.entries.count : 0;
  if (entries >= risk.daily_trade_limit) out.push({ kind: 'daily_trade_limit', entries, max: risk.daily_trade_limit, until: nextUtcDay });
  return out;
}

/**
 * Ends the cooldowns of `symbols` (the ones that have one); returns those released. Kept in
 * SQLite with who released it: the next scan may open a trade on them again.
 */
export function releaseCooldowns(app: App, symbols: readonly string[], by: string): Array<Extract<SymbolLock, { kind: 'cooldown' }>> {
  const wanted = new Set(symbols);
  const locks = symbolLocks(app).filter((l): l is Extract<SymbolLock, { kind: 'cooldown' }> => l.kind === 'cooldown' && wanted.has(l.symbol));
  const exits = new Map(lastExits(app.db).map((r) => [r.symbol, r.t]));
  app.db.transaction(() => {
    for (const l of locks) releaseCooldown(app.db, l.symbol, exits.get(l.symbol) ?? l.exitCandleTs, by, app.now());
  })();
  if (locks.length) app.log.info({ symbols: locks.map((l) => l.symbol), by }, 'cooldown released');
  return locks;
}
