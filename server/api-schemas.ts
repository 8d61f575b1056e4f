/**
 * Request and reply shapes of the HTTP API, as zod schemas: requests are
 * parsed with them and the OpenAPI document is generated from them.
 */
import { z } from '@hono/zod-openapi';
import { BANDS, STAGES, leadEventSchema, type Stage } from '../engine/index';
import { COMPARISON_SOURCES } from './comparisons/report';
import { MAX_BATCH_EVENTS, MAX_COMPARED_VERSIONS, MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE } from './config';
import { LOSS_REASONS, REJECTION_REASONS } from './feedback';
import { instantProblem, MAX_PROPERTIES_BYTES, MAX_PROPERTIES_DEPTH, TIME_RANGE } from './limits';
import { KPI_DEFINITIONS } from './kpis';
import { LEAD_SORTS, REVIEW_DECISIONS, ROLES, TEAMS } from './store/index';

/** An ISO 8601 time with offset whose instant is within 0001–9999 UTC, so its UTC spelling orders as text. */
export const isoTime = z.iso
  .datetime({ offset: true })
  .refine((time) => instantProblem(Date.parse(time)) === undefined, { message: TIME_RANGE });
const PAYLOAD_LIMITS = `at most ${MAX_PROPERTIES_DEPTH} levels of objects and arrays (the top object counts as one), at most ${MAX_PROPERTIES_BYTES} bytes as JSON, finite numbers only.`;
/** Limits checked on every event before anything is stored (limits.ts). */
const INPUT_LIMITS = `\`id\`, \`leadId\` and \`type\`: well-formed Unicode with a visible character and no control characters. \`occurredAt\`: an instant from 0001-01-01 to 9999-12-31 UTC once its offset is applied. \`properties\`: ${PAYLOAD_LIMITS}`;
const object = z.record(z.string(), z.unknown());

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })),
  })
  .openapi('Problem', { description: 'RFC 9457 problem details; `errors` names each field at fault (batch items by index).' });

// Rebuilt from the engine's shape so it carries OpenAPI metadata (schemas made before the OpenAPI extension loaded cannot).
export const leadEventBody = z.strictObject(leadEventSchema.shape).openapi('LeadEvent', {
  description: `An activity or system event. \`id\` is the idempotency key (unique across leads); \`type\` must be known to the active rule set or the engine. ${INPUT_LIMITS}`,
  example: { id: 'evt-1', leadId: 'lead-42', type: 'email_click', occurredAt: '2026-11-20T09:30:00Z', properties: { campaign: 'autumn' } },
});

export const batchBody = z.object({ events: z.array(z.unknown()).min(1).max(MAX_BATCH_EVENTS) });
export const batchDoc = z.object({ events: z.array(leadEventBody).min(1).max(MAX_BATCH_EVENTS) }).openapi('EventBatch');

const score = z.object({ total: z.number(), fit: z.number(), engagement: z.number() });
const route = z.object({ ruleId: z.string(), queue: z.string(), owner: z.string().optional(), approach: z.string() });
const explanation = object.openapi('Explanation', {
  description:
    'What one event did: decay, the rules that gave points, score and band before and after, stage changes with the transition that caused them, the route.',
});

export const leadView = z
  .object({
    id: z.string(),
    stage: z.enum(STAGES),
    band: z.enum(BANDS),
    score,
    route,
    ruleSetVersion: z.string(),
    asOf: z.string(),
    attributes: object,
    customer: z.boolean(),
    eventCount: z.number().int(),
    firstSeenAt: z.string(),
    lastActivityAt: z.string().nullable(),
    stageEnteredAt: z.string(),
  })
  .openapi('Lead');

export const eventReply = z
  .object({
    eventId: z.string(),
    leadId: z.string(),
    status: z.enum(['stored', 'duplicate']),
    recomputed: z.boolean().describe('A late event made the server recompute the lead from its history'),
    lead: leadView,
    explanation: explanation.nullable(),
  })
  .openapi('EventResult');

export const batchReply = z
  .object({
    received: z.number().int(),
    stored: z.number().int(),
    duplicates: z.number().int(),
    rejected: z.number().int(),
    results: z.array(z.object({ index: z.number().int(), eventId: z.string(), status: z.enum(['stored', 'duplicate']) })),
    errors: z.array(z.object({ path: z.string(), message: z.string() })),
  })
  .openapi('BatchResult', {
    description: 'Good events are stored even when others are rejected; each rejected one is named by index in `errors`.',
  });

export const leadIdParams = z.object({ id: z.string().min(1).max(200) });

export const attributesBody = z
  .object({
    attributes: object.describe(
      `Merged into the lead attributes (company, industry, role, companySize, pastDeals, …); limited like an event's \`properties\`: ${PAYLOAD_LIMITS}`,
    ),
    eventId: z.string().min(1).max(200).optional().describe('Idempotency key; generated when absent'),
    occurredAt: isoTime.optional().describe('Defaults to the time of receipt'),
  })
  .openapi('AttributesUpdate');

/** One stage or several, comma-separated ("mql,sal,sql"). */
const csvStages = z
  .string()
  .transform((value, context) => {
    const stages = value.split(',');
    const unknown = stages.filter((stage) => !(STAGES as readonly string[]).includes(stage));
    if (unknown.length === 0) return stages as Stage[];
    context.addIssue({ code: 'custom', message: `unknown stage "${unknown[0]}" (known: ${STAGES.join(', ')})` });
    return z.NEVER;
  })
  .describe(`A stage, or several separated by commas: ${STAGES.join(', ')}`);
export const leadListQuery = z.object({
  stage: csvStages.optional(),
  band: z.enum(BANDS).optional(),
  minScore: z.coerce.number().finite().optional(),
  maxScore: z.coerce.number().finite().optional(),
  owner: z.string().min(1).optional(),
  queue: z.string().min(1).optional(),
  updatedSince: isoTime.optional(),
  sort: z
    .enum(LEAD_SORTS)
    .default('updated')
    .describe('"updated": newest update first; "score": highest score (at the last event) first; "handoff": longest since hand-off first'),
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE),
  cursor: z.string().min(1).optional().describe('`nextCursor` of the previous page'),
});

export const leadList = z
  .object({
    leads: z.array(
      z.object({
        id: z.string(),
        stage: z.string(),
        band: z.string(),
        score: z.number(),
        owner: z.string().nullable(),
        queue: z.string().nullable(),
        ruleSetVersion: z.string(),
        eventCount: z.number().int(),
        lastEventAt: z.string(),
        createdAt: z.string(),
        updatedAt: z.string(),
        handedOffAt: z
          .string()
          .nullable()
          .describe('When the lead last entered a sales stage (MQL, SAL, SQL) from outside them; null if it never did'),
        scoreNow: z
          .number()
          .describe('Total score as of now: engagement decayed since the last activity (`score` is the total at the last event)'),
        bandNow: z.enum(BANDS).describe('Band of `scoreNow`'),
      }),
    ),
    nextCursor: z.string().nullable(),
  })
  .openapi('LeadPage');

export const leadDetail = z
  .object({
    lead: leadView,
    now: z
      .object({ score, band: z.enum(BANDS) })
      .describe(
        'The score and band at the time of the request: engagement decayed by whole days since the last activity (`lead.score` is the score at the last event)',
      ),
    nextChange: z
      .object({ at: z.string(), stage: z.enum(STAGES), band: z.enum(BANDS) })
      .nullable()
      .describe(
        'The next change time alone makes under the active rule set (dormancy, recycling, decay across a band): when it is due and the stage and band it leaves; null when none comes without another event. The scheduler applies it within `--tick-every` of `at`',
      ),
    explanation: explanation.nullable().describe('What the newest event did'),
    timeline: z.array(
      z.object({
        eventId: z.string(),
        type: z.string(),
        occurredAt: z.string(),
        receivedAt: z.string(),
        properties: object,
        points: z.number().nullable(),
        scoreBefore: z.number().nullable().describe('Total score before the event'),
        scoreAfter: z.number().nullable(),
        stageAfter: z.string().nullable(),
        rules: z.array(object),
        fit: z.object({ before: z.number(), after: z.number() }).nullable().describe('Fit score before and after the event'),
        decay: z
          .object({ days: z.number(), removed: z.number() })
          .nullable()
          .describe('Engagement lost to decay since the last activity (`days` whole days)'),
        stageChanges: z.array(object),
        notes: z.array(z.string()),
      }),
    ),
    stageHistory: z.array(object),
    outcomes: z.array(object),
  })
  .openapi('LeadDetail');

const feedbackBase = {
  eventId: z.string().min(1).max(200).optional().describe('Idempotency key; generated when absent'),
  occurredAt: isoTime.optional().describe('Defaults to the time of receipt'),
  note: z.string().max(2000).optional().describe('Free text'),
};

export const acceptBody = z.object(feedbackBase).openapi('AcceptHandOff');
export const qualifyBody = z.object(feedbackBase).openapi('QualifyOpportunity');
export const rejectBody = z.object({ ...feedbackBase, reason: z.enum(REJECTION_REASONS) }).openapi('RejectHandOff');
export const wonBody = z
  .object({ ...feedbackBase, amount: z.number().finite().min(0), reason: z.string().max(200).optional() })
  .openapi('DealWon');
export const lostBody = z
  .object({ ...feedbackBase, amount: z.number().finite().min(0).optional(), reason: z.enum(LOSS_REASONS) })
  .openapi('DealLost');

export const evaluateBody = z
  .object({
    version: z.string().optional().describe('A stored rule-set version; the active one when neither this nor ruleSet is given'),
    ruleSet: z.unknown().optional().describe('An unsaved rule set (validated like a new version)'),
    lead: z
      .object({ id: z.string().min(1).max(200).default('preview'), attributes: object.default({}) })
      .default({ id: 'preview', attributes: {} }),
    events: z
      .array(
        z.object({
          id: z.string().min(1).max(200).optional(),
          type: z.string().min(1).max(64),
          // Format and type are checked per event, so every bad event is named in one reply.
          occurredAt: z.string().describe('ISO 8601 with offset'),
          properties: object.default({}),
        }),
      )
      .max(MAX_BATCH_EVENTS),
  })
  .refine((body) => !(body.version && body.ruleSet !== undefined), {
    message: 'give either version or ruleSet, not both',
    path: ['version'],
  })
  .openapi('EvaluateRequest');

export const evaluateCasesBody = z
  .object({
    version: z.string().optional().describe('A stored rule-set version; the active one when neither this nor ruleSet is given'),
    ruleSet: z.unknown().optional().describe('An unsaved rule set with its cases (validated like a new version)'),
  })
  .refine((body) => !(body.version && body.ruleSet !== undefined), {
    message: 'give either version or ruleSet, not both',
    path: ['version'],
  })
  .openapi('EvaluateCasesRequest');

export const evaluateReply = z
  .object({
    ruleSetVersion: z.string(),
    lead: leadView.nullable(),
    explanations: z.array(explanation.nullable()),
    handOff: object.nullable(),
  })
  .openapi('EvaluateResult');

export const versionParams = z.object({ version: z.string().regex(/^v[1-9][0-9]*$/, 'must look like "v1", "v2", …') });
export const diffQuery = z.object({
  from: z.string().regex(/^v[1-9][0-9]*$/, 'must look like "v1"'),
  to: z.string().regex(/^v[1-9][0-9]*$/, 'must look like "v2"'),
});
export const createRuleSetBody = object.openapi('NewRuleSet', {
  description:
    'A rule set in the file format (see the JSON Schema); version, createdAt and author are assigned by the server, parent defaults to the active version.',
});
export const challengerBody = z.object({ version: versionParams.shape.version.nullable() }).openapi('Challenger');

/** The longest review comment kept. */
const MAX_REVIEW_COMMENT = 2000;
export const approvalBody = z
  .object({
    team: z.enum(TEAMS),
    decision: z.enum(REVIEW_DECISIONS).default('approved').describe('Approve, or ask for changes (which needs a comment)'),
    comment: z.string().trim().max(MAX_REVIEW_COMMENT).default('').describe('Why: what was checked, or what should change'),
  })
  .openapi('Approval');
export const approvalsReply = z
  .object({
    version: z.string(),
    approvals: z.array(
      z.object({
        team: z.enum(TEAMS),
        decision: z.enum(REVIEW_DECISIONS),
        by: z.string().describe('Name of the reviewing key'),
        keyId: z.string().nullable().describe('Id of the reviewing key (null for approvals recorded before keys were kept)'),
        comment: z.string(),
        at: z.string(),
      }),
    ),
  })
  .openapi('Approvals');
export const activateQuery = z.object({
  comparison: z
    .string()
    .min(1)
    .max(100)
    .optional()
    .describe('The comparison of the active version against this one whose impact the activation records (default: the newest kept)'),
});

export const comparisonBody = z
  .object({
    versions: z
      .array(versionParams.shape.version)
      .min(2)
      .max(MAX_COMPARED_VERSIONS)
      .describe('The versions to compare, the baseline first'),
    since: isoTime.optional().describe('Only leads first seen at or after this time'),
    until: isoTime.optional().describe('Events at or after this time are left out; the period ends here'),
    horizonDays: z
      .number()
      .positive()
      .max(3650)
      .optional()
      .describe(
        "Days after a lead's first activity within which a version's hand-off counts; a lead never handed over is judged after its last event within them (default 90)",
      ),
    openAsLostAfterDays: z
      .number()
      .positive()
      .max(3650)
      .optional()
      .describe('Count leads without an outcome, idle for longer than this many days before the end of the period, as not converted'),
    source: z
      .enum(COMPARISON_SOURCES)
      .default('replay')
      .describe('"replay": replay stored history; "shadow": the active version against the challenger from stored live and shadow results'),
  })
  .refine((body) => new Set(body.versions).size === body.versions.length, { message: 'each version may be named once', path: ['versions'] })
  .refine((body) => body.since === undefined || body.until === undefined || Date.parse(body.since) < Date.parse(body.until), {
    message: 'must be after since',
    path: ['until'],
  })
  .openapi('ComparisonRequest');
export const comparisonStarted = z.object({ id: z.string() }).openapi('ComparisonStarted');
export const comparisonIdParams = z.object({ id: z.string().min(1).max(100) });
export const changesQuery = z.object({
  diff: z.coerce
    .number()
    .int()
    .min(0)
    .max(MAX_COMPARED_VERSIONS)
    .default(0)
    .describe('Which difference: 0 is the second version against the first'),
  outcome: z.enum(['won', 'lost', 'open']).optional().describe('Only leads with this outcome (open: no recorded outcome)'),
  kind: z.enum(['band', 'hand-off', 'stage']).optional().describe('Only leads with this kind of change'),
});
export const comparisonReply = z
  .object({
    id: z.string(),
    status: z.enum(['running', 'done', 'failed']),
    progress: z.number().min(0).max(1),
    position: z
      .number()
      .int()
      .nullable()
      .describe(
        'Comparisons ahead of this one in line: 0 while it runs, 1 or more while it waits (status "running", progress 0), null once finished',
      ),
    versions: z.array(z.string()),
    source: z.enum(COMPARISON_SOURCES),
    since: z.string().nullable(),
    until: z.string().nullable(),
    horizonDays: z.number().nullable(),
    openAsLostAfterDays: z.number().nullable(),
    startedAt: z.string(),
    finishedAt: z.string().nullable(),
    error: z.string().optional(),
    report: object
      .optional()
      .describe(
        'Once done: period, `options` (horizon, open leads counted as lost, minimum sample), events, per-version metrics with 95% intervals (`versions`), each later version against the first with a paired verdict per measure (`diffs`), per-version threshold what-if curves (`whatIf`), and `notes` (`{ code, message, version? }`: open leads, missing outcomes, small samples, AUC below chance)',
      ),
  })
  .openapi('Comparison');

export const keyBody = z
  .object({
    name: z.string().min(1).max(200),
    role: z.enum(ROLES),
    expiresAt: isoTime.optional().describe('When the key stops working (a future time); default never. An expired key gets 401.'),
  })
  .openapi('NewApiKey');
export const keyIdParams = z.object({ id: z.string().min(1).max(100) });
export const keyView = z
  .object({
    id: z.string(),
    name: z.string(),
    role: z.enum(ROLES),
    createdAt: z.string(),
    revokedAt: z.string().nullable(),
    expiresAt: z.string().nullable(),
    lastUsedAt: z
      .string()
      .nullable()
      .describe(
        "When the key was last accepted, to the minute: each server records a key's use at most once a minute, so a later use within that minute is not shown. Null: not used since this was recorded.",
      ),
  })
  .openapi('ApiKey');

export const kpiQuery = z.object({
  from: isoTime.describe('Start of the period (inclusive)'),
  to: isoTime.describe('End of the period (exclusive)'),
});

const kpiRate = z
  .object({
    count: z.number().int().describe('Leads the figure starts from'),
    converted: z.number().int().describe('Of those, the leads that converted'),
    rate: z.number().nullable().describe('converted / count, to four decimals; null when count is 0'),
  })
  .openapi('KpiRate');
const perStage = <T extends z.ZodType>(value: T) => z.object(Object.fromEntries(STAGES.map((stage) => [stage, value])) as Record<Stage, T>);
const kpiNames = Object.keys(KPI_DEFINITIONS) as Array<keyof typeof KPI_DEFINITIONS>;

export const kpiReply = z
  .object({
    period: z.object({ from: z.string(), to: z.string() }).describe('[from, to), normalised'),
    funnel: perStage(z.number().int()).describe(KPI_DEFINITIONS.funnel),
    conversion: z
      .record(z.string(), kpiRate)
      .describe(`${KPI_DEFINITIONS.conversion} Keyed by step, "from->to" (such as "mql->sal"), in waterfall order.`),
    dormantToOpportunity: kpiRate.describe(KPI_DEFINITIONS.dormantToOpportunity),
    hotLeadConversion: kpiRate.describe(KPI_DEFINITIONS.hotLeadConversion),
    opportunityToClose: kpiRate.describe(KPI_DEFINITIONS.opportunityToClose),
    medianDaysInStage: perStage(z.number().nullable()).describe(`${KPI_DEFINITIONS.medianDaysInStage} Null where no stay ended.`),
    followUp: z
      .object({
        handOffs: z.number().int().describe('Leads that entered MQL during the period'),
        followedUp: z.number().int().describe('Of those, the leads sales accepted or rejected'),
        medianHours: z.number().nullable().describe('Median hours to that first answer; null when none came'),
      })
      .describe(KPI_DEFINITIONS.followUp),
    definitions: z
      .object(Object.fromEntries(kpiNames.map((name) => [name, z.string()])) as Record<keyof typeof KPI_DEFINITIONS, z.ZodString>)
      .describe('What each figure measures, in words, for a dashboard to show beside it'),
  })
  .openapi('Kpis');

export const challengerKpiReply = z
  .object({
    version: z.string().nullable().describe('The challenger; null when none is set (then `challenger` and `active` are null)'),
    activeVersion: z.string(),
    period: z.object({ from: z.string(), to: z.string() }),
    leadsEvaluated: z.number().int().describe('Leads the challenger has evaluated (has a shadow state for): the leads both columns count'),
    leadsTotal: z.number().int().describe('Every stored lead'),
    challenger: kpiReply.nullable().describe("The figures of GET /v1/kpis from the challenger's shadow stage histories"),
    active: kpiReply.nullable().describe('The figures of GET /v1/kpis from the stored live stage histories of the same leads'),
  })
  .openapi('ChallengerKpis', {
    description:
      'A lead that existed before the challenger was set gets a shadow state (folded from its whole history) only when its next event arrives, so the challenger covers only the leads it has evaluated.',
  });

export const anyObject = object;
