/** Reading leads (state, explanation, timeline, hand-off summary, filtered lists, a case of their outcome) and upserting their attributes. */
import { z, type OpenAPIHono } from '@hono/zod-openapi';
import { randomUUID } from 'node:crypto';
import { MAX_CASE_EVENTS, caseFromLead, handOffSummary, isKnownEventType, nextTimeChange, runCase, scoreAsOf } from '../../engine/index';
import { anyObject, attributesBody, eventReply, leadDetail, leadIdParams, leadList, leadListQuery } from '../api-schemas';
import type { AppEnv, Services } from '../context';
import { checkEvent } from '../event-input';
import { servicesRuleSets, type LeadHistory } from '../lead-derivation';
import type { StoredLead } from '../store/index';
import { normaliseTime } from '../lead-history';
import { route } from '../http';
import { conflict, invalid, notFound } from '../problem';
import { sortValue, type LeadKeyset, type LeadSort } from '../store/index';
import { leadView, outcomeView, timelineEntry } from '../views';
import { ingestOne } from './events';

const READERS = ['sales', 'editor'] as const;

/** A stored lead's events and what they did, derived on read (kept per lead revision: see DerivedLeads). */
function leadHistory(services: Services, lead: StoredLead): Promise<LeadHistory> {
  return services.derived.get(lead, () => services.store.read.leadEvents(lead.state.leadId), servicesRuleSets(services));
}

/** The longest case name (as in the rule-set schema). */
const MAX_CASE_NAME = 200;
const caseQuery = z.object({
  name: z.string().min(1).max(MAX_CASE_NAME).optional().describe('Name of the case; default "lead <id> as of <time>"'),
});

/** Opaque keyset cursor: the sort, and the sort value and id of the last lead on the page. */
function encodeCursor(sort: LeadSort, value: string | number, id: string): string {
  return Buffer.from(JSON.stringify([sort, value, id])).toString('base64url');
}

function decodeCursor(cursor: string, sort: LeadSort): LeadKeyset {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    // answered by the 400 below
  }
  // A score sorts as a number, times as text: a value of the other kind is no cursor of this list.
  const valueType = sort === 'score' ? 'number' : 'string';
  if (Array.isArray(value) && value.length === 3 && typeof value[1] === valueType && typeof value[2] === 'string') {
    if (value[0] !== sort)
      throw invalid([{ path: 'query.cursor', message: `a cursor of a list sorted by "${String(value[0])}", not "${sort}"` }]);
    return { value: value[1], id: value[2] };
  }
  throw invalid([{ path: 'query.cursor', message: 'not a cursor from a previous page' }]);
}

export function leadRoutes(app: OpenAPIHono<AppEnv>): void {
  route(
    app,
    {
      method: 'get',
      path: '/v1/leads',
      tag: 'Leads',
      summary: 'List leads, filtered, sorted (newest update first by default) and paged',
      roles: [...READERS],
      query: leadListQuery,
      responses: { 200: { description: 'One page; pass nextCursor as cursor for the next', schema: leadList } },
    },
    async (c, { query }) => {
      const { cursor, limit, stage, ...filter } = query;
      if (filter.minScore !== undefined && filter.maxScore !== undefined && filter.minScore > filter.maxScore) {
        throw invalid([{ path: 'query.minScore', message: `greater than maxScore (${filter.maxScore})` }]);
      }
      const after = cursor ? decodeCursor(cursor, filter.sort) : undefined;
      const { store, activation, now } = c.var.services;
      // Stored times are UTC ISO text: the bound is compared as an instant only in the same spelling.
      const since = filter.updatedSince && normaliseTime(filter.updatedSince);
      const rows = await store.read.listLeads({ ...filter, stages: stage, updatedSince: since, after, limit: limit + 1 });
      const page = rows.slice(0, limit);
      const last = page[page.length - 1];
      const time = now().getTime();
      const leads = page.map(({ decayBasis, ...row }) => {
        // Rows written before the decay basis was stored show their score at the last event.
        const current = decayBasis
          ? scoreAsOf(activation.active, { ...decayBasis, score: { fit: decayBasis.fit } }, time)
          : { score: { total: row.score }, band: row.band };
        return { ...row, scoreNow: current.score.total, bandNow: current.band };
      });
      const nextCursor = rows.length > limit && last ? encodeCursor(filter.sort, sortValue(last, filter.sort), last.id) : null;
      return c.json({ leads, nextCursor });
    },
  );

  route(
    app,
    {
      method: 'get',
      path: '/v1/leads/{id}',
      tag: 'Leads',
      summary: "A lead's current state, explanation and full timeline",
      roles: [...READERS],
      params: leadIdParams,
      responses: { 200: { description: 'The lead', schema: leadDetail }, 404: { description: 'No such lead' } },
    },
    async (c, { params }) => {
      const { store } = c.var.services;
      const lead = await store.read.lead(params.id);
      if (!lead) throw notFound(`No lead "${params.id}".`);
      const { events, derived } = await leadHistory(c.var.services, lead);
      const newest = events.findIndex((row) => row.event.id === lead.lastEventId);
      const outcomes = await store.read.outcomes({ leadId: params.id });
      const { activation, now } = c.var.services;
      return c.json({
        lead: leadView(lead.state),
        now: scoreAsOf(activation.active, lead.state, now().getTime()),
        // Computed, not read from the stored due time: it is one lead, and right also before the scheduler has seen an activation.
        nextChange: nextTimeChange(activation.active, lead.state),
        explanation: derived.events[newest]?.explanation ?? null,
        timeline: events.map((row, i) => timelineEntry(row, derived.events[i]!)),
        stageHistory: derived.state?.stageHistory ?? [],
        outcomes: outcomes.map(outcomeView),
      });
    },
  );

  route(
    app,
    {
      method: 'get',
      path: '/v1/leads/{id}/handoff',
      tag: 'Leads',
      summary: 'The sales hand-off summary of a lead',
      roles: [...READERS],
      params: leadIdParams,
      responses: {
        200: { description: 'Basic info, past deals, recent activity, webinars, interest level, recommended approach', schema: anyObject },
        404: { description: 'No such lead' },
      },
    },
    async (c, { params }) => {
      const { store } = c.var.services;
      const lead = await store.read.lead(params.id);
      if (!lead) throw notFound(`No lead "${params.id}".`);
      // The stored state has no recent activity: it is derived from the lead's events (see lead-derivation.ts).
      const { derived } = await leadHistory(c.var.services, lead);
      return c.json(handOffSummary(derived.state ?? lead.state));
    },
  );

  route(
    app,
    {
      method: 'get',
      path: '/v1/leads/{id}/case',
      tag: 'Leads',
      summary: "A case that keeps a lead's current outcome",
      description:
        "The lead's stored events (its attributes are among them, as lead_updated events; ticks included) and its stage, band, route and score as of its latest event as expectations, ready to add to a rule set's cases. `check` is the case run against the active version: it fails when the lead's state came from an earlier version that scored it differently.",
      roles: [...READERS],
      params: leadIdParams,
      query: caseQuery,
      responses: {
        200: { description: 'The case and its result on the active version', schema: anyObject },
        404: { description: 'No such lead' },
        409: { description: 'The lead has more events than a case may hold' },
      },
    },
    async (c, { params, query }) => {
      const { store, activation } = c.var.services;
      const lead = await store.read.lead(params.id);
      if (!lead) throw notFound(`No lead "${params.id}".`);
      const active = activation.active;
      // Events the active version does not know were skipped when the lead was folded, so the case leaves them out.
      const events = (await store.read.leadEvents(params.id))
        .map((row) => row.event)
        .filter((event) => isKnownEventType(active, event.type));
      if (events.length === 0) throw conflict(`Lead "${params.id}" has no event that ${active.version} knows.`);
      if (events.length > MAX_CASE_EVENTS)
        throw conflict(`Lead "${params.id}" has ${events.length} events; a case holds at most ${MAX_CASE_EVENTS}.`);
      const { state } = lead;
      const name = query.name ?? `lead ${params.id} as of ${state.asOf}`.slice(0, MAX_CASE_NAME);
      const kept = caseFromLead(name, events, state, state.asOf);
      return c.json({ case: kept, leadVersion: state.ruleSetVersion, activeVersion: active.version, check: runCase(active, kept) });
    },
  );

  route(
    app,
    {
      method: 'put',
      path: '/v1/leads/{id}/attributes',
      tag: 'Leads',
      summary: "Upsert a lead's attributes",
      description:
        'Recorded as a lead_updated event (created with the lead if it is new) and evaluated like any event: fit rules see the new attributes.',
      roles: ['ingest'],
      params: leadIdParams,
      body: attributesBody,
      responses: {
        201: { description: 'Stored and evaluated', schema: eventReply },
        200: { description: 'Duplicate eventId', schema: eventReply },
      },
    },
    async (c, { params, body }) => {
      const raw = {
        id: body.eventId ?? `attributes-${randomUUID()}`,
        leadId: params.id,
        type: 'lead_updated',
        occurredAt: body.occurredAt ?? c.var.services.now().toISOString(),
        properties: body.attributes,
      };
      const checked = checkEvent(raw, c.var.services.activation.active);
      if (!checked.ok) throw invalid(checked.errors);
      return ingestOne(c, checked.event);
    },
  );
}
