import { storageWritable } from '../notify/storage.js';
import { reconcileExchange } from '../trading/reconcile-report.js';
import { isCcxtBroker } from '../trading/ccxt-broker.js';
import cron, { type ScheduledTask } from 'node-cron';
import type { App } from '../app/context.js';
import { refreshCandles } from '../market/refresh.js';
import { timeframeMs } from '../market/timeframe.js';
import { alertMessage } from '../render/views.js';
import { scanAll, watchPositions } from '../trading/live.js';

export interface Scheduler {
  /** Runs one scan tick now (market refresh + scan), unless one is already running. */
  tick(): Promise<void>;
  /** Runs one position watch now, unless a scan or watch is running (a scan watches too). */
  watch(): Promise<void>;
  /** Runs the exchange check now (live), unless a scan or watch is running. */
  check(): Promise<void>;
  stop(): void;
  /** Resolves when no scan or watch is running. */
  idle(): Promise<void>;
}

export interface SchedulerOptions {
  /** The work of one scan tick; default: refresh candles, then scan every symbol. */
  scan?: () => Promise<void>;
  /** The work of one faster watch; default: stop/target of open positions at the live price. */
  watch?: () => Promise<void>;
  /** Called after every scan tick (tests). */
  onTick?: () => void;
}

/**
 * The cron expression that fires a few seconds after each candle of `tf` closes, e.g. 1h ->
 * "5 0 * * * *" (second 5 of minute 0 of every hour). The few seconds give the exchange time to
 * publish the closed candle. Meant to be evaluated in UTC, where candle boundaries lie.
 */
/** At most one 'scan overrun' alert an hour; every skipped tick is still logged. */
const OVERRUN_ALERT_EVERY_MS = 3_600_000;

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
 * demo.candle_every_seconds and then closes a demo candle (the fast clock). Scans never overlap:
 * a scan still running when the next is due makes that one skip, and the overrun is reported in
 * chat once per episode (until a scan again finishes before the next is due). The optional faster
 * watch (scan.watch_schedule) shares the same lock: it waits for nobody and is simply skipped
 * while a scan runs, since the scan watches positions too.
 */
export function startScheduler(app: App, opts: SchedulerOptions = {}): Scheduler {
  const scanWork =
    opts.scan ??
    (async () => {
      await refreshCandles(app);
      await scanAll(app);
    });
  const watchWork =
    opts.watch ??
    (async () => {
      await watchPositions(app);
    });
  let running: Promise<void> | null = null;
  let kind: 'scan' | 'watch' | 'check' | null = null;
  let startedAt = 0;
  let skipped = 0;
  // Last overrun alert: scans that overrun every other time would otherwise alert every other time.
  let overrunReportedAt = -Infinity;
  let stopped = false;

  const run = (k: 'scan' | 'watch' | 'check', work: () => Promise<void>): Promise<void> => {
    kind = k;
    startedAt = Date.now();
    running = (async () => {
      try {
        // Nothing is decided or sent while nothing can be recorded (a full disk): said once, resumed after.
        if (app.db && !(await storageWritable(app))) return;
        await work();
      } catch (e) {
        app.log.error({ err: app.scrub(String(e)), kind: k }, `${k} failed`);
      } finally {
        running = null;
        kind = null;
        if (k === 'scan') {
          skipped = 0;
          opts.onTick?.();
        }
      }
    })();
    return running;
  };

  const tick = async (): Promise<void> => {
    if (stopped) return;
    // A watch in progress is short: the scan waits for it rather than being skipped.
    while (running && kind === 'watch') await running;
    if (running) {
      skipped++;
      const secs = Math.round((Date.now() - startedAt) / 1000);
      app.log.warn({ runningForSeconds: secs }, 'scan overran its interval; skipping a tick');
      if (Date.now() - overrunReportedAt >= OVERRUN_ALERT_EVERY_MS) {
        overrunReportedAt = Date.now();
        app.push(
          'alert',
          alertMessage(app.fmt, {
            severity: 'WARNING',
            title: 'scan overrun',
            body: `A market scan has been running for ${secs} s, past the time the next one was due; that next scan was skipped (scans never overlap). Repeats within the hour are only logged.`,
          }),
        );
      }
      return;
    }
    return run('scan', scanWork);
  };

  const watch = async (): Promise<void> => {
    if (stopped || running) return;
    return run('watch', watchWork);
  };

  // The exchange against SQLite, every hour on a real exchange (not only at start): under the same
  // lock as scans, so no order is in flight while balances are compared; skipped if one is busy.
  const check = async (): Promise<void> => {
    if (stopped || running) return;
    return run('check', async () => void (await reconcileExchange(app, 'scheduled')));
  };

  const tasks: ScheduledTask[] = [];
  const timers: NodeJS.Timeout[] = [];
  if (app.broker && isCcxtBroker(app.broker)) tasks.push(cron.schedule('0 30 * * * *', () => void check(), { timezone: 'UTC' }));
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
    // Candles open and close on UTC multiples of the timeframe (exchanges count from the epoch), so
    // the default "after each close" cron runs in UTC: in Asia/Kolkata (+5:30) "minute 0 of every
    // hour" would be half an hour late. A schedule the user writes runs in the configured timezone.
    const expr = app.cfg.scan.schedule || cronAfterClose(app.cfg.timeframe);
    const t = cron.schedule(expr, () => void tick(), { timezone: app.cfg.scan.schedule ? app.cfg.timezone : 'UTC' });
    tasks.push(t);
    const next = () => (app.scans.next = t.getNextRun()?.getTime() ?? null);
    next();
    const iv = setInterval(next, 30_000);
    iv.unref();
    timers.push(iv);
  }
  if (app.cfg.scan.watch_schedule) {
    tasks.push(cron.schedule(app.cfg.scan.watch_schedule, () => void watch(), { timezone: app.cfg.timezone }));
  }
  return {
    tick,
    watch,
    check,
    stop() {
      stopped = true;
      for (const t of tasks) void t.stop();
      for (const iv of timers) clearInterval(iv);
    },
    async idle() {
      while (running) await running;
    },
  };
}
