/**
 * Checking an incoming event before anything is stored: the engine's event
 * schema, a real instant, and a type the active rule set (or the engine)
 * knows. Times are normalised to UTC so stored order is time order. The
 * limits of limits.ts apply too: an event that passes here can be stored, so
 * it cannot fail a transaction it shares with other requests.
 */
import { isKnownEventType, leadEventSchema, type CompiledRuleSet, type LeadEvent } from '../engine/index';
import { eventLimitProblems } from './limits';
import { zodErrors, type FieldError } from './problem';

export type EventCheck = { ok: true; event: LeadEvent } | { ok: false; errors: FieldError[] };

/** Validates one event; error paths start with `prefix` (`events[3]` in a batch). */
export function checkEvent(raw: unknown, ruleSet: CompiledRuleSet, prefix = ''): EventCheck {
  const parsed = leadEventSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, errors: zodErrors(parsed.error.issues, prefix) };
  const event = parsed.data;
  const time = Date.parse(event.occurredAt);
  const errors = eventLimitProblems(event, time, (field) => fieldPath(prefix, field));
  if (errors.length > 0) return { ok: false, errors };
  if (!isKnownEventType(ruleSet, event.type)) {
    errors.push({
      path: fieldPath(prefix, 'type'),
      message: `unknown event type "${event.type}" (not in rule set ${ruleSet.version} and not a system event type)`,
    });
  }
  if (errors.length > 0) return { ok: false, errors };
  // The spelling normaliseTime gives (see lead-history.ts), from the instant parsed above.
  return { ok: true, event: { ...event, occurredAt: new Date(time).toISOString() } };
}

function fieldPath(prefix: string, field: string): string {
  return prefix ? `${prefix}.${field}` : field;
}
