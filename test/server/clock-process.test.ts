/**
 * The clock of a server process left to its own timers: nothing calls the
 * scheduler or the dispatcher but the server itself (`--tick-every`,
 * `--webhook-every`).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { call, removeWorkspace, tempWorkspace, type Workspace } from './helpers';
import { spawnServer, stopServer, type ServerProcess } from './processes';
import { Receiver } from './webhook-receiver';

const DAY = 86_400_000;

let workspace: Workspace | undefined;
let receiver: Receiver | undefined;
let server: ServerProcess | undefined;

afterEach(async () => {
  if (server) await stopServer(server);
  await receiver?.close();
  if (workspace) await removeWorkspace(workspace);
  [server, receiver, workspace] = [undefined, undefined, undefined];
});

describe('a running server', () => {
  it('makes a lead silent for 100 days dormant with no further event, and its webhook arrives', async () => {
    workspace = await tempWorkspace();
    receiver = new Receiver();
    await receiver.start();
    server = await spawnServer(workspace, ['--tick-every', '100ms', '--webhook-every', '100ms'], {
      LEADFLOW_WEBHOOK_ALLOW_HOSTS: '127.0.0.1',
    });
    const subscription = await call(server.url, 'POST', '/v1/webhooks', { body: { url: receiver.url, events: ['lead.dormant'] } });
    expect(subscription.status).toBe(201);
    const occurredAt = new Date(Date.now() - 100 * DAY).toISOString();
    const stored = await call(server.url, 'POST', '/v1/events', { body: { id: 'q-1', leadId: 'quiet', type: 'email_click', occurredAt } });
    expect(stored.status).toBe(201);
    expect(stored.body).toMatchObject({ lead: { stage: 'inquiry' } });

    // The test's timeout bounds the wait: the server's own runs must do it.
    while (receiver.received.length === 0) await new Promise((resolve) => setTimeout(resolve, 50));
    const [message] = receiver.verified(subscription.body.secret);
    expect(message).toMatchObject({ type: 'lead.dormant', data: { leadId: 'quiet', stage: 'dormant', previousStage: 'inquiry' } });
    const lead = (await call(server.url, 'GET', '/v1/leads/quiet')).body;
    expect(lead.lead.stage).toBe('dormant');
    expect(lead.timeline.map((entry: { type: string }) => entry.type)).toEqual(['email_click', 'tick']);
  });
});
