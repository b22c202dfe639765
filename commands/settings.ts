import type { App } from '../src/app/context.js';
import type { Command } from '../src/chat/command.js';
import { configSchema, type Config } from '../src/config/schema.js';
import { riskValue, settingsMessage, simpleMessage } from '../src/render/views.js';
import { CHAT_SETTABLE, effectiveRisk, setRiskOverride, type SettableKey } from '../src/risk/settings.js';
import { getKv } from '../src/store/kv.js';
import { autoApprove } from '../src/trading/live.js';
import { maxArgs, t, usage } from './args.js';

type RiskKey = keyof Config['risk'];

export const settings: Command = {
  name: 'settings',
  description: 'Mode, auto-approve and the risk settings in force',
  usage: '/settings',
  details: 'Risk settings marked ✏️ were changed in chat with /set; 🔒 ones need the config file.',
  role: 'viewer',
  options: [],
  run(ctx) {
    maxArgs(ctx, 0);
    const { app } = ctx;
    const { cfg } = app;
    const risk = effectiveRisk(app);
    const settable = new Set<string>(CHAT_SETTABLE);
    const ttl = app.demo ? cfg.approval.demo_ttl_seconds : cfg.approval.ttl_seconds;
    ctx.reply(
      settingsMessage(app.fmt, {
        mode: cfg.mode,
        broker: app.broker.name,
        market: app.demo ? t(app, 'market_demo') : cfg.exchange.id,
        timeframe: cfg.timeframe,
        strategy: cfg.strategy,
        symbols: cfg.symbols,
        paused: getKv(app.db, 'paused', false),
        autoApprove: autoApprove(app),
        expiry: ttl > 0 ? t(app, 'expiry_seconds', { seconds: ttl }) : t(app, 'expiry_next_candle'),
        daily: cfg.reports.daily_time || t(app, 'daily_off'),
        timezone: cfg.timezone,
        language: cfg.language,
        risk: (Object.keys(risk) as RiskKey[]).map((k) => ({ key: k, value: risk[k], changed: risk[k] !== cfg.risk[k], settable: settable.has(k) })),
      }),
    );
  },
};

/** The config schema's rule for one risk key: type, integer or not, bounds. */
function ruleOf(key: RiskKey): { kind: 'boolean' } | { kind: 'number'; int: boolean; min: number; max: number } {
  const s = configSchema.shape.risk.shape[key] as unknown as { type: string; isInt?: boolean; minValue?: number | null; maxValue?: number | null };
  if (s.type === 'boolean') return { kind: 'boolean' };
  return { kind: 'number', int: !!s.isInt, min: s.minValue ?? -Infinity, max: s.maxValue ?? Infinity };
}

const TRUE = new Set(['on', 'true', 'yes', '1', 'si', 'sí']);
const FALSE = new Set(['off', 'false', 'no', '0']);

/**
 * A chat value checked against the same schema as the config file: "on"/"off" for switches,
 * numbers with a dot or comma, "2%" for 0.02.
 */
export function parseSetting(app: App, key: SettableKey, raw: string): number | boolean {
  const rule = ruleOf(key);
  let value: number | boolean;
  if (rule.kind === 'boolean') {
    const v = raw.toLowerCase();
    if (TRUE.has(v)) value = true;
    else if (FALSE.has(v)) value = false;
    else throw usage(app, 'err_set_bool', { key, value: raw });
  } else {
    const m = /^(-?\d+(?:[.,]\d+)?)(%)?$/.exec(raw.trim());
    if (!m) throw usage(app, 'err_set_number', { key, value: raw });
    value = Number(m[1].replace(',', '.')) / (m[2] ? 100 : 1);
    if (rule.int && !Number.isInteger(value)) throw usage(app, 'err_set_int', { key, value: raw });
    const max = Number.isFinite(rule.max) && rule.max < Number.MAX_SAFE_INTEGER ? rule.max : '∞';
    if (value < rule.min || value > rule.max) throw usage(app, 'err_set_range', { key, min: rule.min, max, value: raw });
  }
  // The schema has the last word (a refinement the bounds above do not show).
  const check = configSchema.shape.risk.shape[key].safeParse(value);
  if (!check.success) throw usage(app, 'err_set_invalid', { key, value: raw, error: check.error.issues[0]?.message ?? '' });
  return value;
}

export const set: Command = {
  name: 'set',
  description: 'Change a risk setting (kept across restarts)',
  usage: '/set <key> <value>',
  details: `key: ${CHAT_SETTABLE.join(', ')}. Values are checked against the same bounds as the config file; fractions take 0.02 or 2%, switches on/off.`,
  role: 'trader',
  options: [
    { name: 'key', description: 'the risk setting', type: 'string', required: true, choices: [...CHAT_SETTABLE] },
    { name: 'value', description: 'new value: a number, 2% or on/off', type: 'string', required: true },
  ],
  run(ctx) {
    maxArgs(ctx, 2);
    const { app } = ctx;
    const k = ctx.args[0]?.toLowerCase();
    if (!k) throw usage(app, 'err_set_none', { keys: CHAT_SETTABLE.join(', ') });
    if (!(CHAT_SETTABLE as readonly string[]).includes(k)) throw usage(app, 'err_set_key', { value: ctx.args[0], keys: CHAT_SETTABLE.join(', ') });
    const key = k as SettableKey;
    if (ctx.args[1] === undefined) throw usage(app, 'err_set_value', { key });
    const value = parseSetting(app, key, ctx.args[1]);
    const old = effectiveRisk(app)[key];
    if (old === value) {
      ctx.reply(simpleMessage('', t(app, 'set_same', { key, value: riskValue(app.fmt, key, value) })));
      return;
    }
    setRiskOverride(app, key, value);
    ctx.reply(simpleMessage('', t(app, 'set_done', { key, old: riskValue(app.fmt, key, old), value: riskValue(app.fmt, key, value) })));
  },
};
