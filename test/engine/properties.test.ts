import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluate, evaluateBatch, EvaluationError, SYSTEM_EVENT_TYPES, type LeadEvent, type LeadState } from '../../engine/index';
import { applyEvent, foldEvent } from '../../engine/evaluate';
import { parseTime } from '../../engine/time';
import { day, ruleSet } from './fixtures';

const v1 = ruleSet();
const TYPES = [...v1.activityTypes, ...SYSTEM_EVENT_TYPES];

const propertiesArb = fc.record(
  {
    role: fc.constantFrom('executive', 'director', 'student', 'manager'),
    companySize: fc.integer({ min: 1, max: 5000 }),
    reason: fc.constantFrom('no budget', 'timing'),
    question: fc.constantFrom('', 'How does decay work?'),
    amount: fc.integer({ min: 0, max: 100000 }),
  },
  { requiredKeys: [] },
);

/** Time-ordered events for up to 5 leads over about a year. */
const historyArb = fc
  .array(fc.tuple(fc.integer({ min: 0, max: 4 }), fc.constantFrom(...TYPES), fc.integer({ min: 0, max: 400 * 24 }), propertiesArb), {
    maxLength: 60,
  })
  .map((rows) =>
    rows
      .sort((a, b) => a[2] - b[2])
      .map(([lead, type, hour, properties], i): LeadEvent => ({
        id: `e${i}`,
        leadId: `lead-${lead}`,
        type,
        occurredAt: day(hour / 24),
        properties,
      })),
  );

/** Evaluates one event at a time, storing and reloading the state as JSON between events, as a server would. */
function oneByOne(events: LeadEvent[]): Map<string, LeadState> {
  const stored = new Map<string, string>();
  for (const event of events) {
    const previous = stored.get(event.leadId);
    const { state } = evaluate(v1, previous ? (JSON.parse(previous) as LeadState) : null, event);
    stored.set(event.leadId, JSON.stringify(state));
  }
  return new Map([...stored].map(([id, json]) => [id, JSON.parse(json) as LeadState]));
}

describe('engine properties', () => {
  it('is deterministic: the same events give byte-identical states and explanations', () => {
    fc.assert(
      fc.property(historyArb, (events) => {
        const once = JSON.stringify(events.map((e, i) => evaluate(v1, null, { ...e, id: `x${i}` })));
        const twice = JSON.stringify(events.map((e, i) => evaluate(v1, null, { ...e, id: `x${i}` })));
        expect(once).toBe(twice);
        expect(JSON.stringify([...evaluateBatch(v1, events)])).toBe(JSON.stringify([...evaluateBatch(v1, events)]));
      }),
      { numRuns: 200 },
    );
  });

  it('gives the same states evaluating one by one (with JSON round-trips) as in a batch', () => {
    fc.assert(
      fc.property(historyArb, (events) => {
        expect(oneByOne(events)).toEqual(evaluateBatch(v1, events));
      }),
      { numRuns: 300 },
    );
  });

  it('never changes the state it is given', () => {
    fc.assert(
      fc.property(historyArb, (events) => {
        let state: LeadState | null = null;
        for (const event of events.map((e) => ({ ...e, leadId: 'one' }))) {
          const before = JSON.stringify(state);
          const next: LeadState = evaluate(v1, state, event).state;
          expect(JSON.stringify(state)).toBe(before);
          state = next;
        }
      }),
      { numRuns: 200 },
    );
  });

  it('folds events for a replay to the same scores, bands, stages and fit points as a full evaluation', () => {
    fc.assert(
      fc.property(historyArb, (events) => {
        const full = new Map<string, LeadState>();
        const folded = new Map<string, LeadState>();
        for (const event of events) {
          const evaluated = applyEvent(v1, full.get(event.leadId) ?? null, event);
          const fold = foldEvent(v1, folded.get(event.leadId) ?? null, event);
          full.set(event.leadId, evaluated.state);
          folded.set(event.leadId, fold.state);
          const { explanation } = evaluated;
          expect(fold.at).toBe(explanation.at);
          expect(fold.stageChanges).toEqual(explanation.stageChanges);
          const fitRules = explanation.rules.filter((r) => r.kind === 'fit');
          if (fold.fit) expect(fold.fit).toEqual(fitRules);
          else expect(fitRules).toEqual([]);
          const { recentActivity: _activity, route: _route, ...rest } = evaluated.state;
          expect(fold.state).toMatchObject(rest);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('keeps the total equal to fit plus engagement, finite and rounded to cents', () => {
    fc.assert(
      fc.property(historyArb, (events) => {
        for (const state of evaluateBatch(v1, events).values()) {
          const { total, fit, engagement } = state.score;
          expect(Number.isFinite(total)).toBe(true);
          expect(total).toBeCloseTo(fit + engagement, 9);
          expect(Math.round(total * 100) / 100).toBe(total);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('bad events', () => {
  it('refuses an unknown event type, naming the field', () => {
    expect(() => evaluate(v1, null, { id: 'a', leadId: 'l', type: 'telepathy', occurredAt: day(0), properties: {} })).toThrow(
      new EvaluationError('type', 'unknown event type "telepathy" in rule set v1'),
    );
  });

  it('refuses a time that is not ISO 8601', () => {
    expect(() => evaluate(v1, null, { id: 'a', leadId: 'l', type: 'email_open', occurredAt: 'last tuesday', properties: {} })).toThrow(
      /occurredAt/,
    );
  });

  it("refuses another lead's state", () => {
    const { state } = evaluate(v1, null, { id: 'a', leadId: 'l1', type: 'email_open', occurredAt: day(0), properties: {} });
    expect(() => evaluate(v1, state, { id: 'b', leadId: 'l2', type: 'email_open', occurredAt: day(1), properties: {} })).toThrow(/leadId/);
  });

  it('never moves time backwards for a late event', () => {
    const first = evaluate(v1, null, { id: 'a', leadId: 'l', type: 'email_click', occurredAt: day(10), properties: {} }).state;
    const late = evaluate(v1, first, { id: 'b', leadId: 'l', type: 'email_open', occurredAt: day(5), properties: {} }).state;
    expect(late.asOf).toBe(first.asOf);
    expect(late.score.engagement).toBe(15);
  });
});

describe('reading times', () => {
  it('reads canonical ISO times exactly as Date.parse does, and falls back for every other form', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2999-12-31T23:59:59Z'), noInvalidDate: true }),
        (date) => {
          const text = date.toISOString();
          expect(parseTime(text)).toBe(Date.parse(text));
        },
      ),
      { numRuns: 2000 },
    );
    for (const text of [
      '2026-02-29T00:00:00.000Z',
      '2024-02-29T12:00:00.000Z',
      '2026-13-01T00:00:00.000Z',
      '2026-04-31T00:00:00.000Z',
      '2026-03-02T09:00:00Z',
      '2026-03-02T09:00:00+09:00',
      '2026-0a-02T09:00:00.000Z',
    ]) {
      expect(parseTime(text)).toEqual(Date.parse(text));
    }
  });
});
