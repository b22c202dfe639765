/** A cycle of a training run: candles with ts in [from, to) on the master timeline. */
export interface CyclePlan {
  index: number;
  from: number;
  to: number;
}

/**
 * Lays the last `days` of history (ending at the last candle) on one master timeline and cuts it
 * into cycles of `cycleHours`. Cycle boundaries are aligned to the timeline's start so that a
 * resumed run cuts exactly the same cycles.
 */
export function planCycles(lastTs: number, days: number, cycleHours: number, tfMs: number): CyclePlan[] {
  const end = lastTs + tfMs; // exclusive
  const start = end - days * 86_400_000;
  const step = Math.max(tfMs, Math.round(cycleHours * 3_600_000));
  const out: CyclePlan[] = [];
  for (let from = start, k = 0; from < end; from += step, k++) out.push({ index: k + 1, from, to: Math.min(end, from + step) });
  return out;
}
