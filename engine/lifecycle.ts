/**
 * The lifecycle machine: the demand waterfall as an XState v5 machine whose
 * guards are the rule set's JSON-Logic conditions.
 *
 * Leads are not actors: a lead's stage is plain data and steps go through
 * XState's pure `transition()`, so a million leads cost a million strings, not
 * a million actors. Most events move no lead, so before asking the machine we
 * check, with the same compiled guards, which transition from the current
 * stage is enabled first; only then is the machine consulted, and its answer is
 * the one used. The machine is static and picks the first enabled transition,
 * so its answer for a (stage, trigger, first enabled transition) is always the
 * same: it is asked once per such path and the answer kept.
 */
import { setup, transition as machineTransition, type AnyStateMachine } from 'xstate';
import { truthy } from './logic';
import { STAGES, TRIGGER_ACTIVITY, type Stage, type Transition } from './schema';
import type { CompiledTransition } from './ruleset';

/** A machine event: what happened (an event type, or "time") and the data its guards read. */
export interface LifecycleEvent {
  type: string;
  data: unknown;
}

export interface Lifecycle {
  readonly machine: AnyStateMachine;
  /** Transitions leaving `stage` on `trigger`, in rule-file order. */
  candidates(stage: Stage, trigger: string): readonly CompiledTransition[];
  /**
   * The transition the machine takes from `stage` on this event, or null when none is enabled. `list`: the
   * {@link candidates} of the stage and the event's type, when the caller has them already.
   */
  step(stage: Stage, event: LifecycleEvent, list?: readonly CompiledTransition[]): { to: Stage; transition: Transition } | null;
}

/** Expands "activity" into every activity type, so the machine sees concrete event types. */
function triggersOf(transition: Transition, activityTypes: ReadonlySet<string>): string[] {
  return transition.on.flatMap((trigger) => (trigger === TRIGGER_ACTIVITY ? [...activityTypes] : [trigger]));
}

/** Builds the machine and its trigger index from compiled transitions. */
export function buildLifecycle(transitions: readonly CompiledTransition[], activityTypes: ReadonlySet<string>): Lifecycle {
  const index = new Map<Stage, Map<string, CompiledTransition[]>>();
  for (const compiled of transitions) {
    for (const from of compiled.transition.from) {
      const byTrigger = index.get(from) ?? new Map<string, CompiledTransition[]>();
      for (const trigger of new Set(triggersOf(compiled.transition, activityTypes))) {
        const list = byTrigger.get(trigger) ?? [];
        list.push(compiled);
        byTrigger.set(trigger, list);
      }
      index.set(from, byTrigger);
    }
  }

  const guards: Record<string, (args: { event: LifecycleEvent }) => boolean> = {};
  for (const { transition, when } of transitions) {
    if (when) guards[transition.id] = ({ event }) => truthy(when(event.data));
  }

  const states: Record<string, { on: Record<string, Array<{ target: string; guard?: string }>> }> = {};
  for (const stage of STAGES) {
    const on: Record<string, Array<{ target: string; guard?: string }>> = {};
    for (const [trigger, list] of index.get(stage) ?? []) {
      on[trigger] = list.map(({ transition, when }) =>
        when ? { target: transition.to, guard: transition.id } : { target: transition.to },
      );
    }
    states[stage] = { on };
  }

  const machine = setup({
    types: { events: {} as LifecycleEvent },
    guards,
  }).createMachine({ id: 'leadLifecycle', initial: STAGES[0], states } as never) as unknown as AnyStateMachine;

  // Snapshots are immutable: one per stage serves every lead in that stage.
  const snapshots = new Map(STAGES.map((stage) => [stage, machine.resolveState({ value: stage, context: {} })]));
  const answers = new Map<string, Stage>();
  const empty: readonly CompiledTransition[] = [];
  const candidates = (stage: Stage, trigger: string) => index.get(stage)?.get(trigger) ?? empty;

  return {
    machine,
    candidates,
    step(stage, event, list = candidates(stage, event.type)) {
      let enabled: CompiledTransition | undefined;
      for (const candidate of list) {
        if (!candidate.when || truthy(candidate.when(event.data))) {
          enabled = candidate;
          break;
        }
      }
      if (!enabled) return null;
      const path = `${stage}\u0000${event.type}\u0000${enabled.transition.id}`;
      let to = answers.get(path);
      if (to === undefined) {
        const [next] = machineTransition(machine, snapshots.get(stage)!, event);
        to = next.value as Stage;
        if (to !== enabled.transition.to) {
          throw new Error(`lifecycle machine moved ${stage} → ${to}, expected ${enabled.transition.to} (${enabled.transition.id})`);
        }
        answers.set(path, to);
      }
      return { to, transition: enabled.transition };
    },
  };
}
