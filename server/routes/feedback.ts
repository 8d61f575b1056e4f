/**
 * Sales feedback: accepting or rejecting a hand-off, qualifying an opportunity,
 * a won or lost deal. Each
 * becomes the matching system event, evaluated through the same path as any
 * event (so it moves the lifecycle) and stored as an outcome.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { acceptBody, eventReply, leadIdParams, lostBody, qualifyBody, rejectBody, wonBody } from '../api-schemas';
import type { AppEnv } from '../context';
import { checkEvent } from '../event-input';
import { route } from '../http';
import { invalid, notFound } from '../problem';
import { ingestOne } from './events';

interface FeedbackSpec<B extends z.ZodType> {
  action: string;
  eventType: string;
  summary: string;
  body: B;
}

const FEEDBACK = [
  { action: 'accept', eventType: 'sales_accepted', summary: 'Sales accepts the hand-off', body: acceptBody },
  {
    action: 'reject',
    eventType: 'sales_rejected',
    summary: 'Sales rejects the hand-off (reason from the list, free-text note)',
    body: rejectBody,
  },
  {
    action: 'qualify',
    eventType: 'sales_qualified',
    summary: 'Sales qualifies an accepted lead as an opportunity (SAL to SQL)',
    body: qualifyBody,
  },
  { action: 'won', eventType: 'deal_won', summary: 'Deal won (amount, optional reason)', body: wonBody },
  { action: 'lost', eventType: 'deal_lost', summary: 'Deal lost (reason from the list, optional amount and note)', body: lostBody },
] as const satisfies readonly FeedbackSpec<z.ZodType>[];

export function feedbackRoutes(app: OpenAPIHono<AppEnv>): void {
  for (const spec of FEEDBACK) {
    route(
      app,
      {
        method: 'post',
        path: `/v1/leads/{id}/${spec.action}`,
        tag: 'Sales feedback',
        summary: spec.summary,
        description: `Recorded as a "${spec.eventType}" event and an outcome. The lead moves only where the active rule set has a transition for it; the reply's explanation shows whether it did.`,
        roles: ['sales'],
        params: leadIdParams,
        body: spec.body as z.ZodType<{ eventId?: string; occurredAt?: string; note?: string; reason?: string; amount?: number }>,
        responses: {
          201: { description: 'Recorded and evaluated', schema: eventReply },
          200: { description: 'Duplicate eventId', schema: eventReply },
          404: { description: 'No such lead' },
        },
      },
      async (c, { params, body }) => {
        const { store, activation, now } = c.var.services;
        if (!(await store.read.lead(params.id))) throw notFound(`No lead "${params.id}".`);
        const { eventId, occurredAt, ...properties } = body;
        const raw = {
          id: eventId ?? `${spec.action}-${randomUUID()}`,
          leadId: params.id,
          type: spec.eventType,
          occurredAt: occurredAt ?? now().toISOString(),
          properties,
        };
        const checked = checkEvent(raw, activation.active);
        if (!checked.ok) throw invalid(checked.errors);
        return ingestOne(c, checked.event);
      },
    );
  }
}
