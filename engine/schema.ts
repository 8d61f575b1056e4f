/**
 * The rule-set file format, as a zod schema. Types are derived from it; the
 * JSON Schema in `rules/ruleset.schema.json` is generated from it
 * (`npm run schema`). Checks that span fields (ids, references, reachability,
 * JSON-Logic operators) live in `ruleset.ts`.
 */
import { z } from 'zod';

/** Stages of the demand waterfall, in display order. */
export const STAGES = ['inquiry', 'mql', 'sal', 'sql', 'won', 'lost', 'nurture', 'dormant', 'disqualified'] as const;
export type Stage = (typeof STAGES)[number];
/** Where every lead starts. */
export const INITIAL_STAGE: Stage = 'inquiry';

/**
 * Event types the engine itself understands, whatever the rule set:
 * attribute updates, sales feedback, outcomes and the passage of time.
 */
export const SYSTEM_EVENT_TYPES = [
  'lead_updated',
  'sales_accepted',
  'sales_rejected',
  'sales_qualified',
  'deal_won',
  'deal_lost',
  'disqualified',
  'tick',
] as const;
export type SystemEventType = (typeof SYSTEM_EVENT_TYPES)[number];

/** Transition triggers beyond event types: any activity, and the passage of time (checked before every event). */
export const TRIGGER_ACTIVITY = 'activity';
export const TRIGGER_TIME = 'time';

export const BANDS = ['hot', 'warm', 'cold'] as const;
export type Band = (typeof BANDS)[number];

export const APPROACHES = ['email', 'phone', 'meeting'] as const;
export type Approach = (typeof APPROACHES)[number];

const id = z.string().regex(/^[a-z][a-z0-9_-]{0,63}$/, 'must be lower-case letters, digits, "-" or "_", starting with a letter');
const label = z.string().min(1).max(200);
const logic = z.unknown().describe('A JSON-Logic rule (https://jsonlogic.com), optionally using days_since / days_between.');

/** What kind of activity an event type is; the hand-off summary lists webinars, routing reads requests. */
export const ACTIVITY_CATEGORIES = ['email', 'web', 'content', 'webinar', 'request', 'other'] as const;

export const eventTypeSchema = z.strictObject({
  type: id.describe('Event type name, as sent in events'),
  label,
  category: z.enum(ACTIVITY_CATEGORIES).default('other'),
});

export const scoringRuleSchema = z.strictObject({
  id,
  label,
  kind: z.enum(['engagement', 'fit']).describe('engagement: earned by events and decays; fit: who the lead is, from attributes'),
  on: z.array(id).min(1).optional().describe('Activity types the rule applies to (engagement rules only)'),
  when: logic.optional().describe('Condition over { event, lead, score, band, history, thresholds, timing, now }'),
  points: z.number().finite().min(-1000).max(1000),
  caps: z
    .strictObject({
      maxTimes: z.number().int().positive().optional().describe('The rule gives points at most this many times per lead'),
      maxPoints: z.number().positive().optional().describe('The rule gives at most this many points in total per lead'),
    })
    .optional(),
});

export const transitionSchema = z.strictObject({
  id,
  label,
  from: z.array(z.enum(STAGES)).min(1),
  to: z.enum(STAGES),
  on: z
    .array(z.string().min(1))
    .min(1)
    .describe('Event types, "activity" (any activity) or "time" (the passage of time before each event)'),
  when: logic.optional().describe('Guard: the transition is taken only when this is truthy'),
});

export const routingRuleSchema = z.strictObject({
  id,
  label,
  when: logic.optional(),
  queue: z.string().min(1).max(100),
  owner: z.string().min(1).max(100).optional(),
  approach: z.enum(APPROACHES),
});

const nonNegative = z.number().finite().min(0);

/** At most this many cases per rule set, and events per case: cases are checked on every save and activation. */
export const MAX_CASES = 500;
export const MAX_CASE_EVENTS = 1000;

const caseEventSchema = z.strictObject({
  id: z.string().min(1).max(200).optional().describe('Defaults to the event\'s position in the case ("1", "2", …)'),
  type: z.string().min(1).max(64),
  occurredAt: z.iso.datetime({ offset: true }),
  properties: z.record(z.string(), z.unknown()).optional(),
});

/** What must hold after a case's events; every field is optional, at least one is required. */
export const caseExpectationSchema = z.strictObject({
  band: z.enum(BANDS).optional(),
  stage: z.enum(STAGES).optional(),
  route: id.optional().describe('Id of the routing rule (or the default route) the lead is routed by'),
  score: z
    .strictObject({
      atLeast: z.number().finite().optional(),
      atMost: z.number().finite().optional(),
    })
    .optional()
    .describe('Bounds on the total score, inclusive'),
  fired: z.array(id).optional().describe('Scoring rules that must give points, or transitions that must be taken, at least once'),
  notFired: z.array(id).optional().describe('Scoring rules that must never give points, or transitions that must never be taken'),
});

/**
 * A named test case: a lead's attributes and events, and what must hold
 * after them. Cases travel with the rule set; a failing case blocks activation.
 */
export const caseSchema = z.strictObject({
  name: z.string().min(1).max(200),
  note: z.string().max(2000).optional(),
  attributes: z
    .record(z.string(), z.unknown())
    .optional()
    .describe("The lead's attributes, set before its first event (as a lead_updated event at that time)"),
  events: z
    .array(caseEventSchema)
    .min(1)
    .max(MAX_CASE_EVENTS)
    .describe('Applied in time order; events at the same time keep the order written'),
  asOf: z.iso
    .datetime({ offset: true })
    .optional()
    .describe("When the expectations are checked; default the last event's time. Later times apply decay and time-based changes up to it"),
  expect: caseExpectationSchema,
});

export const ruleSetSchema = z.strictObject({
  $schema: z.string().optional(),
  version: z.string().regex(/^v[1-9][0-9]*$/, 'must look like "v1", "v2", …'),
  parent: z
    .string()
    .regex(/^v[1-9][0-9]*$/)
    .nullable(),
  createdAt: z.iso.datetime({ offset: true }),
  author: z.string().min(1).max(200),
  note: z.string().max(5000),
  eventTypes: z.array(eventTypeSchema).min(1).describe('Activity types that earn engagement points'),
  scoring: z.array(scoringRuleSchema),
  decay: z.strictObject({
    halfLifeDays: z.number().positive().nullable().describe('Engagement halves after this many days without activity; null: no decay'),
  }),
  bands: z.strictObject({ hot: nonNegative, warm: nonNegative }).describe('Minimum total score for hot and warm; below warm is cold'),
  lifecycle: z.strictObject({
    thresholds: z.strictObject({
      mql: z.number().finite().describe('Total score at which a lead is handed to sales (MQL)'),
      reactivation: z.number().finite().describe('Engagement score that brings a dormant lead back to nurture'),
    }),
    timing: z.strictObject({
      dormantAfterDays: z.number().positive().describe('Days without activity after which a lead goes dormant'),
      customerDormantAfterDays: z.number().positive().describe('Days since the last won deal after which a customer goes dormant'),
      recycleLostAfterDays: nonNegative.describe('Days after a lost deal before the lead is recycled to nurture'),
    }),
    transitions: z.array(transitionSchema).min(1),
  }),
  routing: z.strictObject({
    rules: z.array(routingRuleSchema).describe('Ordered: the first whose condition holds picks the route'),
    default: routingRuleSchema.omit({ when: true }).describe('Route when no rule matches'),
  }),
  handOff: z
    .strictObject({
      recentActivityCount: z.number().int().min(1).max(100).default(10),
    })
    .default({ recentActivityCount: 10 }),

  cases: z.array(caseSchema).max(MAX_CASES).optional().describe('Named test cases run by `leadflow rules test` and before activation'),
});

/** A rule-set file as written. */
export type RuleSetInput = z.input<typeof ruleSetSchema>;
/** A rule set after parsing (defaults applied). */
export type RuleSetDefinition = z.output<typeof ruleSetSchema>;
export type ScoringRule = RuleSetDefinition['scoring'][number];
export type Transition = RuleSetDefinition['lifecycle']['transitions'][number];
export type RoutingRule = RuleSetDefinition['routing']['rules'][number];
/** A test case as written. */
export type CaseInput = z.input<typeof caseSchema>;
export type Case = z.output<typeof caseSchema>;
export type CaseExpectation = Case['expect'];

/**
 * Cases kept beside a published version (`rules/vN.cases.json`): the version
 * file never changes, but cases may be added to it later.
 */
export const caseFileSchema = z.strictObject({
  $schema: z.string().optional(),
  version: z.string().regex(/^v[1-9][0-9]*$/, 'must look like "v1", "v2", …'),
  cases: z.array(caseSchema).max(MAX_CASES),
});
export type CaseFile = z.output<typeof caseFileSchema>;

/** The JSON Schema of case files (`vN.cases.json`), for editors and IDEs. */
export function caseFileJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(caseFileSchema, { io: 'input', target: 'draft-2020-12' }),
    title: 'Leadflow rule-set cases',
  };
}

/** The JSON Schema of rule files, for editors and IDEs. */
export function ruleSetJsonSchema(): Record<string, unknown> {
  return {
    ...z.toJSONSchema(ruleSetSchema, { io: 'input', target: 'draft-2020-12' }),
    title: 'Leadflow rule set',
  };
}
