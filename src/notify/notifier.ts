import { modeOf } from './settings.js';
import type { Decision } from '../agents/decision.js';
import { signButton } from '../chat/buttons.js';
import { enqueue, proposalMessageRows, type OutboxSender } from '../chat/outbox.js';
import type { ChatAdapter, OutgoingMessage } from '../chat/types.js';
import type { Config } from '../config/schema.js';
import { crewVotesRich } from '../crew/render.js';
import { decisionForProposal } from '../store/crew.js';
import type { EventSink, TradingEvent } from '../events/types.js';
import { proposalChart, tradeChart } from '../render/chart-files.js';
import type { Fmt } from '../render/format.js';
import { richToPlain } from '../render/rich.js';
import { str, plural } from '../render/template.js';
import { alertMessage, fillMessage, proposalMessage, simpleMessage, tradeCompletedMessage } from '../render/views.js';
import type { DB } from '../store/db.js';
import { CANCELLED_BY } from '../store/proposals.js';
import type { ProposalRow } from '../trading/proposals.js';
import type { Logger } from '../util/logger.js';
import { describeFindings } from './findings.js';

/**
 * The notifier: typed events in, messages out. Each event becomes messages in the bot's language
 * (templates, charts) queued in the SQLite outbox for every chat with a push chat id, inside the
 * transaction that recorded the change; the outbox delivers them at least once, in order.
 */
export interface NotifierDeps {
  db: DB;
  cfg: Pick<Config, 'language' | 'timeframe' | 'approval' | 'notifications'>;
  fmt: Fmt;
  adapters: ChatAdapter[];
  outbox: Pick<OutboxSender, 'kick'>;
  buttonKey: string;
  chartsDir: string;
  log: Logger;
  now: () => number;
}

/**
 * Plain length a proposal with its crew block is kept under, so it still fits a Telegram photo
 * caption (1024 UTF-16 units; each emoji counts two, and a proposal has about 25).
 */
const PROPOSAL_TEXT_BUDGET = 960;

export function createNotifier(d: NotifierDeps): EventSink & { push(kind: string, msg: OutgoingMessage, proposalId?: string): void } {
  const L = d.cfg.language;
  const images = new WeakMap<TradingEvent, string | undefined>();

  const push = (kind: string, msg: OutgoingMessage, proposalId?: string) => {
    // The trader's notification settings: off = not sent, silent = sent without a sound.
    const mode = modeOf(d.cfg, d.db, kind);
    if (mode === 'off') return;
    const m = mode === 'silent' ? { ...msg, silent: true } : msg;
    for (const a of d.adapters) for (const chatId of a.pushChatIds) enqueue(d.db, { adapter: a.name, chatId, kind, message: m, proposalId }, d.now());
  };

  const statusLine = (p: ProposalRow, fillPrice?: number): string => {
    const by = p.decided_by ?? '?';
    switch (p.status) {
      case 'pending':
        return str(L, 'status_pending');
      case 'approved':
        return str(L, 'status_approving', { by });
      case 'executed':
        return p.decided_by === 'auto'
          ? str(L, 'status_auto', { conf: d.fmt.pct(p.confidence, 0), min: d.fmt.pct(d.cfg.approval.auto_min_confidence, 0), price: d.fmt.price(fillPrice ?? p.entry) })
          : str(L, 'status_approved', { by, price: d.fmt.price(fillPrice ?? p.entry) });
      case 'rejected':
        return str(L, 'status_rejected', { by });
      case 'expired':
        // A resting limit order a trader cancelled ended before its time: said as such.
        if (p.note?.startsWith(CANCELLED_BY)) return str(L, 'status_cancelled', { by: p.note.slice(CANCELLED_BY.length) });
        return str(L, 'status_expired', { at: d.fmt.dateTime(p.expires_at) });
      case 'failed':
        return str(L, 'status_failed', { by, error: p.note ?? '' });
    }
  };

  const messageFor = (p: ProposalRow, adapter: string, imagePath?: string, fillPrice?: number): OutgoingMessage => {
    const decision = JSON.parse(p.decision_json) as Decision;
    const pending = p.status === 'pending';
    const status = statusLine(p, fillPrice);
    const msg = proposalMessage(
      d.fmt,
      { id: p.id, symbol: p.symbol, quantity: p.quantity, expiresAt: p.expires_at, decision },
      {
        status,
        buttons: pending
          ? [
              [
                { label: str(L, 'approve'), data: signButton(d.buttonKey, 'ap', p.id), style: 'success' },
                { label: str(L, 'reject'), data: signButton(d.buttonKey, 'rj', p.id), style: 'danger' },
              ],
            ]
          : [],
        hint: pending && adapter === 'console' ? str(L, 'hint_console', { id: p.id }) : undefined,
        imagePath,
      },
    );
    // In a forum, the proposal lives in its agent's topic (an edit reaches it there by its id).
    msg.topic = p.symbol;
    // The crew's votes and reasons (when the crew decided this proposal), before the status line.
    const crew = decisionForProposal(d.db, p.id);
    if (crew) {
      const at = msg.rich.findIndex((line) => line.map((s) => s.text).join('') === status);
      const block = crewVotesRich(L, d.fmt, crew, PROPOSAL_TEXT_BUDGET - richToPlain(msg.rich).length);
      msg.rich.splice(at < 0 ? msg.rich.length : at, 0, ...block);
    }
    return msg;
  };

  /** Re-renders every copy of the proposal message (all chats) with its current status, no buttons. */
  const edits = (p: ProposalRow, fillPrice?: number) => {
    for (const row of proposalMessageRows(d.db, p.id)) {
      enqueue(d.db, { adapter: row.adapter, chatId: row.chat_id, kind: 'proposal_edit', message: messageFor(p, row.adapter, undefined, fillPrice), proposalId: p.id, editOf: row.id }, d.now());
    }
  };

  return {
    push,
    async prepare(e) {
      if (e.type === 'proposal_created') {
        const p = e.proposal;
        const decision = JSON.parse(p.decision_json) as Decision;
        images.set(e, await proposalChart(d.chartsDir, d.log, { id: p.id, symbol: p.symbol, timeframe: d.cfg.timeframe, candles: e.candles.slice(-120), decision }, L));
      } else if (e.type === 'trade_closed') {
        images.set(e, await tradeChart(d.chartsDir, d.log, e.trade, e.candles, L));
      }
    },
    emit(e) {
      switch (e.type) {
        case 'proposal_created': {
          // Proposals off: /pending lists them and /approve works; nothing is pushed (nor edited later).
          const mode = modeOf(d.cfg, d.db, 'proposal');
          if (mode === 'off') return;
          for (const a of d.adapters) {
            const message = messageFor(e.proposal, a.name, images.get(e));
            for (const chatId of a.pushChatIds) enqueue(d.db, { adapter: a.name, chatId, kind: 'proposal', message: mode === 'silent' ? { ...message, silent: true } : message, proposalId: e.proposal.id }, d.now());
          }
          return;
        }
        case 'proposal_updated':
          return edits(e.proposal, e.fillPrice);
        case 'order_filled': {
          const p = e.proposal;
          return push('fill', {
            ...fillMessage(d.fmt, { id: p.id, symbol: p.symbol, direction: p.direction, quantity: e.quantity, price: e.price, fee: e.fee, stop: e.stop, target: e.target, broker: e.broker, approvedBy: p.decided_by === 'auto' ? str(L, 'fill_auto') : str(L, 'fill_by', { by: p.decided_by ?? '' }) }),
            topic: p.symbol,
          });
        }
        case 'order_rejected':
          return push('order_rejected', { ...simpleMessage('⚠️', str(L, 'order_rejected', { symbol: e.proposal.symbol, id: e.proposal.id, message: e.message })), topic: e.proposal.symbol });
        case 'order_resting': {
          const p = e.proposal;
          return push('order_open', { ...simpleMessage('⏳', str(L, 'order_resting', { symbol: p.symbol, id: p.id, price: d.fmt.price(p.entry), until: d.fmt.dateTime(p.expires_at) })), topic: p.symbol });
        }
        case 'order_cancelled': {
          const p = e.proposal;
          if (e.by) return push('order_cancelled', { ...simpleMessage('✖️', str(L, 'order_cancelled_by', { symbol: p.symbol, id: p.id, by: e.by })), topic: p.symbol });
          return push('order_cancelled', { ...simpleMessage('⌛', str(L, 'order_cancelled', { symbol: p.symbol, id: p.id, until: d.fmt.dateTime(p.expires_at) })), topic: p.symbol });
        }
        case 'trade_closed':
          return push('trade_completed', { ...tradeCompletedMessage(d.fmt, e.trade, images.get(e)), topic: e.trade.agentSymbol });
        case 'exit_partial': {
          const m = e.trade;
          const base = m.agentSymbol.split('/')[0];
          return push('trade_partial', {
            topic: m.agentSymbol,
            ...simpleMessage(
              '⚠️',
              str(L, 'exit_partial', {
                symbol: m.agentSymbol,
                tradeId: m.tradeId,
                reason: m.exitReason,
                filled: `${d.fmt.qty(m.quantity)} ${base}`,
                requested: `${d.fmt.qty(e.requested)} ${base}`,
                price: d.fmt.price(m.exitPrice),
                pnl: d.fmt.signedMoney(m.pnl),
                rest: `${d.fmt.qty(e.remainder.quantity)} ${base}`,
                restId: e.remainder.id,
                stop: d.fmt.price(e.remainder.stop),
              }),
            ),
          });
        }
        case 'exit_rejected':
          return push('order_rejected', {
            ...alertMessage(d.fmt, { severity: 'CRITICAL', title: str(L, 'exit_refused_title', { symbol: e.symbol }), body: str(L, 'exit_refused_body', { tradeId: e.tradeId, reason: e.reason, message: e.message }) }),
            topic: e.symbol,
          });
        case 'reconcile_findings':
          return push('alert', alertMessage(d.fmt, { severity: 'WARNING', title: str(L, e.when === 'scheduled' ? 'check_title_hourly' : 'check_title_start', { findings: plural(L, 'n_findings', e.count) }), body: describeFindings(d.fmt, e.findings) }));
      }
    },
    flush() {
      d.outbox.kick();
    },
  };
}
