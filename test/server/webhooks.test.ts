/**
 * Outbound webhooks against a real HTTP receiver on 127.0.0.1: signed
 * messages from the outbox, retries, order, the delivery log, a server killed
 * after committing, and two servers on one PostgreSQL database.
 */
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { serve } from '../../server/index';
import { retryPauseMs } from '../../server/webhooks/dispatcher';
import { postJson } from '../../server/webhooks/post';
import { ADMIN_KEY, PG_URL, call, queryRows, removeWorkspace, tempWorkspace, type Reply, type Workspace } from './helpers';
import { spawnServer, stopServer, type ServerProcess } from './processes';
import { Receiver } from './webhook-receiver';

const DAY = 86_400_000;

/** A clock the test moves, starting at the real time (receivers check a signature's timestamp against theirs). */
function testClock() {
  let offset = 0;
  return { now: () => new Date(Date.now() + offset), advance: (ms: number) => (offset += ms) };
}

interface WebhookServer {
  url: string;
  call: (method: string, path: string, body?: unknown) => Promise<Reply>;
  applyDueChanges(): Promise<number>;
  dispatchWebhooks(): Promise<number>;
  close(): Promise<void>;
}

let workspace: Workspace | undefined;
let receiver: Receiver;
const servers: WebhookServer[] = [];
const previousAllowHosts = process.env['LEADFLOW_WEBHOOK_ALLOW_HOSTS'];

beforeAll(() => {
  process.env['LEADFLOW_WEBHOOK_ALLOW_HOSTS'] = '127.0.0.1';
});
afterAll(() => {
  if (previousAllowHosts === undefined) delete process.env['LEADFLOW_WEBHOOK_ALLOW_HOSTS'];
  else process.env['LEADFLOW_WEBHOOK_ALLOW_HOSTS'] = previousAllowHosts;
});

async function start(clock = testClock()): Promise<WebhookServer> {
  workspace ??= await tempWorkspace();
  const server = await serve({
    port: 0,
    host: '127.0.0.1',
    db: workspace.db,
    rulesDir: workspace.rulesDir,
    adminKey: ADMIN_KEY,
    log: false,
    now: clock.now,
    // The test dispatches and applies due changes itself.
    tickEveryMs: 3_600_000,
    webhookEveryMs: 3_600_000,
  });
  const url = server.url.replace('localhost', '127.0.0.1');
  const handle: WebhookServer = {
    url,
    call: (method, path, body) => call(url, method, path, body === undefined ? {} : { body }),
    applyDueChanges: () => server.applyDueChanges(),
    dispatchWebhooks: () => server.dispatchWebhooks(),
    close: async () => {
      servers.splice(servers.indexOf(handle), 1);
      await server.close();
    },
  };
  servers.push(handle);
  // The first dispatch and scheduler run start with the server; wait for them so tests start from rest.
  await server.dispatchWebhooks();
  return handle;
}

afterEach(async () => {
  for (const server of [...servers]) await server.close();
  await receiver?.close();
  if (workspace) await removeWorkspace(workspace);
  workspace = undefined;
});

async function subscribe(server: WebhookServer, events: string[], extra: Record<string, unknown> = {}) {
  receiver = new Receiver();
  await receiver.start();
  const reply = await server.call('POST', '/v1/webhooks', { url: receiver.url, events, ...extra });
  expect(reply.status, reply.text).toBe(201);
  return reply.body as { id: string; secret: string };
}

async function send(server: WebhookServer, leadId: string, type: string, occurredAt: string, properties: Record<string, unknown> = {}) {
  const reply = await server.call('POST', '/v1/events', { id: `${leadId}-${type}-${occurredAt}`, leadId, type, occurredAt, properties });
  expect(reply.status, reply.text).toBe(201);
}

/** Email click, webinar and demo request: 10 + 20 + 30 = 60, the MQL threshold: a hand-off. */
async function handOff(server: WebhookServer, leadId: string, from = Date.now() - 3_600_000) {
  for (const [i, type] of ['email_click', 'webinar_attended', 'demo_request'].entries()) {
    await send(
      server,
      leadId,
      type,
      new Date(from + i * 60_000).toISOString(),
      type === 'webinar_attended' ? { title: 'Pricing 101' } : {},
    );
  }
}

describe('a hand-off', () => {
  it('produces exactly one signed message, which the receiver verifies, with the hand-off summary', async () => {
    const server = await start();
    const { secret } = await subscribe(server, ['lead.handed_off']);
    expect(secret).toMatch(/^whsec_/);
    await handOff(server, 'ana');
    await server.dispatchWebhooks();
    await server.dispatchWebhooks();

    const messages = receiver.verified(secret);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({
      type: 'lead.handed_off',
      data: {
        leadId: 'ana',
        stage: 'mql',
        previousStage: 'inquiry',
        handOff: { interestLevel: 'high', recommendedApproach: 'meeting', webinars: [{ title: 'Pricing 101' }] },
      },
    });
    expect(messages[0]!.data.handOff.recentActivity.map((a: { type: string }) => a.type)).toEqual([
      'demo_request',
      'webinar_attended',
      'email_click',
    ]);
    expect(receiver.received[0]!.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
  });

  it('is signed as the Standard Webhooks test vector says', () => {
    // https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md (the signature example)
    const signature = new Webhook('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw').sign(
      'msg_p5jXN8AQM9LWM0D4loKWxJek',
      new Date(1_614_265_330_000),
      '{"test": 2432232314}',
    );
    expect(signature).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('goes only to subscriptions whose kinds and filter match', async () => {
    const server = await start();
    const { secret } = await subscribe(server, ['lead.won'], {});
    const other = await server.call('POST', '/v1/webhooks', {
      url: receiver.url,
      events: ['lead.handed_off'],
      filter: { queue: 'field-sales' },
    });
    expect(other.status).toBe(201);
    await handOff(server, 'ana');
    await server.dispatchWebhooks();
    expect(receiver.verified(secret)).toEqual([]);
  });
});

describe('retries', () => {
  it('sends a message again after the receiver answered 500, with the same webhook-id, and logs both attempts', async () => {
    const clock = testClock();
    const server = await start(clock);
    const { id, secret } = await subscribe(server, ['lead.handed_off']);
    receiver.answers.push(500);
    await handOff(server, 'bob');
    await server.dispatchWebhooks();
    expect(receiver.received).toHaveLength(1);

    let log = (await server.call('GET', `/v1/webhooks/${id}/deliveries`)).body.deliveries;
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ status: 'pending', attempts: [{ attempt: 1, statusCode: 500, error: 'HTTP 500' }] });
    // Not before the backoff has passed.
    await server.dispatchWebhooks();
    expect(receiver.received).toHaveLength(1);

    clock.advance(Date.parse(log[0].nextAttemptAt) - clock.now().getTime() + 1);
    await server.dispatchWebhooks();
    const messages = receiver.verified(secret);
    expect(messages).toHaveLength(2);
    expect(messages[1]!.id).toBe(messages[0]!.id);
    log = (await server.call('GET', `/v1/webhooks/${id}/deliveries`)).body.deliveries;
    expect(log[0]).toMatchObject({ status: 'delivered', attempts: [{ statusCode: 500 }, { attempt: 2, statusCode: 200, error: null }] });
  });

  it('waits twice as long after each failure, with jitter, for about a day', () => {
    expect([1, 2, 3, 4].map((attempt) => retryPauseMs(attempt, () => 0.5))).toEqual([5_000, 10_000, 20_000, 40_000]);
    expect(retryPauseMs(1, () => 0)).toBe(4_000);
    expect(retryPauseMs(20, () => 0.5)).toBe(3_600_000);
  });

  it('keeps a lead’s messages in order: a later one waits while an earlier one is retried', async () => {
    const clock = testClock();
    const server = await start(clock);
    const { id, secret } = await subscribe(server, ['lead.stage_changed']);
    receiver.answers.push(500);
    await handOff(server, 'cy');
    await send(server, 'cy', 'sales_accepted', new Date().toISOString());
    await server.dispatchWebhooks();
    await server.dispatchWebhooks();
    expect(receiver.received).toHaveLength(1);
    const log = (await server.call('GET', `/v1/webhooks/${id}/deliveries`)).body.deliveries;
    clock.advance(10_000);
    await server.dispatchWebhooks();
    await server.dispatchWebhooks();
    const stages = receiver.verified(secret).map((m) => m.data.stage);
    expect(stages).toEqual(['mql', 'mql', 'sal']);
    expect(log).toHaveLength(2);
  });

  it('marks a subscription failing after repeated errors and lets an admin redeliver', async () => {
    const clock = testClock();
    const server = await start(clock);
    const { id } = await subscribe(server, ['lead.handed_off']);
    receiver.answers.push(500, 500, 500, 500, 500);
    await handOff(server, 'dee');
    for (let i = 0; i < 5; i++) {
      await server.dispatchWebhooks();
      clock.advance(3_600_000);
    }
    const [subscription] = (await server.call('GET', '/v1/webhooks')).body.webhooks;
    expect(subscription).toMatchObject({ id, failing: true, consecutiveFailures: 5 });
    expect(subscription.secret).toBeUndefined();
    await server.dispatchWebhooks();
    const [delivery] = (await server.call('GET', `/v1/webhooks/${id}/deliveries`)).body.deliveries;
    expect(delivery.status).toBe('delivered');
    const again = await server.call('POST', `/v1/webhooks/${id}/deliveries/${delivery.id}/redeliver`);
    expect(again.status).toBe(202);
    await server.dispatchWebhooks();
    expect(receiver.received).toHaveLength(7);
    expect((await server.call('GET', '/v1/webhooks')).body.webhooks[0]).toMatchObject({ failing: false, consecutiveFailures: 0 });
  });
});

describe('subscriptions', () => {
  it('refuse private and loopback addresses that are not allowed, and need an admin key', async () => {
    const server = await start();
    for (const url of ['http://10.1.2.3/hook', 'http://[::1]:8080/', 'http://169.254.169.254/latest', 'ftp://127.0.0.1/']) {
      const reply = await server.call('POST', '/v1/webhooks', { url, events: ['lead.won'] });
      expect(reply.status, url).toBe(400);
      expect(reply.body.errors[0].path).toBe('url');
    }
    const sales = (await server.call('POST', '/v1/keys', { name: 'sales', role: 'sales' })).body.key;
    const denied = await call(server.url, 'GET', '/v1/webhooks', { key: sales });
    expect(denied.status).toBe(403);
  });

  it('end with DELETE, after which nothing is sent', async () => {
    const server = await start();
    const { id } = await subscribe(server, ['lead.handed_off']);
    expect((await server.call('DELETE', `/v1/webhooks/${id}`)).status).toBe(204);
    await handOff(server, 'eve');
    await server.dispatchWebhooks();
    expect(receiver.received).toEqual([]);
    expect((await server.call('GET', '/v1/webhooks')).body.webhooks).toEqual([]);
  });

  it('are described in the OpenAPI document, with the messages as webhooks', async () => {
    const server = await start();
    const document = (await call(server.url, 'GET', '/openapi.json', { key: null })).body;
    expect(Object.keys(document.paths)).toContain('/v1/webhooks/{id}/deliveries/{deliveryId}/redeliver');
    expect(Object.keys(document.webhooks).sort()).toEqual([
      'lead.band_changed',
      'lead.dormant',
      'lead.handed_off',
      'lead.lost',
      'lead.reactivated',
      'lead.stage_changed',
      'lead.won',
    ]);
    expect(document.components.schemas.WebhookMessage).toBeDefined();
  });
});

describe('a stage filter', () => {
  it('sends only the changes that leave the lead in a chosen stage', async () => {
    const server = await start();
    const { secret } = await subscribe(server, ['lead.stage_changed'], { filter: { stages: ['sal', 'sql'] } });
    const listed = (await server.call('GET', '/v1/webhooks')).body.webhooks;
    expect(listed[0].filter).toEqual({ stages: ['sal', 'sql'] });
    const from = Date.now() - 3_600_000;
    await handOff(server, 'ana', from);
    for (const [i, type] of ['sales_accepted', 'sales_qualified'].entries()) {
      await send(server, 'ana', type, new Date(from + (10 + i) * 60_000).toISOString());
    }
    await server.dispatchWebhooks();
    await server.dispatchWebhooks();
    // inquiry → mql is left out; mql → sal and sal → sql are sent.
    const messages = receiver.verified(secret);
    expect(messages.map((m) => [m.type, m.data.previousStage, m.data.stage])).toEqual([
      ['lead.stage_changed', 'mql', 'sal'],
      ['lead.stage_changed', 'sal', 'sql'],
    ]);
  });

  it('names an unknown stage', async () => {
    const server = await start();
    const reply = await server.call('POST', '/v1/webhooks', {
      url: 'http://127.0.0.1:9/',
      events: ['lead.stage_changed'],
      filter: { stages: ['closed'] },
    });
    expect(reply.status).toBe(400);
    expect(JSON.stringify(reply.body)).toContain('filter.stages');
  });
});

describe('a batch of many hand-offs', () => {
  it('commits its messages with it (more rows than one statement takes)', async () => {
    const server = await start();
    await subscribe(server, ['lead.handed_off']);
    const from = Date.now() - 3_600_000;
    const types = ['email_click', 'webinar_attended', 'demo_request'];
    const events = Array.from({ length: 3_333 * 3 }, (_, i) => ({
      id: `b-${i}`,
      leadId: `batch-${Math.floor(i / 3)}`,
      type: types[i % 3]!,
      occurredAt: new Date(from + (i % 3) * 60_000).toISOString(),
    }));
    const reply = await server.call('POST', '/v1/events/batch', { events });
    expect(reply.status, reply.text.slice(0, 300)).toBeLessThan(300);
    // Each lead's hand-off is also a stage change, which no subscription wants: only the hand-offs are recorded.
    const rows = await queryRows<{ kind: string; n: number }>(workspace!, 'select kind, count(*) as n from webhook_messages group by kind');
    expect(rows.map((row) => [row.kind, Number(row.n)])).toEqual([['lead.handed_off', 3_333]]);
  });

  it('records no message while no subscription wants one', async () => {
    const server = await start();
    const from = Date.now() - 3_600_000;
    const types = ['email_click', 'webinar_attended', 'demo_request'];
    const events = types.map((type, i) => ({ id: `q-${i}`, leadId: 'quiet', type, occurredAt: new Date(from + i * 60_000).toISOString() }));
    expect((await server.call('POST', '/v1/events/batch', { events })).status).toBeLessThan(300);
    expect((await server.call('GET', '/v1/leads/quiet')).body.lead.stage).toBe('mql');
    const rows = await queryRows<{ n: number }>(workspace!, 'select count(*) as n from webhook_messages');
    expect(Number(rows[0]!.n)).toBe(0);
  });
});

describe('the address connected to', () => {
  it('is checked when connecting: a name resolving to loopback is refused unless allowed', async () => {
    receiver = new Receiver();
    await receiver.start();
    const byName = receiver.url.replace('127.0.0.1', 'localhost');
    const options = { timeoutMs: 5_000, allowHosts: new Set<string>() };
    await expect(postJson(byName, {}, '{}', options)).rejects.toThrow(/refused: localhost resolves to an internal address/);
    expect(receiver.received).toEqual([]);
    expect(await postJson(byName, {}, '{}', { ...options, allowHosts: new Set(['localhost']) })).toBe(200);
  });
});

describe('time-based changes', () => {
  it('send lead.dormant for a lead whose last activity is 100 days in the past, with no further event', async () => {
    const server = await start();
    const { secret } = await subscribe(server, ['lead.dormant']);
    await send(server, 'quiet', 'email_click', new Date(Date.now() - 100 * DAY).toISOString());
    await server.applyDueChanges();
    await server.dispatchWebhooks();
    const messages = receiver.verified(secret);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ type: 'lead.dormant', data: { leadId: 'quiet', stage: 'dormant', previousStage: 'inquiry' } });
  });
});

describe('reactivation', () => {
  it('sends lead.reactivated with the past deals when a dormant customer comes back', async () => {
    const server = await start();
    const { secret } = await subscribe(server, ['lead.dormant', 'lead.reactivated']);
    const deals = [{ closedAt: '2025-01-15T00:00:00.000Z', amount: 9_000 }];
    await send(server, 'gus', 'lead_updated', new Date(Date.now() - 100 * DAY).toISOString(), { company: 'Gusto', pastDeals: deals });
    await send(server, 'gus', 'email_open', new Date(Date.now() - 100 * DAY + 60_000).toISOString());
    await server.applyDueChanges();
    await send(server, 'gus', 'webinar_attended', new Date().toISOString(), { title: 'What is new' });
    await server.dispatchWebhooks();
    const messages = receiver.verified(secret);
    expect(messages.map((m) => m.type)).toEqual(['lead.dormant', 'lead.reactivated']);
    expect(messages[1]!.data).toMatchObject({
      previousStage: 'dormant',
      handOff: { customer: true, pastDeals: deals, basicInfo: { company: 'Gusto' }, webinars: [{ title: 'What is new' }] },
    });
  });
});

describe('a server killed after committing', () => {
  it('sends the message after restart', async () => {
    const ws = await tempWorkspace();
    workspace = ws;
    receiver = new Receiver();
    await receiver.start();
    const env = { LEADFLOW_WEBHOOK_ALLOW_HOSTS: '127.0.0.1' };
    // Dispatch once at start, then not for an hour: the message stays in the outbox, committed and unsent.
    let child: ServerProcess = await spawnServer(ws, ['--webhook-every', '1h'], env);
    try {
      const subscription = await call(child.url, 'POST', '/v1/webhooks', { body: { url: receiver.url, events: ['lead.handed_off'] } });
      expect(subscription.status).toBe(201);
      const from = Date.now() - 3_600_000;
      for (const [i, type] of ['email_click', 'webinar_attended', 'demo_request'].entries()) {
        const occurredAt = new Date(from + i * 60_000).toISOString();
        const reply = await call(child.url, 'POST', '/v1/events', { body: { id: `k-${i}`, leadId: 'kim', type, occurredAt } });
        expect(reply.status).toBe(201);
      }
      child.child.kill('SIGKILL');
      await child.exited;
      expect(receiver.received).toEqual([]);

      child = await spawnServer(ws, ['--webhook-every', '50ms'], env);
      while (receiver.received.length === 0) await new Promise((resolve) => setTimeout(resolve, 50));
      const messages = receiver.verified(subscription.body.secret);
      expect(messages).toMatchObject([{ type: 'lead.handed_off', data: { leadId: 'kim' } }]);
    } finally {
      await stopServer(child);
    }
  });
});

describe.skipIf(!PG_URL)('two servers on one PostgreSQL database', () => {
  it('send each message once in the normal case', async () => {
    const first = await start();
    const second = await start();
    const { secret } = await subscribe(first, ['lead.handed_off']);
    for (let i = 0; i < 10; i++) await handOff(i % 2 ? first : second, `pg-${i}`);
    await Promise.all([first.dispatchWebhooks(), second.dispatchWebhooks(), first.dispatchWebhooks(), second.dispatchWebhooks()]);
    await Promise.all([first.dispatchWebhooks(), second.dispatchWebhooks()]);
    const ids = receiver.verified(secret).map((m) => m.id);
    expect(ids).toHaveLength(10);
    expect(new Set(ids).size).toBe(10);
  });
});

describe('the outbox', () => {
  it('keeps no message that no subscription wants once it is dispatched', async () => {
    const server = await start();
    await subscribe(server, ['lead.won']);
    await handOff(server, 'fay');
    await server.dispatchWebhooks();
    const rows = await queryRows<{ n: number }>(workspace!, 'select count(*) as n from webhook_messages');
    expect(Number(rows[0]!.n)).toBe(0);
  });
});
