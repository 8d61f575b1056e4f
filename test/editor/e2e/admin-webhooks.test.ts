/**
 * Webhook subscriptions in the built editor in Chromium, against a receiver on
 * 127.0.0.1 (allowed through LEADFLOW_WEBHOOK_ALLOW_HOSTS): an admin subscribes
 * a URL and keeps the secret shown once, sees the subscription fail while the
 * receiver answers 500, reads the delivery log, redelivers once the receiver
 * is back, and ends a subscription only after confirming.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openBrowser, openTab, settled, shot, signIn } from './browser';
import { ensureEditorBuild, startEditorServer, type EditorServer } from './harness';

const HOUR = 3_600_000;
/** How long to wait for the server's next dispatch, which runs every 100 ms on a quiet machine. */
const WAIT = { timeout: 15_000 };

/** How long the receiver takes to answer after counting a request. */
const ANSWER_AFTER_MS = 300;

/** Records every request; answers 500 while `failing`, else 200. */
class Receiver {
  readonly received: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
  failing = true;
  url = '';
  private server!: Server;

  async start(): Promise<void> {
    this.server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        this.received.push({ headers: request.headers, body });
        response.statusCode = this.failing ? 500 : 200;
        // Answers a moment after the request is counted, as a receiver doing work does.
        setTimeout(() => response.end(), ANSWER_AFTER_MS);
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

interface Subscription {
  id: string;
  url: string;
  events: string[];
  filter: { queue?: string; owner?: string };
  failing: boolean;
  consecutiveFailures: number;
}

let server: EditorServer;
let browser: Browser;
let page: Page;
let errors: string[];
const receiver = new Receiver();
/** The server's clock runs this far ahead of the wall clock; moving it makes a failed delivery's retry due at once. */
let clockAhead = 0;
let salesKey = '';

async function api<T>(path: string, init: RequestInit = {}, key = server.adminKey): Promise<T> {
  const response = await fetch(`${server.url}${path}`, {
    ...init,
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json', ...init.headers },
  });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

const subscriptions = async () => (await api<{ webhooks: Subscription[] }>('/v1/webhooks')).webhooks;
const subscription = async (url: string) => (await subscriptions()).find((s) => s.url === url);
const row = (url: string) => page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: url, exact: true }) });

async function openWebhooks(): Promise<void> {
  await signIn(page, server.url, server.adminKey);
  await page.goto(`${server.url}/admin/keys`);
  await page.getByRole('navigation', { name: 'Admin pages' }).getByRole('link', { name: 'Webhooks' }).click();
  await page.waitForURL(/\/admin\/webhooks$/);
  await settled(page);
}

beforeAll(async () => {
  process.env['LEADFLOW_WEBHOOK_ALLOW_HOSTS'] = '127.0.0.1';
  await receiver.start();
  ensureEditorBuild();
  server = await startEditorServer(undefined, { webhookEveryMs: 100, now: () => new Date(Date.now() + clockAhead) });
  salesKey = await server.key('sales', 'Sam Sales');
  browser = await openBrowser();
});

beforeEach(async () => {
  ({ page, errors } = await openTab(browser));
});

afterEach(async () => {
  await page.close();
  expect(errors).toEqual([]);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await receiver.close();
  delete process.env['LEADFLOW_WEBHOOK_ALLOW_HOSTS'];
});

describe('webhook subscriptions', () => {
  let secret = '';
  let leadId = '';

  it('subscribes a URL to the kinds of change ticked, and shows the signing secret once', async () => {
    await openWebhooks();
    await page.getByLabel('URL').fill(receiver.url);
    const kinds = page.getByRole('group', { name: 'Kinds of change' });
    await kinds.getByRole('checkbox', { name: /^Handed off to sales/ }).uncheck();
    await kinds.getByRole('checkbox', { name: /^Won/ }).check();
    await page.getByRole('button', { name: 'Subscribe' }).click();

    const once = page.getByTestId('shown-once');
    await once.waitFor();
    expect(await once.getByRole('alert').textContent()).toBe('Copy it now and keep it somewhere safe: you will not see it again.');
    secret = await once.getByLabel(`The signing secret for ${receiver.url}`).inputValue();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    await shot(page, 'admin-webhooks-created-1280');
    await once.getByRole('button', { name: 'I have saved it' }).click();

    expect(await subscriptions()).toMatchObject([{ url: receiver.url, events: ['lead.won'], filter: {}, failing: false }]);
    await row(receiver.url).getByText('Delivering').waitFor();
  });

  it('keeps a filter by stage, queue and owner, and a secret given by the admin', async () => {
    await openWebhooks();
    const url = `${receiver.url}/enterprise`;
    const given = `whsec_${Buffer.alloc(24, 7).toString('base64')}`;
    await page.getByLabel('URL').fill(url);
    await page.getByRole('group', { name: 'Kinds of change' }).getByRole('checkbox', { name: /^Lost/ }).check();
    // A click on the stage's name, as a person does.
    await page.getByRole('group', { name: 'Only changes to these stages' }).getByText('SQL', { exact: true }).click();
    await page.getByLabel('Queue').fill('enterprise');
    await page.getByLabel('Owner').fill('aiko');
    await page.getByLabel('Signing secret (optional)').fill(given);
    await page.getByRole('button', { name: 'Subscribe' }).click();
    const once = page.getByTestId('shown-once');
    await once.waitFor();
    expect(await once.getByRole('textbox').inputValue()).toBe(given);
    await once.getByRole('button', { name: 'I have saved it' }).click();

    const stored = await subscription(url);
    expect(stored).toMatchObject({
      events: ['lead.handed_off', 'lead.lost'],
      filter: { queue: 'enterprise', owner: 'aiko', stages: ['sql'] },
    });
    expect((await row(url).getByRole('cell').nth(1).innerText()).replace(/\s+/g, ' ').trim()).toBe(
      'Queue: enterprise Owner: aiko Only changes to these stages: SQL',
    );
  });

  it('refuses a URL that is not http(s), saying so at the field', async () => {
    await openWebhooks();
    const before = await subscriptions();
    await page.getByLabel('URL').fill('ftp://crm.example.com/hooks');
    await page.getByRole('button', { name: 'Subscribe' }).click();
    await expect.poll(() => page.getByLabel('URL').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('.field-error').textContent()).toBe('must be an http or https URL');
    expect(await subscriptions()).toEqual(before);
  });

  it('shows a subscription failing while its receiver answers 500, and each attempt in the delivery log', async () => {
    const { leads } = await api<{ leads: Array<{ id: string }> }>('/v1/leads?stage=sql&limit=1', {}, salesKey);
    leadId = leads[0]!.id;
    await api(`/v1/leads/${leadId}/won`, { method: 'POST', body: JSON.stringify({ amount: 12_000 }) }, salesKey);
    expect((await api<{ lead: { stage: string } }>(`/v1/leads/${leadId}`, {}, salesKey)).lead.stage).toBe('won');
    await expect.poll(() => receiver.received.length, WAIT).toBe(1);
    // Each retry falls due as the server's clock moves past its pause: five failures in a row mark the subscription failing.
    // The clock moves only once the last failure is recorded. Moved after the receiver counted a request but before the
    // server recorded its failure, the new time would be read for scheduling the retry, due then up to 48 s later.
    for (let sent = 2; sent <= 5; sent++) {
      await expect.poll(async () => (await subscription(receiver.url))?.consecutiveFailures, WAIT).toBe(sent - 1);
      clockAhead += 2 * HOUR;
      await expect.poll(() => receiver.received.length, WAIT).toBe(sent);
    }
    await expect.poll(async () => (await subscription(receiver.url))?.failing, WAIT).toBe(true);

    await openWebhooks();
    const listed = row(receiver.url);
    await listed.getByText('Failing', { exact: true }).waitFor();
    expect(await listed.getByText(/failed attempts in a row/).textContent()).toMatch(/: 5 failed attempts in a row\.$/);
    await shot(page, 'admin-webhooks-1280');
    await page.setViewportSize({ width: 400, height: 800 });
    await shot(page, 'admin-webhooks-400');
    await page.setViewportSize({ width: 1280, height: 800 });

    await listed.getByRole('link', { name: 'Delivery log' }).click();
    await page.waitForURL(/\/admin\/webhooks\/[^/]+$/);
    await settled(page);
    const delivery = page.getByRole('row').filter({ hasText: leadId });
    expect(await delivery.getByTestId('delivery-status').textContent()).toBe('Pending');
    const attempts = delivery.getByTestId('attempt');
    expect(await attempts.count()).toBe(5);
    expect(await attempts.first().textContent()).toMatch(/^#1\s+500\s+[\d,]+ ms/);
  });

  it('redelivers a delivery: sent again with the same webhook-id, signed with the secret shown once', async () => {
    receiver.failing = false;
    // Back to the wall clock: the receiver checks the signature's timestamp, and the pending retry is now hours away.
    clockAhead = 0;
    const before = receiver.received.length;
    await openWebhooks();
    await row(receiver.url).getByRole('link', { name: 'Delivery log' }).click();
    await settled(page);
    const delivery = page.getByRole('row').filter({ hasText: leadId });
    await delivery.getByRole('button', { name: 'Redeliver' }).click();

    await expect.poll(() => receiver.received.length, WAIT).toBeGreaterThan(before);
    await expect
      .poll(async () => {
        await page.getByRole('button', { name: 'Refresh' }).click();
        await settled(page);
        return delivery.getByTestId('delivery-status').textContent();
      }, WAIT)
      .toBe('Delivered');
    expect(receiver.received.length).toBe(before + 1);
    expect(await delivery.getByTestId('attempt').last().textContent()).toMatch(/^#\d+\s+200\s+[\d,]+ ms/);
    await shot(page, 'admin-webhook-deliveries-1280');
    await page.setViewportSize({ width: 400, height: 800 });
    await shot(page, 'admin-webhook-deliveries-400');

    const ids = new Set(receiver.received.map((request) => String(request.headers['webhook-id'])));
    expect(ids.size).toBe(1);
    const last = receiver.received.at(-1)!;
    const message = new Webhook(secret).verify(last.body, last.headers as Record<string, string>) as {
      type: string;
      data: { leadId: string };
    };
    expect(message).toMatchObject({ type: 'lead.won', data: { leadId } });
    expect(await subscription(receiver.url)).toMatchObject({ failing: false, consecutiveFailures: 0 });
  });

  it('ends a subscription only once the admin confirms', async () => {
    const url = `${receiver.url}/enterprise`;
    await openWebhooks();
    await row(url).getByRole('button', { name: 'Delete' }).click();
    const dialog = page.getByRole('dialog', { name: `Delete the subscription to ${url}?` });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect((await subscriptions()).map((s) => s.url)).toContain(url);

    await row(url).getByRole('button', { name: 'Delete' }).click();
    await dialog.getByRole('button', { name: 'Delete subscription' }).click();
    await row(url).waitFor({ state: 'detached' });
    expect((await subscriptions()).map((s) => s.url)).toEqual([receiver.url]);
  });
});
