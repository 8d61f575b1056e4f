/** Request and reply of `POST /v1/rulesets/population`, as zod schemas for validation and the OpenAPI document. */
import { z } from '@hono/zod-openapi';
import { BANDS, STAGES } from '../../engine/index';

const count = z.number().int().nonnegative();
const bandCounts = z.object(Object.fromEntries(BANDS.map((b) => [b, count])) as Record<(typeof BANDS)[number], typeof count>);
const stageCounts = z.object(Object.fromEntries(STAGES.map((s) => [s, count])) as Record<(typeof STAGES)[number], typeof count>);
const gradeRow = z.object({ '1': count, '2': count, '3': count });
const standing = z.object({ score: z.number(), band: z.enum(BANDS), stage: z.enum(STAGES) });

export const populationBody = z
  .object({
    ruleSet: z.unknown().describe('The unsaved draft rule set (validated like a new version)'),
  })
  .refine((body) => body.ruleSet !== undefined, { message: 'ruleSet is required', path: ['ruleSet'] })
  .openapi('PopulationRequest');

const figures = z.object({
  leads: count,
  histogram: z.object({
    start: z.number(),
    width: z.number(),
    counts: z.array(count).describe('Leads scored in [start + i·width, start + (i+1)·width)'),
  }),
  bands: bandCounts,
  stages: stageCounts,
  handOffs: z.object({
    total: count,
    weeks: z.array(z.object({ week: z.string(), count })),
    meanPerWeek: z.number().nullable(),
  }),
  grid: z.object({ A: gradeRow, B: gradeRow, C: gradeRow }).describe('Leads by fit grade (rows) and engagement grade (columns)'),
});

export const populationReply = z
  .object({
    activeVersion: z.string(),
    judgedAt: z.string().describe('Every lead is judged as of this time: when the sample was read'),
    sample: z.object({
      sampled: z.boolean().describe('True when only part of the stored leads is judged'),
      leads: count,
      total: count,
      limit: count,
      seed: z.string(),
    }),
    cuts: z.object({
      fit: z.object({ A: z.number(), B: z.number() }),
      engagement: z.object({ '1': z.number(), '2': z.number() }),
    }),
    active: figures,
    draft: figures,
    bandChanged: count,
    changes: z.array(
      z.object({
        leadId: z.string(),
        from: standing,
        to: standing,
        rules: z.array(z.object({ ruleId: z.string(), from: z.number(), to: z.number() })),
        thresholds: z.array(z.object({ threshold: z.enum(['hot', 'warm']), from: z.number(), to: z.number() })),
      }),
    ),
  })
  .openapi('PopulationImpact');
