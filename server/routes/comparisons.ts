/**
 * Comparisons of rule-set versions against what really happened: started in
 * the background (a replay of stored history, or the live and shadow results
 * stored as events arrived), then followed by id until the report is ready.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import { changesCsv, type CompiledRuleSet, type VersionDiff } from '../../engine/index';
import { changesQuery, comparisonBody, comparisonIdParams, comparisonReply, comparisonStarted } from '../api-schemas';
import type { Comparison } from '../comparisons/registry';
import type { AppEnv, Services } from '../context';
import { route } from '../http';
import { normaliseTime } from '../lead-history';
import { conflict, invalid, notFound, type FieldError } from '../problem';

/** Loads every named version, or throws a 400 naming each one that is missing or does not load. */
async function loadVersions(services: Services, versions: readonly string[]): Promise<CompiledRuleSet[]> {
  const ruleSets: CompiledRuleSet[] = [];
  const errors: FieldError[] = [];
  for (const [i, version] of versions.entries()) {
    const loaded = await services.files.load(version);
    if (loaded.ok) ruleSets.push(loaded.ruleSet);
    else if ('missing' in loaded) errors.push({ path: `versions[${i}]`, message: `no rule set version ${version}` });
    else
      errors.push({
        path: `versions[${i}]`,
        message: `rule set ${version} does not load: ${loaded.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
      });
  }
  if (errors.length > 0) throw invalid(errors);
  return ruleSets;
}

/** Every version in the rule files that loads: those that may have evaluated stored events, for a shadow comparison's live side. */
async function allVersions(services: Services): Promise<CompiledRuleSet[]> {
  const ruleSets: CompiledRuleSet[] = [];
  for (const version of await services.files.versionNames()) {
    const loaded = await services.files.get(version);
    if (loaded) ruleSets.push(loaded);
  }
  return ruleSets;
}

/** The reply for a comparison; the report is spliced in as the JSON text the worker made, never parsed here. */
function replyText(comparison: Comparison): string {
  const { report, ...state } = comparison;
  const head = JSON.stringify(state);
  return report === undefined ? head : `${head.slice(0, -1)},"report":${report}}`;
}

export function comparisonRoutes(app: OpenAPIHono<AppEnv>): void {
  route(
    app,
    {
      method: 'post',
      path: '/v1/comparisons',
      tag: 'Comparisons',
      summary: 'Start comparing rule-set versions against actual outcomes',
      description:
        'Runs in the background; follow it with GET /v1/comparisons/{id}. `source: "replay"` (default) replays the stored history through every version; `source: "shadow"` compares the active version with the challenger from the results stored as live events arrived (no replay; see docs/replay.md for what it cannot compute).',
      roles: ['editor'],
      body: comparisonBody,
      responses: {
        202: { description: 'Started', schema: comparisonStarted },
        409: { description: 'Shadow comparison without a challenger' },
        503: { description: 'The line of comparisons waiting behind the running one is full' },
      },
    },
    async (c, { body }) => {
      const services = c.var.services;
      const ruleSets = await loadVersions(services, body.versions);
      let challenger: string | undefined;
      if (body.source === 'shadow') {
        const active = services.activation.active.version;
        challenger = services.activation.challenger?.version;
        if (!challenger) throw conflict('No challenger is set: a shadow comparison compares the active version with the challenger.');
        const expected = [active, challenger].sort();
        if ([...body.versions].sort().join() !== expected.join()) {
          throw invalid([
            {
              path: 'versions',
              message: `a shadow comparison compares the active version (${active}) with the challenger (${challenger})`,
            },
          ]);
        }
      }
      const comparison = services.comparisons.start({
        source: body.source,
        ruleSets,
        ...(body.since !== undefined && { since: normaliseTime(body.since) }),
        ...(body.until !== undefined && { until: normaliseTime(body.until) }),
        ...(body.horizonDays !== undefined && { horizonDays: body.horizonDays }),
        ...(body.openAsLostAfterDays !== undefined && { openAsLostAfterDays: body.openAsLostAfterDays }),
        ...(challenger !== undefined && { challenger, liveRuleSets: await allVersions(services) }),
      });
      c.header('Location', `/v1/comparisons/${comparison.id}`);
      return c.json({ id: comparison.id }, 202);
    },
  );

  route(
    app,
    {
      method: 'get',
      path: '/v1/comparisons/{id}',
      tag: 'Comparisons',
      summary: 'A comparison: its progress, then its report',
      description:
        "The report (once done) is the replay report (each version's metrics, each later version against the first) with, per version, the threshold what-if curve. Finished comparisons are kept in memory, the last 20; a restart forgets them.",
      roles: ['editor', 'sales'],
      params: comparisonIdParams,
      responses: {
        200: { description: 'The comparison', schema: comparisonReply },
        404: { description: 'No such comparison (or forgotten)' },
      },
    },
    async (c, { params }) => {
      const comparison = await c.var.services.comparisons.find(params.id);
      if (!comparison) throw notFound(`No comparison "${params.id}" (finished ones are kept in memory, the last 20, until a restart).`);
      return c.body(replyText(comparison), 200, { 'Content-Type': 'application/json' });
    },
  );

  route(
    app,
    {
      method: 'get',
      path: '/v1/comparisons/{id}/changes.csv',
      tag: 'Comparisons',
      summary: 'The leads that change between two versions, as CSV',
      description:
        "One row per changed lead of a finished comparison: outcome, kinds of change, each version's judged score, band, hand-off and final stage, the thresholds that moved it and the per-rule point differences (at the same moment for both versions). Filter by `outcome` and `kind`.",
      roles: ['editor', 'sales'],
      params: comparisonIdParams,
      query: changesQuery,
      responses: {
        200: { description: 'text/csv, header line first' },
        404: { description: 'No such comparison, or no such difference' },
        409: { description: 'The comparison is not done' },
      },
    },
    async (c, { params, query }) => {
      const comparison = await c.var.services.comparisons.find(params.id);
      if (!comparison) throw notFound(`No comparison "${params.id}" (finished ones are kept in memory, the last 20, until a restart).`);
      if (comparison.report === undefined)
        throw conflict(`Comparison "${params.id}" is ${comparison.status}: its changed leads are known once it is done.`);
      const { diffs } = JSON.parse(comparison.report) as { diffs: VersionDiff[] };
      const diff = diffs[query.diff];
      if (!diff) throw notFound(`Comparison "${params.id}" has ${diffs.length} difference(s); diff=${query.diff} is none of them.`);
      const filter = { ...(query.outcome && { outcome: query.outcome }), ...(query.kind && { kind: query.kind }) };
      const name = `changes-${diff.from}-${diff.to}.csv`.replace(/[^\w.-]/g, '_');
      return c.body(changesCsv(diff, filter), 200, {
        'Content-Type': 'text/csv; charset=utf-8',
        'Content-Disposition': `attachment; filename="${name}"`,
      });
    },
  );
}
