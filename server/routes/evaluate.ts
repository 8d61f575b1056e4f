/** Stateless evaluation: a rule set (stored or unsaved), a lead and events in; state and explanations out; nothing stored. */
import type { OpenAPIHono } from '@hono/zod-openapi';
import { handOffSummary, loadRuleSet, type CompiledRuleSet, type LeadEvent } from '../../engine/index';
import { evaluateBody, evaluateReply } from '../api-schemas';
import { MAX_BATCH_BODY_BYTES } from '../config';
import type { AppEnv, Services } from '../context';
import { checkEvent } from '../event-input';
import { route } from '../http';
import { applyInOrder, compareHistory } from '../lead-history';
import { ApiProblem, invalid, notFound, type FieldError } from '../problem';
import { leadView } from '../views';

/** Metadata an unsaved rule set may leave out: it is never stored, so it needs no real version or author. */
const PREVIEW_METADATA = { version: 'v1', parent: null, author: 'preview', note: '' };

async function chooseRuleSet(services: Services, version: string | undefined, unsaved: unknown): Promise<CompiledRuleSet> {
  if (unsaved !== undefined) {
    const input =
      unsaved && typeof unsaved === 'object' && !Array.isArray(unsaved)
        ? { ...PREVIEW_METADATA, createdAt: services.now().toISOString(), ...unsaved }
        : unsaved;
    const loaded = loadRuleSet(input);
    if (loaded.ok) return loaded.ruleSet;
    const errors = loaded.problems.map((p) => ({ path: p.path ? `ruleSet.${p.path}` : 'ruleSet', message: p.message }));
    throw new ApiProblem(400, 'invalid-rule-set', `The rule set has ${errors.length} problem${errors.length === 1 ? '' : 's'}.`, errors);
  }
  if (version === undefined) return services.activation.active;
  const ruleSet = await services.files.get(version);
  if (!ruleSet) throw notFound(`No loadable rule set version "${version}".`);
  return ruleSet;
}

export function evaluateRoutes(app: OpenAPIHono<AppEnv>): void {
  route(
    app,
    {
      method: 'post',
      path: '/v1/evaluate',
      tag: 'Evaluation',
      summary: 'Evaluate a lead without storing anything',
      description:
        'For live previews and callers who only want a score: events are applied in time order to a new lead with the given attributes.',
      roles: ['ingest', 'sales', 'editor'],
      body: evaluateBody,
      maxBody: MAX_BATCH_BODY_BYTES,
      responses: {
        200: { description: 'The state and what each event did', schema: evaluateReply },
        404: { description: 'No such version' },
      },
    },
    async (c, { body }) => {
      const ruleSet = await chooseRuleSet(c.var.services, body.version, body.ruleSet);
      const events: LeadEvent[] = [];
      const errors: FieldError[] = [];
      body.events.forEach((e, index) => {
        const raw = {
          id: e.id ?? `preview-${index}`,
          leadId: body.lead.id,
          type: e.type,
          occurredAt: e.occurredAt,
          properties: e.properties,
        };
        const checked = checkEvent(raw, ruleSet, `events[${index}]`);
        if (checked.ok) events.push(checked.event);
        else errors.push(...checked.errors);
      });
      if (errors.length > 0) throw invalid(errors);
      events.sort(compareHistory);
      const first = events[0]?.occurredAt ?? c.var.services.now().toISOString();
      const attributes =
        Object.keys(body.lead.attributes).length > 0
          ? [{ id: 'preview-attributes', leadId: body.lead.id, type: 'lead_updated', occurredAt: first, properties: body.lead.attributes }]
          : [];
      const fold = applyInOrder(ruleSet, null, [...attributes, ...events]);
      return c.json({
        ruleSetVersion: ruleSet.version,
        lead: fold.state && leadView(fold.state),
        explanations: fold.applied.slice(attributes.length).map((a) => a.explanation),
        handOff: fold.state && handOffSummary(fold.state),
      });
    },
  );
}
