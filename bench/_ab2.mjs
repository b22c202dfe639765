const A = '../build/src', B = '/tmp/old/build/src';
const load = async (d) => ({ demo: await import(d + '/market/demo.js'), feat: await import(d + '/indicators/features.js'), bt: await import(d + '/kernel/backtest.js'), rules: await import(d + '/agents/rules.js'), types: await import(d + '/agents/types.js'), set: await import(d + '/kernel/settings.js'), cfg: await import(d + '/config/load.js'), rng: await import(d + '/util/rng.js') });
const mods = { A: await load(A), B: await load(B) };
const m0 = mods.A;
const cfg = m0.cfg.loadConfig({ env: { TRADECREW_CONFIG: '/work/main/config/default.yaml' } });
const settings = m0.set.engineSettings(cfg);
const s = m0.demo.generateDemoSeries({ seed: 42, symbol: 'BTC/USDT', timeframe: '1m', startTs: Date.UTC(2024, 0, 1) }, 525600);
const T = { A: [], B: [] };
for (let k = 0; k < 9; k++) for (const key of ['A', 'B']) {
  const m = mods[key];
  const f = m.feat.computeFeatures(s);
  const t0 = performance.now();
  const r = m.bt.runEngine({ series: s, features: f, strategy: m.rules.trendFollowing, state: m.types.newAgentState(s.symbol, 'trend_following'), settings, ctx: { learn: false, rng: m.rng.createRng(42), allowShort: false }, startingEquity: 10000 });
  if (k > 0) T[key].push(performance.now() - t0);
  if (k === 0) console.log(key, r.trades.length, r.finalEquity, '%HasFastProperties' );
}
const med = (x) => [...x].sort((a, b) => a - b)[x.length >> 1];
console.log('engine A(new)', med(T.A).toFixed(1), '| B(old)', med(T.B).toFixed(1), '| A/B', (med(T.A) / med(T.B)).toFixed(3));
