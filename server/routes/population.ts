/**
 * Population impact while editing: the unsaved draft judged on every stored
 * lead (or a seeded sample beyond POPULATION_SAMPLE_LIMIT) beside the active
 * version. The sample's histories are read on this thread in small queries
 * and kept (population/sample.ts); the judging runs on a worker thread that
 * keeps them too, within the limits of limits.ts.
 */
import type { OpenAPIHono, z } from '@hono/zod-openapi';
import { BUSY_RETRY_AFTER_SECONDS, MAX_BATCH_BODY_BYTES, POPULATION_SAMPLE_LIMIT, POPULATION_TOP_CHANGES } from '../config';
import type { AppEnv } from '../context';
import { EvaluationRefused, JobCancelled } from '../evaluate-pool';
import { route } from '../http';
import { EVALUATE_MAX_STEPS, MAX_RULE_SET_DEPTH, nestingProblem, POPULATION_MAX_HEAP_MB, POPULATION_MAX_MS } from '../limits';
import type { PopulationJob } from '../population/job';
import { populationJob, populationPool, sampleCache } from '../population/runner';
import { populationBody, populationReply } from '../population/schemas';
import { ApiProblem, invalid } from '../problem';

/** The problem for a job over its time or memory, or refused for want of the thread. */
function refusal(error: EvaluationRefused): ApiProblem {
  if (error.reason === 'queue') {
    return new ApiProblem(503, 'unavailable', `Too many population requests are waiting (${error.message}); send the request again.`);
  }
  const limit =
    error.reason === 'time' ? { limit: 'time', maxMs: POPULATION_MAX_MS } : { limit: 'memory', maxHeapMb: POPULATION_MAX_HEAP_MB };
  return new ApiProblem(
    422,
    'evaluation-limit',
    `Stopped: ${error.message}, the limit for one population request; simplify the draft's conditions.`,
    [{ path: 'ruleSet', message: error.message }],
    limit,
  );
}

export function populationRoutes(app: OpenAPIHono<AppEnv>): void {
  route(
    app,
    {
      method: 'post',
      path: '/v1/rulesets/population',
      tag: 'Rule sets',
      summary: "A draft's effect on the stored leads",
      description: `The unsaved draft and the active version judged on the same stored leads at the same time: score histogram (shared bins), leads per band and stage, hand-offs per ISO week, a fit × engagement grid (A–C by thirds of the highest possible fit, 1–3 from the hot and warm thresholds, the draft's cut points for both), and the first ${POPULATION_TOP_CHANGES} leads changing band (largest score change first) with the rules and thresholds that made the difference. Beyond ${POPULATION_SAMPLE_LIMIT} stored leads a seeded sample of that many is judged (\`sample\` says so). An invalid draft gets 422 \`invalid-rule-set\` naming each field. Limits: each lead's history ${EVALUATE_MAX_STEPS} steps of rule evaluation, the request ${POPULATION_MAX_MS} ms and ${POPULATION_MAX_HEAP_MB} MB (422 \`evaluation-limit\`).`,
      roles: ['sales', 'editor'],
      body: populationBody,
      maxBody: MAX_BATCH_BODY_BYTES,
      responses: {
        200: { description: 'Figures of the active version and the draft', schema: populationReply },
        422: { description: 'The draft is invalid, or over a limit: steps, time or memory' },
        503: { description: 'Too many population requests waiting; send again after Retry-After' },
      },
    },
    async (c, { body }) => {
      const { services } = c.var;
      // Before the job is copied to a worker thread: copying too deep a value would overflow the stack.
      const tooDeep = nestingProblem(body.ruleSet, 'ruleSet', MAX_RULE_SET_DEPTH);
      if (tooDeep) throw invalid([tooDeep]);
      const sample = await sampleCache(services).get();
      const active = services.activation.active;
      const job = populationJob(services, sample, body.ruleSet, EVALUATE_MAX_STEPS, POPULATION_TOP_CHANGES);
      const pool = populationPool();
      // A request the editor has given up on (a newer edit) is dropped if it is still waiting for the thread.
      const run = (given: PopulationJob) =>
        pool.run(given, c.req.raw.signal).catch((error: unknown) => {
          if (error instanceof JobCancelled) throw new ApiProblem(503, 'unavailable', 'The request was cancelled before it ran.');
          if (error instanceof EvaluationRefused) {
            if (error.reason === 'queue') c.header('Retry-After', String(BUSY_RETRY_AFTER_SECONDS));
            throw refusal(error);
          }
          throw error;
        });
      let outcome = await run(job);
      // The thread holds another sample (or was replaced): it gets the histories once.
      if (!outcome.ok && 'needSample' in outcome) outcome = await run({ ...job, sample: { ...job.sample, json: sample.json } });
      if (!outcome.ok) {
        if ('needSample' in outcome) throw new Error('the population worker asked for the sample it was just sent');
        const { status, type, detail, errors, extra } = outcome.problem;
        throw new ApiProblem(status, type, detail, errors, extra);
      }
      const reply: z.infer<typeof populationReply> = {
        activeVersion: active.version,
        sample: { sampled: sample.leads < sample.total, leads: sample.leads, total: sample.total, limit: sample.limit, seed: sample.seed },
        ...outcome.impact,
      };
      return c.json(reply);
    },
  );
}
