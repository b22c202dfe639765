import type { Fmt } from '../render/format.js';
import type { StartupFindings } from '../trading/reconcile-report.js';

/** The exchange check's findings in plain words, one line each. */
export function describeFindings(fmt: Fmt, f: StartupFindings): string {
  const q = (x: number) => String(Number(x.toPrecision(10)));
  const lines: string[] = [];
  for (const o of f.unknownOpenOrders) {
    lines.push(
      `🔎 Open order on the exchange that the bot did not place: ${o.symbol} ${o.side} ${q(o.amount)}${o.price !== undefined ? ` @ ${fmt.price(o.price)}` : ''} (order ${o.id}${o.clientOrderId ? `, client id ${o.clientOrderId}` : ''}). Left untouched.`,
    );
  }
  for (const id of f.missingOrders) lines.push(`❓ Order ${id} is open in the bot's records, but the exchange does not list it as open (filled or cancelled while the bot was away?). It is looked up again at the next scan.`);
  for (const id of f.unresolved) lines.push(`⏳ Order ${id} was being sent when the bot stopped and its outcome is not known yet; it is looked up by its client id at every scan, never sent twice.`);
  for (const d of f.balanceDiffs) {
    const diff = d.actual - d.expected;
    lines.push(`💰 ${d.asset}: the recorded fills imply ${q(d.expected)}, the exchange has ${q(d.actual)} (${diff >= 0 ? '+' : ''}${q(diff)}). Deposits, withdrawals or trades outside the bot? The bot now counts from the exchange's figure.`);
  }
  for (const s of f.positionShortfalls) lines.push(`📉 The bot's open positions hold ${q(s.needed)} ${s.asset}, but the exchange has only ${q(s.actual)} ${s.asset}. Exits sell at most what is there.`);
  return lines.join('\n');
}
