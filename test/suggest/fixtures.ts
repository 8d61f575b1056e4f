/**
 * Fixtures for the suggest tests: a seeded random source, and a synthetic
 * history whose outcomes follow a known logistic model of a lead's plan and
 * demo requests, with leaks placed where no suggestion may read them.
 */
import { readFileSync } from 'node:fs';
import { loadRuleSetOrThrow, type CompiledRuleSet, type LeadEvent } from '../../engine/index';

/** mulberry32: a small seeded PRNG, so fixtures are the same on every run. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function v1(): CompiledRuleSet {
  return loadRuleSetOrThrow(readFileSync(new URL('../../rules/v1.json', import.meta.url), 'utf8'));
}

const DAY = 86_400_000;
const START = Date.UTC(2024, 0, 1);

export interface SyntheticOptions {
  leads?: number;
  seed?: number;
  /** Write the leaks within replay's 90-day horizon (after the outcome, after sales acted) rather than past it. */
  leaksWithinHorizon?: boolean;
}

/**
 * Leads arrive one every few hours. Each has a `plan` ("pro" or "free") and a
 * `seats` count on its first lead_updated, then demo requests and email
 * opens, then its outcome 30 days later: won with log-odds
 * −1.5 + 2·[plan = pro] + 1.2·(demo requests) − 0.1·(email opens); seats and
 * `region` carry no signal. The outcome event itself carries `tags`, and a
 * lead_updated 120 days after the lead's first event, past replay's horizon,
 * names the outcome as `secret`. With `leaksWithinHorizon`, `secret` comes
 * the day after the outcome instead, and every fifth lead is accepted by
 * sales, then gets `budgetConfirmed`, naming the outcome too: both within
 * the horizon, where replay judges a version that did not hand the lead over.
 */
export function syntheticHistory({ leads = 600, seed = 7, leaksWithinHorizon = false }: SyntheticOptions = {}): LeadEvent[] {
  const next = random(seed);
  const events: LeadEvent[] = [];
  const at = (time: number) => new Date(time).toISOString();
  for (let i = 0; i < leads; i++) {
    const leadId = `lead-${String(i).padStart(4, '0')}`;
    const first = START + i * 4 * 3_600_000;
    const pro = next() < 0.5;
    const demos = Math.floor(next() * 3);
    const opens = Math.floor(next() * 6);
    const won = next() < 1 / (1 + Math.exp(-(-1.5 + 2 * (pro ? 1 : 0) + 1.2 * demos - 0.1 * opens)));
    const region = ['north', 'south', 'east', 'west'][Math.floor(next() * 4)]!;
    const event = (key: string, type: string, time: number, properties: Record<string, unknown> = {}) =>
      events.push({ id: `${leadId}:${key}`, leadId, type, occurredAt: at(time), properties });
    event('attributes', 'lead_updated', first, { plan: pro ? 'pro' : 'free', seats: 1 + Math.floor(next() * 200), region });
    for (let k = 0; k < opens; k++) event(`open-${k}`, 'email_open', first + (1 + k) * DAY);
    for (let k = 0; k < demos; k++) event(`demo-${k}`, 'demo_request', first + (10 + k) * DAY);
    if (leaksWithinHorizon && i % 5 === 0) {
      event('accepted', 'sales_accepted', first + 20 * DAY);
      event('budget', 'lead_updated', first + 21 * DAY, { budgetConfirmed: won });
    }
    event('outcome', won ? 'deal_won' : 'deal_lost', first + 30 * DAY, { tags: won ? 'closed' : 'lost to competitor' });
    event('after', 'lead_updated', first + (leaksWithinHorizon ? 31 : 120) * DAY, { secret: won });
  }
  const keyed = events.map((event, order) => ({ event, order, time: Date.parse(event.occurredAt) }));
  keyed.sort((a, b) => a.time - b.time || a.order - b.order);
  return keyed.map(({ event }) => event);
}
