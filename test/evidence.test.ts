import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Decision } from '../src/agents/decision.js';
import { createApp } from '../src/app/create.js';
import { loadConfig } from '../src/config/load.js';
import { evidenceOf } from '../src/evaluation/evidence.js';
import { backfill } from '../src/market/refresh.js';
import { createFmt } from '../src/render/format.js';
import { richToPlain } from '../src/render/rich.js';
import { proposalMessage } from '../src/render/views.js';
import { createRun, newRunId, runTraining } from '../src/training/run.js';
import { paramsFromConfig } from '../src/training/trainer.js';
import { silentLogger } from '../src/util/logger.js';
import { scanUntilProposal } from './support/app.js';
import { tempDataDir } from './support/spawn-bot.js';

test('evidence: none, too few trades to tell, and a record with its interval', () => {
  assert.deepEqual(evidenceOf({ live: [], training: [] }), { trades: 0, source: 'none', winRate: 0, avgReturn: 0, sharpe: 0, ci: null });
  const thin = evidenceOf({ live: [0.02, -0.01], training: [0.01] });
  assert.equal(thin.trades, 3);
  assert.equal(thin.source, 'live+training');
  assert.ok(Math.abs(thin.winRate - 2 / 3) < 1e-12);
  assert.ok(Math.abs(thin.avgReturn - 0.02 / 3) < 1e-12);
  assert.equal(thin.ci, null, 'no interval from 3 trades');
  // 40 trades winning 1% and losing 0.5% alternately: a positive per-trade Sharpe inside its interval.
  const xs = Array.from({ length: 40 }, (_, k) => (k % 2 ? -0.005 : 0.01));
  const full = evidenceOf({ live: [], training: xs });
  assert.equal(full.source, 'training');
  assert.ok(full.ci && full.ci[0] <= full.sharpe && full.sharpe <= full.ci[1], JSON.stringify(full));
  const fmt = createFmt('en', 'UTC');
  const decision = { strategy: 'trend_following', direction: 'LONG', price: 100, stop: 98, target: 104, riskReward: 2, confidence: 0.7, confidenceLevel: 'HIGH', confluence: 0.6, regime: 'RANGING', volatility: 0.01, volumeConfirmed: true, reason: 'x', evidence: full } as unknown as Decision;
  const text = richToPlain(proposalMessage(fmt, { id: 'p1', symbol: 'BTC/USDT', quantity: 1, expiresAt: 0, decision }, { status: '' }).rich);
  assert.match(text, /📚 Evidence: 40 LONG like this \(training, out of sample\): won 50%, avg \+0\.25% net, Sharpe\/trade 0\.33 \[-?[\d.]+, [\d.]+\]/);
  const es = richToPlain(proposalMessage(createFmt('es', 'UTC'), { id: 'p1', symbol: 'BTC/USDT', quantity: 1, expiresAt: 0, decision: { ...decision, evidence: thin } }, { status: '' }).rich);
  assert.match(es, /📚 Evidencia: 3 LONG como esta \(entrenamiento \+ papel\/real\): ganó 67%, media \+0,67% neta; muy pocas para saberlo/);
});

test('after a training run, the demo crew\'s proposals cite that run\'s out-of-sample trades', async () => {
  const cfg = loadConfig({ env: { TRADECREW_DATA_DIR: tempDataDir(), TRADECREW_CREW__ENABLED: 'false' } });
  const app = createApp(cfg, { adapters: [], log: silentLogger() });
  try {
    await backfill(app);
    const runId = newRunId();
    createRun(app.db, runId, paramsFromConfig(cfg, { days: 60, symbols: cfg.symbols, cycleHours: 24 }));
    const result = await runTraining(app.db, runId);
    assert.ok(result.trades.length > 0, 'the training run traded');
    const id = await scanUntilProposal(app);
    const d = JSON.parse((app.db.prepare('SELECT decision_json FROM proposals WHERE id=?').get(id) as { decision_json: string }).decision_json) as Decision;
    const like = result.trades.filter((t) => t.agentSymbol === (app.db.prepare('SELECT symbol FROM proposals WHERE id=?').get(id) as { symbol: string }).symbol && t.direction === d.direction && t.strategyName === d.strategy);
    assert.equal(d.evidence?.source, 'training');
    assert.equal(d.evidence?.trades, like.length);
    assert.ok(like.length > 0);
    const wins = like.filter((t) => t.pnlPct > 0).length;
    assert.ok(Math.abs(d.evidence!.winRate - wins / like.length) < 1e-12);
  } finally {
    await app.outbox.stop();
    app.db.close();
  }
});
