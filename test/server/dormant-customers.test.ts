/**
 * A dormant customer's whole story on a running server, with no event but the
 * customer's own: the customer goes dormant by itself when its last deal is
 * older than the rule set's period, its next activity crosses the
 * reactivation threshold and brings it back, the reactivation's webhook hands
 * it off with what sales needs (past deals included), and the dashboard's
 * dormant-to-opportunity rate counts it, converted once it reaches SQL.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { serve } from '../../server/index';
import { ADMIN_KEY, call, removeWorkspace, tempWorkspace, type Reply, type Workspace } from './helpers';
import { Receiver } from './webhook-receiver';

const DAY = 86_400_000;

let workspace: Workspace | undefined;
let receiver: Receiver | undefined;
let close: (() => Promise<void>) | undefined;
const previousAllowHosts = process.env['LEADFLOW_WEBHOOK_ALLOW_HOSTS'];

beforeAll(() => {
  process.env['LEADFLOW_WEBHOOK_ALLOW_HOSTS'] = '127.0.0.1';
});
afterAll(() => {
  if (previousAllowHosts === undefined) delete process.env['LEADFLOW_WEBHOOK_ALLOW_HOSTS'];
  else process.env['LEADFLOW_WEBHOOK_ALLOW_HOSTS'] = previousAllowHosts;
});
afterEach(async () => {
  await close?.();
  await receiver?.close();
  if (workspace) await removeWorkspace(workspace);
  [close, receiver, workspace] = [undefined, undefined, undefined];
});

describe('a dormant customer', () => {
  it('goes dormant by itself, comes back at the reactivation threshold with a hand-off, and counts on the dashboard', async () => {
    workspace = await tempWorkspace();
    // The scheduler and the dispatcher run when the test says (signatures carry the real time).
    const server = await serve({
      port: 0,
      host: '127.0.0.1',
      db: workspace.db,
      rulesDir: workspace.rulesDir,
      adminKey: ADMIN_KEY,
      log: false,
      tickEveryMs: 3_600_000,
      webhookEveryMs: 3_600_000,
    });
    close = () => server.close();
    await server.dispatchWebhooks();
    const url = server.url.replace('localhost', '127.0.0.1');
    const api = (method: string, path: string, body?: unknown): Promise<Reply> =>
      call(url, method, path, body === undefined ? {} : { body });
    receiver = new Receiver();
    await receiver.start();
    const subscription = await api('POST', '/v1/webhooks', { url: receiver.url, events: ['lead.dormant', 'lead.reactivated'] });
    expect(subscription.status).toBe(201);
    const send = async (type: string, at: number, properties: Record<string, unknown> = {}) => {
      const occurredAt = new Date(at).toISOString();
      const reply = await api('POST', '/v1/events', { id: `acme-${type}-${at}`, leadId: 'acme', type, occurredAt, properties });
      expect(reply.status, reply.text).toBe(201);
    };

    const now = Date.now();
    const deals = [{ closedAt: new Date(now - 400 * DAY).toISOString(), amount: 12_000 }];
    await send('lead_updated', now - 400 * DAY, { company: 'Acme', pastDeals: deals });
    await send('demo_request', now - 399 * DAY);
    await send('deal_won', now - 398 * DAY, { amount: 5_000 });

    // A year after the last deal, with no event: dormant.
    expect(await server.applyDueChanges()).toBeGreaterThanOrEqual(1);
    const dormant = (await api('GET', '/v1/leads/acme')).body;
    expect(dormant.lead.stage).toBe('dormant');
    expect(dormant.stageHistory.at(-1)).toMatchObject({ from: 'won', to: 'dormant', transitionId: 'customer-went-dormant' });

    // A webinar: 20 points of engagement, the reactivation threshold.
    await send('webinar_attended', now, { title: 'What is new' });
    const back = (await api('GET', '/v1/leads/acme')).body;
    expect(back.lead.score.engagement).toBeGreaterThanOrEqual(20);
    expect(back.stageHistory.at(-1)).toMatchObject({ from: 'dormant', to: 'nurture', transitionId: 'reactivated-to-nurture' });

    await server.dispatchWebhooks();
    const messages = receiver.verified(subscription.body.secret);
    expect(messages.map((m) => m.type)).toEqual(['lead.dormant', 'lead.reactivated']);
    const handOff = messages[1]!.data.handOff;
    expect(handOff).toMatchObject({
      customer: true,
      basicInfo: { company: 'Acme' },
      pastDeals: deals,
      webinars: [{ title: 'What is new' }],
      interestLevel: expect.any(String),
      recommendedApproach: expect.any(String),
    });
    expect(handOff.recentActivity[0]).toMatchObject({ type: 'webinar_attended' });
    expect(handOff).toEqual((await api('GET', '/v1/leads/acme/handoff')).body);

    const kpis = async () =>
      (await api('GET', `/v1/kpis?from=${new Date(now - 500 * DAY).toISOString()}&to=${new Date(now + DAY).toISOString()}`)).body
        .dormantToOpportunity;
    expect(await kpis()).toMatchObject({ count: 1, converted: 0 });
    await send('demo_request', now + 60_000);
    expect((await api('GET', '/v1/leads/acme')).body.lead.stage).toBe('sql');
    expect(await kpis()).toMatchObject({ count: 1, converted: 1 });
  });
});
