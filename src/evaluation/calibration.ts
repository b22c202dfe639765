import type { CalibrationReport, CalibrationState } from '../agents/types.js';

/**
 * Confidence that means something: the probability that a setup like this one wins, learned from
 * the agent's own closed out-of-sample trades. The rule's setup score (confluence, ADX, volume;
 * src/agents/decision.ts) only ranks setups; here each score bin's observed win rate becomes the
 * probability, shrunk towards the agent's overall win rate so a bin with few trades says little
 * (a Beta prior worth PRIOR_TRADES trades). Only trades closed before a decision feed it, so in
 * training the probability on every entry is out of sample.
 */

/** Setup-score bins: [0, .5), [.5, .6), [.6, .7), [.7, .8), [.8, 1]. */
export const SCORE_EDGES = [0, 0.5, 0.6, 0.7, 0.8, 1];
/** Closed trades before any probability is given (below: the score is shown as uncalibrated). */
export const MIN_CALIBRATION_TRADES = 20;
/** Weight of the agent's overall win rate in each bin, in trades. */
const PRIOR_TRADES = 10;

export function newCalibration(): CalibrationState {
  return { bins: SCORE_EDGES.slice(1).map(() => ({ n: 0, wins: 0 })), n: 0, wins: 0 };
}

function binOf(score: number): number {
  for (let k = SCORE_EDGES.length - 2; k >= 0; k--) if (score >= SCORE_EDGES[k]) return k;
  return 0;
}

/** One closed trade: its setup score at entry and whether it made money after costs. */
export function observe(c: CalibrationState, score: number, won: boolean): void {
  const b = c.bins[binOf(score)];
  b.n++;
  c.n++;
  if (won) {
    b.wins++;
    c.wins++;
  }
}

/** The calibrated probability of a win for a setup score, or null while the record is too short. */
export function calibrated(c: CalibrationState | undefined, score: number): number | null {
  if (!c || c.n < MIN_CALIBRATION_TRADES) return null;
  const base = (c.wins + 1) / (c.n + 2);
  const b = c.bins[binOf(score)];
  return (b.wins + PRIOR_TRADES * base) / (b.n + PRIOR_TRADES);
}

/** Rows of the reliability table: by forecast probability. */
const REPORT_EDGES = [0, 0.3, 0.4, 0.5, 0.6, 0.7, 1];

/**
 * Brier score, its skill against always forecasting the observed win rate, and the reliability
 * table (forecast vs observed per band) of probability forecasts. Null below the minimum.
 */
export function calibrationReport(xs: Array<{ p: number; won: boolean }>): CalibrationReport | null {
  if (xs.length < MIN_CALIBRATION_TRADES) return null;
  let brier = 0;
  let wins = 0;
  for (const x of xs) {
    brier += (x.p - (x.won ? 1 : 0)) ** 2;
    if (x.won) wins++;
  }
  brier /= xs.length;
  const rate = wins / xs.length;
  const ref = rate * (1 - rate);
  const rows: CalibrationReport['rows'] = [];
  for (let k = 0; k + 1 < REPORT_EDGES.length; k++) {
    const lo = REPORT_EDGES[k];
    const hi = REPORT_EDGES[k + 1];
    const inBand = xs.filter((x) => x.p >= lo && (x.p < hi || (hi === 1 && x.p <= 1)));
    if (!inBand.length) continue;
    rows.push({ lo, hi, n: inBand.length, predicted: inBand.reduce((a, x) => a + x.p, 0) / inBand.length, observed: inBand.filter((x) => x.won).length / inBand.length });
  }
  return { trades: xs.length, brier, skill: ref > 0 ? 1 - brier / ref : 0, rows };
}
