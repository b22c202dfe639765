/** Locale-aware number and time formatting for messages (en: 1,234.56; es: 1.234,56). */
export interface Fmt {
  lang: string;
  money(v: number, quote?: string): string;
  price(v: number): string;
  qty(v: number): string;
  pct(v: number, digits?: number): string;
  signedPct(v: number, digits?: number): string;
  signed(v: number, digits?: number): string;
  num(v: number, digits?: number): string;
  time(ts: number): string;
  dateTime(ts: number): string;
  shortDate(ts: number): string;
  duration(ms: number): string;
  /** `+$12.30` / `-$5.00`: a money amount with its sign (PnL). */
  signedMoney(v: number): string;
  /** A calendar day for tables: `Tue, Nov 24` / `mar, 24 nov`. */
  day(ts: number): string;
  /** Midnight (in the configured timezone) of the day holding `ts`, as epoch ms. */
  dayStart(ts: number): number;
  /** Monday midnight (configured timezone) of the week holding `ts`. */
  weekStart(ts: number): number;
  /** Midnight (configured timezone) of the first day of the month holding `ts`. */
  monthStart(ts: number): number;
  /** A calendar month for tables: `Nov 2026` / `nov 2026`. */
  month(ts: number): string;
}

const DAY_MS = 86_400_000;

/**
 * Local midnight in `timeZone`, DST-aware: the zone's offset is read at `ts` and again at the
 * guessed midnight (the two differ on the days clocks change).
 */
export function zonedDayStart(ts: number, timeZone: string): { start: number; weekday: number } {
  const f = partsFormatter(timeZone);
  const offsetAt = (t: number) => {
    const p: Record<string, string> = {};
    for (const x of f.formatToParts(t)) p[x.type] = x.value;
    const asUtc = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour) % 24, Number(p.minute), Number(p.second));
    return asUtc - Math.floor(t / 1000) * 1000;
  };
  const off = offsetAt(ts);
  const localMidnight = Math.floor((ts + off) / DAY_MS) * DAY_MS;
  const start = localMidnight - offsetAt(localMidnight - off);
  // Monday = 0 ... Sunday = 6
  const weekday = (new Date(localMidnight).getUTCDay() + 6) % 7;
  return { start, weekday };
}

const partsCache = new Map<string, Intl.DateTimeFormat>();
function partsFormatter(timeZone: string): Intl.DateTimeFormat {
  let f = partsCache.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    partsCache.set(timeZone, f);
  }
  return f;
}

export function createFmt(lang: string, timeZone: string): Fmt {
  const locale = lang === 'es' ? 'es-ES' : 'en-US';
  const nf = (min: number, max: number) => new Intl.NumberFormat(locale, { minimumFractionDigits: min, maximumFractionDigits: max, useGrouping: true });
  const cache = new Map<string, Intl.NumberFormat>();
  const n = (v: number, min: number, max: number) => {
    const k = `${min}:${max}`;
    let f = cache.get(k);
    if (!f) cache.set(k, (f = nf(min, max)));
    return Number.isFinite(v) ? f.format(v) : '–';
  };
  const priceDigits = (v: number) => (Math.abs(v) >= 1000 ? 2 : Math.abs(v) >= 1 ? 4 : 6);
  // hourCycle h23, not hour12: false: en-US writes midnight as "24:00" with the latter.
  const timeFmt = new Intl.DateTimeFormat(locale, { timeZone, hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
  const dtFmt = new Intl.DateTimeFormat(locale, { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  const dayFmt = new Intl.DateTimeFormat(locale, { timeZone, weekday: 'short', day: '2-digit', month: 'short' });
  const monthFmt = new Intl.DateTimeFormat(locale, { timeZone, month: 'short', year: 'numeric' });
  const dayOfMonthFmt = new Intl.DateTimeFormat('en-US', { timeZone, day: 'numeric' });
  const shortFmt = new Intl.DateTimeFormat(locale, { timeZone, day: '2-digit', month: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
  return {
    lang,
    money: (v, quote) => (quote && quote !== 'USD' && quote !== 'USDT' && quote !== 'USDC' ? `${n(v, 2, 2)} ${quote}` : `${v < 0 ? '-' : ''}$${n(Math.abs(v), 2, 2)}`),
    price: (v) => `$${n(v, priceDigits(v), priceDigits(v))}`,
    qty: (v) => n(v, 4, Math.abs(v) >= 1 ? 4 : 6),
    pct: (v, d = 2) => `${n(v * 100, d, d)}%`,
    signedPct: (v, d = 2) => `${v > 0 ? '+' : ''}${n(v * 100, d, d)}%`,
    signed: (v, d = 2) => `${v > 0 ? '+' : ''}${n(v, d, d)}`,
    num: (v, d = 2) => n(v, d, d),
    signedMoney: (v) => (v > 0 ? '+' : v < 0 ? '-' : '') + `$${n(Math.abs(v), 2, 2)}`,
    day: (ts) => dayFmt.format(ts),
    dayStart: (ts) => zonedDayStart(ts, timeZone).start,
    weekStart: (ts) => {
      const d = zonedDayStart(ts, timeZone);
      // Step back whole days to Monday, re-anchoring at each midnight (DST-safe).
      return d.weekday === 0 ? d.start : zonedDayStart(d.start - d.weekday * DAY_MS + DAY_MS / 2, timeZone).start;
    },
    monthStart: (ts) => {
      const d = zonedDayStart(ts, timeZone);
      const dom = Number(dayOfMonthFmt.format(d.start + DAY_MS / 2));
      // Back to the 1st, re-anchored at its midnight (DST-safe), as weekStart does.
      return dom === 1 ? d.start : zonedDayStart(d.start - (dom - 1) * DAY_MS + DAY_MS / 2, timeZone).start;
    },
    month: (ts) => monthFmt.format(ts),
    time: (ts) => timeFmt.format(ts),
    dateTime: (ts) => dtFmt.format(ts),
    shortDate: (ts) => shortFmt.format(ts),
    duration: (ms) => {
      const s = Math.max(0, Math.round(ms / 1000));
      if (s < 60) return `${s}s`;
      if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
      const h = Math.floor(s / 3600);
      return h < 48 ? `${h}h ${Math.floor((s % 3600) / 60)}m` : `${Math.floor(h / 24)}d ${h % 24}h`;
    },
  };
}
