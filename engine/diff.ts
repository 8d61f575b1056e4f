/** Plain-language differences between two rule sets ("Webinar attended: 20 → 25 points"). */
import type { RuleSetDefinition } from './schema';

export interface RuleSetChange {
  section: 'eventTypes' | 'scoring' | 'decay' | 'bands' | 'lifecycle' | 'routing' | 'handOff';
  kind: 'added' | 'removed' | 'changed' | 'moved';
  /** Id of the rule, transition or event type concerned, if any. */
  id?: string;
  field?: string;
  before?: unknown;
  after?: unknown;
  /** One line a person can read. */
  text: string;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const show = (value: unknown) => (value === undefined ? 'none' : typeof value === 'string' ? value : JSON.stringify(value));

/** "at most 3 times, 40 points", or "none". */
function showCaps(caps: unknown): string {
  const { maxTimes, maxPoints } = (caps ?? {}) as { maxTimes?: number; maxPoints?: number };
  const parts = [maxTimes !== undefined && `at most ${maxTimes} times`, maxPoints !== undefined && `${maxPoints} points`].filter(Boolean);
  return parts.length ? parts.join(', ') : 'none';
}

const THRESHOLD_LABELS: Record<string, string> = {
  mql: 'MQL threshold',
  reactivation: 'Reactivation threshold',
  dormantAfterDays: 'Dormant after (days)',
  customerDormantAfterDays: 'Customer dormant after (days)',
  recycleLostAfterDays: 'Recycle lost deals after (days)',
};

interface Keyed {
  label: string;
}

/** Compares lists of items keyed by id: added, removed, changed fields, and moves (order matters for routing). */
function diffList<T extends Keyed>(
  section: RuleSetChange['section'],
  noun: string,
  before: readonly T[],
  after: readonly T[],
  key: (item: T) => string,
  describe: (item: T, field: string, from: unknown, to: unknown) => string,
  changes: RuleSetChange[],
  ordered = false,
): void {
  const beforeById = new Map(before.map((item) => [key(item), item]));
  const afterById = new Map(after.map((item) => [key(item), item]));
  for (const item of before) {
    if (!afterById.has(key(item))) changes.push({ section, kind: 'removed', id: key(item), text: `${noun} removed: ${item.label}` });
  }
  for (const item of after) {
    const old = beforeById.get(key(item));
    if (!old) {
      changes.push({ section, kind: 'added', id: key(item), text: `${noun} added: ${item.label}` });
      continue;
    }
    const fields = new Set([...Object.keys(old), ...Object.keys(item)]);
    for (const field of fields) {
      const from = (old as Record<string, unknown>)[field];
      const to = (item as Record<string, unknown>)[field];
      if (!same(from, to)) {
        changes.push({ section, kind: 'changed', id: key(item), field, before: from, after: to, text: describe(item, field, from, to) });
      }
    }
  }
  if (ordered) {
    const kept = (list: readonly T[], other: Map<string, T>) => list.map(key).filter((id) => other.has(id));
    const oldOrder = kept(before, afterById);
    const newOrder = kept(after, beforeById);
    newOrder.forEach((id, i) => {
      if (oldOrder[i] !== id) {
        changes.push({
          section,
          kind: 'moved',
          id,
          before: oldOrder.indexOf(id) + 1,
          after: i + 1,
          text: `${noun} "${afterById.get(id)!.label}" moved from position ${oldOrder.indexOf(id) + 1} to ${i + 1}`,
        });
      }
    });
  }
}

/** Lists what changed from rule set `a` to rule set `b`, in plain language. Metadata (author, note, dates) is not compared. */
export function diffRuleSets(a: RuleSetDefinition, b: RuleSetDefinition): RuleSetChange[] {
  const changes: RuleSetChange[] = [];
  const fieldChange = (label: string, field: string, from: unknown, to: unknown) => {
    if (field === 'points') return `${label}: ${show(from)} → ${show(to)} points`;
    if (field === 'caps') return `${label}: limit ${showCaps(from)} → ${showCaps(to)}`;
    if (field === 'when') return `${label}: condition ${from === undefined ? 'added' : to === undefined ? 'removed' : 'changed'}`;
    return `${label}: ${field} ${show(from)} → ${show(to)}`;
  };

  diffList(
    'eventTypes',
    'Event type',
    a.eventTypes,
    b.eventTypes,
    (t) => t.type,
    (t, f, x, y) => fieldChange(t.label, f, x, y),
    changes,
  );
  diffList(
    'scoring',
    'Scoring rule',
    a.scoring,
    b.scoring,
    (r) => r.id,
    (r, f, x, y) => fieldChange(r.label, f, x, y),
    changes,
  );

  if (a.decay.halfLifeDays !== b.decay.halfLifeDays) {
    changes.push({
      section: 'decay',
      kind: 'changed',
      field: 'halfLifeDays',
      before: a.decay.halfLifeDays,
      after: b.decay.halfLifeDays,
      text: `Decay half-life (days): ${show(a.decay.halfLifeDays ?? 'no decay')} → ${show(b.decay.halfLifeDays ?? 'no decay')}`,
    });
  }
  for (const band of ['hot', 'warm'] as const) {
    if (a.bands[band] !== b.bands[band]) {
      changes.push({
        section: 'bands',
        kind: 'changed',
        field: band,
        before: a.bands[band],
        after: b.bands[band],
        text: `${band === 'hot' ? 'Hot' : 'Warm'} threshold: ${a.bands[band]} → ${b.bands[band]}`,
      });
    }
  }
  const numbers = (d: RuleSetDefinition) => ({ ...d.lifecycle.thresholds, ...d.lifecycle.timing }) as Record<string, number>;
  const [na, nb] = [numbers(a), numbers(b)];
  for (const field of Object.keys(THRESHOLD_LABELS)) {
    if (na[field] !== nb[field]) {
      changes.push({
        section: 'lifecycle',
        kind: 'changed',
        field,
        before: na[field],
        after: nb[field],
        text: `${THRESHOLD_LABELS[field]}: ${na[field]} → ${nb[field]}`,
      });
    }
  }
  diffList(
    'lifecycle',
    'Transition',
    a.lifecycle.transitions,
    b.lifecycle.transitions,
    (t) => t.id,
    (t, f, x, y) => fieldChange(t.label, f, x, y),
    changes,
    true,
  );
  diffList(
    'routing',
    'Routing rule',
    a.routing.rules,
    b.routing.rules,
    (r) => r.id,
    (r, f, x, y) => fieldChange(r.label, f, x, y),
    changes,
    true,
  );
  diffList(
    'routing',
    'Default route',
    [a.routing.default],
    [b.routing.default],
    () => 'default',
    (r, f, x, y) => fieldChange(`Default route (${r.label})`, f, x, y),
    changes,
  );
  if (!same(a.handOff, b.handOff)) {
    changes.push({
      section: 'handOff',
      kind: 'changed',
      field: 'recentActivityCount',
      before: a.handOff.recentActivityCount,
      after: b.handOff.recentActivityCount,
      text: `Recent activities in the hand-off summary: ${a.handOff.recentActivityCount} → ${b.handOff.recentActivityCount}`,
    });
  }
  return changes;
}
