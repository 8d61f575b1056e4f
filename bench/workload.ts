/**
 * A deterministic synthetic workload for benchmarks: leads arriving over a
 * year, each with bursts of activity, attribute updates, sales feedback and
 * outcomes, merged into one time-ordered stream of events.
 *
 * Same options, same events, byte for byte: randomness comes from a seeded
 * PRNG (never Math.random) and times from the options (never the clock).
 */
import type { LeadEvent } from '../engine/index';

export interface WorkloadOptions {
  /** Number of distinct leads. */
  leads?: number;
  /** Exact number of events produced (at least one per lead). */
  events?: number;
  seed?: number;
  /** ISO time of the first possible event. */
  start?: string;
  /** Length of the period, so decay and dormancy come into play. */
  days?: number;
}

export interface Workload {
  events: LeadEvent[];
  leadIds: string[];
  /** Events per type, for the record. */
  countsByType: Record<string, number>;
  options: Required<WorkloadOptions>;
}

export const DEFAULT_WORKLOAD: Required<WorkloadOptions> = {
  leads: 100_000,
  events: 1_000_000,
  seed: 20_261_124,
  start: '2026-01-01T00:00:00.000Z',
  days: 365,
};

const MS_PER_DAY = 86_400_000;
const MS_PER_SECOND = 1000;

/**
 * Relative frequency of each activity type of rules/v1.json: email opens
 * dominate, requests are rare.
 */
export const V1_ACTIVITY_MIX: Readonly<Record<string, number>> = {
  email_open: 40,
  site_visit: 22,
  email_click: 14,
  document_download: 7,
  chat_conversation: 4,
  webinar_attended: 3.5,
  phone_call: 3,
  contact_request: 2.5,
  email_unsubscribe: 1.5,
  demo_request: 1,
};

/**
 * The generator's own model of buying intent (not the rule set's points): when
 * a lead's decayed intent reaches HANDOFF_INTENT, sales starts giving feedback.
 */
const INTENT: Readonly<Record<string, number>> = {
  email_open: 3,
  site_visit: 8,
  email_click: 8,
  document_download: 15,
  chat_conversation: 12,
  webinar_attended: 20,
  phone_call: 15,
  contact_request: 35,
  demo_request: 40,
  email_unsubscribe: -25,
};
const HANDOFF_INTENT = 60;
const INTENT_HALF_LIFE_DAYS = 30;

/** Shares of slots (after a lead's first event) that are not activities. */
const SHARE = {
  /** Later enrichment of attributes. */
  attributeUpdate: 0.02,
  /** Periodic sweeps that only move time. */
  tick: 0.01,
  /** Sales answers a hand-off at a given later slot with this probability. */
  salesResponse: 0.5,
  /** Leads disqualified at some point, whatever their activity. */
  disqualifiedLeads: 0.005,
  /** Leads whose first event is a form with attributes (the rest start anonymous). */
  identifiedAtStart: 0.75,
  /** Leads that are past customers (pastDeals, or customer: true). */
  pastCustomers: 0.03,
  webinarQuestion: 0.2,
} as const;

/** Activity of a lead comes in bursts of about this many events, spread over hours to days. */
const EVENTS_PER_BURST = 6;
const BURST_GAP_MEAN_DAYS = 0.6;
/** Spread of activity volume between leads (sigma of a log-normal). */
const VOLUME_SIGMA = 1.1;

const ROLES: ReadonlyArray<readonly [string, number]> = [
  ['executive', 8],
  ['director', 12],
  ['manager', 25],
  ['analyst', 15],
  ['engineer', 12],
  ['specialist', 8],
  ['student', 5],
  ['other', 15],
];
/** Employee-count ranges and their weights. */
const COMPANY_SIZES: ReadonlyArray<readonly [readonly [number, number], number]> = [
  [[1, 10], 20],
  [[11, 50], 25],
  [[51, 99], 15],
  [[100, 499], 20],
  [[500, 4999], 14],
  [[5000, 50000], 6],
];
const COUNTRIES = ['JP', 'US', 'DE', 'GB', 'FR', 'IN', 'BR', 'AU'] as const;
const SOURCES = ['organic', 'paid-search', 'webinar', 'referral', 'event', 'partner'] as const;
const WEBINARS = ['Scoring 101', 'Nurture that works', 'From MQL to revenue', 'Routing at scale', 'Product tour'] as const;
const QUESTIONS = ['Does it integrate with our CRM?', 'How is pricing structured?', 'Can we try it on our data?'] as const;
const REJECT_REASONS = ['not ready to buy', 'no budget', 'wrong contact'] as const;
const LOST_REASONS = ['competitor', 'no decision', 'price'] as const;
const DISQUALIFY_REASONS = ['student', 'spam', 'competitor employee'] as const;

/** A small, fast, seeded PRNG (sfc32) with the draws the generator needs. */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = seed >>> 0;
    for (let i = 0; i < 15; i++) this.next();
  }

  /** Uniform in [0, 1). */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return (t >>> 0) / 4_294_967_296;
  }

  /** Integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** Picks from `[item, weight]` pairs. */
  weighted<T>(pairs: ReadonlyArray<readonly [T, number]>): T {
    let total = 0;
    for (const [, weight] of pairs) total += weight;
    let target = this.next() * total;
    for (const [item, weight] of pairs) {
      target -= weight;
      if (target < 0) return item;
    }
    return pairs[pairs.length - 1]![0];
  }

  /** Exponential with the given mean. */
  exponential(mean: number): number {
    return -Math.log(1 - this.next()) * mean;
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    return Math.sqrt(-2 * Math.log(1 - this.next())) * Math.cos(2 * Math.PI * this.next());
  }
}

/** An event before it has its global id and ISO time. */
interface Draft {
  lead: number;
  type: string;
  properties: Record<string, unknown>;
}

function pad(value: number, width: number): string {
  return String(value).padStart(width, '0');
}

function attributes(random: Random, startMs: number): Record<string, unknown> {
  const [low, high] = random.weighted(COMPANY_SIZES);
  const result: Record<string, unknown> = {
    role: random.weighted(ROLES),
    companySize: random.int(low, high),
    country: random.pick(COUNTRIES),
    source: random.pick(SOURCES),
  };
  if (random.chance(SHARE.pastCustomers)) {
    if (random.chance(2 / 3)) {
      const closedAt = new Date(startMs - random.int(30, 900) * MS_PER_DAY).toISOString();
      result['pastDeals'] = [{ closedAt, amount: random.int(5, 200) * 1000 }];
    } else {
      result['customer'] = true;
    }
  }
  return result;
}

function enrichment(random: Random): Record<string, unknown> {
  if (random.chance(0.5)) return { role: random.weighted(ROLES) };
  const [low, high] = random.weighted(COMPANY_SIZES);
  return { companySize: random.int(low, high) };
}

function activityProperties(random: Random, type: string): Record<string, unknown> {
  if (type !== 'webinar_attended') return {};
  const properties: Record<string, unknown> = { title: random.pick(WEBINARS) };
  if (random.chance(SHARE.webinarQuestion)) properties['question'] = random.pick(QUESTIONS);
  return properties;
}

/** How many events each lead gets: log-normal volume, fewer for leads arriving late, exactly `total` in all. */
function eventsPerLead(random: Random, arrivals: Float64Array, days: number, total: number): Uint32Array {
  const leads = arrivals.length;
  const weights = new Float64Array(leads);
  let sum = 0;
  for (let i = 0; i < leads; i++) {
    const remaining = 1 - arrivals[i]! / (days * MS_PER_DAY);
    weights[i] = Math.exp(VOLUME_SIGMA * random.normal()) * Math.sqrt(remaining);
    sum += weights[i]!;
  }
  const counts = new Uint32Array(leads);
  let assigned = 0;
  for (let i = 0; i < leads; i++) {
    counts[i] = 1 + Math.floor((weights[i]! / sum) * (total - leads));
    assigned += counts[i]!;
  }
  for (; assigned < total; assigned++) counts[random.int(0, leads - 1)]! += 1;
  return counts;
}

/** Event times of one lead, ascending: bursts of activity separated by silences. */
function leadTimes(random: Random, arrival: number, count: number, endMs: number): number[] {
  const bursts = 1 + Math.floor((count - 1) / EVENTS_PER_BURST);
  const starts = [arrival];
  for (let b = 1; b < bursts; b++) starts.push(arrival + random.next() * (endMs - arrival));
  starts.sort((x, y) => x - y);
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const burst = i === 0 ? 0 : random.int(0, bursts - 1);
    const offset = i === 0 ? 0 : random.exponential(BURST_GAP_MEAN_DAYS * MS_PER_DAY) * random.int(1, 3);
    const time = Math.min(starts[burst]! + offset, endMs - MS_PER_SECOND);
    times.push(Math.floor(time / MS_PER_SECOND) * MS_PER_SECOND);
  }
  return times.sort((x, y) => x - y);
}

type Pipeline = 'none' | 'handed-off' | 'accepted' | 'qualified';

/** Sales' answer to a lead in the pipeline, and where the pipeline goes after it. */
interface Feedback {
  type: string;
  properties: Record<string, unknown>;
  next: Pipeline;
}

/** One lead's events in its own time order: a first touch, activity, and sales feedback when intent is high. */
function leadDrafts(
  random: Random,
  lead: number,
  times: readonly number[],
  startMs: number,
  mix: ReadonlyArray<readonly [string, number]>,
): Draft[] {
  const drafts: Draft[] = [];
  let identified = random.chance(SHARE.identifiedAtStart);
  if (identified) {
    drafts.push({ lead, type: 'lead_updated', properties: attributes(random, startMs) });
  } else {
    drafts.push({ lead, type: 'site_visit', properties: {} });
  }
  const disqualifyAt = random.chance(SHARE.disqualifiedLeads) ? random.int(1, Math.max(1, times.length - 1)) : -1;
  let intent = 0;
  let pipeline: Pipeline = 'none';
  for (let slot = 1; slot < times.length; slot++) {
    intent *= Math.pow(0.5, (times[slot]! - times[slot - 1]!) / MS_PER_DAY / INTENT_HALF_LIFE_DAYS);
    const feedback: Feedback | null = pipeline !== 'none' && random.chance(SHARE.salesResponse) ? salesFeedback(random, pipeline) : null;
    if (slot === disqualifyAt) {
      drafts.push({ lead, type: 'disqualified', properties: { reason: random.pick(DISQUALIFY_REASONS) } });
    } else if (feedback) {
      drafts.push({ lead, type: feedback.type, properties: feedback.properties });
      pipeline = feedback.next;
      if (pipeline === 'none') intent = 0;
    } else if (!identified && random.chance(0.3)) {
      drafts.push({ lead, type: 'lead_updated', properties: attributes(random, startMs) });
      identified = true;
    } else if (random.chance(SHARE.attributeUpdate)) {
      drafts.push({ lead, type: 'lead_updated', properties: enrichment(random) });
    } else if (random.chance(SHARE.tick)) {
      drafts.push({ lead, type: 'tick', properties: {} });
    } else {
      const type = random.weighted(mix);
      drafts.push({ lead, type, properties: activityProperties(random, type) });
      intent += INTENT[type] ?? 0;
      if (pipeline === 'none' && intent >= HANDOFF_INTENT) pipeline = 'handed-off';
    }
  }
  return drafts;
}

function salesFeedback(random: Random, pipeline: Exclude<Pipeline, 'none'>): Feedback {
  const amount = random.int(5, 200) * 1000;
  switch (pipeline) {
    case 'handed-off':
      return random.chance(0.75)
        ? { type: 'sales_accepted', properties: {}, next: 'accepted' }
        : { type: 'sales_rejected', properties: { reason: random.pick(REJECT_REASONS) }, next: 'none' };
    case 'accepted':
      if (random.chance(0.65)) return { type: 'sales_qualified', properties: {}, next: 'qualified' };
      if (random.chance(0.7)) return { type: 'deal_lost', properties: { reason: random.pick(LOST_REASONS), amount }, next: 'none' };
      return { type: 'sales_rejected', properties: { reason: random.pick(REJECT_REASONS) }, next: 'none' };
    case 'qualified':
      return random.chance(0.4)
        ? { type: 'deal_won', properties: { amount }, next: 'none' }
        : { type: 'deal_lost', properties: { reason: random.pick(LOST_REASONS), amount }, next: 'none' };
  }
}

/**
 * Generates a time-ordered stream of events over many leads (defaults:
 * 1,000,000 events, 100,000 leads, one year). Event ids follow time order.
 */
export function generateWorkload(options: WorkloadOptions = {}): Workload {
  const resolved = { ...DEFAULT_WORKLOAD, ...options };
  const { leads, events: total, seed, start, days } = resolved;
  if (!Number.isInteger(leads) || leads < 1) throw new RangeError(`leads must be a positive integer, got ${leads}`);
  if (!Number.isInteger(total) || total < leads) throw new RangeError(`events must be an integer ≥ leads (${leads}), got ${total}`);
  const startMs = Date.parse(start);
  if (Number.isNaN(startMs)) throw new RangeError(`start is not an ISO time: "${start}"`);
  const endMs = startMs + days * MS_PER_DAY;

  const random = new Random(seed);
  const mix = Object.entries(V1_ACTIVITY_MIX);
  const arrivals = new Float64Array(leads);
  for (let i = 0; i < leads; i++) arrivals[i] = random.next() * days * MS_PER_DAY;
  const counts = eventsPerLead(random, arrivals, days, total);

  const drafts: Draft[] = [];
  const times = new Float64Array(total);
  for (let lead = 0; lead < leads; lead++) {
    const leadTimeline = leadTimes(random, startMs + arrivals[lead]!, counts[lead]!, endMs);
    const leadEvents = leadDrafts(random, lead, leadTimeline, startMs, mix);
    for (let i = 0; i < leadEvents.length; i++) {
      times[drafts.length] = leadTimeline[i]!;
      drafts.push(leadEvents[i]!);
    }
  }

  // Merge all leads into one stream: by time, then by generation order, which keeps each lead's own order.
  const order = new Uint32Array(total);
  for (let i = 0; i < total; i++) order[i] = i;
  order.sort((x, y) => times[x]! - times[y]! || x - y);

  const leadIds = Array.from({ length: leads }, (_, i) => `lead-${pad(i + 1, 6)}`);
  const idWidth = String(total).length;
  const countsByType: Record<string, number> = {};
  const events: LeadEvent[] = new Array(total);
  for (let k = 0; k < total; k++) {
    const index = order[k]!;
    const draft = drafts[index]!;
    countsByType[draft.type] = (countsByType[draft.type] ?? 0) + 1;
    events[k] = {
      id: `evt-${pad(k + 1, idWidth)}`,
      leadId: leadIds[draft.lead]!,
      type: draft.type,
      occurredAt: new Date(times[index]!).toISOString(),
      properties: draft.properties,
    };
  }
  return { events, leadIds, countsByType, options: resolved };
}
