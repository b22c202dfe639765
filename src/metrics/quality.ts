/**
 * Trade quality score: how good a closed trade was as a trade, not only as a result. A lucky win
 * taken against the plan on a thin setup should score below a disciplined, well-confirmed one.
 * Pure function; the README section "Metrics" repeats the formula.
 */
import type { ExitReason } from './types.js';

export interface QualityInput {
  /** Net PnL as a fraction of the capital used (0.02 = 2%). */
  pnlPct: number;
  /** Planned reward:risk (target distance / stop distance), e.g. 2 for 2:1. */
  riskReward: number;
  /** 0..1 */
  confluenceScore: number;
  /** 0..1 */
  confidence: number;
  followedPlan: boolean;
  exitReason: ExitReason;
  volumeConfirmation: boolean;
}

/** How the trade ended, 0..1: hitting the target is the plan working; a stop-out is it failing. */
export const EXIT_CREDIT: Record<ExitReason, number> = {
  TAKE_PROFIT: 1,
  SIGNAL: 0.6,
  TIMEOUT: 0.3,
  END_OF_DATA: 0.3,
  MANUAL: 0.3,
  STOP_LOSS: 0,
  KILL_SWITCH: 0,
};

/** clamp to [0, 1]; NaN counts as 0 so one bad field cannot poison the whole score. */
function unit(x: number): number {
  if (Number.isNaN(x)) return 0;
  return Math.min(1, Math.max(0, x));
}

/**
 * Quality score 0..100, rounded to 0.1:
 *   20 x result      result = clamp(0.5 + pnlPct / 0.04, 0, 1): -2% or worse 0, break-even 0.5, +2% or better 1
 * + 10 x exit        EXIT_CREDIT: TAKE_PROFIT 1, SIGNAL 0.6, TIMEOUT / END_OF_DATA / MANUAL 0.3, STOP_LOSS 0
 * + 20 x setup       clamp(riskReward / 3, 0, 1): 3:1 or better earns it all
 * + 20 x confluence  clamp(confluenceScore, 0, 1)
 * + 10 x confidence  clamp(confidence, 0, 1)
 * + 10 x followedPlan (1 or 0)
 * + 10 x volumeConfirmation (1 or 0)
 * Non-decreasing in pnlPct, riskReward, confluenceScore and confidence. A NaN input scores 0 in its
 * component. E.g. +3% TAKE_PROFIT, 3:1, confluence 0.8, confidence 0.8, on plan, volume confirmed
 * = 20+10+20+16+8+10+10 = 94; a -1% STOP_LOSS, 1.5:1, confluence 0.3, confidence 0.5, on plan,
 * no volume = 5+0+10+6+5+10+0 = 36.
 */
export function qualityScore(t: QualityInput): number {
  const score =
    20 * unit(0.5 + t.pnlPct / 0.04) +
    10 * (EXIT_CREDIT[t.exitReason] ?? 0) +
    20 * unit(t.riskReward / 3) +
    20 * unit(t.confluenceScore) +
    10 * unit(t.confidence) +
    10 * (t.followedPlan ? 1 : 0) +
    10 * (t.volumeConfirmation ? 1 : 0);
  return Math.round(score * 10) / 10;
}
