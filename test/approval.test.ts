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

test('/stats scores the trader: a rejected proposal is followed as if approved, with the same exits, and its result is said', async () => {
  const { stats } = await import('../commands/profit.js');
  const { loadCandles } = await import('../src/store/candles.js');
  const { rejectProposal } = await import('../src/trading/proposals.js');
  const app = await startTestApp({ adapters: () => [], env: { TRADECREW_RISK__MAX_HOLD_CANDLES: '3', TRADECREW_APPROVAL__DEMO_TTL_SECONDS: '3600' } });
  try {
    const id = await scanUntilProposal(app);
    await rejectProposal(app, id, 'alice');
    const p = getProposal(app, id)!;
    // Enough candles after it for the 3-candle time stop (or its stop or target) to end it.
    for (let k = 0; k < 8; k++) await refreshCandles(app);
    let said = '';
    await stats.run({ app, adapter: 'console', chatId: 'console', user: { id: 'a', name: 'alice' }, role: 'trader', args: [], reply: (m) => ((said = m.rich.map((l) => l.map((s) => s.text).join('')).join('\n')), 0), edit: () => undefined });
    const m = /You vs the crew: you turned down 1 proposal \(1 rejected, 0 expired\)\. Followed as if approved: 1 finished \((\d) would have won\), 0 still open, ([+-][\d.,]+) in all, so turning them down (cost|saved) ([\d.,]+)\./.exec(said);
    assert.ok(m, said);
    // The same trade worked out by hand: fill at the next open (slippage against), stop first, then
    // target, gaps at the open, else out at the open after the third candle; fees both sides.
    const tf = 3_600_000;
    const c = loadCandles(app.db, p.symbol, app.cfg.timeframe, p.candle_ts + tf);
    const d = JSON.parse(p.decision_json);
    const dir = p.direction === 'LONG' ? 1 : -1;
    const { fee, slippage } = app.cfg.costs;
    const entry = c[0].open * (1 + dir * slippage);
    const stop = d.stop + (entry - d.price);
    const target = d.target + (entry - d.price);
    let exit = NaN;
    let byLevel = false;
    for (let k = 0; k < c.length && Number.isNaN(exit); k++) {
      if (dir > 0 && c[k].low <= stop) exit = Math.min(c[k].open, stop);
      else if (dir > 0 && c[k].high >= target) (exit = Math.max(c[k].open, target)), (byLevel = true);
      else if (dir < 0 && c[k].high >= stop) exit = Math.max(c[k].open, stop);
      else if (dir < 0 && c[k].low <= target) (exit = Math.min(c[k].open, target)), (byLevel = true);
      else if (k === 2) exit = c[3].open;
    }
    // A take-profit fills at its level; every other exit pays the slippage.
    const exitPrice = byLevel ? exit : exit * (1 - dir * slippage);
    const pnl = dir * (exitPrice - entry) * p.quantity - (entry + exitPrice) * p.quantity * fee;
    assert.equal(m[2], app.fmt.signed(pnl), `by hand: ${pnl}`);
    assert.equal(m[1], pnl > 0 ? '1' : '0');
    // The daily summary of that day says it too.
    const { dailySummaryMessage } = await import('../src/reports/daily.js');
    const daily = (await dailySummaryMessage(app, app.fmt.dayStart(p.candle_ts))).rich.map((l) => l.map((s) => s.text).join('')).join('\n');
    assert.match(daily, /You vs the crew: you turned down 1 proposal/);
  } finally {
    await app.shutdown();
  }
});
