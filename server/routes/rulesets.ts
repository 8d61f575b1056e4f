/**
 * Rule-set versions: list, read, create (a new file, never an overwrite),
 * run their cases, diff, review (marketing and sales approve or ask for changes), the impact
 * of activating one, activate (recorded; applies from the next event) and
 * the challenger evaluated in shadow.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import { diffRuleSets } from '../../engine/index';
import {
  activateQuery,
  anyObject,
  approvalBody,
  approvalsReply,
  challengerBody,
  createRuleSetBody,
  diffQuery,
  problemSchema,
  versionParams,
} from '../api-schemas';
import { versionCases } from '../cases';
import type { AppEnv, Services } from '../context';
import { route } from '../http';
import { activationImpact, impactOf, latestImpactComparison } from '../impact';
import { ApiProblem, conflict, invalid, notFound } from '../problem';
import type { Role, Team } from '../store/index';

const ANY_ROLE = ['ingest', 'sales', 'editor'] as const;
/** The team a key approves for, by its role (admin keys may approve for either). */
const TEAM_OF_ROLE: Partial<Record<Role, Team>> = { editor: 'marketing', sales: 'sales' };

async function loadVersion(services: Services, version: string, field: string) {
  const loaded = await services.files.load(version);
  if (loaded.ok) return loaded.ruleSet;
  if ('missing' in loaded) throw notFound(`No rule set version ${version}.`);
  throw new ApiProblem(
    409,
    'invalid-rule-set',
    `Rule set ${version} on disk does not load.`,
    loaded.problems.map((p) => ({ path: field, message: `${p.path}: ${p.message}` })),
  );
}

function slots(services: Services) {
  return { active: services.activation.active.version, challenger: services.activation.challenger?.version ?? null };
}

export function ruleSetRoutes(app: OpenAPIHono<AppEnv>): void {
  route(
    app,
    {
      method: 'get',
      path: '/v1/rulesets',
      tag: 'Rule sets',
      summary: 'List versions, with the active one and the challenger',
      roles: [...ANY_ROLE],
      responses: { 200: { description: 'Versions', schema: anyObject } },
    },
    async (c) => {
      const services = c.var.services;
      const { active, challenger } = slots(services);
      const versions = (await services.files.list()).map((entry) =>
        entry.ok
          ? { ...entry.summary, valid: true, active: entry.version === active, challenger: entry.version === challenger }
          : { version: entry.version, valid: false, problems: entry.problems, active: false, challenger: false },
      );
      return c.json({ active, challenger, versions });
    },
  );

  route(
    app,
    {
      method: 'get',
      path: '/v1/rulesets/diff',
      tag: 'Rule sets',
      summary: 'What changed between two versions, in plain language',
      roles: [...ANY_ROLE],
      query: diffQuery,
      responses: { 200: { description: 'Changes', schema: anyObject }, 404: { description: 'No such version' } },
    },
    async (c, { query }) => {
      const from = await loadVersion(c.var.services, query.from, 'query.from');
      const to = await loadVersion(c.var.services, query.to, 'query.to');
      return c.json({ from: from.version, to: to.version, changes: diffRuleSets(from.definition, to.definition) });
    },
  );

  route(
    app,
    {
      method: 'get',
      path: '/v1/rulesets/activations',
      tag: 'Rule sets',
      summary: 'Who activated which version when (newest first)',
      roles: [...ANY_ROLE],
      responses: { 200: { description: 'Activations', schema: anyObject } },
    },
    async (c) => c.json({ ...slots(c.var.services), activations: await c.var.services.store.activations.activations() }),
  );

  route(
    app,
    {
      method: 'put',
      path: '/v1/rulesets/challenger',
      tag: 'Rule sets',
      summary: 'Set (or clear with null) the challenger evaluated in shadow on every live event',
      roles: ['editor'],
      body: challengerBody,
      responses: {
        200: { description: 'Recorded', schema: anyObject },
        404: { description: 'No such version' },
        409: { description: 'The version is the active one' },
      },
    },
    async (c, { body }) => {
      const { activation, now } = c.var.services;
      const record = await activation.setChallenger(body.version, c.var.apiKey.name, now().toISOString());
      return c.json({ ...slots(c.var.services), activation: record });
    },
  );

  route(
    app,
    {
      method: 'post',
      path: '/v1/rulesets',
      tag: 'Rule sets',
      summary: 'Create a new version',
      description:
        'Validated with the engine (every problem with its JSON path), then written as the next rules/vN.json; existing files are never overwritten. Not activated.',
      roles: ['editor'],
      body: createRuleSetBody,
      responses: { 201: { description: 'Created', schema: anyObject } },
    },
    async (c, { body }) => {
      const { files, activation, now } = c.var.services;
      const createdAt = now().toISOString();
      const result = await files.create((version) => ({
        $schema: './ruleset.schema.json',
        ...body,
        version,
        parent: 'parent' in body ? body['parent'] : activation.active.version,
        createdAt,
        author: typeof body['author'] === 'string' && body['author'] ? body['author'] : c.var.apiKey.name,
        note: typeof body['note'] === 'string' ? body['note'] : '',
      }));
      if (!result.ok) {
        throw new ApiProblem(
          400,
          'invalid-rule-set',
          `The rule set has ${result.problems.length} problem${result.problems.length === 1 ? '' : 's'}.`,
          result.problems,
        );
      }
      c.header('Location', `/v1/rulesets/${result.ruleSet.version}`);
      return c.json({ version: result.ruleSet.version, definition: result.ruleSet.definition }, 201);
    },
  );

  route(
    app,
    {
      method: 'get',
      path: '/v1/rulesets/{version}',
      tag: 'Rule sets',
      summary: 'Read one version',
      roles: [...ANY_ROLE],
      params: versionParams,
      responses: { 200: { description: 'The rule set', schema: anyObject }, 404: { description: 'No such version' } },
    },
    async (c, { params }) => {
      const ruleSet = await loadVersion(c.var.services, params.version, 'path.version');
      const { active, challenger } = slots(c.var.services);
      const cases = await c.var.services.files.cases(ruleSet);
      return c.json({
        version: ruleSet.version,
        active: ruleSet.version === active,
        challenger: ruleSet.version === challenger,
        definition: ruleSet.definition,
        // Those of the file and of vN.cases.json: a draft started from this version carries them all.
        cases: cases.ok ? cases.cases : [],
        approvals: await c.var.services.store.activations.approvals(ruleSet.version),
      });
    },
  );

  route(
    app,
    {
      method: 'post',
      path: '/v1/rulesets/{version}/approvals',
      tag: 'Rule sets',
      summary: 'Review a version for a team: approve it or ask for changes (marketing: an editor key; sales: a sales key; admin: either)',
      description:
        "A version needs the approval of marketing and of sales, from two different keys, before its first activation. Each review keeps the key that gave it and a comment (required when asking for changes). A team's review replaces its earlier one, but an approval stands against another approval (200, nothing changed). A key that approved for one team cannot approve for the other (409).",
      roles: ['editor', 'sales'],
      params: versionParams,
      body: approvalBody,
      responses: {
        201: { description: 'Approval recorded; all approvals of the version', schema: approvalsReply },
        200: { description: 'The team had already approved; nothing changed', schema: approvalsReply },
        404: { description: 'No such version' },
        409: { description: 'This key approved for the other team', schema: problemSchema },
      },
    },
    async (c, { params, body }) => {
      const { store, now, logger } = c.var.services;
      const key = c.var.apiKey;
      if (key.role !== 'admin' && TEAM_OF_ROLE[key.role] !== body.team) {
        throw new ApiProblem(403, 'forbidden', `A key with role ${key.role} cannot approve for ${body.team}.`, [
          { path: 'team', message: `role ${key.role} approves for ${TEAM_OF_ROLE[key.role] ?? 'no team'}` },
        ]);
      }
      if (body.decision === 'changes-requested' && body.comment === '')
        throw invalid([{ path: 'comment', message: 'say what should change: a request for changes needs a comment' }]);
      const ruleSet = await loadVersion(c.var.services, params.version, 'path.version');
      if (body.decision === 'approved') {
        const other = (await store.activations.approvals(ruleSet.version)).find(
          (review) => review.team !== body.team && review.decision === 'approved' && review.keyId === key.id,
        );
        if (other)
          throw conflict(
            `This key approved ${ruleSet.version} for ${other.team}; the approval for ${body.team} must come from another key.`,
            [{ path: 'team', message: `the same key cannot approve for ${other.team} and ${body.team}` }],
          );
      }
      const review = {
        team: body.team,
        decision: body.decision,
        by: key.name,
        keyId: key.id,
        comment: body.comment,
        at: now().toISOString(),
      };
      const recorded = await store.activations.recordApproval(ruleSet.version, review);
      if (recorded) logger.info({ version: ruleSet.version, team: body.team, decision: body.decision, by: key.name }, 'rule set reviewed');
      return c.json({ version: ruleSet.version, approvals: await store.activations.approvals(ruleSet.version) }, recorded ? 201 : 200);
    },
  );

  route(
    app,
    {
      method: 'post',
      path: '/v1/rulesets/{version}/activate',
      tag: 'Rule sets',
      summary: 'Activate a version (applies from the next event, no restart)',
      roles: [],
      params: versionParams,
      query: activateQuery,
      description:
        "A version whose cases fail is refused (409 `failing-cases`: each failing case with its first difference in `errors`, every difference in `cases`). A version's first activation needs the approval of marketing and of sales (409 names the missing ones); a version that was active before may be activated again without (a rollback). The record keeps the impact (hand-offs per week, leads changing band) from the comparison named, or else the newest kept of the active version against this one.",
      responses: {
        200: { description: 'Activated and recorded', schema: anyObject },
        404: { description: 'No such version' },
        409: { description: 'A case fails, or an approval is missing', schema: problemSchema },
      },
    },
    async (c, { params, query }) => {
      const { activation, comparisons, now } = c.var.services;
      const impact =
        params.version === activation.active.version
          ? null
          : activationImpact(comparisons, activation.active.version, params.version, query.comparison);
      const record = await activation.activate(params.version, c.var.apiKey.name, now().toISOString(), impact);
      c.var.services.logger.info({ from: record.fromVersion, to: record.toVersion, by: record.activatedBy }, 'rule set activated');
      return c.json({ ...slots(c.var.services), activation: record });
    },
  );

  route(
    app,
    {
      method: 'get',
      path: '/v1/rulesets/{version}/cases',
      tag: 'Rule sets',
      summary: "Run a version's cases",
      description:
        'The cases in the version file and in `vN.cases.json` beside it, each replayed through the version: passed or not, what the lead came to, and every difference in words, the first one first. Activation refuses a version whose cases fail.',
      roles: [...ANY_ROLE],
      params: versionParams,
      responses: {
        200: { description: 'Each case and its result', schema: anyObject },
        404: { description: 'No such version' },
        409: { description: 'The version or its case file does not load', schema: problemSchema },
      },
    },
    async (c, { params }) => {
      const services = c.var.services;
      const ruleSet = await loadVersion(services, params.version, 'path.version');
      const cases = await versionCases(services.files, ruleSet);
      if (!cases.ok) throw new ApiProblem(409, 'invalid-rule-set', `The cases of ${ruleSet.version} do not load.`, cases.problems);
      const failed = cases.results.filter((result) => !result.passed).length;
      return c.json({ version: ruleSet.version, total: cases.results.length, failed, cases: cases.results });
    },
  );

  impactRoutes(app);
}

/** The impact of activating a version: the newest comparison kept of the active version against it, and what it shows. */
function impactReply(services: Services, version: string) {
  const active = services.activation.active.version;
  const comparison = version === active ? undefined : latestImpactComparison(services.comparisons, active, version);
  return {
    version,
    active,
    comparison: comparison ? { id: comparison.id, status: comparison.status, progress: comparison.progress } : null,
    impact: (comparison && impactOf(comparison, active, version)) ?? null,
  };
}

/**
 * What activating a version would change, for its reviewers and for the
 * admin who activates it: read from the newest comparison with the active
 * version, or started on the spot.
 */
function impactRoutes(app: OpenAPIHono<AppEnv>): void {
  route(
    app,
    {
      method: 'get',
      path: '/v1/rulesets/{version}/impact',
      tag: 'Rule sets',
      summary: 'What activating a version would change, from the newest comparison with the active version',
      description:
        'The newest comparison kept (running or done) of the active version against this one, and once it is done the impact: hand-offs per week under each and the leads changing band, hand-off or stage. `comparison` is null when none is kept: start one with POST.',
      roles: ['editor', 'sales'],
      params: versionParams,
      responses: { 200: { description: 'The comparison and its impact', schema: anyObject }, 404: { description: 'No such version' } },
    },
    async (c, { params }) => {
      const ruleSet = await loadVersion(c.var.services, params.version, 'path.version');
      return c.json(impactReply(c.var.services, ruleSet.version));
    },
  );

  route(
    app,
    {
      method: 'post',
      path: '/v1/rulesets/{version}/impact',
      tag: 'Rule sets',
      summary: 'Compare a version with the active one on past data, for its review and activation',
      description:
        'Starts a replay of the active version and this one over the whole history (default options), unless one is running or done already; follow it here or at GET /v1/comparisons/{id}. Open to sales too, who review versions but do not run other comparisons.',
      roles: ['editor', 'sales'],
      params: versionParams,
      responses: {
        202: { description: 'Started, or already running or done', schema: anyObject },
        404: { description: 'No such version' },
        409: { description: 'The version is the active one' },
      },
    },
    async (c, { params }) => {
      const services = c.var.services;
      const ruleSet = await loadVersion(services, params.version, 'path.version');
      const active = services.activation.active;
      if (ruleSet.version === active.version)
        throw conflict(`${ruleSet.version} is the active version: there is nothing to compare it with.`);
      if (!latestImpactComparison(services.comparisons, active.version, ruleSet.version))
        services.comparisons.start({ source: 'replay', ruleSets: [active, ruleSet] });
      return c.json(impactReply(services, ruleSet.version), 202);
    },
  );
}
