const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Milliseconds in a ccxt-style timeframe such as `1m`, `15m`, `1h`, `4h`, `1d`. */
export function timeframeMs(tf: string): number {
  const m = /^(\d+)([mhdw])$/.exec(tf);
  if (!m) throw new Error(`unknown timeframe "${tf}" (use e.g. 1m, 5m, 15m, 1h, 4h, 1d)`);
  return Number(m[1]) * UNIT_MS[m[2]];
}

/** A timeframe of at least one unit: `0m` would make every candle zero milliseconds long. */
export function isTimeframe(tf: string): boolean {
  return /^([1-9]\d*)([mhdw])$/.test(tf);
}

/** Candles in one year of this timeframe, for annualising ratios. */
export function periodsPerYear(tf: string): number {
  return (365 * 86_400_000) / timeframeMs(tf);
}
