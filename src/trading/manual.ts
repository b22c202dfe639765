import { describeEntry, MANUAL_REASON, type Decision } from '../agents/decision.js';
import { strategyByName } from '../agents/registry.js';
import type { StrategyName } from '../agents/types.js';
import type { App } from '../app/context.js';
import { computeFeatures, WARMUP } from '../indicators/features.js';
import { exitRulesFor } from '../kernel/step.js';
import { timeframeMs } from '../market/timeframe.js';
import { seriesFromCandles } from '../market/types.js';
import { gate } from '../risk/gate.js';
import { appEngineSettings } from '../risk/settings.js';
import { claimWork, releaseClaim } from '../store/orders.js';
import { liveBalance, openTrades } from './account.js';
import { isCcxtBroker } from './ccxt-broker.js';
import { autoApprove, closedCandles, riskState } from './live.js';
import { approveProposal, claimOwner, createProposal, pendingProposals, symbolBusy, type DecisionOutcome, type ProposalRow } from './proposals.js';

/**
 * A trader's own entry (/buy, /sell): the crew's path, not a second one. The entry is described on
 * the latest closed candle exactly as an agent's would be (stop and target from the ATR with the
 * configured strategy's exit rules), sized and checked by the same risk gate with the same account
 * view (pause, kill switch, daily limits, cooldown, exposure, max positions), and becomes a
 * proposal like any other: pushed to every chat with Approve / Reject, expiring on the same clock,
 * executed once through approveProposal's claim, order lookup and stale-price check.
 *
 * Why a proposal and not an order at once: what the trader typed is a symbol and perhaps an
 * amount; what will be sent (quantity, stop, target, the gate's cap) is only known now, and a
 * money path in this bot is never taken without the person seeing those figures first (as /close
 * asks for a confirmation). The proposal is that confirmation: one press on Approve (or
 * /approve <id>). The approval rules in force still apply as for any proposal: auto-approval trusts
 * calibrated confidences only, and a trader's entry has none, so it executes at once only when
 * auto-approval is on for everything (/autoapprove 0).
 */
export type ManualOutcome =
  | { ok: true; proposal: ProposalRow; approval: DecisionOutcome | null }
  | { ok: false; code: 'position_open'; tradeId: string }
  | { ok: false; code: 'proposal_open'; proposalId: string }
  | { ok: false; code: 'warming_up'; have: number; need: number }
  | { ok: false; code: 'no_balance' }
  | { ok: false; code: 'refused'; reason: string; refusal?: { code: string; params: Record<string, number> } }
  | { ok: false; code: 'too_large'; wanted: number; max: number; quote: number }
  | { ok: false; code: 'busy' };

export async function proposeManualEntry(app: App, x: { symbol: string; direction: 'LONG' | 'SHORT'; notional?: number; by: string }): Promise<ManualOutcome> {
  const { symbol } = x;
  const why = blockedBy(app, symbol);
  if (why) return why;
  // Claimed once in SQLite: two /buy typed at once (or pressed on two platforms) propose once.
  const claim = claimWork(app.db, `manual-entry.${symbol}`, claimOwner(app), app.now(), () => !symbolBusy(app, symbol));
  if (!claim) return blockedBy(app, symbol) ?? { ok: false, code: 'busy' };
  try {
    const tfMs = timeframeMs(app.cfg.timeframe);
    const candles = closedCandles(app, symbol);
    if (candles.length < WARMUP + 2) return { ok: false, code: 'warming_up', have: candles.length, need: WARMUP + 2 };
    if (isCcxtBroker(app.broker) && !liveBalance(app.db)) return { ok: false, code: 'no_balance' };
    const settings = appEngineSettings(app);
    const i = candles.length - 1;
    const last = candles[i];
    const f = computeFeatures(seriesFromCandles(symbol, app.cfg.timeframe, candles));
    const strategy = app.cfg.strategy as StrategyName;
    const described = describeEntry(f, i, x.direction === 'LONG' ? 1 : -1, strategy, last.ts, exitRulesFor(strategyByName(strategy), settings));
    const decision: Decision = {
      ...described,
      // Said in the chat's language by the proposal message (reasonText).
      reason: `manual ${x.direction === 'LONG' ? 'buy' : 'sell'} by ${x.by}`,
      reasonCode: `${MANUAL_REASON}${x.direction === 'LONG' ? 'long' : 'short'}`,
      reasonParams: { by: x.by },
    };
    const g = gate(decision, riskState(app, symbol, last.ts, tfMs), settings.risk);
    if (!g.ok) return { ok: false, code: 'refused', reason: g.reason, refusal: { code: g.code, params: g.params } };
    let quantity = g.quantity;
    if (x.notional !== undefined) {
      // The amount asked for, never more than the gate would size: the gate is the limit.
      if (x.notional > g.notional * (1 + 1e-9)) return { ok: false, code: 'too_large', wanted: x.notional, max: g.notional, quote: decision.price };
      quantity = x.notional / decision.price;
    }
    const proposal = await createProposal(app, { symbol, decision, quantity, candles, tfMs });
    if (!proposal) return blockedBy(app, symbol) ?? { ok: false, code: 'busy' };
    app.log.info({ id: proposal.id, symbol, direction: x.direction, by: x.by }, 'manual entry proposed');
    const auto = autoApprove(app);
    const approval = auto.on && auto.min === 0 ? await approveProposal(app, proposal.id, 'auto') : null;
    return { ok: true, proposal, approval };
  } finally {
    releaseClaim(app.db, claim);
  }
}

/** One agent, one position per symbol: an open trade or a proposal in the way, said with its id. */
function blockedBy(app: App, symbol: string): ManualOutcome | null {
  const t = openTrades(app.db).find((r) => r.symbol === symbol);
  if (t) return { ok: false, code: 'position_open', tradeId: t.id };
  const p = pendingProposals(app).find((r) => r.symbol === symbol);
  if (p) return { ok: false, code: 'proposal_open', proposalId: p.id };
  return null;
}
