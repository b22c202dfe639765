/**
 * The live scheduler under an injected clock: node's mock timers drive Date, setTimeout and
 * setInterval, so the real node-cron decides when scans fire while hours pass in milliseconds.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, mock, test } from 'node:test';
import type { App } from '../src/app/context.js';
import type { OutgoingMessage } from '../src/chat/types.js';
import { loadConfig } from '../src/config/load.js';
import { createFmt } from '../src/render/format.js';
import { richToPlain } from '../src/render/rich.js';
import { cronAfterClose, startScheduler, type Scheduler } from '../src/scheduler/jobs.js';
import { silentLogger } from '../src/util/logger.js';

const START = Date.UTC(2024, 0, 1, 0, 0, 30);
let sched: Scheduler | null = null;

beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'setInterval', 'Date'], now: START }));
afterEach(() => {
  sched?.stop();
  sched = null;
  mock.timers.reset();
});

/** The few parts of an App the scheduler touches, with the chat collected. */
function fakeApp(env: Record<string, string>): App & { pushed: string[] } {
  const cfg = loadConfig({ env: { TRADECREW_DATA_DIR: '/tmp/unused', EXCHANGE: 'binance', ...env } });
  const pushed: string[] = [];
  return {
    cfg,
    demo: null,
    log: silentLogger(),
    scrub: (s: string) => s,
    fmt: createFmt('en', cfg.timezone),
    now: () => Date.now(),
    scans: { last: null, next: null },
    push(_kind: string, msg: OutgoingMessage) {
      pushed.push(richToPlain(msg.rich));
      return [];
    },
    pushed,
  } as unknown as App & { pushed: string[] };
}

/** Lets virtual time pass one second at a time, giving promises a turn after each second. */
async function advance(ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 1000) {
    mock.timers.tick(1000);
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  }
}

const iso = (ms: number) => new Date(ms).toISOString().slice(11, 19);

test('cronAfterClose: a few seconds after each candle of the timeframe closes', () => {
  assert.equal(cronAfterClose('1m'), '5 */1 * * * *');
  assert.equal(cronAfterClose('15m'), '5 */15 * * * *');
  assert.equal(cronAfterClose('1h'), '5 0 */1 * * *');
  assert.equal(cronAfterClose('4h'), '5 0 */4 * * *');
  assert.equal(cronAfterClose('1d'), '5 0 0 * * *');
});

test('scans fire 5 s after each 15m candle closes, on UTC boundaries even with a +5:30 timezone', async () => {
  const app = fakeApp({ TRADECREW_TIMEFRAME: '15m', TRADECREW_TIMEZONE: 'Asia/Kolkata' });
  const fired: number[] = [];
  sched = startScheduler(app, { scan: async () => void fired.push(Date.now()) });
  assert.equal(app.scans.next, Date.UTC(2024, 0, 1, 0, 15, 5), '/status shows the next scan');
  await advance(50 * 60_000);
  assert.deepEqual(fired.map(iso), ['00:15:05', '00:30:05', '00:45:05']);
});

test('a user schedule runs in the configured timezone', async () => {
  // Every hour at minute 0, Kolkata time (UTC+5:30).
  const app = fakeApp({ TRADECREW_TIMEFRAME: '1h', TRADECREW_TIMEZONE: 'Asia/Kolkata', TRADECREW_SCAN__SCHEDULE: '0 0 * * * *' });
  const fired: number[] = [];
  sched = startScheduler(app, { scan: async () => void fired.push(Date.now()) });
  await advance(2 * 3_600_000);
  // Local hh:00 in +5:30 is hh:30 UTC.
  assert.deepEqual(fired.map(iso), ['00:30:00', '01:30:00']);
});

test('scans never overlap: a slow scan makes the next one skip, and overruns are reported at most once an hour', async () => {
  const app = fakeApp({ TRADECREW_TIMEFRAME: '1m' });
  let active = 0;
  let maxActive = 0;
  const starts: number[] = [];
  let slow = true;
  sched = startScheduler(app, {
    scan: async () => {
      active++;
      maxActive = Math.max(maxActive, active);
      starts.push(Date.now());
      // 150 s while slow: spans two later cron slots.
      await new Promise((r) => setTimeout(r, slow ? 150_000 : 10_000));
      active--;
    },
  });
  await advance(4 * 60_000); // 00:04:30
  assert.equal(maxActive, 1, 'never two scans at once');
  assert.deepEqual(starts.map(iso), ['00:01:05', '00:04:05'], 'the slots at 00:02:05 and 00:03:05 were skipped');
  assert.equal(app.pushed.length, 1, 'reported once for the whole overrun');
  assert.match(app.pushed[0], /scan overrun/);
  assert.match(app.pushed[0], /running for 60 s[\s\S]*next scan was skipped/);

  // Still slow: the same episode, nothing more is said.
  await advance(2 * 60_000); // 00:06:30
  assert.equal(app.pushed.length, 1);
  // Scans keep time again for a while, then overrun again: within the hour of the alert that is
  // only logged (scans that overrun every other time used to alert every other time).
  slow = false;
  await advance(4 * 60_000); // 00:10:30
  assert.equal(app.pushed.length, 1);
  slow = true;
  await advance(3 * 60_000); // 00:13:30
  assert.equal(app.pushed.length, 1, 'a new overrun within the hour is only logged');
  // An hour after the first alert, an overrun still going on is reported again, once.
  await advance(55 * 60_000); // 01:08:30
  assert.equal(app.pushed.length, 2);
  assert.match(app.pushed[1], /scan overrun/);
  assert.equal(maxActive, 1);
  await advance(3 * 60_000);
});

test('the faster watch runs on its own schedule and is skipped while a scan runs', async () => {
  const app = fakeApp({ TRADECREW_TIMEFRAME: '1m', TRADECREW_SCAN__WATCH_SCHEDULE: '*/10 * * * * *' });
  const log: string[] = [];
  sched = startScheduler(app, {
    scan: async () => {
      log.push(`scan ${iso(Date.now())}`);
      await new Promise((r) => setTimeout(r, 25_000));
      log.push(`scan done ${iso(Date.now())}`);
    },
    watch: async () => void log.push(`watch ${iso(Date.now())}`),
  });
  await advance(100_000); // to 00:02:10
  assert.deepEqual(log, [
    'watch 00:00:40',
    'watch 00:00:50',
    'watch 00:01:00',
    'scan 00:01:05',
    // 00:01:10 ... 00:01:30 fall inside the scan
    'scan done 00:01:30',
    'watch 00:01:40',
    'watch 00:01:50',
    'watch 00:02:00',
    'scan 00:02:05',
  ]);
  await advance(30_000);
});
