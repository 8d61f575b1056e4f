/**
 * Rule-set versions: list, read, create (a new file, never an overwrite),
 * diff, approve (marketing and sales), activate (recorded; applies from the
 * next event) and the challenger evaluated in shadow.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import { diffRuleSets } from '../../engine/index';
import {
  anyObject,
  approvalBody,
  approvalsReply,
  challengerBody,
  createRuleSetBody,
  diffQuery,
  problemSchema,
  versionParams,
} from '../api-schemas';
import type { AppEnv, Services } from '../context';
import { route } from '../http';
import { ApiProblem, notFound } from '../problem';
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
    async (c) => c.json({ ...slots(c.var.services), activations: await c.var.services.store.read.activations() }),
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
      return c.json({
        version: ruleSet.version,
        active: ruleSet.version === active,
        challenger: ruleSet.version === challenger,
        definition: ruleSet.definition,
        approvals: await c.var.services.store.read.approvals(ruleSet.version),
      });
    },
  );

  route(
    app,
    {
      method: 'post',
      path: '/v1/rulesets/{version}/approvals',
      tag: 'Rule sets',
      summary: 'Approve a version for a team (marketing: an editor key; sales: a sales key; admin: either)',
      description:
        'A version needs the approval of marketing and of sales before its first activation. The first approval of a team stands: approving again changes nothing (200).',
      roles: ['editor', 'sales'],
      params: versionParams,
      body: approvalBody,
      responses: {
        201: { description: 'Approval recorded; all approvals of the version', schema: approvalsReply },
        200: { description: 'The team had already approved; nothing changed', schema: approvalsReply },
        404: { description: 'No such version' },
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
      const ruleSet = await loadVersion(c.var.services, params.version, 'path.version');
      const recorded = await store.read.recordApproval(ruleSet.version, { team: body.team, by: key.name, at: now().toISOString() });
      if (recorded) logger.info({ version: ruleSet.version, team: body.team, by: key.name }, 'rule set approved');
      return c.json({ version: ruleSet.version, approvals: await store.read.approvals(ruleSet.version) }, recorded ? 201 : 200);
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
      description:
        "A version's first activation needs the approval of marketing and of sales (409 names the missing ones); a version that was active before may be activated again without (a rollback).",
      responses: {
        200: { description: 'Activated and recorded', schema: anyObject },
        404: { description: 'No such version' },
        409: { description: 'An approval is missing', schema: problemSchema },
      },
    },
    async (c, { params }) => {
      const { activation, now } = c.var.services;
      const record = await activation.activate(params.version, c.var.apiKey.name, now().toISOString());
      c.var.services.logger.info({ from: record.fromVersion, to: record.toVersion, by: record.activatedBy }, 'rule set activated');
      return c.json({ ...slots(c.var.services), activation: record });
    },
  );
}
