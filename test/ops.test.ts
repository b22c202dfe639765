/**
 * The operators' port of the real bot process: /metrics in Prometheus' format with the named
 * series moving as the bot works, and /health turning unhealthy when Redis stops (and healthy when
 * it is back). Off by default.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { redisLabel } from '../src/distributed/fits.js';
import { freePort, REDIS_MISSING, startRedis, type TestRedis } from './support/redis.js';
import { spawnBot, tempDataDir, type BotProcess } from './support/spawn-bot.js';

const FAST = { TRADECREW_DEMO__CANDLE_EVERY_SECONDS: '1', TRADECREW_CONSOLE__EXIT_ON_EOF: 'false' };

async function get(port: number, path: string, method = 'GET'): Promise<{ status: number; body: string; type: string }> {
  const r = await fetch(`http://127.0.0.1:${port}${path}`, { method });
  return { status: r.status, body: await r.text(), type: r.headers.get('content-type') ?? '' };
}

/** The value of a series (summed over its labels matching `labels`), 0 when absent. */
function series(text: string, name: string, labels = ''): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || !line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (!(rest.startsWith(' ') || rest.startsWith('{'))) continue;
    if (labels && !rest.includes(labels)) continue;
    sum += Number(line.split(' ').pop());
  }
  return sum;
}

async function until<T>(f: () => Promise<T | null>, what: string, ms = 60_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== null) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('redisLabel shows where Redis is, never its password', () => {
  assert.equal(redisLabel('redis://:s3cret-pass@10.0.0.5:6380/2'), '10.0.0.5:6380');
  assert.equal(redisLabel('redis://user:pw@host'), 'host:6379');
});

test('the ops port serves the named metrics and a health that follows Redis', async () => {
  const port = await freePort();
  let redis: TestRedis | null = null;
  if (!REDIS_MISSING) redis = await startRedis();
  let bot: BotProcess | null = null;
  try {
    bot = spawnBot({ TRADECREW_DATA_DIR: tempDataDir(), TRADECREW_OPS__PORT: String(port), ...FAST, ...(redis ? { TRADECREW_REDIS_URL: redis.url } : {}) });
    await until(async () => (/metrics on http:\/\/127\.0\.0\.1:\d+\/metrics/.test(bot!.err()) ? true : null), 'the ops port to open');
    // The bot scans the demo market every second: the counters move.
    const text = await until(async () => {
      const m = await get(port, '/metrics');
      return series(m.body, 'tradecrew_scans_total') >= 2 ? m : null;
    }, 'two scans');
    assert.equal(text.status, 200);
    assert.match(text.type, /text\/plain/);
    for (const name of ['tradecrew_scans_total', 'tradecrew_outbox_backlog', 'tradecrew_outbox_delivery_seconds', 'tradecrew_llm_tokens_today', 'tradecrew_training_cycles_done', 'nodejs_eventloop_lag_seconds', 'process_resident_memory_bytes']) {
      assert.match(text.body, new RegExp(`^# TYPE ${name} `, 'm'), `${name} is exposed`);
    }
    for (const name of ['tradecrew_events_total', 'tradecrew_proposals_total', 'tradecrew_orders_total', 'tradecrew_fills_total']) assert.match(text.body, new RegExp(`^# HELP ${name} `, 'm'), `${name} is declared`);
    assert.match(text.body, /tradecrew_outbox_backlog\{adapter="console"\} \d+/);
    // A proposal appears in time (the demo crew proposes): counted by outcome.
    await until(async () => (series((await get(port, '/metrics')).body, 'tradecrew_proposals_total', 'outcome="created"') >= 1 ? true : null), 'a proposal counted', 120_000);
    assert.equal((await get(port, '/nowhere')).status, 404);
    assert.equal((await get(port, '/metrics', 'POST')).status, 405);

    const healthy = await get(port, '/health');
    const h = JSON.parse(healthy.body);
    assert.equal(healthy.status, 200, healthy.body);
    assert.equal(h.status, 'ok');
    for (const k of ['process', 'database', 'chat_console', 'scans', 'startup']) assert.equal(h.checks[k]?.ok, true, `${k}: ${JSON.stringify(h.checks[k])}`);
    if (redis) {
      assert.equal(h.checks.redis.ok, true);
      assert.match(text.body, /^# TYPE tradecrew_fit_queue_jobs gauge/m);
      await redis.stop();
      const down = await until(async () => {
        const r = await get(port, '/health');
        return r.status === 503 ? r : null;
      }, '/health to turn unhealthy with Redis stopped');
      const d = JSON.parse(down.body);
      assert.equal(d.status, 'unhealthy');
      assert.equal(d.checks.redis.ok, false);
      assert.equal(d.checks.database.ok, true, 'only Redis is blamed');
      await redis.start();
      await until(async () => ((await get(port, '/health')).status === 200 ? true : null), '/health to recover with Redis back');
    }
  } finally {
    bot?.child.kill('SIGTERM');
    await bot?.exited;
    await redis?.stop();
  }
});

test('the ops port is off by default', async () => {
  const bot = spawnBot({ TRADECREW_DATA_DIR: tempDataDir(), ...FAST });
  try {
    // Started: the console has printed its first message (the adapters start after the ops port would).
    await bot.waitFor(/── message #\d+ ──/, 60_000);
    assert.doesNotMatch(bot.err(), /metrics on http/);
  } finally {
    bot.child.kill('SIGTERM');
    await bot.exited;
  }
});

test('a /train with the ops port on: each refit\'s compute time is in tradecrew_fit_job_seconds, by where it ran', async () => {
  const port = await freePort();
  const bot = spawnBot({ TRADECREW_DATA_DIR: tempDataDir(), TRADECREW_OPS__PORT: String(port), ...FAST });
  try {
    await until(async () => (/metrics on http:\/\/127\.0\.0\.1:\d+\/metrics/.test(bot.err()) ? true : null), 'the ops port to open');
    assert.match((await get(port, '/metrics')).body, /^# TYPE tradecrew_fit_job_seconds histogram/m);
    assert.equal(series((await get(port, '/metrics')).body, 'tradecrew_fit_job_seconds_count'), 0, 'no refit before /train');
    bot.send('/train 40');
    // 40 days of the three demo agents: a refit at the start and one 30 days in, each in this thread.
    // The run's verdicts are its last message.
    await bot.waitFor(/may the agents propose\?/, 180_000);
    const text = (await get(port, '/metrics')).body;
    assert.equal(series(text, 'tradecrew_fit_job_seconds_count', 'where="main"'), 6);
    assert.ok(series(text, 'tradecrew_fit_job_seconds_sum', 'where="main"') > 0);
  } finally {
    bot.child.kill('SIGTERM');
    await bot.exited;
  }
});
