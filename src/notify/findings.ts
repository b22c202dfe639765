import type { Fmt } from '../render/format.js';
import { str } from '../render/template.js';
import type { StartupFindings } from '../trading/reconcile-report.js';

/** The exchange check's findings in plain words (the chat's language), one line each. */
export function describeFindings(fmt: Fmt, f: StartupFindings): string {
  const L = fmt.lang;
  const q = (x: number) => String(Number(x.toPrecision(10)));
  const lines: string[] = [];
  for (const o of f.unknownOpenOrders) {
    lines.push(
      str(L, 'finding_unknown_order', {
        order: `${o.symbol} ${o.side} ${q(o.amount)}${o.price !== undefined ? ` @ ${fmt.price(o.price)}` : ''}`,
        ids: `${o.id}${o.clientOrderId ? `, ${str(L, 'finding_client_id', { id: o.clientOrderId })}` : ''}`,
      }),
    );
  }
  for (const id of f.missingOrders) lines.push(str(L, 'finding_missing_order', { id }));
  for (const id of f.unresolved) lines.push(str(L, 'finding_unresolved', { id }));
  for (const d of f.balanceDiffs) {
    const diff = d.actual - d.expected;
    lines.push(str(L, 'finding_balance', { asset: d.asset, expected: q(d.expected), actual: q(d.actual), diff: `${diff >= 0 ? '+' : ''}${q(diff)}` }));
  }
  for (const s of f.positionShortfalls) lines.push(str(L, 'finding_shortfall', { asset: s.asset, needed: q(s.needed), actual: q(s.actual) }));
  return lines.join('\n');
}
