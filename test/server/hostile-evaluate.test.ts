/**
 * Costly previews: an unsaved rule set whose condition is cheap to send and
 * costly to evaluate, on many events. The request is refused with a problem
 * naming the limit it passed, and the server goes on answering others.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EvaluatePool, EvaluationRefused, JobCancelled } from '../../server/evaluate-pool';
import type { EvaluateJob } from '../../server/evaluate-job';
import { EVALUATE_MAX_STEPS } from '../../server/limits';
import { event, queryRows, ROOT, startServer, type TestServer } from './helpers';

let server: TestServer;
let ingestKey: string;

beforeAll(async () => {
  server = await startServer();
  ingestKey = await server.key('ingest');
});
afterAll(() => server.close());

const v1 = JSON.parse(readFileSync(join(ROOT, 'rules', 'v1.json'), 'utf8'));

/** A condition of 6,000 nodes that takes 9,000,000 steps on every event: two nested loops over 3,000 items. */
const items = Array.from({ length: 3_000 }, (_, i) => i);
const costly = { some: [items, { some: [items, { '==': [1, 2] }] }] };
const costlyRuleSet = { ...v1, scoring: [{ ...v1.scoring[0], when: costly }, ...v1.scoring.slice(1)] };

const clicks = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ type: 'email_open', occurredAt: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString() }));

const storedCount = async () => (await queryRows<{ n: number }>(server, 'select count(*) as n from events'))[0]!.n;

describe('an evaluation over its step budget', () => {
  it('is refused with 422 naming the step limit of the request, not 500', async () => {
    const before = await storedCount();
    const reply = await server.call('POST', '/v1/evaluate', { key: ingestKey, body: { ruleSet: costlyRuleSet, events: clicks(1_000) } });
    expect(reply.status).toBe(422);
    expect(reply.type).toContain('application/problem+json');
    expect(reply.body).toMatchObject({
      type: '/problems/evaluation-limit',
      status: 422,
      limit: 'steps',
      maxSteps: EVALUATE_MAX_STEPS,
      errors: [{ path: 'events', message: expect.stringContaining(String(EVALUATE_MAX_STEPS)) }],
    });
    expect(await storedCount()).toBe(before);
  });

  it('still evaluates the same rule set on one event: the budget is per request, not per rule', async () => {
    const reply = await server.call('POST', '/v1/evaluate', { key: ingestKey, body: { ruleSet: costlyRuleSet, events: clicks(1) } });
    expect(reply.status).toBe(200);
    expect(reply.body.lead).toMatchObject({ eventCount: 1 });
  });

  it('leaves health and ingestion answering while costly evaluations run', async () => {
    const costlyReplies = Array.from({ length: 4 }, () =>
      server.call('POST', '/v1/evaluate', { key: ingestKey, body: { ruleSet: costlyRuleSet, events: clicks(1_000) } }),
    );
    const health = await server.call('GET', '/health', { key: null });
    const ingested = await server.call('POST', '/v1/events', { key: ingestKey, body: event('meanwhile', 'email_click', 0) });
    expect(health.status).toBe(200);
    expect(ingested.status).toBe(201);
    expect((await Promise.all(costlyReplies)).map((r) => r.status)).toEqual([422, 422, 422, 422]);
  });
});

describe('an evaluation with values too deep to copy to a worker', () => {
  it('is refused with 400 naming the rule set nested too deep', async () => {
    const levels = 200_000;
    const raw = `{"ruleSet":{"note":${'['.repeat(levels)}${']'.repeat(levels)}},"events":[]}`;
    const reply = await server.call('POST', '/v1/evaluate', { key: ingestKey, raw });
    expect(reply.status).toBe(400);
    expect(reply.body).toMatchObject({ errors: [{ path: 'ruleSet', message: expect.stringMatching(/nested deeper than/) }] });
  });

  it('is refused with 400 naming the properties, before any worker sees it', async () => {
    const levels = 200_000;
    const properties = `${'{"a":'.repeat(levels)}{}${'}'.repeat(levels)}`;
    const raw = `{"events":[{"type":"email_open","occurredAt":"2026-01-01T00:00:00Z","properties":${properties}}]}`;
    const reply = await server.call('POST', '/v1/evaluate', { key: ingestKey, raw });
    expect(reply.status).toBe(400);
    expect(reply.body).toMatchObject({
      type: '/problems/invalid-request',
      errors: [{ path: 'events[0].properties', message: expect.stringMatching(/nested deeper than/) }],
    });
  });
});

describe('the evaluation pool', () => {
  const job = (events: number, maxSteps: number): EvaluateJob => ({
    ruleSet: { unsaved: costlyRuleSet },
    now: '2026-01-02T00:00:00.000Z',
    lead: { id: 'preview', attributes: {} },
    events: clicks(events).map((e) => ({ ...e, properties: {} })),
    maxSteps,
  });

  it('ends a job over its time limit and replaces its worker', async () => {
    const pool = new EvaluatePool({ size: 1, maxMs: 200 });
    try {
      // 1,000 events of 9,000,000 steps each, with no step budget to stop them first.
      const refused = await pool.run(job(1_000, Number.MAX_SAFE_INTEGER)).catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(EvaluationRefused);
      expect(refused).toMatchObject({ reason: 'time', message: 'the evaluation ran longer than 200 ms' });
      const next = await pool.run(job(0, EVALUATE_MAX_STEPS));
      expect(next).toMatchObject({ ok: true });
    } finally {
      await pool.close();
    }
  });

  it('drops a waiting job whose caller gave up, and still runs the one before it', async () => {
    const pool = new EvaluatePool({ size: 1 });
    try {
      const first = pool.run(job(1, EVALUATE_MAX_STEPS));
      const caller = new AbortController();
      const waiting = pool.run(job(1, EVALUATE_MAX_STEPS), caller.signal).catch((error: unknown) => error);
      caller.abort();
      expect(await waiting).toBeInstanceOf(JobCancelled);
      expect(await first).toMatchObject({ ok: true });
    } finally {
      await pool.close();
    }
  });

  it('names every bad event of the job by index', async () => {
    const pool = new EvaluatePool({ size: 1 });
    try {
      const bad = job(2, EVALUATE_MAX_STEPS);
      bad.events[1] = { ...bad.events[1]!, occurredAt: '10000-01-01T00:00:00Z' };
      const outcome = await pool.run(bad);
      expect(outcome).toMatchObject({ ok: false, problem: { status: 400, errors: [{ path: 'events[1].occurredAt' }] } });
    } finally {
      await pool.close();
    }
  });
});
