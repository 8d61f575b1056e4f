/**
 * Sales feedback as the server records it: the reasons sales may give, and
 * the outcome row each feedback event leaves (the ground truth replays compare
 * against).
 */
import type { LeadEvent } from '../engine/index';
import type { OutcomeKind, OutcomeRecord } from './store/index';

/** Why sales turns a hand-off back. */
export const REJECTION_REASONS = [
  'not-a-fit',
  'no-budget',
  'no-authority',
  'no-need',
  'bad-timing',
  'unreachable',
  'duplicate',
  'spam',
  'other',
] as const;
/** Why a deal was lost. */
export const LOSS_REASONS = ['price', 'competitor', 'no-decision', 'timing', 'product-fit', 'unresponsive', 'other'] as const;

/** The system event type each outcome is recorded as, and back. */
export const OUTCOME_BY_EVENT_TYPE: Readonly<Record<string, OutcomeKind>> = {
  sales_accepted: 'accepted',
  sales_rejected: 'rejected',
  sales_qualified: 'qualified',
  deal_won: 'won',
  deal_lost: 'lost',
  disqualified: 'disqualified',
};

/** The outcome row a feedback event leaves; undefined for any other event. */
export function outcomeOf(event: LeadEvent, recordedBy: string | null, recordedAt: string): OutcomeRecord | undefined {
  const kind = OUTCOME_BY_EVENT_TYPE[event.type];
  if (!kind) return undefined;
  const { reason, note, amount } = event.properties;
  return {
    eventId: event.id,
    leadId: event.leadId,
    kind,
    reason: typeof reason === 'string' ? reason : null,
    note: typeof note === 'string' ? note : null,
    amount: typeof amount === 'number' && Number.isFinite(amount) ? amount : null,
    occurredAt: event.occurredAt,
    recordedBy,
    recordedAt,
  };
}
