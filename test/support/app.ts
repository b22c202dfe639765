import { COMMANDS, commandSpecs } from '../../commands/index.js';
import type { App } from '../../src/app/context.js';
import { createApp } from '../../src/app/create.js';
import { createRouter } from '../../src/chat/router.js';
import { createTelegramAdapter } from '../../src/chat/telegram.js';
import type { ChatAdapter } from '../../src/chat/types.js';
import { loadConfig } from '../../src/config/load.js';
import { backfill, refreshCandles } from '../../src/market/refresh.js';
import { scanAll } from '../../src/trading/live.js';
import type { Config } from '../../src/config/schema.js';
import { silentLogger, type Logger } from '../../src/util/logger.js';
import { tempDataDir } from './spawn-bot.js';

/** A whole bot in this process, with the given adapters (real ones, pointed at local stand-ins). */
export async function startTestApp(o: { env?: Record<string, string>; adapters: (cfgDir: string) => ChatAdapter[]; dataDir?: string; log?: (dataDir: string, cfg: Config) => Logger }): Promise<App & { dataDir: string; shutdown(): Promise<void> }> {
  const dataDir = o.dataDir ?? tempDataDir();
  const read = () => loadConfig({ env: { TRADECREW_DATA_DIR: dataDir, ...o.env } });
  const cfg = read();
  const adapters = o.adapters(dataDir);
  const app = createApp(cfg, { adapters, log: o.log ? o.log(dataDir, cfg) : silentLogger(), readConfig: read, outbox: { backoffBaseMs: 50, pollMs: 50 } });
  await backfill(app);
  const router = createRouter(app, COMMANDS);
  for (const a of adapters) await a.start(router, commandSpecs(cfg.language));
  return Object.assign(app, {
    dataDir,
    async shutdown() {
      await Promise.allSettled([...app.background]);
      await app.outbox.stop();
      for (const a of adapters) await a.stop();
      app.db.close();
    },
  });
}

/** Closes demo candles and scans until the crew proposes something (bounded). */
export async function scanUntilProposal(app: App, maxCandles = 300): Promise<string> {
  for (let k = 0; k < maxCandles; k++) {
    const out = await scanAll(app);
    const p = out.find((o) => o.action === 'proposal');
    if (p?.detail) return p.detail;
    await refreshCandles(app);
  }
  throw new Error(`no proposal within ${maxCandles} demo candles`);
}

/**
 * A bot's Telegram settings and adapter against the local Bot API stand-in: users in `traders`
 * may act, users in `viewers` may read, pushes go to `chat`.
 */
export function telegramBot(tg: { apiRoot: string }, o: { token: string; chat: number; traders: number[]; viewers?: number[] }) {
  return {
    env: {
      TELEGRAM_BOT_TOKEN: o.token,
      TELEGRAM_API_ROOT: tg.apiRoot,
      TELEGRAM_CHAT_ID: String(o.chat),
      TELEGRAM_ALLOWED_USERS: o.traders.join(','),
      ...(o.viewers ? { TELEGRAM_VIEWERS: o.viewers.join(',') } : {}),
    },
    adapter: () => createTelegramAdapter({ token: o.token, apiRoot: tg.apiRoot, pushChatId: String(o.chat), pollTimeoutSec: 1 }),
  };
}
