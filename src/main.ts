import { COMMANDS, commandSpecs } from '../commands/index.js';
import { startReportJobs } from './scheduler/reports.js';
import type { App } from './app/context.js';
import { catchUp } from './app/catch-up.js';
import { createApp } from './app/create.js';
import type { OpsServer } from './ops/server.js';
import { loadExchange } from './market/ccxt-load.js';
import type { DashboardServer } from './dashboard/server.js';
import { dashboardMenuButton } from './dashboard/url.js';
import { createConsoleAdapter, type ConsoleAdapter } from './chat/console.js';
import { createRouter } from './chat/router.js';
import type { ChatAdapter } from './chat/types.js';
import { ConfigError, loadConfig, secretsOf } from './config/load.js';
import { createLogger, flushLog, type Logger } from './util/logger.js';
import { makeScrubber } from './util/redact.js';
import type { Config } from './config/schema.js';
import { str } from './render/template.js';
import { simpleMessage } from './render/views.js';
import { startScheduler, type Scheduler } from './scheduler/jobs.js';

/**
 * tradecrew: start once, then live in the chat. Without tokens the console is the chat and the
 * seeded demo market the exchange; with TELEGRAM_BOT_TOKEN / DISCORD_TOKEN the same bot runs there.
 */
async function buildAdapters(cfg: Config, logger: Logger): Promise<{ adapters: ChatAdapter[]; console: ConsoleAdapter | null }> {
  const adapters: ChatAdapter[] = [];
  // Each platform's client library is imported only when its token is set: discord.js alone
  // takes ~0.5 s and ~45 MiB to load, grammy ~0.1 s (bench/startup.bench.ts).
  // The app's own (scrubbing) logger: a polling loop that fails must say so in the log.
  if (cfg.telegram.bot_token) {
    const { createTelegramAdapter } = await import('./chat/telegram.js');
    // Pushes go to the configured chat, else to each trader's private chat (in Telegram a user's
    // private chat with the bot has the user's id); config validation refused "neither".
    const pushChatIds = cfg.telegram.chat_id ? [cfg.telegram.chat_id] : cfg.telegram.allowed_users;
    adapters.push(createTelegramAdapter({ token: cfg.telegram.bot_token, apiRoot: cfg.telegram.api_root || undefined, pushChatIds, logger, menuWebApp: dashboardMenuButton(cfg) }));
  }
  if (cfg.discord.token) {
    const { createDiscordAdapter } = await import('./chat/discord.js');
    adapters.push(createDiscordAdapter({ token: cfg.discord.token, apiRoot: cfg.discord.api_root || undefined, pushChannelId: cfg.discord.channel_id || undefined, guildId: cfg.discord.guild_id || undefined, logger }));
  }
  const wantConsole = cfg.console.enabled === 'on' || (cfg.console.enabled === 'auto' && adapters.length === 0);
  const con = wantConsole ? createConsoleAdapter({ input: process.stdin, output: process.stdout }) : null;
  if (con) adapters.unshift(con);
  return { adapters, console: con };
}

async function main(): Promise<void> {
  let cfg: Config;
  try {
    cfg = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(e.message + '\n');
      process.exit(2);
    }
    throw e;
  }
  const log = createLogger({ dataDir: cfg.data_dir, level: cfg.log_level, scrub: makeScrubber(secretsOf(cfg)) });
  const { adapters, console: con } = await buildAdapters(cfg, log);
  // Only the configured exchange's ccxt module (the demo loads none of ccxt): see ccxt-load.ts.
  if (cfg.exchange.id) await loadExchange(cfg.exchange.id);
  // prom-client (and the ops server) load only when the ops port is on: a plain start stays lean.
  const metrics = cfg.ops.port ? (await import('./ops/metrics.js')).createMetrics() : undefined;
  const app = createApp(cfg, { adapters, log, metrics, starting: true });
  log.info({ mode: cfg.mode, market: app.demo ? 'demo' : cfg.exchange.id, adapters: adapters.map((a) => a.name) }, 'starting');
  // A stop asked for while the bot is still starting (the start-up recovery already talks to the
  // chat) is remembered and carried out as soon as the shutdown below exists, never the default
  // kill: a SIGTERM during start-up must still close SQLite and deliver what is queued.
  // One listener for the whole life of the process: swapping listeners can drop a signal that
  // arrived just before the swap (libuv hands it to the handle that was listening when it came).
  let earlySignal: string | null = null;
  let stopWith: ((code: number, why: string) => Promise<void>) | null = null;
  const onSignal = (sig: NodeJS.Signals) => {
    if (stopWith) void stopWith(0, sig);
    else earlySignal = sig;
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);

  const router = createRouter(app, COMMANDS);
  const specs = commandSpecs(cfg.language);
  for (const a of adapters) {
    try {
      await a.start(router, specs);
    } catch (e) {
      process.stderr.write(`could not start the ${a.name} adapter: ${app.scrub((e as Error).message)}\n`);
      process.exit(1);
    }
  }

  // The operators' port (off unless ops.port is set).
  let ops: OpsServer | null = null;
  if (cfg.ops.port) {
    try {
      ops = await (await import('./ops/server.js')).startOpsServer(app, cfg.ops);
      process.stderr.write(`tradecrew: metrics on http://${cfg.ops.host}:${ops.port}/metrics, health on /health\n`);
    } catch (e) {
      process.stderr.write(`could not open the ops port ${cfg.ops.host}:${cfg.ops.port}: ${(e as Error).message}\n`);
      process.exit(1);
    }
  }

  // The dashboard (off unless dashboard.port is set): a web page and Telegram Mini App.
  let dash: DashboardServer | null = null;
  if (cfg.dashboard.port) {
    try {
      // fastify loads only when the dashboard is on.
      dash = await (await import('./dashboard/server.js')).startDashboard(app, router);
      process.stderr.write(`tradecrew: dashboard on ${dash.url}/ (listening on ${cfg.dashboard.host}:${dash.port})\n`);
    } catch (e) {
      process.stderr.write(`could not open the dashboard port ${cfg.dashboard.host}:${cfg.dashboard.port}: ${(e as Error).message}\n`);
      process.exit(1);
    }
  }

  // Say who the bot is and where it pushes: with a token and no console, this is the only sign
  // on the terminal that it connected.
  for (const a of adapters) {
    if (a.name === 'console') continue;
    const where = a.name === 'telegram' && !cfg.telegram.chat_id ? `the private chats of ${a.pushChatIds.length} trader(s) (${a.pushChatIds.join(', ')}; no TELEGRAM_CHAT_ID set)` : `${a.name === 'discord' ? 'channel' : 'chat'} ${a.pushChatIds.join(', ')}`;
    process.stderr.write(`tradecrew: ${a.name} ${a.identity?.() ?? ''} connected · mode ${cfg.mode} · market ${app.demo ? 'demo' : cfg.exchange.id} · proposals and reports go to ${where}\n`);
  }

  // The chats answer already; now catch up with the market and the orders from before the
  // restart (app/catch-up.ts). Until that is done, the start-up gate holds what may change
  // something; an exchange that is down is tried again, and a stop meanwhile ends the attempt.
  const catchUpStop = new AbortController();
  let scheduler: Scheduler | null = null;
  let reportJobs: ReturnType<typeof startReportJobs> | null = null;
  let firstScan: NodeJS.Timeout | null = null;
  let stopping = false;
  const shutdown = async (code: number, why: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ why }, 'shutting down');
    catchUpStop.abort();
    if (firstScan) clearTimeout(firstScan);
    scheduler?.stop();
    reportJobs?.stop();
    app.trainer.stop();
    await dash?.close().catch(() => undefined);
    await scheduler?.idle();
    await Promise.allSettled([...app.background]);
    await app.outbox.drain(10_000);
    await app.outbox.stop();
    for (const a of adapters) await a.stop().catch(() => undefined);
    await ops?.close().catch(() => undefined);
    app.db.close();
    await flushLog(log);
    process.exit(code);
  };
  stopWith = shutdown;
  if (earlySignal) void shutdown(0, earlySignal);
  if (!(await catchUp(app, { signal: catchUpStop.signal })) || stopping) return;

  // A training run interrupted by a crash resumes by itself (recovery_enabled).
  const interrupted = app.trainer.interrupted();
  if (interrupted && cfg.training.recovery_enabled) {
    app.push('alert', simpleMessage('🔁', str(cfg.language, 'train_resuming_after_restart', { runId: interrupted })));
    app.trainer.resume(interrupted, { send: (m) => (app.push('training', m), null), edit: () => undefined });
  }

  const ticks = startScheduler(app);
  scheduler = ticks;
  reportJobs = startReportJobs(app);
  // The first scan, on the latest closed candle, runs FIRST_SCAN_DELAY_MS after the catch-up:
  // a command already waiting in a chat (a /status sent while the bot restarted) is answered
  // first, not after the scan (its first chart loads the renderer: ~0.3 s of CPU during which
  // nothing else runs). The console alone has nothing waiting: the scan runs at once.
  if (adapters.some((a) => a.name !== 'console'))
    firstScan = setTimeout(() => {
      firstScan = null;
      void ticks.tick();
    }, FIRST_SCAN_DELAY_MS);
  else void ticks.tick();

  if (con && cfg.console.exit_on_eof) {
    await con.ended;
    // Input ended before the first scan was due: it still runs, as it would have.
    if (firstScan) {
      clearTimeout(firstScan);
      firstScan = null;
      await ticks.tick();
    }
    // Finish what the typed commands started (training runs), then deliver every message.
    await finishWork(app);
    await ticks.idle();
    await shutdown(0, 'end of input');
  }
}

/** How long after the chat connections are up the first scan waits (see main). */
const FIRST_SCAN_DELAY_MS = 1_000;

async function finishWork(app: App): Promise<void> {
  while (app.background.size > 0) await Promise.allSettled([...app.background]);
}

main().catch((e) => {
  process.stderr.write(`tradecrew failed to start: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
