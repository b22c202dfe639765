import type { Fmt } from '../render/format.js';
import { str } from '../render/template.js';
import type { DecisionOutcome } from '../trading/proposals.js';

/** What an Approve / Reject press or command achieved, in the bot's language. */
export function decisionNotice(language: string, fmt: Fmt, o: DecisionOutcome): string {
  switch (o.code) {
    case 'approved':
      return str(language, 'notice_approved', { id: o.id });
    case 'rejected':
      return str(language, 'notice_rejected', { id: o.id });
    case 'approved_unconfirmed':
      return str(language, 'notice_approved_unconfirmed', { id: o.id, error: o.error });
    case 'unknown':
      return str(language, 'notice_unknown', { id: o.id });
    case 'expired':
      return str(language, 'notice_expired', { at: fmt.dateTime(o.at) });
    case 'already':
      return str(language, 'notice_already', { status: o.status });
    case 'failed':
      return str(language, 'status_failed', { by: o.by, error: o.error });
  }
}
