/**
 * Suggested points from stored history, as `leadflow suggest` fits them:
 * started in the background in the comparisons' line (one job at a time on
 * their threads), then followed by id until the result is ready.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../context';
import { route } from '../http';
import { normaliseTime } from '../lead-history';
import { invalid, notFound } from '../problem';
import type { SuggestionOptions } from '../suggestions/job';
import { runSuggestion, type Suggestion } from '../suggestions/run';
import { historySpan, suggestionBody, suggestionIdParams, suggestionReply, suggestionStarted } from '../suggestions/schemas';

/** The reply for a suggestion; its result is spliced in as the JSON text the worker made, never parsed here. */
function replyText(suggestion: Suggestion): string {
  const { report, ...state } = suggestion;
  const head = JSON.stringify(state);
  return report === undefined ? head : `${head.slice(0, -1)},"result":${report}}`;
}

export function suggestionRoutes(app: OpenAPIHono<AppEnv>): void {
  route(
    app,
    {
      method: 'post',
      path: '/v1/suggestions',
      tag: 'Suggestions',
      summary: 'Start suggesting scoring points from a period of history',
      description:
        'Fits points to the recorded outcomes of the period, as `leadflow suggest` does, and judges the suggested table and the version it starts from on held-out leads at the same judgement point as comparisons. Runs in the background, in line with comparisons; follow it with GET /v1/suggestions/{id}.',
      roles: ['editor'],
      body: suggestionBody,
      responses: {
        202: { description: 'Started', schema: suggestionStarted },
        503: { description: 'The line of comparisons and suggestions waiting behind the running one is full' },
      },
    },
    async (c, { body }) => {
      const services = c.var.services;
      const fromVersion = body.from ?? services.activation.active.version;
      const loaded = await services.files.load(fromVersion);
      if (!loaded.ok) {
        const message =
          'missing' in loaded
            ? `no rule set version ${fromVersion}`
            : `rule set ${fromVersion} does not load: ${loaded.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`;
        throw invalid([{ path: 'from', message }]);
      }
      const names = await services.files.versionNames();
      const version = `v${names.reduce((top, name) => Math.max(top, Number(name.slice(1))), 0) + 1}`;
      const since = body.since === undefined ? undefined : normaliseTime(body.since);
      const until = body.until === undefined ? undefined : normaliseTime(body.until);
      const options: SuggestionOptions = {
        ...(body.horizonDays !== undefined && { horizonDays: body.horizonDays }),
        ...(body.holdOut !== undefined && { holdOut: body.holdOut }),
        ...(body.seed !== undefined && { seed: body.seed }),
        ...(body.l2 !== undefined && { l2: body.l2 }),
        ...(body.ignore !== undefined && { ignore: body.ignore }),
      };
      const request = {
        from: loaded.ruleSet,
        version,
        ...(since !== undefined && { since }),
        ...(until !== undefined && { until }),
        options,
      };
      const suggestion = services.comparisons.enqueue<Suggestion>(
        { kind: 'suggestion', from: fromVersion, since: since ?? null, until: until ?? null, options },
        (run) => runSuggestion(services.store, request, run),
      );
      c.header('Location', `/v1/suggestions/${suggestion.id}`);
      return c.json({ id: suggestion.id }, 202);
    },
  );

  // Before /v1/suggestions/{id}, which would take "period" for an id.
  route(
    app,
    {
      method: 'get',
      path: '/v1/suggestions/period',
      tag: 'Suggestions',
      summary: 'The period of stored history a suggestion can read',
      description: 'The times of the first and last stored event, so a period can be chosen within them.',
      roles: ['editor'],
      responses: { 200: { description: 'The first and last stored event', schema: historySpan } },
    },
    async (c) => {
      const { first, last } = await c.var.services.store.history.span();
      return c.json({ firstEventAt: first, lastEventAt: last }, 200);
    },
  );

  route(
    app,
    {
      method: 'get',
      path: '/v1/suggestions/{id}',
      tag: 'Suggestions',
      summary: 'A suggestion: its place in line and progress, then its result',
      description:
        'The result (once done): the current and suggested points rule by rule, both hold-out AUCs with their 95% intervals and lead counts, notes (a history with one outcome only is refused with its cause and fix), and the suggested rule set to open as a draft. Finished ones are kept like comparisons, the last 20.',
      roles: ['editor'],
      params: suggestionIdParams,
      responses: {
        200: { description: 'The suggestion', schema: suggestionReply },
        404: { description: 'No such suggestion (or forgotten)' },
      },
    },
    async (c, { params }) => {
      const job = await c.var.services.comparisons.findJob(params.id);
      if (!job || job.kind !== 'suggestion') throw notFound(`No suggestion "${params.id}" (finished ones are kept, the last 20).`);
      return c.body(replyText(job as Suggestion), 200, { 'Content-Type': 'application/json' });
    },
  );
}
