/**
 * The sales workspace in the built editor in Chromium: a sales key works the
 * queue of handed-off leads (filters by queue and owner, sorts, reads each
 * hand-off summary), accepts one, rejects one with a reason from the list,
 * records a won deal with its amount and a lost one with its reason, and the
 * server's leads, outcomes and follow-up KPI show it.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { expectNoSidewaysScroll, openBrowser, openTab, settled, shot, signIn } from './browser';
import { ensureEditorBuild, startEditorServer, type EditorServer } from './harness';

let server: EditorServer;
let browser: Browser;
let page: Page;
let errors: string[];
const keys = { editor: '', sales: '', ingest: '', admin: '' };
/** The owner the test's rule version gives the account executives' leads. */
const OWNER = 'aiko';
/** Every hand-off of the demo data, up to a day from now. */
const KPI_PERIOD = () => `from=2000-01-01T00:00:00Z&to=${new Date(Date.now() + 86_400_000).toISOString()}`;

interface Row {
  id: string;
  stage: string;
  score: number;
  queue: string | null;
  owner: string | null;
  handedOffAt: string | null;
}
interface FollowUp {
  handOffs: number;
  followedUp: number;
}

async function api<T>(path: string, init: RequestInit = {}, key = keys.sales): Promise<T> {
  const response = await fetch(`${server.url}${path}`, {
    ...init,
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json', ...init.headers },
  });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

const queueRows = async (query: string) => (await api<{ leads: Row[] }>(`/v1/leads?${query}&limit=200`)).leads;
const followUp = async () => (await api<{ followUp: FollowUp }>(`/v1/kpis?${KPI_PERIOD()}`)).followUp;
const card = (id: string) => page.locator(`[data-lead="${id}"]`);
const shownIds = () => page.getByTestId('queue-lead').evaluateAll((cards) => cards.map((c) => c.getAttribute('data-lead')));

/**
 * Activates a copy of v1 that gives the account executives' leads an owner,
 * and touches two of their MQL leads so they are routed again.
 */
async function giveOwner(leadIds: string[]): Promise<void> {
  const { definition } = await api<{ definition: Record<string, any> }>('/v1/rulesets/v1', {}, keys.editor);
  const { version: _v, createdAt: _c, author: _a, $schema: _s, ...rest } = definition;
  const rules = rest['routing'].rules.map((rule: { queue: string }) =>
    rule.queue === 'account-executives' ? { ...rule, owner: OWNER } : rule,
  );
  const { version } = await api<{ version: string }>(
    '/v1/rulesets',
    { method: 'POST', body: JSON.stringify({ ...rest, routing: { ...rest['routing'], rules }, parent: 'v1', note: 'Owner for AEs' }) },
    keys.editor,
  );
  for (const [team, key] of [
    ['marketing', keys.editor],
    ['sales', keys.sales],
  ] as const) {
    await api(`/v1/rulesets/${version}/approvals`, { method: 'POST', body: JSON.stringify({ team }) }, key);
  }
  await api(`/v1/rulesets/${version}/activate`, { method: 'POST' }, keys.admin);
  for (const id of leadIds) {
    await api(`/v1/leads/${id}/attributes`, { method: 'PUT', body: JSON.stringify({ attributes: { country: 'JP' } }) }, keys.ingest);
  }
}

beforeAll(async () => {
  ensureEditorBuild();
  server = await startEditorServer();
  keys.admin = server.adminKey;
  keys.editor = await server.key('editor', 'Mika Marketing');
  keys.sales = await server.key('sales', 'Sam Sales');
  keys.ingest = await server.key('ingest', 'CRM');
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
});

describe('the sales workspace', () => {
  it('is in the navigation for sales and admin keys, not for editors', async () => {
    for (const [key, shown] of [
      [keys.sales, true],
      [keys.admin, true],
      [keys.editor, false],
    ] as const) {
      await signIn(page, server.url, key);
      await page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'Dashboard' }).waitFor();
      expect(await page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'Sales' }).count()).toBe(
        shown ? 1 : 0,
      );
    }
  });

  it('filters the queue by queue and owner, sorts it, accepts a lead and rejects one with a reason', async () => {
    const mql = await queueRows('stage=mql&queue=account-executives&sort=handoff');
    expect(mql.length).toBeGreaterThanOrEqual(3);
    const [accepted, rejected] = [mql[0]!.id, mql[1]!.id];
    await giveOwner([accepted, rejected]);
    const before = await followUp();

    await signIn(page, server.url, keys.sales);
    await page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'Sales' }).click();
    await settled(page);
    // Every handed-off lead, longest waiting first.
    const everyone = await queueRows('stage=mql,sal,sql&sort=handoff');
    await expect.poll(shownIds).toEqual(everyone.slice(0, 25).map((row) => row.id));

    await page.getByLabel('Queue', { exact: true }).fill('account-executives');
    await page.getByLabel('Owner').fill(OWNER);
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(shownIds).toEqual([accepted, rejected]);
    await expect.poll(() => card(accepted).getByTestId('approach').textContent()).toBe('Online meeting');
    expect(await card(accepted).getByTestId('waited').textContent()).toMatch(/Handed off \d+ d \d+ h ago/);

    await page.getByLabel('Order').selectOption({ label: 'Highest score first' });
    await page.getByRole('button', { name: 'Apply filters' }).click();
    const byScore = (await queueRows(`stage=mql,sal,sql&queue=account-executives&owner=${OWNER}&sort=score`)).map((row) => row.id);
    await expect.poll(shownIds).toEqual(byScore);

    await card(accepted).getByRole('button', { name: 'Accept' }).click();
    await expect.poll(() => page.getByTestId('sales-status').textContent()).toContain(`${accepted}: Accept recorded; the lead is now SAL.`);
    await expect.poll(() => card(accepted).locator('[data-stage]').getAttribute('data-stage')).toBe('sal');
    expect(await card(accepted).getByRole('button', { name: 'Qualified' }).count()).toBe(1);

    await card(rejected).getByRole('button', { name: 'Reject' }).click();
    const form = card(rejected).getByRole('form', { name: `Reject ${rejected}` });
    await form.getByText('No budget').click();
    await form.getByText('Not a fit').click();
    expect(await form.getByRole('radio', { name: 'Not a fit' }).isChecked()).toBe(true);
    await form.getByLabel('Note (optional)').fill('Only a student project');
    await form.getByRole('button', { name: 'Reject lead' }).click();
    await expect.poll(shownIds).toEqual([accepted]);
    expect(await page.getByTestId('sales-status').textContent()).toContain(`${rejected}: Reject recorded; the lead is now Nurture`);

    const [acceptedLead, rejectedLead] = await Promise.all(
      [accepted, rejected].map((id) => api<{ lead: { stage: string }; outcomes: Array<Record<string, unknown>> }>(`/v1/leads/${id}`)),
    );
    expect(acceptedLead!.lead.stage).toBe('sal');
    expect(acceptedLead!.outcomes.at(-1)).toMatchObject({ kind: 'accepted', recordedBy: 'Sam Sales' });
    expect(rejectedLead!.lead.stage).toBe('nurture');
    expect(rejectedLead!.outcomes.at(-1)).toMatchObject({ kind: 'rejected', reason: 'not-a-fit', note: 'Only a student project' });
    const after = await followUp();
    expect(after.handOffs).toBe(before.handOffs);
    expect(after.followedUp).toBe(before.followedUp + 2);
  });

  it('records a won deal with its amount, showing the server’s refusal of one without', async () => {
    const [opportunity] = await queueRows('stage=sql&sort=score');
    await signIn(page, server.url, keys.sales);
    await page.goto(`${server.url}/sales`);
    await settled(page);
    await page.getByLabel('Stage').selectOption({ label: 'Opportunities (SQL)' });
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await card(opportunity!.id).getByRole('button', { name: 'Won' }).click();
    const form = card(opportunity!.id).getByRole('form', { name: `Won deal for ${opportunity!.id}` });
    await form.getByRole('button', { name: 'Record won deal' }).click();
    const refusal = card(opportunity!.id).getByTestId('feedback-error');
    await expect.poll(() => refusal.textContent()).toContain('Not recorded.');
    expect(await refusal.getByRole('listitem').first().textContent()).toMatch(/^Amount: /);
    await shot(page, 'sales');

    await form.getByLabel('Amount').fill('48000');
    await form.getByLabel('Why it was won (optional)').fill('Fast onboarding');
    await form.getByRole('button', { name: 'Record won deal' }).click();
    await expect.poll(() => card(opportunity!.id).count()).toBe(0);
    expect(await page.getByTestId('sales-status').textContent()).toContain(`${opportunity!.id}: Won recorded; the lead is now Won`);
    const { lead, outcomes } = await api<{ lead: { stage: string; customer: boolean }; outcomes: Array<Record<string, unknown>> }>(
      `/v1/leads/${opportunity!.id}`,
    );
    expect(lead).toMatchObject({ stage: 'won', customer: true });
    expect(outcomes.at(-1)).toMatchObject({ kind: 'won', amount: 48_000, reason: 'Fast onboarding' });
  });

  it('records a lost deal with a reason from the list and no amount', async () => {
    const [accepted] = await queueRows('stage=sal&sort=handoff');
    await signIn(page, server.url, keys.sales);
    await page.goto(`${server.url}/sales`);
    await settled(page);
    await page.getByLabel('Stage').selectOption({ label: 'Accepted (SAL)' });
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await card(accepted!.id).getByRole('button', { name: 'Lost' }).click();
    const form = card(accepted!.id).getByRole('form', { name: `Lost deal for ${accepted!.id}` });
    await form.getByText('Went with a competitor').click();
    await form.getByRole('button', { name: 'Record lost deal' }).click();
    await expect.poll(() => card(accepted!.id).count()).toBe(0);
    const { lead, outcomes } = await api<{ lead: { stage: string }; outcomes: Array<Record<string, unknown>> }>(
      `/v1/leads/${accepted!.id}`,
    );
    expect(lead.stage).toBe('lost');
    expect(outcomes.at(-1)).toMatchObject({ kind: 'lost', reason: 'competitor', amount: null });
  });

  it('fits a phone screen, in English and Japanese', async () => {
    await page.setViewportSize({ width: 400, height: 800 });
    await signIn(page, server.url, keys.sales);
    await page.goto(`${server.url}/sales`);
    await settled(page);
    await page.getByLabel('Queue', { exact: true }).fill('sales-development');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    const shown = (await queueRows('stage=mql,sal,sql&queue=sales-development&sort=handoff')).map((row) => row.id);
    await expect.poll(shownIds).toEqual(shown);
    await page.getByTestId('queue-lead').last().getByTestId('approach').waitFor();
    await expectNoSidewaysScroll(page);
    await shot(page, 'sales-400');
    await page.evaluate("localStorage.setItem('leadflow.locale', 'ja')");
    await page.reload();
    await page.getByRole('heading', { name: '営業ワークスペース' }).waitFor();
    await page.getByLabel('キュー', { exact: true }).fill('sales-development');
    await page.getByRole('button', { name: '絞り込む' }).click();
    await expect.poll(shownIds).toEqual(shown);
    await page.getByTestId('queue-lead').last().getByTestId('approach').waitFor();
    expect(await page.getByTestId('queue-lead').first().getByTestId('waited').textContent()).toMatch(/引き継ぎから \d+日\d+時間/);
    await expectNoSidewaysScroll(page);
    await shot(page, 'sales-ja-400');
  });

  it('leaves room in the navigation for an admin’s longest list of pages, on a laptop and a phone', async () => {
    await signIn(page, server.url, keys.admin);
    for (const width of [1024, 400]) {
      await page.setViewportSize({ width, height: 800 });
      await page.goto(`${server.url}/sales`);
      await settled(page);
      await expectNoSidewaysScroll(page, `${width} px`);
    }
  });
});
