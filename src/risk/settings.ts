import type { App } from '../app/context.js';
import type { Config } from '../config/schema.js';
import { getKv, setKv } from '../store/kv.js';
import { engineSettings, type EngineSettings } from '../kernel/settings.js';

/**
 * Risk settings in force: config/default.yaml (and its overrides) plus what a trader changed in
 * chat with /set, which is kept in SQLite so it survives restarts. Only these keys can be changed
 * from chat; everything else needs the config file.
 */
export const CHAT_SETTABLE = [
  'risk_per_trade',
  'max_position_pct',
  'max_total_exposure',
  'max_open_positions',
  'daily_trade_limit',
  'cooldown_candles',
  'daily_loss_limit',
  'max_drawdown',
  'min_risk_reward',
  'atr_stop_mult',
  'atr_target_mult',
  'allow_short',
  'max_hold_candles',
] as const satisfies ReadonlyArray<keyof Config['risk']>;
export type SettableKey = (typeof CHAT_SETTABLE)[number];

export function effectiveRisk(app: App): Config['risk'] {
  const overrides = getKv<Partial<Config['risk']>>(app.db, 'risk.overrides', {});
  return { ...app.cfg.risk, ...overrides };
}

/** Stores one chat override (already validated by the caller against the config schema). */
export function setRiskOverride(app: App, key: SettableKey, value: number | boolean): void {
  const overrides = getKv<Partial<Config['risk']>>(app.db, 'risk.overrides', {});
  setKv(app.db, 'risk.overrides', { ...overrides, [key]: value });
}

/** The engine settings in force for this bot: config plus /set overrides, shorts as the market allows. */
export function appEngineSettings(app: App): EngineSettings {
  return engineSettings(app.cfg, { overrides: getKv<Partial<Config['risk']>>(app.db, 'risk.overrides', {}) });
}
