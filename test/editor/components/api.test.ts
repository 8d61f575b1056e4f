import { describe, expect, it, vi } from 'vitest';
import { Api, ApiError, type Role } from '../../../editor/src/lib/api';

type Answer = { status: number; body?: unknown };

/** A stand-in for the server: answers by "METHOD path", records what was asked. */
function server(answers: Record<string, Answer>) {
  const asked: string[] = [];
  const fetch = vi.fn(async (path: string, init: { method: string; headers: Record<string, string>; body?: string }) => {
    const key = `${init.method} ${path}`;
    asked.push(key);
    const answer = answers[key] ?? { status: 404, body: { title: 'Not found', detail: `No route ${key}.`, errors: [] } };
    return new Response(answer.body === undefined ? null : JSON.stringify(answer.body), {
      status: answer.status,
      headers: { 'Content-Type': answer.status >= 400 ? 'application/problem+json' : 'application/json' },
    });
  });
  return { fetch: fetch as unknown as typeof globalThis.fetch, asked, calls: fetch.mock.calls };
}

/** How a key of each role fares on the requests the editor uses to tell roles apart. */
function serverFor(role: Role) {
  const allowed = (ok: boolean, status = 403): Answer =>
    ok ? { status: 200, body: {} } : { status, body: { title: 'Forbidden', detail: '', errors: [] } };
  return server({
    'GET /v1/rulesets': allowed(true),
    'GET /v1/keys': allowed(role === 'admin'),
    'GET /v1/leads?limit=1': allowed(role !== 'ingest'),
    'POST /v1/rulesets': role === 'sales' ? allowed(false) : { status: 400, body: { title: 'Invalid rule set', detail: '', errors: [] } },
  });
}

describe('API client', () => {
  it('sends the key as a bearer token and JSON bodies', async () => {
    const { fetch, calls } = server({ 'POST /v1/rulesets/v2/approvals': { status: 201, body: { approvals: [] } } });
    await new Api('lf_secret', { fetch }).approve('v2', 'sales', 'changes-requested', 'Too many hand-offs');
    const [, init] = calls[0]!;
    expect(init.headers['Authorization']).toBe('Bearer lf_secret');
    expect(JSON.parse(init.body!)).toEqual({ team: 'sales', decision: 'changes-requested', comment: 'Too many hand-offs' });
  });

  it('turns a problem+json answer into an error with the fields at fault', async () => {
    const problem = {
      title: 'Invalid rule set',
      detail: 'The rule set has 1 problem.',
      errors: [{ path: 'scoring[3].points', message: 'Too big' }],
    };
    const { fetch } = server({ 'POST /v1/rulesets': { status: 400, body: problem } });
    const error = await new Api('k', { fetch }).createVersion({}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 400, detail: 'The rule set has 1 problem.', errors: problem.errors });
  });

  it('tells the session when the key is refused', async () => {
    const onUnauthorized = vi.fn();
    const { fetch } = server({ 'GET /v1/rulesets': { status: 401, body: { title: 'Unauthorized', detail: '', errors: [] } } });
    await expect(new Api('old', { fetch, onUnauthorized }).versions()).rejects.toBeInstanceOf(ApiError);
    expect(onUnauthorized).toHaveBeenCalledOnce();
  });

  it('asks the server who the key is when it can say', async () => {
    const { fetch } = server({ 'GET /v1/me': { status: 200, body: { name: 'Mika', role: 'editor' } } });
    expect(await new Api('k', { fetch }).identify()).toEqual({ name: 'Mika', role: 'editor' });
  });

  it.each(['admin', 'editor', 'sales', 'ingest'] as const)(
    'otherwise tells a %s key by what it may read, creating nothing',
    async (role) => {
      const { fetch, asked } = serverFor(role);
      expect((await new Api('k', { fetch }).identify()).role).toBe(role);
      expect(asked.filter((request) => request.startsWith('POST') || request.startsWith('PUT') || request.startsWith('DELETE'))).toEqual(
        role === 'admin' || role === 'ingest' ? [] : ['POST /v1/rulesets'],
      );
    },
  );
});

describe('comparisons', () => {
  it('sends the judging horizon and the days after which open leads count as lost, and nothing it was not given', async () => {
    const { fetch, calls } = server({ 'POST /v1/comparisons': { status: 202, body: { id: 'c1' } } });
    const api = new Api('k', { fetch });
    await api.startComparison({ versions: ['v1', 'v2'], horizonDays: 60, openAsLostAfterDays: 180 });
    await api.startComparison({ versions: ['v1', 'v2'], horizonDays: 90, openAsLostAfterDays: undefined });
    expect(calls.map(([, init]) => JSON.parse(init.body!))).toEqual([
      { versions: ['v1', 'v2'], horizonDays: 60, openAsLostAfterDays: 180 },
      { versions: ['v1', 'v2'], horizonDays: 90 },
    ]);
  });

  it('fetches the changed leads as CSV with the key and the filter', async () => {
    const csv = 'leadId,outcome\nlead-1,won\n';
    const fetch = vi.fn(async () => new Response(csv, { status: 200, headers: { 'Content-Type': 'text/csv' } }));
    const blob = await new Api('lf_secret', { fetch: fetch as unknown as typeof globalThis.fetch }).changesCsv('c 1', 0, {
      outcome: 'won',
      kind: 'hand-off',
    });
    const [path, init] = fetch.mock.calls[0]! as unknown as [string, { headers: Record<string, string> }];
    expect(path).toBe('/v1/comparisons/c%201/changes.csv?diff=0&outcome=won&kind=hand-off');
    expect(init.headers['Authorization']).toBe('Bearer lf_secret');
    expect(await blob.text()).toBe(csv);
  });
});
