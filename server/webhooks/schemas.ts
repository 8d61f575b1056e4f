/** Webhook API shapes: subscriptions, the delivery log, and the messages receivers get (OpenAPI components and webhooks). */
import { z } from '@hono/zod-openapi';
import { BANDS, STAGES } from '../../engine/index';
import { WEBHOOK_KINDS } from './kinds';

/** A Standard Webhooks secret: `whsec_` and base64 of 24 to 64 bytes. */
const secret = z.string().regex(/^whsec_[A-Za-z0-9+/]{32,88}={0,2}$/, 'must be "whsec_" followed by base64 of 24 to 64 random bytes');

export const subscriptionBody = z
  .object({
    url: z.string().min(1).max(2000).describe('Where messages are POSTed (http or https; private and loopback addresses are refused)'),
    events: z.array(z.enum(WEBHOOK_KINDS)).min(1).describe('The kinds of change to receive'),
    secret: secret.optional().describe('Signing secret; generated when absent'),
    filter: z
      .object({
        queue: z.string().min(1).max(100).optional(),
        owner: z.string().min(1).max(100).optional(),
        stages: z
          .array(z.enum(STAGES))
          .min(1)
          .max(STAGES.length)
          .optional()
          .describe('Only changes that leave the lead in one of these stages (for lead.stage_changed: a change to one of them)'),
      })
      .strict()
      .optional()
      .describe(
        "Only changes of leads routed to this queue and/or owner (the lead's route when the change happened), and/or in these stages",
      ),
  })
  .strict()
  .openapi('NewWebhookSubscription');

export const subscriptionView = z
  .object({
    id: z.string(),
    url: z.string(),
    events: z.array(z.enum(WEBHOOK_KINDS)),
    filter: z.object({ queue: z.string().optional(), owner: z.string().optional(), stages: z.array(z.enum(STAGES)).optional() }),
    createdAt: z.string(),
    failing: z.boolean().describe('Deliveries have failed repeatedly (5 in a row); cleared by the next success'),
    failingSince: z.string().nullable(),
    consecutiveFailures: z.number().int(),
  })
  .openapi('WebhookSubscription');

export const subscriptionIdParams = z.object({ id: z.string().min(1).max(100) });
export const deliveryParams = z.object({ id: z.string().min(1).max(100), deliveryId: z.string().min(1).max(200) });

export const deliveryView = z
  .object({
    id: z.string(),
    messageId: z.string().describe('The `webhook-id` header of every attempt'),
    kind: z.enum(WEBHOOK_KINDS),
    leadId: z.string(),
    status: z.enum(['pending', 'delivered', 'failed']),
    attempts: z.array(
      z.object({
        attempt: z.number().int(),
        at: z.string(),
        statusCode: z.number().int().nullable(),
        latencyMs: z.number().nullable(),
        error: z.string().nullable(),
      }),
    ),
    nextAttemptAt: z.string().nullable(),
    createdAt: z.string(),
    deliveredAt: z.string().nullable(),
  })
  .openapi('WebhookDelivery');

const score = z.object({ total: z.number(), fit: z.number(), engagement: z.number() });
const route = z.object({
  ruleId: z.string(),
  queue: z.string(),
  owner: z.string().optional(),
  approach: z.enum(['email', 'phone', 'meeting']),
});

export const handOffSchema = z
  .object({
    leadId: z.string(),
    stage: z.enum(STAGES),
    basicInfo: z.record(z.string(), z.unknown()).describe("The lead's attributes but its past deals"),
    customer: z.boolean(),
    pastDeals: z.array(z.unknown()).describe('`pastDeals` from the attributes: `[{ closedAt, amount }]`'),
    recentActivity: z.array(z.object({ eventId: z.string(), type: z.string(), at: z.string(), points: z.number() })),
    webinars: z.array(z.object({ eventId: z.string(), at: z.string(), title: z.string().optional(), question: z.string().optional() })),
    score,
    band: z.enum(BANDS),
    interestLevel: z.enum(['high', 'middle', 'low']),
    recommendedApproach: z.enum(['email', 'phone', 'meeting']),
    route,
  })
  .openapi('HandOffSummary');

export const webhookMessage = z
  .object({
    type: z.enum(WEBHOOK_KINDS),
    timestamp: z.string().describe('When the change happened: the time of the event or tick that made it'),
    data: z.object({
      leadId: z.string(),
      stage: z.enum(STAGES),
      previousStage: z.enum(STAGES).nullable(),
      band: z.enum(BANDS),
      previousBand: z.enum(BANDS).nullable(),
      score,
      route,
      ruleSetVersion: z.string(),
      handOff: handOffSchema.optional().describe('lead.handed_off and lead.reactivated: what sales needs'),
    }),
  })
  .openapi('WebhookMessage');
