/**
 * Stateless evaluation: a rule set (stored or unsaved), a lead and events in;
 * state and explanations out; nothing stored. The work runs on the
 * evaluation pool's worker threads, within the limits of limits.ts.
 */
import type { OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { anyObject, evaluateBody, evaluateCasesBody, evaluateReply } from '../api-schemas';
import { versionCases } from '../cases';
import { BUSY_RETRY_AFTER_SECONDS, MAX_BATCH_BODY_BYTES } from '../config';
import type { AppEnv, Services } from '../context';
import type { EvaluateJob } from '../evaluate-job';
import { EvaluatePool, EvaluationRefused } from '../evaluate-pool';
import { route } from '../http';
import { EVALUATE_MAX_HEAP_MB, EVALUATE_MAX_MS, EVALUATE_MAX_STEPS, MAX_RULE_SET_DEPTH, nestingProblem, payloadProblems } from '../limits';
import { ApiProblem, invalid, notFound } from '../problem';

/** Where the job finds its rule set: a stored version (compiled once per worker) or the unsaved one sent. */
async function ruleSetSource(services: Services, version: string | undefined, unsaved: unknown): Promise<EvaluateJob['ruleSet']> {
  if (unsaved !== undefined) return { unsaved };
  const ruleSet = version === undefined ? services.activation.active : await services.files.get(version);
  if (!ruleSet) throw notFound(`No loadable rule set version "${version}".`);
  return { key: `${services.files.dir}:${ruleSet.version}`, definition: ruleSet.definition };
}

/** The problem for a job over its time or memory, or refused for want of a worker. */
function refusal(error: EvaluationRefused): ApiProblem {
  if (error.reason === 'queue') {
    return new ApiProblem(503, 'unavailable', `Too many evaluations are running or waiting (${error.message}); send the request again.`);
  }
  const limit = error.reason === 'time' ? { limit: 'time', maxMs: EVALUATE_MAX_MS } : { limit: 'memory', maxHeapMb: EVALUATE_MAX_HEAP_MB };
  return new ApiProblem(
    422,
    'evaluation-limit',
    `Stopped: ${error.message}, the limit for one evaluation request; evaluate fewer events or simpler conditions.`,
    [{ path: 'events', message: error.message }],
    limit,
  );
}

let pool: EvaluatePool | undefined;

/** Runs a job on the pool; a refusal or a problem of the job becomes the reply's problem. */
async function runJob(c: Context<AppEnv>, job: EvaluateJob): Promise<unknown> {
  pool ??= new EvaluatePool();
  const outcome = await pool.run(job).catch((error: unknown) => {
    if (error instanceof EvaluationRefused) {
      if (error.reason === 'queue') c.header('Retry-After', String(BUSY_RETRY_AFTER_SECONDS));
      throw refusal(error);
    }
    throw error;
  });
  if (!outcome.ok) {
    const { status, type, detail, errors, extra } = outcome.problem;
    throw new ApiProblem(status, type, detail, errors, extra);
  }
  return outcome.reply;
}

export function evaluateRoutes(app: OpenAPIHono<AppEnv>): void {
  route(
    app,
    {
      method: 'post',
      path: '/v1/evaluate',
      tag: 'Evaluation',
      summary: 'Evaluate a lead without storing anything',
      description: `For live previews and callers who only want a score: events are applied in time order to a new lead with the given attributes. Limits per request (422 \`evaluation-limit\` names the one passed, in \`limit\`): ${EVALUATE_MAX_STEPS} steps of rule evaluation for all the events together, ${EVALUATE_MAX_MS} ms, ${EVALUATE_MAX_HEAP_MB} MB of heap. Events and attributes are limited as in \`LeadEvent\`.`,
      roles: ['ingest', 'sales', 'editor'],
      body: evaluateBody,
      maxBody: MAX_BATCH_BODY_BYTES,
      responses: {
        200: { description: 'The state and what each event did', schema: evaluateReply },
        404: { description: 'No such version' },
        422: { description: 'Over a limit of the request: steps, time or memory' },
        503: { description: 'Too many evaluations running or waiting; send again after Retry-After' },
      },
    },
    async (c, { body }) => {
      const { services } = c.var;
      // Before the job is copied to a worker thread: copying too deep a value would overflow the stack.
      const tooLarge = [
        ...payloadProblems(body.lead.attributes, 'lead.attributes'),
        ...body.events.flatMap((e, index) => payloadProblems(e.properties, `events[${index}].properties`)),
        ...[nestingProblem(body.ruleSet, 'ruleSet', MAX_RULE_SET_DEPTH)].filter((problem) => problem !== undefined),
      ];
      if (tooLarge.length > 0) throw invalid(tooLarge);
      const job: EvaluateJob = {
        ruleSet: await ruleSetSource(services, body.version, body.ruleSet),
        now: services.now().toISOString(),
        lead: body.lead,
        events: body.events,
        maxSteps: EVALUATE_MAX_STEPS,
      };
      return c.json((await runJob(c, job)) as z.infer<typeof evaluateReply>);
    },
  );

  route(
    app,
    {
      method: 'post',
      path: '/v1/evaluate/cases',
      tag: 'Evaluation',
      summary: "Run a rule set's cases without storing anything",
      description: `For the editor, on every edit of a draft: the cases of an unsaved rule set (its \`cases\`), or of a stored version (those of its file and of \`vN.cases.json\`), each with whether it passed and every difference in words. An unsaved rule set runs on the evaluation pool within the limits of \`POST /v1/evaluate\` (${EVALUATE_MAX_STEPS} steps for all the cases together).`,
      roles: ['sales', 'editor'],
      body: evaluateCasesBody,
      maxBody: MAX_BATCH_BODY_BYTES,
      responses: {
        200: { description: 'Each case and its result', schema: anyObject },
        400: { description: 'The rule set or its cases are invalid' },
        404: { description: 'No such version' },
        422: { description: 'Over a limit of the request: steps, time or memory' },
      },
    },
    async (c, { body }) => {
      const { services } = c.var;
      if (body.ruleSet === undefined) {
        const ruleSet = body.version === undefined ? services.activation.active : await services.files.get(body.version);
        if (!ruleSet) throw notFound(`No loadable rule set version "${body.version}".`);
        const cases = await versionCases(services.files, ruleSet);
        if (!cases.ok) throw new ApiProblem(409, 'invalid-rule-set', `The cases of ${ruleSet.version} do not load.`, cases.problems);
        return c.json({ results: cases.results });
      }
      const tooDeep = nestingProblem(body.ruleSet, 'ruleSet', MAX_RULE_SET_DEPTH);
      if (tooDeep) throw invalid([tooDeep]);
      const job: EvaluateJob = {
        ruleSet: { unsaved: body.ruleSet },
        now: services.now().toISOString(),
        lead: { id: 'case', attributes: {} },
        events: [],
        maxSteps: EVALUATE_MAX_STEPS,
        cases: true,
      };
      return c.json((await runJob(c, job)) as Record<string, unknown>);
    },
  );
}
