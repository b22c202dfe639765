import { COMMANDS, commandSpecs } from '../../commands/index.js';
import type { App } from '../../src/app/context.js';
import { createApp } from '../../src/app/create.js';
import { createRouter } from '../../src/chat/router.js';
import type { ChatAdapter } from '../../src/chat/types.js';
import { loadConfig } from '../../src/config/load.js';
import { backfill, refreshCandles } from '../../src/market/refresh.js';
import { scanAll } from '../../src/trading/live.js';
import { silentLogger } from '../../src/util/logger.js';
import { tempDataDir } from './spawn-bot.js';

/** A whole bot in this process, with the given adapters (real ones, pointed at local stand-ins). */
export async function startTestApp(o: { env?: Record<string, string>; adapters: (cfgDir: string) => ChatAdapter[]; dataDir?: string }): Promise<App & { dataDir: string; shutdown(): Promise<void> }> {
  const dataDir = o.dataDir ?? tempDataDir();
  const cfg = loadConfig({ env: { TRADECREW_DATA_DIR: dataDir, ...o.env } });
  const adapters = o.adapters(dataDir);
  const app = createApp(cfg, { adapters, log: silentLogger(), outbox: { backoffBaseMs: 50, pollMs: 50 } });
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
