/** The suggestions API's bodies and replies, described once for validation and for the OpenAPI document. */
import { z } from '@hono/zod-openapi';
import { SUGGEST_DEFAULTS } from '../../engine/index';
import { isoTime, versionParams } from '../api-schemas';

/** At most this many names in `ignore`. */
const MAX_IGNORED = 100;

export const suggestionBody = z
  .object({
    from: versionParams.shape.version.optional().describe('The version to suggest from (default: the active one)'),
    since: isoTime.optional().describe('Only leads first seen at or after this time'),
    until: isoTime.optional().describe('Events at or after this time are left out; the period ends here'),
    horizonDays: z
      .number()
      .positive()
      .max(3650)
      .optional()
      .describe(
        `Days after a lead's first activity within which a hand-off counts; a lead is judged at its hand-off, else after its last event within them, as comparisons judge (default ${SUGGEST_DEFAULTS.horizonDays})`,
      ),
    holdOut: z
      .number()
      .gt(0)
      .lt(1)
      .optional()
      .describe(`Share of the won and of the lost leads held out to judge the table (default ${SUGGEST_DEFAULTS.holdOut})`),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31)
      .optional()
      .describe(`Seed of the hold-out split (default ${SUGGEST_DEFAULTS.seed})`),
    l2: z
      .number()
      .min(0)
      .max(1000)
      .optional()
      .describe(`Weight of the L2 penalty on standardised coefficients (default ${SUGGEST_DEFAULTS.l2})`),
    ignore: z
      .array(z.string().min(1).max(200))
      .max(MAX_IGNORED)
      .optional()
      .describe('Attribute and event-property names never turned into rules (identifiers, say)'),
  })
  .refine((body) => body.since === undefined || body.until === undefined || Date.parse(body.since) < Date.parse(body.until), {
    message: 'must be after since',
    path: ['until'],
  })
  .openapi('SuggestionRequest');

export const historySpan = z
  .object({
    firstEventAt: z.string().nullable().describe('The first stored event (null: none is stored)'),
    lastEventAt: z.string().nullable().describe('The last stored event'),
  })
  .openapi('HistorySpan');
export const suggestionStarted = z.object({ id: z.string() }).openapi('SuggestionStarted');
export const suggestionIdParams = z.object({ id: z.string().min(1).max(100) });

const interval = z.object({ low: z.number().nullable(), high: z.number().nullable() });
const aucEstimate = z
  .object({
    auc: z.number().nullable(),
    variance: z.number().nullable(),
    positives: z.number().int(),
    negatives: z.number().int(),
    interval: interval.describe('DeLong 95% interval'),
  })
  .openapi('AucEstimate');
const thresholds = z.object({ mql: z.number(), hot: z.number(), warm: z.number(), reactivation: z.number() });

const suggestionResult = z
  .object({
    from: z.string(),
    version: z.string().describe('The name given to the suggested table (the next free version when it ran)'),
    period: z.object({
      since: z.string().nullable(),
      until: z.string().nullable(),
      firstEventAt: z.string().nullable(),
      lastEventAt: z.string().nullable(),
    }),
    events: z.number().int(),
    leads: z.object({ total: z.number().int(), won: z.number().int(), lost: z.number().int(), open: z.number().int() }),
    horizonDays: z.number(),
    refused: z
      .object({ code: z.enum(['one-outcome', 'too-few-leads']), message: z.string() })
      .nullable()
      .describe('Why suggest would not fit this history (its cause and fix); the table, AUCs and rule set are then empty'),
    rows: z
      .array(
        z.object({
          id: z.string(),
          label: z.string(),
          current: z.number().nullable().describe("The current version's points (null: not one of its rules)"),
          suggested: z.number().nullable().describe('The suggested points (null: left out)'),
          change: z.number(),
        }),
      )
      .describe("The current version's scoring rules in order, then the suggestion's new ones"),
    thresholds: z.object({ current: thresholds, suggested: thresholds.nullable() }),
    auc: z
      .object({
        leads: z.object({ won: z.number().int(), lost: z.number().int() }),
        current: aucEstimate,
        suggested: aucEstimate,
        regression: aucEstimate,
      })
      .nullable()
      .describe('Hold-out AUCs as replay judges (each version at its hand-off within the horizon, else after its last event within it)'),
    notes: z.array(
      z.object({
        code: z.string().describe('one-outcome, too-few-leads, no-better, few-held-out, open-leads, rules-dropped, not-converged'),
        message: z.string(),
        values: z.record(z.string(), z.union([z.string(), z.number()])).describe('The figures the message states, for a translation'),
      }),
    ),
    ruleSet: z.record(z.string(), z.unknown()).nullable().describe('The suggested rule set, a child of `from`, to open as a draft'),
    report: z.record(z.string(), z.unknown()).nullable().describe('Everything suggest reports, as `leadflow suggest` computes it'),
  })
  .openapi('SuggestionResult');

export const suggestionReply = z
  .object({
    id: z.string(),
    kind: z.literal('suggestion'),
    status: z.enum(['running', 'done', 'failed']),
    progress: z.number().min(0).max(1),
    position: z
      .number()
      .int()
      .nullable()
      .describe('Jobs (comparisons or suggestions) ahead of this one in line: 0 while it runs, null once finished'),
    from: z.string(),
    since: z.string().nullable(),
    until: z.string().nullable(),
    options: z.object({
      horizonDays: z.number().optional(),
      holdOut: z.number().optional(),
      seed: z.number().optional(),
      l2: z.number().optional(),
      ignore: z.array(z.string()).optional(),
    }),
    startedAt: z.string(),
    finishedAt: z.string().nullable(),
    error: z.string().optional(),
    result: suggestionResult.optional().describe('Once done'),
  })
  .openapi('Suggestion');
