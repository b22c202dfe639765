import type { DB } from './db.js';

/**
 * The record an agent's proposal cites: its closed trades of the same kind (symbol, strategy,
 * direction) that were out of sample when they happened: paper/live trades, and the trades of
 * the latest finished training run (training trades each cycle before learning from it).
 */
export function tradeReturnsLike(db: DB, x: { symbol: string; strategy: string; direction: 'LONG' | 'SHORT' }): { live: number[]; training: number[] } {
  const live = (db.prepare(`SELECT metric_json FROM trades WHERE status='closed' AND symbol=? AND strategy=? AND direction=? AND metric_json IS NOT NULL`).all(x.symbol, x.strategy, x.direction) as Array<{ metric_json: string }>).map(
    (r) => (JSON.parse(r.metric_json) as { pnlPct: number }).pnlPct,
  );
  const run = db.prepare(`SELECT id FROM training_runs WHERE status='done' ORDER BY finished_at DESC LIMIT 1`).get() as { id: string } | undefined;
  const training: number[] = [];
  if (run) {
    for (const r of db.prepare(`SELECT metric_json FROM training_trades WHERE run_id=? AND symbol=?`).iterate(run.id, x.symbol) as Iterable<{ metric_json: string }>) {
      const t = JSON.parse(r.metric_json) as { strategyName: string; direction: string; pnlPct: number };
      if (t.strategyName === x.strategy && t.direction === x.direction) training.push(t.pnlPct);
    }
  }
  return { live, training };
}
