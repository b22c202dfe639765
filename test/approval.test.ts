/**
 * A person's approval that comes after the price has moved (issue #14, item 9): refused with the
 * figures, nothing bought; an approval in time executes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { refreshCandles } from '../src/market/refresh.js';
import { approveProposal, getProposal } from '../src/trading/proposals.js';
import { startTestApp, scanUntilProposal } from './support/app.js';

test('an approval after the price moved more than half way to the stop is refused and buys nothing; one in time executes', async () => {
  const app = await startTestApp({ adapters: () => [], env: { TRADECREW_APPROVAL__DEMO_TTL_SECONDS: '3600' } });
  try {
    // In time: the price is still the proposed one.
    const first = await scanUntilProposal(app);
    assert.equal((await approveProposal(app, first, 'alice')).ok, true);
    assert.equal(getProposal(app, first)!.status, 'executed');

    // Late: the demo market runs on while the proposal waits.
    let id = '';
    for (let k = 0; k < 50 && !id; k++) {
      const pid = await scanUntilProposal(app);
      const p = getProposal(app, pid)!;
      const stopDistance = Math.abs(p.entry - p.stop);
      for (let n = 0; n < 400; n++) {
        if (Math.abs((await app.source.lastPrice(p.symbol)) - p.entry) > 0.75 * stopDistance) {
          id = pid;
          break;
        }
        await refreshCandles(app);
      }
      if (!id) await approveProposal(app, pid, 'alice');
    }
    assert.ok(id, 'the demo price moved far enough at some point');
    const trades = () => (app.db.prepare('SELECT COUNT(*) AS n FROM trades').get() as { n: number }).n;
    const before = trades();
    await approveProposal(app, id, 'alice');
    const p = getProposal(app, id)!;
    assert.equal(p.status, 'failed');
    assert.match(p.note ?? '', /the price moved from ~[\d.]+ to [\d.]+ since the proposal: \d+% of the way to the stop, more than the 50% allowed \(approval\.max_price_move\); not executed/);
    assert.equal(trades(), before, 'nothing bought');
  } finally {
    await app.shutdown();
  }
});
