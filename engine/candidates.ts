/**
 * Candidate rules for suggesting points: the parent's own scoring rules, and
 * new ones generated from the training leads' history as it stood where
 * replay judges the parent (features.ts): per activity type, each occurrence, the k-th
 * occurrence and thresholds on the activities' properties; per lead
 * attribute (from lead_updated events only), one rule per frequent value or
 * one per numeric range, plus one for anything else.
 */
import { byCodeUnit } from './order';
import type { CompiledRuleSet } from './ruleset';
import type { ScoringRule } from './schema';
import type { LeadEvent } from './types';

/** How new rules are generated (part of SUGGEST_DEFAULTS). */
export const CANDIDATE_CHOICES = {
  /** A new rule must hold for at least this share of training leads, and must not hold for all but this share. */
  minSupport: 0.01,
  /** A number with at most this many distinct values gets a threshold at each; others get one at each of `quantiles`. */
  maxDistinctThresholds: 10,
  quantiles: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9],
} as const;

/** The value at quantile `q` of ascending values (0 for none). */
export function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
}

/** A rule the regression may give points to. */
export interface Candidate {
  rule: Omit<ScoringRule, 'points'>;
  /** One of the parent's own rules. */
  fromParent: boolean;
  /** For a new fit rule: the attribute it reads. Each lead falls under exactly one of an attribute's rules. */
  attribute?: string;
}

/** What one training lead showed where the parent is judged: attributes, and per activity type a count and property values. */
interface LeadProfile {
  attributes: Record<string, unknown>;
  counts: Map<string, number>;
  /** Per activity type and property: the largest number seen, and every text seen. */
  numbers: Map<string, Map<string, number>>;
  texts: Map<string, Map<string, Set<string>>>;
}

function profiles(
  from: CompiledRuleSet,
  events: readonly LeadEvent[],
  training: ReadonlySet<string>,
  ignore: ReadonlySet<string>,
): LeadProfile[] {
  const byLead = new Map<string, LeadProfile>();
  for (const event of events) {
    if (!training.has(event.leadId)) continue;
    let lead = byLead.get(event.leadId);
    if (!lead) byLead.set(event.leadId, (lead = { attributes: {}, counts: new Map(), numbers: new Map(), texts: new Map() }));
    if (event.type === 'lead_updated') {
      lead.attributes = { ...lead.attributes, ...event.properties };
      continue;
    }
    if (!from.activityTypes.has(event.type)) continue;
    lead.counts.set(event.type, (lead.counts.get(event.type) ?? 0) + 1);
    for (const [name, value] of Object.entries(event.properties)) {
      if (ignore.has(name)) continue;
      if (typeof value === 'number' && Number.isFinite(value)) {
        const numbers = lead.numbers.get(event.type) ?? new Map<string, number>();
        numbers.set(name, Math.max(value, numbers.get(name) ?? -Infinity));
        lead.numbers.set(event.type, numbers);
      } else if (typeof value === 'string') {
        const texts = lead.texts.get(event.type) ?? new Map<string, Set<string>>();
        texts.set(name, (texts.get(name) ?? new Set()).add(value));
        lead.texts.set(event.type, texts);
      }
    }
  }
  // Leads with no event before their judgement point (only outcomes) still count, with nothing known.
  for (const id of training)
    if (!byLead.has(id)) byLead.set(id, { attributes: {}, counts: new Map(), numbers: new Map(), texts: new Map() });
  return [...byLead.values()];
}

/** Whether a rule holding for `holders` of `total` leads tells anything: neither (almost) never nor (almost) always. */
function informative(holders: number, total: number): boolean {
  const share = holders / total;
  return share >= CANDIDATE_CHOICES.minSupport && share <= 1 - CANDIDATE_CHOICES.minSupport;
}

/** Thresholds t for "value ≥ t" over the leads' values (absent values never pass), each informative. */
function numericThresholds(values: readonly number[], total: number): number[] {
  const sorted = [...values].sort((a, b) => a - b);
  return cutPoints(sorted).filter((t) => informative(sorted.length - lowerBound(sorted, t), total));
}

/** Where ascending values may be cut: at each distinct value when there are few, else at the quantiles. */
function cutPoints(sorted: readonly number[]): number[] {
  const distinct = [...new Set(sorted)];
  if (distinct.length <= CANDIDATE_CHOICES.maxDistinctThresholds) return distinct;
  return [...new Set(CANDIDATE_CHOICES.quantiles.map((q) => quantile(sorted, q)))];
}

type NewRule = Pick<ScoringRule, 'id' | 'label' | 'when'>;

function isScalar(value: unknown): value is string | number | boolean {
  return typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));
}

/** Text or whole numbers different for every one of many leads name the lead (an id, an e-mail address) rather than describe it. */
function looksLikeIdentifier(values: readonly unknown[]): boolean {
  return (
    values.length >= 1 / CANDIDATE_CHOICES.minSupport &&
    values.every((value) => typeof value === 'string' || Number.isInteger(value)) &&
    new Set(values).size === values.length
  );
}

/**
 * A numeric attribute's ranges, [t₁, t₂) and so on, cut where each range
 * holds enough leads, and "unknown": every lead is in exactly one.
 */
function numericBins(name: string, values: readonly number[], total: number): NewRule[] {
  const path = `lead.attributes.${name}`;
  const sorted = [...values].sort((a, b) => a - b);
  const enough = CANDIDATE_CHOICES.minSupport * total;
  const cuts: number[] = [];
  let from = 0;
  for (const t of cutPoints(sorted)) {
    const at = lowerBound(sorted, t);
    if (at - from >= enough && sorted.length - at >= enough) [cuts[cuts.length], from] = [t, at];
  }
  const bounds = [undefined, ...cuts, undefined];
  const rules: NewRule[] = bounds.slice(1).map((high, i) => {
    const low = bounds[i];
    const conditions = [
      ...(low === undefined && high !== undefined ? [{ '!=': [{ var: path }, null] }] : []),
      ...(low !== undefined ? [atLeast(path, low)] : []),
      ...(high !== undefined ? [{ '<': [{ var: path }, high] }] : []),
    ];
    const range =
      low === undefined
        ? high === undefined
          ? 'known'
          : `below ${high}`
        : high === undefined
          ? `${low} or more`
          : `from ${low} to below ${high}`;
    const id = `${slug(name)}-${low === undefined ? (high === undefined ? 'known' : `below-${idNumber(high)}`) : high === undefined ? `${idNumber(low)}-or-more` : `${idNumber(low)}-to-${idNumber(high)}`}`;
    return { id, label: `${name} ${range}`, when: conditions.length === 1 ? conditions[0] : { and: conditions } };
  });
  if (values.length < total) rules.push({ id: `${slug(name)}-unknown`, label: `${name} unknown`, when: { '==': [{ var: path }, null] } });
  return rules;
}

/** A text or yes/no attribute's frequent values, and "anything else or unknown": every lead is under exactly one. */
function categories(name: string, values: ReadonlyArray<string | number | boolean>, total: number): NewRule[] {
  const path = `lead.attributes.${name}`;
  const frequent = frequentValues(
    values.filter((value): value is string | boolean => typeof value !== 'number'),
    total,
  );
  const rules: NewRule[] = frequent.map((value) => ({
    id: `${slug(name)}-${slug(String(value)) || 'empty'}`,
    label: `${name} is ${JSON.stringify(value)}`,
    when: { '==': [{ var: path }, value] },
  }));
  const others = total - values.filter((value) => (frequent as unknown[]).includes(value)).length;
  if (others > 0)
    rules.push({
      id: `${slug(name)}-anything-else`,
      label: `${name} is anything else, or unknown`,
      when: { '!': { in: [{ var: path }, frequent] } },
    });
  return rules;
}

/** A number as it reads in a rule id: "minus-" for a sign, "-" for a decimal point. */
function idNumber(value: number): string {
  return (value < 0 ? 'minus-' : '') + slug(String(Math.abs(value)));
}

/** Index of the first value ≥ t in ascending values. */
function lowerBound(sorted: readonly number[], t: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (sorted[middle]! < t) low = middle + 1;
    else high = middle;
  }
  return low;
}

/** Frequent values, most frequent first (ties by value), each informative. */
function frequentValues<T extends string | boolean>(values: readonly T[], total: number): T[] {
  const counts = new Map<T, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return [...counts]
    .filter(([, holders]) => informative(holders, total))
    .sort(([a, m], [b, n]) => n - m || byCodeUnit(String(a), String(b)))
    .map(([value]) => value);
}

/**
 * "x ≥ t" as JSON-Logic. JSON-Logic compares a missing value as 0, so a
 * threshold at or below 0 also asks that the value be present.
 */
function atLeast(path: string, t: number): unknown {
  const comparison = { '>=': [{ var: path }, t] };
  return t > 0 ? comparison : { and: [{ '!=': [{ var: path }, null] }, comparison] };
}

function ordinal(k: number): string {
  if (k === 1) return 'first';
  const suffix = k % 100 >= 11 && k % 100 <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][k % 10] ?? 'th');
  return `${k}${suffix}`;
}

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

function partition<T>(profiles: readonly LeadProfile[], read: (lead: LeadProfile) => T | undefined): T[] {
  return profiles.flatMap((lead) => {
    const value = read(lead);
    return value === undefined ? [] : [value];
  });
}

/**
 * Every candidate rule, the parent's first (caps in points turned into caps
 * in times, since points will change; dropped where the parent takes points,
 * which they never cap), then new engagement rules by activity
 * type in the parent's order, then new fit rules by attribute name. Rules
 * that count exactly what an earlier one counts are left out.
 */
export function candidateRules(
  from: CompiledRuleSet,
  events: readonly LeadEvent[],
  training: ReadonlySet<string>,
  ignore: ReadonlySet<string>,
): Candidate[] {
  const leads = profiles(from, events, training, ignore);
  const total = leads.length;
  const candidates: Candidate[] = [];
  const ids = new Set<string>();
  const contents = new Set<string>();
  const add = (rule: Omit<ScoringRule, 'points'>, fromParent: boolean, attribute?: string) => {
    const content = JSON.stringify([rule.kind, rule.on ?? null, rule.when ?? null, rule.caps ?? null]);
    if (contents.has(content)) return;
    contents.add(content);
    let id = rule.id.slice(0, 64).replace(/-+$/, '');
    for (let n = 2; ids.has(id); n++) id = `${rule.id.slice(0, 60).replace(/-+$/, '')}-${n}`;
    ids.add(id);
    candidates.push({
      rule: { ...rule, id: /^[a-z]/.test(id) ? id : `a-${id}`.slice(0, 64) },
      fromParent,
      ...(attribute !== undefined && { attribute }),
    });
  };

  for (const { points, ...rule } of from.definition.scoring) {
    const caps = rule.caps;
    if (caps?.maxPoints !== undefined && points > 0) {
      const maxTimes = Math.min(caps.maxTimes ?? Infinity, Math.ceil(caps.maxPoints / points));
      add({ ...rule, caps: { maxTimes } }, true);
    } else if (caps?.maxPoints !== undefined) {
      // The engine caps only points given, never points taken: the parent's cap never binds, and must not once points change sign.
      const { caps: _caps, ...uncapped } = rule;
      add(caps.maxTimes === undefined ? uncapped : { ...uncapped, caps: { maxTimes: caps.maxTimes } }, true);
    } else add(rule, true);
  }
  // New ids must not take a parent's id.
  for (const rule of from.definition.scoring) ids.add(rule.id);

  for (const { type, label } of from.definition.eventTypes) {
    const counts = leads.map((lead) => lead.counts.get(type) ?? 0);
    if (!counts.some((n) => n > 0)) continue;
    const base = { kind: 'engagement' as const, on: [type] };
    add({ ...base, id: `each-${slug(type)}`, label: `Each ${label.toLowerCase()}` }, false);
    for (const k of numericThresholds(counts, total)) {
      const when = k === 1 ? {} : { when: atLeast(`history.counts.${type}`, k) };
      add({ ...base, id: `${slug(type)}-${ordinal(k)}`, label: `${label}, ${ordinal(k)} time`, ...when, caps: { maxTimes: 1 } }, false);
    }
    const numberNames = [...new Set(leads.flatMap((lead) => [...(lead.numbers.get(type)?.keys() ?? [])]))].sort(byCodeUnit);
    for (const name of numberNames) {
      const values = partition(leads, (lead) => lead.numbers.get(type)?.get(name));
      for (const t of numericThresholds(values, total)) {
        const rule = { id: `${slug(type)}-${slug(name)}-${idNumber(t)}-or-more`, label: `${label} with ${name} ≥ ${t} (once)` };
        add({ ...base, ...rule, when: atLeast(`event.properties.${name}`, t), caps: { maxTimes: 1 } }, false);
        add(
          { ...base, id: `each-${rule.id}`, label: `Each ${label} with ${name} ≥ ${t}`, when: atLeast(`event.properties.${name}`, t) },
          false,
        );
      }
    }
    const textNames = [...new Set(leads.flatMap((lead) => [...(lead.texts.get(type)?.keys() ?? [])]))].sort(byCodeUnit);
    for (const name of textNames) {
      const values = leads.flatMap((lead) => [...(lead.texts.get(type)?.get(name) ?? [])]);
      for (const value of frequentValues(values, total)) {
        const rule = { id: `${slug(type)}-${slug(name)}-${slug(value)}`, label: `${label} with ${name} "${value}" (once)` };
        add({ ...base, ...rule, when: { '==': [{ var: `event.properties.${name}` }, value] }, caps: { maxTimes: 1 } }, false);
      }
    }
  }

  const attributeNames = [...new Set(leads.flatMap((lead) => Object.keys(lead.attributes)))]
    .filter((name) => !ignore.has(name))
    .sort(byCodeUnit);
  for (const name of attributeNames) {
    const present = partition(leads, (lead) => {
      const value = lead.attributes[name];
      return value === null || value === undefined ? undefined : value;
    });
    if (!present.every(isScalar) || looksLikeIdentifier(present)) continue;
    const rules = present.every((value) => typeof value === 'number')
      ? numericBins(name, present as number[], total)
      : categories(name, present as Array<string | number | boolean>, total);
    for (const rule of rules) add({ ...rule, kind: 'fit' }, false, name);
  }
  return candidates;
}
