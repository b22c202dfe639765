import type { App } from '../src/app/context.js';
import type { Command } from '../src/chat/command.js';
import { ConfigError } from '../src/config/load.js';
import { applyLive, configChanges, isSecretKey, type ConfigChange } from '../src/config/reload.js';
import type { Config } from '../src/config/schema.js';
import { simpleMessage } from '../src/render/views.js';
import { getKv } from '../src/store/kv.js';
import { effectiveSymbols } from '../src/trading/whitelist.js';
import { maxArgs, t } from './args.js';

function shown(v: unknown): string {
  if (Array.isArray(v)) return `[${v.join(', ')}]`;
  if (v === '') return '""';
  return String(v);
}

function changeLine(app: App, c: ConfigChange): string {
  if (isSecretKey(c.key)) return t(app, 'reload_secret_line', { key: c.key });
  const line = t(app, 'reload_line', { key: c.key, before: shown(c.before), after: shown(c.after) });
  if (c.key === 'symbols') return `${line} ${t(app, 'reload_symbols_hint')}`;
  // A value a trader set in chat outranks the file's (risk/settings.ts): say which one is in force.
  const overrides = getKv<Record<string, unknown>>(app.db, 'risk.overrides', {});
  const riskKey = c.key.startsWith('risk.') ? c.key.slice(5) : null;
  if (riskKey && riskKey in overrides) return `${line} ${t(app, 'reload_set_wins', { value: shown(overrides[riskKey]) })}`;
  return line;
}

/**
 * /reload_config: config/*.yaml and the environment read again and validated by the same loader
 * and zod schema as at start. Invalid: refused with the loader's one-line reason, nothing changes.
 * Valid: the settings that can change under a running bot are applied at once (src/config/reload.ts
 * says which and why), the others are listed as needing a restart and left as they are.
 */
export const reloadConfig: Command = {
  name: 'reload_config',
  description: 'Read the config files and environment again; apply what can change without a restart',
  usage: '/reload_config',
  details: 'Applied at once: risk.*, costs.*, approval.*, log_level and the trader/viewer lists. Anything else is listed as needing a restart and left as it is. An invalid config changes nothing.',
  role: 'trader',
  options: [],
  run(ctx) {
    maxArgs(ctx, 0);
    const { app } = ctx;
    let next: Config;
    try {
      next = app.readConfig();
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      app.log.warn({ err: app.scrub(e.message) }, 'config reload refused');
      ctx.reply(simpleMessage('❌', t(app, 'reload_invalid', { error: app.scrub(e.message) })));
      return;
    }
    // The running list carries /whitelist's changes; the file's list is compared with them applied.
    // The order of the symbols means nothing (a removed and re-added one comes last at runtime).
    const symbols = effectiveSymbols(app.db, next.symbols);
    const sameSet = symbols.length === app.cfg.symbols.length && symbols.every((x) => app.cfg.symbols.includes(x));
    next = { ...next, symbols: sameSet ? app.cfg.symbols : symbols };
    const changes = configChanges(app.cfg, next);
    if (!changes.length) {
      ctx.reply(simpleMessage('🔄', t(app, 'reload_same')));
      return;
    }
    applyLive(app.cfg, changes);
    if (changes.some((c) => c.key === 'log_level')) app.log.level = app.cfg.log_level;
    const live = changes.filter((c) => c.live);
    const later = changes.filter((c) => !c.live);
    app.log.info({ applied: live.map((c) => c.key), restart: later.map((c) => c.key), by: ctx.user.name }, 'config reloaded');
    const lines = [t(app, 'reload_title')];
    lines.push(live.length ? t(app, 'reload_applied', { n: live.length }) : t(app, 'reload_applied_none'));
    lines.push(...live.map((c) => `• ${changeLine(app, c)}`));
    if (later.length) lines.push(t(app, 'reload_restart', { n: later.length }), ...later.map((c) => `• ${changeLine(app, c)}`));
    ctx.reply(simpleMessage('🔄', lines.join('\n')));
  },
};
