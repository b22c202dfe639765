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
  const timeFmt = new Intl.DateTimeFormat(locale, { timeZone, hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
  const dtFmt = new Intl.DateTimeFormat(locale, { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false });
  const shortFmt = new Intl.DateTimeFormat(locale, { timeZone, day: '2-digit', month: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false });
  return {
    lang,
    money: (v, quote) => (quote && quote !== 'USD' && quote !== 'USDT' && quote !== 'USDC' ? `${n(v, 2, 2)} ${quote}` : `${v < 0 ? '-' : ''}$${n(Math.abs(v), 2, 2)}`),
    price: (v) => `$${n(v, priceDigits(v), priceDigits(v))}`,
    qty: (v) => n(v, 4, Math.abs(v) >= 1 ? 4 : 6),
    pct: (v, d = 2) => `${n(v * 100, d, d)}%`,
    signedPct: (v, d = 2) => `${v > 0 ? '+' : ''}${n(v * 100, d, d)}%`,
    signed: (v, d = 2) => `${v > 0 ? '+' : ''}${n(v, d, d)}`,
    num: (v, d = 2) => n(v, d, d),
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
