import cron, { type ScheduledTask } from 'node-cron';
import type { App } from '../app/context.js';
import { refreshCandles } from '../market/refresh.js';
import { timeframeMs } from '../market/timeframe.js';
import { alertMessage } from '../render/views.js';
import { scanAll } from '../trading/live.js';

export interface Scheduler {
  /** Runs one tick now (market refresh + scan), unless one is already running. */
  tick(): Promise<void>;
  stop(): void;
  /** Resolves when no scan is running. */
  idle(): Promise<void>;
}

/**
 * The cron expression that fires a few seconds after each candle of `tf` closes, e.g. 1h ->
 * "5 0 * * * *" (second 5 of minute 0 of every hour).
 */
export function cronAfterClose(tf: string): string {
  const ms = timeframeMs(tf);
  const min = ms / 60_000;
  if (min < 60) return `5 */${min} * * * *`;
  const h = min / 60;
  if (h < 24) return `5 0 */${h} * * *`;
  return `5 0 0 * * *`;
}

/**
 * node-cron drives the live clock. With the demo market, a one-second cron counts to
 * demo.candle_every_seconds and then closes a demo candle (the fast clock). Ticks never overlap:
 * a tick still running when the next is due is skipped and reported once.
 */
export function startScheduler(app: App, onTick?: () => void): Scheduler {
  let running: Promise<void> | null = null;
  let overrunReported = false;
  const tick = async (): Promise<void> => {
    if (running) {
      if (!overrunReported) {
        overrunReported = true;
        app.log.warn('scan overran its interval; skipping a tick');
        app.push('alert', alertMessage(app.fmt, { severity: 'WARNING', title: 'scan overrun', body: 'A market scan took longer than the candle interval; the next scan was skipped.' }));
      }
      return;
    }
    running = (async () => {
      try {
        await refreshCandles(app);
        await scanAll(app);
      } catch (e) {
        app.log.error({ err: app.scrub(String(e)) }, 'tick failed');
      } finally {
        running = null;
        onTick?.();
      }
    })();
    return running;
  };

  const tasks: ScheduledTask[] = [];
  if (app.demo) {
    let seconds = 0;
    const every = app.cfg.demo.candle_every_seconds;
    const t = cron.schedule('* * * * * *', () => {
      seconds++;
      app.scans.next = app.now() + (every - (seconds % every)) * 1000;
      if (seconds % every === 0) void tick();
    });
    tasks.push(t);
  } else {
    const expr = app.cfg.scan.schedule || cronAfterClose(app.cfg.timeframe);
    const t = cron.schedule(expr, () => void tick(), { timezone: app.cfg.timezone });
    tasks.push(t);
    const next = () => (app.scans.next = t.getNextRun()?.getTime() ?? null);
    next();
    setInterval(next, 30_000).unref();
  }
  return {
    tick,
    stop() {
      for (const t of tasks) void t.stop();
    },
    async idle() {
      while (running) await running;
    },
  };
}
