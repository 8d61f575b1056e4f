/**
 * Ingestion: one event, or a batch whose good events are stored and bad ones
 * reported by index. Variables are read with `c.get`: Hono builds a new
 * object for every read of `c.var`.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { z } from 'zod';
import type { LeadEvent } from '../../engine/index';
import { batchBody, batchDoc, batchReply, eventReply, leadEventBody } from '../api-schemas';
import { MAX_BATCH_BODY_BYTES } from '../config';
import type { AppEnv } from '../context';
import { checkEvent } from '../event-input';
import { route } from '../http';
import { conflict, invalid, type ApiProblem, type FieldError } from '../problem';
import { leadView } from '../views';

/** Stores and evaluates one validated event; the reply carries the lead's new state. */
export async function ingestOne(c: Context<AppEnv>, event: LeadEvent): Promise<Response> {
  const { ingestion, store } = c.get('services');
  const { status, lead } = await ingestion.submit({ event, recordedBy: c.get('apiKey').name });
  if (status === 'conflict') throw idTaken(event.id);
  if (status === 'stored' && lead) {
    const reply = {
      eventId: event.id,
      leadId: event.leadId,
      status,
      recomputed: lead.recomputed,
      lead: leadView(lead.state),
      explanation: lead.explanations.get(event.id) ?? null,
    };
    return c.body(JSON.stringify(reply), 201, { 'Content-Type': 'application/json' });
  }
  // A duplicate: nothing changed; show the lead as it stands.
  const state = lead?.state ?? (await store.read.lead(event.leadId))?.state;
  const body = {
    eventId: event.id,
    leadId: event.leadId,
    status,
    recomputed: false,
    lead: state ? leadView(state) : null,
    explanation: null,
  };
  return c.json(body, 200);
}

/** An event id already used for another lead: named, and nothing of either lead shown. */
function idTaken(eventId: string, path = 'id'): ApiProblem {
  return conflict(`Event id "${eventId}" is already used by an event of another lead; event ids must be unique across leads.`, [
    { path, message: 'already used by an event of another lead' },
  ]);
}

export function eventRoutes(app: OpenAPIHono<AppEnv>): void {
  route(
    app,
    {
      method: 'post',
      path: '/v1/events',
      tag: 'Events',
      summary: 'Ingest one event',
      description:
        'Stores the event and evaluates its lead at once (leads are created on first sight). The same event id twice is stored and counted once: the second reply says "duplicate". An event older than the lead\'s newest is placed in time order and the lead recomputed.',
      roles: ['ingest'],
      body: z.unknown(),
      docBody: leadEventBody,
      responses: {
        201: { description: 'Stored and evaluated', schema: eventReply },
        200: { description: 'Duplicate: already stored, nothing changed', schema: eventReply },
        409: { description: 'The event id is already used by an event of another lead; nothing stored' },
      },
    },
    async (c, { body }) => {
      const checked = checkEvent(body, c.get('services').activation.active);
      if (!checked.ok) throw invalid(checked.errors);
      return ingestOne(c, checked.event);
    },
  );

  route(
    app,
    {
      method: 'post',
      path: '/v1/events/batch',
      tag: 'Events',
      summary: 'Ingest up to 10,000 events',
      description:
        'Every valid event is stored and evaluated in one transaction; each invalid one, and each whose id is already used by an event of another lead, is reported by its index in `errors` and nothing of it is stored. With no valid event the request fails as a whole.',
      roles: ['ingest'],
      body: batchBody,
      docBody: batchDoc,
      maxBody: MAX_BATCH_BODY_BYTES,
      responses: { 200: { description: 'Stored (see `errors` for rejected items)', schema: batchReply } },
    },
    async (c, { body }) => {
      const { ingestion, activation } = c.get('services');
      const ruleSet = activation.active;
      const good: LeadEvent[] = [];
      const indexes: number[] = [];
      const errors: FieldError[] = [];
      body.events.forEach((raw, index) => {
        const checked = checkEvent(raw, ruleSet, `events[${index}]`);
        if (checked.ok) {
          good.push(checked.event);
          indexes.push(index);
        } else errors.push(...checked.errors);
      });
      if (good.length === 0) throw invalid(errors, `None of the ${body.events.length} events is valid; nothing was stored.`);
      const result = await ingestion.ingest(good.map((event) => ({ event, recordedBy: c.get('apiKey').name })));
      const results: Array<{ index: number; eventId: string; status: 'stored' | 'duplicate' }> = [];
      result.events.forEach((e, i) => {
        const index = indexes[i]!;
        if (e.status === 'conflict') errors.push(idTaken(e.eventId, `events[${index}].id`).errors[0]!);
        else results.push({ index, eventId: e.eventId, status: e.status });
      });
      const stored = results.filter((r) => r.status === 'stored').length;
      return c.json({
        received: body.events.length,
        stored,
        duplicates: results.length - stored,
        rejected: body.events.length - results.length,
        results,
        errors,
      });
    },
  );
}
