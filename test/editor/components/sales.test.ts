import { describe, expect, it, vi } from 'vitest';
import { Api, ApiError, LOSS_REASONS, REJECTION_REASONS } from '../../../editor/src/lib/api';
import { waitingTime } from '../../../editor/src/lib/logic/waiting';
import * as server from '../../../server/feedback';

/** A fetch that answers every request with `status` and `body`, recording what was asked. */
function answering(status: number, body: unknown) {
  const fetch = vi.fn(
    async (_path: string, _init: { method: string; body?: string }) =>
      new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } }),
  );
  return { fetch: fetch as unknown as typeof globalThis.fetch, calls: fetch.mock.calls };
}

describe('the sales queue through the API client', () => {
  it('asks for several stages at once, comma-separated, with the sort', async () => {
    const { fetch, calls } = answering(200, { leads: [], nextCursor: null });
    await new Api('k', { fetch }).leads({ stage: ['mql', 'sal', 'sql'], queue: 'inside-sales', sort: 'handoff', limit: 25 });
    expect(calls[0]![0]).toBe('/v1/leads?queue=inside-sales&sort=handoff&limit=25&stage=mql%2Csal%2Csql');
  });

  it('posts feedback to the action’s route with its body', async () => {
    const { fetch, calls } = answering(201, { eventId: 'e', leadId: 'a b', status: 'stored', lead: { stage: 'nurture' } });
    const reply = await new Api('k', { fetch }).feedback('a b', 'reject', { reason: 'no-budget', note: 'Next year' });
    expect(reply.lead.stage).toBe('nurture');
    expect(calls[0]![0]).toBe('/v1/leads/a%20b/reject');
    expect(calls[0]![1]).toMatchObject({ method: 'POST' });
    expect(JSON.parse(calls[0]![1].body!)).toEqual({ reason: 'no-budget', note: 'Next year' });
  });

  it('turns a refusal into an ApiError naming the field', async () => {
    const problem = { title: 'Bad Request', detail: 'amount: required', errors: [{ path: 'amount', message: 'required' }] };
    const { fetch } = answering(400, problem);
    const refusal = await new Api('k', { fetch }).feedback('a', 'won', {}).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(ApiError);
    expect((refusal as ApiError).errors).toEqual([{ path: 'amount', message: 'required' }]);
  });

  it('offers exactly the reasons the server accepts', () => {
    expect(REJECTION_REASONS).toEqual(server.REJECTION_REASONS);
    expect(LOSS_REASONS).toEqual(server.LOSS_REASONS);
  });
});

describe('waiting time since hand-off', () => {
  const since = '2026-03-01T09:00:00Z';
  it('counts whole days and hours', () => {
    expect(waitingTime(since, Date.parse('2026-03-03T14:59:00Z'))).toEqual({ days: 2, hours: 5 });
  });
  it('is zero for a hand-off in the future (a clock behind the server’s)', () => {
    expect(waitingTime(since, Date.parse('2026-03-01T08:00:00Z'))).toEqual({ days: 0, hours: 0 });
  });
});
