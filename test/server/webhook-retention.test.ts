/**
 * Retention of the outbox and the delivery log: what was delivered or given up
 * is deleted a retention period later, by the dispatcher, with the server's
 * clock moved by the test; what is still pending is kept however old.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../cli/index';
import { parseServeArgs, serve, type ServeOptions } from '../../server/index';
import { retentionFromEnvironment } from '../../server/args';
import { ADMIN_KEY, call, queryRows, removeWorkspace, tempWorkspace, type Reply, type Workspace } from './helpers';
import { Receiver } from './webhook-receiver';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

interface WebhookServer {
  call: (method: string, path: string, body?: unknown) => Promise<Reply>;
  dispatchWebhooks(): Promise<number>;
  close(): Promise<void>;
}

let workspace: Workspace | undefined;
let receiver: Receiver | undefined;
let server: WebhookServer | undefined;
const previousAllowHosts = process.env['LEADFLOW_WEBHOOK_ALLOW_HOSTS'];

beforeAll(() => {
  process.env['LEADFLOW_WEBHOOK_ALLOW_HOSTS'] = '127.0.0.1';
});
afterAll(() => {
  if (previousAllowHosts === undefined) delete process.env['LEADFLOW_WEBHOOK_ALLOW_HOSTS'];
  else process.env['LEADFLOW_WEBHOOK_ALLOW_HOSTS'] = previousAllowHosts;
});
afterEach(async () => {
  await server?.close();
  await receiver?.close();
  if (workspace) await removeWorkspace(workspace);
  [server, receiver, workspace] = [undefined, undefined, undefined];
});

/** A clock the test moves, from the real time (signatures carry it). */
function testClock() {
  let offset = 0;
  return { now: () => new Date(Date.now() + offset), advance: (ms: number) => (offset += ms) };
}

/** A server that dispatches only when the test says, subscribed to `events` at a fresh receiver. */
async function start(clock: ReturnType<typeof testClock>, events: string[], options: Partial<ServeOptions> = {}) {
  workspace = await tempWorkspace();
  const running = await serve({
    port: 0,
    host: '127.0.0.1',
    db: workspace.db,
    rulesDir: workspace.rulesDir,
    adminKey: ADMIN_KEY,
    log: false,
    now: clock.now,
    tickEveryMs: 3_600_000,
    webhookEveryMs: 3_600_000,
    ...options,
  });
  const url = running.url.replace('localhost', '127.0.0.1');
  server = {
    call: (method, path, body) => call(url, method, path, body === undefined ? {} : { body }),
    dispatchWebhooks: () => running.dispatchWebhooks(),
    close: () => running.close(),
  };
  await running.dispatchWebhooks();
  receiver = new Receiver();
  await receiver.start();
  const subscription = await server.call('POST', '/v1/webhooks', { url: receiver.url, events });
  expect(subscription.status, subscription.text).toBe(201);
  return { server, id: subscription.body.id as string };
}

async function send(leadId: string, type: string, occurredAt: number) {
  const reply = await server!.call('POST', '/v1/events', {
    id: `${leadId}-${type}-${occurredAt}`,
    leadId,
    type,
    occurredAt: new Date(occurredAt).toISOString(),
  });
  expect(reply.status, reply.text).toBe(201);
}

/** Email click, webinar and demo request: the MQL threshold, a hand-off. */
async function handOff(leadId: string, from: number) {
  for (const [i, type] of ['email_click', 'webinar_attended', 'demo_request'].entries()) await send(leadId, type, from + i * 60_000);
}

async function counts(): Promise<{ messages: number; deliveries: number; attempts: number }> {
  const count = async (table: string) => Number((await queryRows<{ n: number }>(workspace!, `select count(*) as n from ${table}`))[0]!.n);
  return {
    messages: await count('webhook_messages'),
    deliveries: await count('webhook_deliveries'),
    attempts: await count('webhook_attempts'),
  };
}

async function deliveryLog(id: string): Promise<Array<{ leadId: string; status: string }>> {
  return (await server!.call('GET', `/v1/webhooks/${id}/deliveries`)).body.deliveries;
}

describe('webhook retention', () => {
  it('deletes a delivered message and its delivery log 30 days after delivery, keeping newer ones', async () => {
    const clock = testClock();
    const { id } = await start(clock, ['lead.handed_off']);
    await handOff('old', Date.now() - HOUR);
    await server!.dispatchWebhooks();
    clock.advance(29 * DAY);
    await handOff('new', Date.now() - HOUR);
    await server!.dispatchWebhooks();
    expect((await deliveryLog(id)).map((d) => [d.leadId, d.status])).toEqual([
      ['new', 'delivered'],
      ['old', 'delivered'],
    ]);

    clock.advance(DAY + HOUR);
    await server!.dispatchWebhooks();
    expect((await deliveryLog(id)).map((d) => d.leadId)).toEqual(['new']);
    expect(await counts()).toEqual({ messages: 1, deliveries: 1, attempts: 1 });
    expect(receiver!.received).toHaveLength(2);
  });

  it('keeps pending deliveries however old, and deletes given-up ones the retention period after giving up', async () => {
    const clock = testClock();
    const { id } = await start(clock, ['lead.stage_changed'], { webhookRetentionMs: HOUR });
    receiver!.answers.push(...Array<number>(50).fill(500));
    // Two messages for one lead (MQL, then SAL): the second waits, pending, while the first is retried.
    await handOff('cy', Date.now() - HOUR);
    await send('cy', 'sales_accepted', Date.now());
    await server!.dispatchWebhooks();
    clock.advance(2 * HOUR);
    await server!.dispatchWebhooks();
    expect((await deliveryLog(id)).map((d) => d.status)).toEqual(['pending', 'pending']);
    expect(await counts()).toEqual({ messages: 2, deliveries: 2, attempts: 2 });

    // A day after the messages were made both are given up, and kept in the log for the retention period.
    clock.advance(23 * HOUR);
    await server!.dispatchWebhooks();
    expect((await deliveryLog(id)).map((d) => d.status)).toEqual(['failed', 'failed']);
    clock.advance(2 * HOUR);
    await server!.dispatchWebhooks();
    expect(await deliveryLog(id)).toEqual([]);
    expect(await counts()).toEqual({ messages: 0, deliveries: 0, attempts: 0 });
  });
});

describe('serve --webhook-retention and LEADFLOW_WEBHOOK_RETENTION', () => {
  it('read a duration of at least an hour, the option over the environment', () => {
    expect(parseServeArgs(['--webhook-retention', '7d'])).toEqual({ webhookRetentionMs: 7 * DAY });
    expect(parseServeArgs(['--webhook-retention', '12h'])).toEqual({ webhookRetentionMs: 12 * HOUR });
    expect(() => parseServeArgs(['--webhook-retention', '5m'])).toThrow(/--webhook-retention must be a duration from 1h/);
    expect(() => parseServeArgs(['--webhook-retention', 'forever'])).toThrow(/--webhook-retention/);
    expect(retentionFromEnvironment({})).toBe(30 * DAY);
    expect(retentionFromEnvironment({ LEADFLOW_WEBHOOK_RETENTION: '90d' })).toBe(90 * DAY);
    expect(() => retentionFromEnvironment({ LEADFLOW_WEBHOOK_RETENTION: '30' })).toThrow(/LEADFLOW_WEBHOOK_RETENTION must be/);
  });

  it('are described by serve --help', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
    try {
      expect(await main(['serve', '--help'])).toBe(0);
      expect(String(log.mock.calls[0]?.[0])).toMatch(/--webhook-retention <duration>.*\n.*default 30d; env LEADFLOW_WEBHOOK_RETENTION/);
    } finally {
      log.mockRestore();
    }
  });
});
