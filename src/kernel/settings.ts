import type { Config } from '../config/schema.js';
import type { RiskSettings } from '../risk/gate.js';
import type { Costs } from './position.js';

/** Everything the kernel's rules read, the same in every clock. */
export interface EngineSettings {
  risk: RiskSettings;
  costs: Costs;
  atrStopMult: number;
  atrTargetMult: number;
  maxHoldCandles: number;
  /** Trailing stop distance in ATRs; 0 = off. */
  trailingStopAtr: number;
}

/** Market types whose positions can be short (ccxt's `type` of a market). */
export const SHORTABLE_MARKETS = ['swap', 'future', 'margin'] as const;

/**
 * Can this market be sold short? A real exchange: only its derivative or margin markets (on spot a
 * "short" would be a plain sale of coins the bot never bought). A simulated market (the demo,
 * backtests, training): as `risk.allow_short` says; the demo is a spot market, so that is off by
 * default.
 */
export function marketAllowsShort(cfg: Pick<Config, 'exchange'>, simulated: boolean): boolean {
  return simulated || (SHORTABLE_MARKETS as readonly string[]).includes(cfg.exchange.market_type);
}

/**
 * The one place engine settings are built: the config, the trader's /set overrides (kept in
 * SQLite) and a fee override (CLI), with shorts only where the market allows them. Backtest,
 * training, paper and live all call this.
 */
export function engineSettings(cfg: Pick<Config, 'risk' | 'costs' | 'exchange'>, o: { overrides?: Partial<Config['risk']>; fee?: number; simulated?: boolean } = {}): EngineSettings {
  const r = { ...cfg.risk, ...o.overrides };
  const shorts = r.allow_short && marketAllowsShort(cfg, o.simulated ?? !cfg.exchange.id);
  return {
    risk: { ...r, allow_short: shorts },
    costs: { ...cfg.costs, fee: o.fee ?? cfg.costs.fee },
    atrStopMult: r.atr_stop_mult,
    atrTargetMult: r.atr_target_mult,
    maxHoldCandles: r.max_hold_candles,
    trailingStopAtr: r.trailing_stop_atr,
  };
}
