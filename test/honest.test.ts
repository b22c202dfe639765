import assert from 'node:assert/strict';
import { test } from 'node:test';
import { edgeVerdict, MIN_EDGE_TRADES } from '../src/evaluation/honest.js';
import { str } from '../src/render/template.js';

/** The agent's verdict on its own record: each rule in turn, said in words a trader reads. */
test('an edge needs enough trades, a Sharpe distinguishable from cash, above random entries and above holding', () => {
  const good = { trades: 120, sharpe: 1.4, buyHoldSharpe: 0.8, percentile: 0.99, ciLow: 0.3 };
  const say = (x: typeof good) => {
    const v = edgeVerdict(x);
    return { edge: v.edge, text: str('en', v.code, v.params) };
  };
  assert.deepEqual(say(good), { edge: true, text: 'edge: Sharpe 1.40 beats cash, buy-and-hold (0.80) and 99% of random entries' });
  assert.deepEqual(say({ ...good, trades: MIN_EDGE_TRADES - 1 }), { edge: false, text: `not enough data: ${MIN_EDGE_TRADES - 1} trades (${MIN_EDGE_TRADES} needed for a verdict)` });
  assert.equal(say({ ...good, ciLow: null as unknown as number }).text, `not enough data: 120 trades (${MIN_EDGE_TRADES} needed for a verdict)`);
  assert.deepEqual(say({ ...good, sharpe: -0.2 }), { edge: false, text: 'no edge: Sharpe -0.20 does not beat cash' });
  assert.deepEqual(say({ ...good, ciLow: -0.1 }), { edge: false, text: 'no proven edge: Sharpe 1.40, but its 95% interval reaches -0.10, so it may not beat cash' });
  assert.deepEqual(say({ ...good, percentile: 0.9 }), { edge: false, text: 'no edge: random entries with the same exits do as well (90% of them beaten, 95% needed)' });
  assert.deepEqual(say({ ...good, buyHoldSharpe: 2 }), { edge: false, text: "no edge over holding: Sharpe 1.40 below buy-and-hold's 2.00" });
  // A learner must also beat itself untrained on the same window.
  assert.deepEqual(say({ ...good, untrainedSharpe: 1.6 } as typeof good), { edge: false, text: 'no edge from learning: Sharpe 1.40 is not above the same agent untrained (1.60)' });
  assert.equal(say({ ...good, untrainedSharpe: 0.9 } as typeof good).edge, true);
  // Spanish too.
  const es = edgeVerdict({ ...good, percentile: 0.5 });
  assert.match(str('es', es.code, es.params), /^sin ventaja: entradas al azar/);
});
