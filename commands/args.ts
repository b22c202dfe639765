import type { App } from '../src/app/context.js';
import { UsageError, type CommandContext } from '../src/chat/command.js';
import { str, type Vars, strOr } from '../src/render/template.js';

/**
 * Argument parsing shared by the commands. Every error is a UsageError in the chat's language,
 * so the router answers it together with the command's usage.
 */

/** A short string in the bot's language. */
export function t(app: App, key: string, vars: Vars = {}): string {
  return str(app.cfg.language, key, vars);
}

/** A string when the key exists, else the fallback (per-command translations are optional). */
export const tOr = strOr;

export function usage(app: App, key: string, vars: Vars = {}): UsageError {
  return new UsageError(t(app, key, vars));
}

/** An optional whole number within [min, max]; undefined when absent. */
export function intArg(app: App, v: string | undefined, name: string, min: number, max: number): number | undefined {
  if (v === undefined || v === '') return undefined;
  if (!/^\d+$/.test(v)) throw usage(app, 'err_int', { name, value: v });
  const n = Number(v);
  if (n < min || n > max) throw usage(app, 'err_range', { name, min, max, value: n });
  return n;
}

export function maxArgs(ctx: CommandContext, n: number): void {
  if (ctx.args.length > n) throw usage(ctx.app, 'err_too_many');
}

/**
 * One of the crew's symbols, written as the chat user would: BTC/USDT, btc/usdt, BTCUSDT, BTC.
 */
export function symbolArg(app: App, raw: string | undefined): string {
  if (!raw) throw usage(app, 'err_symbol_missing', { symbols: app.cfg.symbols.join(', ') });
  const v = raw.trim().toUpperCase();
  const hit = app.cfg.symbols.find((s) => s === v || s.replace('/', '') === v.replace(/[-_]/g, '') || s.split('/')[0] === v);
  if (!hit) throw usage(app, 'err_symbol', { value: raw, symbols: app.cfg.symbols.join(', ') });
  return hit;
}
