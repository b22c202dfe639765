import { bootstrapSharpeCI, MIN_SAMPLES } from '../metrics/uncertainty.js';

/**
 * One line of evidence on a proposal: this agent's out-of-sample record for setups like this one
 * (same symbol, strategy and side): how many, how often they won, the average return after costs,
 * and the Sharpe per trade with its 95% interval. Below MIN_SAMPLES trades there is no interval:
 * the line says there is not enough to tell.
 */
export interface Evidence {
  trades: number;
  /** Where the trades come from: paper/live, the latest training run, or both. */
  source: 'live' | 'training' | 'live+training' | 'none';
  winRate: number;
  /** Mean trade return after costs (pnl / capital used). */
  avgReturn: number;
  /** Per trade, not annualised. */
  sharpe: number;
  ci: [number, number] | null;
}

export function evidenceOf(r: { live: number[]; training: number[] }): Evidence {
  const xs = [...r.training, ...r.live];
  const source = r.live.length && r.training.length ? 'live+training' : r.live.length ? 'live' : r.training.length ? 'training' : 'none';
  const n = xs.length;
  if (n === 0) return { trades: 0, source, winRate: 0, avgReturn: 0, sharpe: 0, ci: null };
  let sum = 0;
  let wins = 0;
  for (const x of xs) {
    sum += x;
    if (x > 0) wins++;
  }
  const mean = sum / n;
  let ss = 0;
  for (const x of xs) ss += (x - mean) ** 2;
  const sd = n > 1 ? Math.sqrt(ss / (n - 1)) : 0;
  const ci = n >= MIN_SAMPLES ? bootstrapSharpeCI(xs, 1, { seed: 1 }) : null;
  return { trades: n, source, winRate: wins / n, avgReturn: mean, sharpe: sd > 0 ? mean / sd : 0, ci: ci ? [ci.lo, ci.hi] : null };
}
