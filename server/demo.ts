/**
 * Demo leads for a first look at the product: about 200 generated leads with
 * months of activity, hand-offs, sales feedback and won and lost deals. A
 * seeded generator makes the data the same for the same anchor date.
 */
import { evaluateBatch, type CompiledRuleSet, type LeadEvent } from '../engine/index';
import { DEMO_LEADS, DEMO_MONTHS, DEMO_SEED } from './config';
import type { Services } from './context';
import { LOSS_REASONS, REJECTION_REASONS } from './feedback';

const MS_PER_DAY = 86_400_000;
const DEMO_BATCH = 5_000;

/** mulberry32: small, fast, and the same sequence everywhere for a seed. */
function generator(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  return {
    next,
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!,
    chance: (p: number) => next() < p,
  };
}
type Random = ReturnType<typeof generator>;

const COMPANY_WORDS = [
  'Northwind',
  'Blue Harbor',
  'Kestrel',
  'Summit',
  'Ironbridge',
  'Maple',
  'Orion',
  'Cobalt',
  'Lumen',
  'Redwood',
  'Atlas',
  'Silverline',
];
const COMPANY_KINDS = ['Labs', 'Systems', 'Logistics', 'Health', 'Foods', 'Analytics', 'Energy', 'Retail', 'Software', 'Manufacturing'];
const INDUSTRIES = ['software', 'manufacturing', 'healthcare', 'retail', 'logistics', 'finance', 'education', 'energy'];
const ROLES = ['executive', 'director', 'manager', 'specialist', 'analyst', 'engineer', 'student'];
const SIZES = [8, 25, 60, 150, 400, 1_200, 5_000];
const COUNTRIES = ['US', 'GB', 'DE', 'FR', 'JP', 'IN', 'BR', 'CA'];
const WEBINARS = ['Scoring leads that sales trusts', 'From MQL to revenue', 'Reviving dormant accounts'];
const QUESTIONS = ['Can we import our CRM history?', 'How does decay work for customers?', 'What does onboarding take?'];

/** How engaged a demo lead is, and so how often and how strongly it acts. */
const PROFILES = [
  { name: 'hot', weight: 0.22, events: [10, 22], strong: 0.25 },
  { name: 'warm', weight: 0.33, events: [5, 11], strong: 0.08 },
  { name: 'cold', weight: 0.3, events: [1, 4], strong: 0.02 },
  { name: 'gone-quiet', weight: 0.15, events: [2, 6], strong: 0.05 },
] as const;

const ORDINARY_ACTIVITY = [
  'email_open',
  'email_open',
  'email_open',
  'email_click',
  'email_click',
  'site_visit',
  'site_visit',
  'document_download',
  'webinar_attended',
  'chat_conversation',
];
const STRONG_ACTIVITY = ['contact_request', 'demo_request', 'phone_call'];

function pickProfile(random: Random) {
  let roll = random.next();
  for (const profile of PROFILES) {
    if ((roll -= profile.weight) < 0) return profile;
  }
  return PROFILES[PROFILES.length - 1]!;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** One lead's attributes and activity (no sales feedback yet). */
function leadActivity(random: Random, ruleSet: CompiledRuleSet, leadId: string, anchor: number): LeadEvent[] {
  const known = (type: string) => ruleSet.activityTypes.has(type);
  const start = anchor - random.int(7, DEMO_MONTHS * 30) * MS_PER_DAY - random.int(0, MS_PER_DAY - 1);
  const attributes: Record<string, unknown> = {
    company: `${random.pick(COMPANY_WORDS)} ${random.pick(COMPANY_KINDS)}`,
    industry: random.pick(INDUSTRIES),
    role: random.pick(ROLES),
    companySize: random.pick(SIZES),
    country: random.pick(COUNTRIES),
  };
  if (random.chance(0.1))
    attributes['pastDeals'] = [{ closedAt: iso(start - random.int(200, 700) * MS_PER_DAY), amount: random.int(5, 80) * 1_000 }];
  const events: LeadEvent[] = [
    { id: `${leadId}-attributes`, leadId, type: 'lead_updated', occurredAt: iso(start), properties: attributes },
  ];
  const profile = pickProfile(random);
  const count = random.int(profile.events[0], profile.events[1]);
  const span = profile.name === 'gone-quiet' ? 21 * MS_PER_DAY : anchor - start;
  let at = start;
  for (let k = 0; k < count; k++) {
    at = Math.min(anchor - 1, at + random.int(1, Math.max(2, Math.floor(span / count / 60_000))) * 60_000);
    const pool = (random.chance(profile.strong) ? STRONG_ACTIVITY : ORDINARY_ACTIVITY).filter(known);
    if (pool.length === 0) continue;
    const type = random.chance(0.01) && known('email_unsubscribe') ? 'email_unsubscribe' : random.pick(pool);
    const properties: Record<string, unknown> = {};
    if (type === 'webinar_attended') {
      properties['title'] = random.pick(WEBINARS);
      if (random.chance(0.3)) properties['question'] = random.pick(QUESTIONS);
    }
    events.push({ id: `${leadId}-${String(k).padStart(3, '0')}`, leadId, type, occurredAt: iso(at), properties });
  }
  return events;
}

/** Sales feedback after the lead's hand-off, as sales might have given it. */
function salesFeedback(random: Random, leadId: string, mqlAt: number, anchor: number): LeadEvent[] {
  const events: LeadEvent[] = [];
  const add = (type: string, at: number, properties: Record<string, unknown>) => {
    if (at < anchor) events.push({ id: `${leadId}-${type}`, leadId, type, occurredAt: iso(at), properties });
    return at < anchor;
  };
  let at = mqlAt + random.int(2, 120) * 3_600_000;
  if (!random.chance(0.75)) {
    add('sales_rejected', at, { reason: random.pick(REJECTION_REASONS), note: 'Followed up by phone' });
    return events;
  }
  if (!add('sales_accepted', at, {})) return events;
  at += random.int(3, 20) * MS_PER_DAY;
  if (!random.chance(0.6)) {
    if (random.chance(0.3)) add('deal_lost', at, { reason: random.pick(LOSS_REASONS) });
    return events;
  }
  if (!add('sales_qualified', at, {})) return events;
  at += random.int(10, 60) * MS_PER_DAY;
  const amount = random.int(5, 120) * 1_000;
  if (random.chance(0.45)) add('deal_won', at, { amount });
  else add('deal_lost', at, { amount, reason: random.pick(LOSS_REASONS) });
  return events;
}

/**
 * The demo history ending at `anchor`: per lead, attributes, activity, sales
 * feedback after the hand-off, and a final tick so time-based stages are current.
 */
export function demoEvents(ruleSet: CompiledRuleSet, anchor: string, seed = DEMO_SEED, leads = DEMO_LEADS): LeadEvent[] {
  const random = generator(seed);
  const end = Date.parse(anchor);
  const events: LeadEvent[] = [];
  for (let n = 1; n <= leads; n++) {
    const leadId = `demo-${String(n).padStart(3, '0')}`;
    const activity = leadActivity(random, ruleSet, leadId, end);
    const state = evaluateBatch(ruleSet, activity).get(leadId);
    const handOff = state?.stageHistory.find((change) => change.to === 'mql');
    const feedback = handOff ? salesFeedback(random, leadId, Date.parse(handOff.at), end) : [];
    events.push(...activity, ...feedback, { id: `${leadId}-tick`, leadId, type: 'tick', occurredAt: iso(end), properties: {} });
  }
  return events;
}

/** Loads the demo into an empty database; returns what was loaded, or null when leads already exist. */
export async function loadDemo(services: Services, anchor?: string): Promise<{ leads: number; events: number; anchor: string } | null> {
  const { store, ingestion, activation, now } = services;
  const submission = (event: LeadEvent) => ({ event, recordedBy: 'demo' });
  if ((await store.read.countLeads()) > 0) return null;
  const day = anchor ?? `${now().toISOString().slice(0, 10)}T00:00:00.000Z`;
  const events = demoEvents(activation.active, day);
  for (let i = 0; i < events.length; i += DEMO_BATCH) {
    await ingestion.ingest(events.slice(i, i + DEMO_BATCH).map(submission));
  }
  await store.read.setMeta('demo_anchor', day);
  return { leads: DEMO_LEADS, events: events.length, anchor: day };
}
