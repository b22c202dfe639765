import type { Config } from '../config/schema.js';
import { str } from '../render/template.js';

/*
 * Where the dashboard is, kept apart from its server so that the bot's start and its commands
 * never load fastify unless the dashboard is on.
 */

/** The address links and the Mini App button use. */
export function dashboardUrl(cfg: Config, port = cfg.dashboard.port): string {
  return (cfg.dashboard.public_url || `http://${cfg.dashboard.host}:${port}`).replace(/\/+$/, '');
}

/** Telegram's menu button for the dashboard, when it is on and served over https (Mini Apps need https). */
export function dashboardMenuButton(cfg: Config): { url: string; text: string } | undefined {
  const url = dashboardUrl(cfg);
  return cfg.dashboard.port && url.startsWith('https://') ? { url: `${url}/`, text: str(cfg.language, 'dashboard_menu') } : undefined;
}

