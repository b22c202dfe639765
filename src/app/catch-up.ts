import pRetry from 'p-retry';
import type { App } from './context.js';
import { backfillSymbol } from '../market/refresh.js';
import { str } from '../render/template.js';
import { alertMessage, simpleMessage } from '../render/views.js';
import { resolvePendingExits } from '../trading/live.js';
import { recoverApproved } from '../trading/proposals.js';
import { startupReconcile } from '../trading/reconcile-report.js';
import { managedSymbols } from '../trading/whitelist.js';

// The start-up catch-up: what the gate in startup-gate.ts waits for (its comment says why).

/** Waits between failed catch-up attempts: 5 s, doubling, at most a minute (p-retry's timeouts). */
export const CATCH_UP_RETRY = { minMs: 5_000, maxMs: 60_000 };

/**
 * Catches up after a start, then opens the gate. Market data is fetched symbol by symbol;
 * when that fails (an exchange outage), the chat is told once, and it is tried again (p-retry,
 * `retry`'s timeouts doubling) until it succeeds or `signal` aborts (a stop while catching up:
 * returns false, gate still closed). The recovery of orders runs once the candles are in; its
 * exchange check failing is reported and does not hold the bot (unfinished orders are looked up
 * again at every scan).
 */
export async function catchUp(app: App, opts: { signal?: AbortSignal; retry?: { minMs: number; maxMs: number } } = {}): Promise<boolean> {
  const gate = app.startup;
  const L = app.cfg.language;
  const { minMs, maxMs } = opts.retry ?? CATCH_UP_RETRY;
  let failures = 0;
  const fetchMarket = async () => {
    const symbols = managedSymbols(app);
    gate.report({ step: 'market', done: 0 });
    for (const [i, symbol] of symbols.entries()) {
      await backfillSymbol(app, symbol);
      gate.report({ done: i + 1 });
    }
  };
  try {
    await pRetry(fetchMarket, {
      retries: Infinity,
      factor: 2,
      minTimeout: minMs,
      maxTimeout: maxMs,
      signal: opts.signal,
      onFailedAttempt({ error, attemptNumber }) {
        failures = attemptNumber;
        const message = app.scrub(error.message);
        const waitMs = Math.min(maxMs, minMs * 2 ** (attemptNumber - 1)); // the wait p-retry takes next
        gate.report({ failures, lastError: message });
        app.log.warn({ err: message, failures, retryInMs: waitMs }, 'catching up with the market at start failed; retrying');
        // Said once: a long outage is one alert, not one per attempt (the log has each).
        if (failures === 1) app.push('alert', alertMessage(app.fmt, { severity: 'WARNING', title: str(L, 'catchup_failed_title'), body: str(L, 'catchup_failed_body', { error: message, seconds: Math.round(waitMs / 1000) }) }));
      },
    });
  } catch (e) {
    if (opts.signal?.aborted) return false; // stopped while catching up
    throw e;
  }
  if (opts.signal?.aborted) return false;
  gate.report({ step: 'orders' });
  const recovered = await recoverApproved(app);
  if (recovered) app.log.info({ recovered }, 'finished approved proposals from before the restart');
  // Live: finish exits interrupted by a crash, then compare the exchange with SQLite and report.
  try {
    await resolvePendingExits(app);
    await startupReconcile(app);
  } catch (e) {
    app.push('alert', alertMessage(app.fmt, { severity: 'WARNING', title: str(L, 'start_check_failed_title'), body: str(L, 'start_check_failed_body', { error: app.scrub((e as Error).message) }) }));
  }
  gate.open();
  if (failures > 0) app.push('alert', simpleMessage('✅', str(L, 'catchup_done', { failures })));
  return true;
}

/** The line /status shows while catching up (null once ready). */
export function catchUpLine(app: App): string | null {
  const p = app.startup.progress;
  if (!p) return null;
  const L = app.cfg.language;
  const doing = p.step === 'market' ? str(L, 'catchup_market', { done: p.done, total: managedSymbols(app).length }) : str(L, 'catchup_orders');
  return p.failures ? str(L, 'catchup_line_failing', { doing, failures: p.failures, error: p.lastError ?? '' }) : str(L, 'catchup_line', { doing });
}
