/**
 * What the lifecycle editor needs to know about transitions beyond their
 * shape: the triggers a transition can have, mistakes in the order and the
 * reachability of stages, and the values a guard read when a transition fired.
 * Pure, so it can be tested without a browser.
 */
import type { Explanation } from '../api';
import type { Translate } from '../i18n/translate';
import { eventTypeLabel } from './fields';

export const TRIGGER_ACTIVITY = 'activity';
export const TRIGGER_TIME = 'time';
/** Where every lead starts. */
export const INITIAL_STAGE = 'inquiry';
/** Events the engine itself understands: sales feedback, outcomes and attribute updates ("tick" only lets time pass). */
export const FEEDBACK_TYPES = [
  'sales_accepted',
  'sales_rejected',
  'sales_qualified',
  'deal_won',
  'deal_lost',
  'disqualified',
  'lead_updated',
] as const;

/** A trigger in words: "Any activity", "Passage of time" or the event type's name. */
export function triggerLabel(trigger: string, t: Translate, eventTypes: ReadonlyArray<{ type: string; label: string }>): string {
  if (trigger === TRIGGER_ACTIVITY) return t('trigger.activity');
  if (trigger === TRIGGER_TIME) return t('trigger.time');
  return eventTypeLabel(trigger, t, eventTypes);
}

export interface TransitionShape {
  id: string;
  from: readonly string[];
  to: string;
  on: readonly string[];
  when?: unknown;
}

export type LifecycleFinding =
  | { kind: 'unreachable'; stage: string }
  | { kind: 'self-loop'; index: number; transitionId: string; stage: string }
  /** The transition at `index` can never fire from `stage` on `trigger`: the one at `byIndex` always fires first. */
  | { kind: 'shadowed'; index: number; transitionId: string; stage: string; trigger: string; byIndex: number; byId: string };

/** Whether a guard lets every event through: none at all, or a constant JSON-Logic treats as true. */
export function alwaysTrue(guard: unknown): boolean {
  if (guard === undefined || guard === true) return true;
  if (typeof guard === 'number') return guard !== 0;
  if (typeof guard === 'string') return guard !== '';
  return false;
}

/** Whether a transition listening to `triggers` is enabled by `trigger` ("activity" stands for every activity type). */
function listensTo(triggers: readonly string[], trigger: string, activityTypes: ReadonlySet<string>): boolean {
  if (triggers.includes(trigger)) return true;
  return triggers.includes(TRIGGER_ACTIVITY) && activityTypes.has(trigger);
}

/** Stages no chain of transitions reaches from the initial stage. */
export function unreachableStages(transitions: readonly TransitionShape[], stages: readonly string[], initial = INITIAL_STAGE): string[] {
  const reached = new Set<string>([initial]);
  for (let grew = true; grew;) {
    grew = false;
    for (const t of transitions) {
      if (!reached.has(t.to) && t.from.some((from) => reached.has(from))) {
        reached.add(t.to);
        grew = true;
      }
    }
  }
  return stages.filter((stage) => !reached.has(stage));
}

/**
 * Every mistake in the lifecycle the engine's first-match rule makes possible: stages no lead can reach,
 * transitions that lead back to their own stage, and transitions an earlier one always beats (same
 * source stage and trigger, and a guard that always holds or is the same).
 */
export function checkLifecycle(
  transitions: readonly TransitionShape[],
  stages: readonly string[],
  activityTypes: ReadonlySet<string>,
): LifecycleFinding[] {
  const findings: LifecycleFinding[] = unreachableStages(transitions, stages).map((stage) => ({ kind: 'unreachable', stage }));
  transitions.forEach((transition, index) => {
    for (const stage of new Set(transition.from)) {
      if (stage === transition.to) findings.push({ kind: 'self-loop', index, transitionId: transition.id, stage });
      for (const trigger of new Set(transition.on)) {
        const byIndex = transitions.findIndex(
          (earlier, i) =>
            i < index &&
            earlier.from.includes(stage) &&
            listensTo(earlier.on, trigger, activityTypes) &&
            (alwaysTrue(earlier.when) || JSON.stringify(earlier.when) === JSON.stringify(transition.when)),
        );
        if (byIndex >= 0) {
          findings.push({ kind: 'shadowed', index, transitionId: transition.id, stage, trigger, byIndex, byId: transitions[byIndex]!.id });
        }
      }
    }
  });
  return findings;
}

/** Every variable path a JSON-Logic rule reads, in order of appearance, once each. */
export function varsRead(logic: unknown): string[] {
  const found: string[] = [];
  const visit = (node: unknown) => {
    if (Array.isArray(node)) node.forEach(visit);
    else if (node && typeof node === 'object') {
      for (const [op, args] of Object.entries(node)) {
        if (op === 'var') {
          const path = Array.isArray(args) ? args[0] : args;
          if (typeof path === 'string' && path !== '' && !found.includes(path)) found.push(path);
        } else visit(args);
      }
    }
  };
  visit(logic);
  return found;
}

function lookup(data: unknown, path: string): unknown {
  let at: unknown = data;
  for (const part of path.split('.')) {
    if (at === null || typeof at !== 'object') return undefined;
    at = (at as Record<string, unknown>)[part];
  }
  return at;
}

/**
 * The values a fired transition's guard read, as far as the explanation of its event and the rule set's
 * limits tell them: scores after the event, the event's type, thresholds and timing. Paths the explanation
 * does not carry (day counts, attributes) are left out rather than guessed.
 */
export function guardValues(
  guard: unknown,
  explanation: Pick<Explanation, 'eventType' | 'score' | 'band'>,
  limits: { thresholds: Record<string, number>; timing: Record<string, number> },
): Array<{ path: string; value: unknown }> {
  const data = {
    score: explanation.score.after,
    band: explanation.band.after,
    event: { type: explanation.eventType },
    thresholds: limits.thresholds,
    timing: limits.timing,
  };
  return varsRead(guard)
    .map((path) => ({ path, value: lookup(data, path) }))
    .filter((entry) => entry.value !== undefined);
}
