/**
 * The activation history in the built editor in Chromium: every activation,
 * newest first, with who made it and the impact it recorded.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openBrowser, openTab, settled, shot, signIn } from './browser';
import { ensureEditorBuild, startEditorServer, type EditorServer } from './harness';

let server: EditorServer;
let browser: Browser;
let page: Page;
let errors: string[];
const keys = { editor: '', sales: '' };

interface Impact {
  from: string;
  to: string;
  leads: number;
  bandChanged: number;
  handOffChanged: number;
  comparison: string;
}

async function api<T>(path: string, key: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(`${server.url}${path}`, {
    ...init,
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json', ...init.headers },
  });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  const text = await response.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

/** Saves a copy of v1 with webinars worth `points`, has both teams approve it, and activates it with its impact; returns its version. */
async function activateNewVersion(points: number): Promise<{ version: string; impact: Impact }> {
  const { definition } = await api<{ definition: Record<string, unknown> & { scoring: Array<{ on?: string[]; points: number }> } }>(
    '/v1/rulesets/v1',
    keys.editor,
  );
  const { version: _version, createdAt: _createdAt, author: _author, $schema: _schema, ...rest } = definition;
  const scoring = definition.scoring.map((rule) => (rule.on?.includes('webinar_attended') ? { ...rule, points } : rule));
  const { version } = await api<{ version: string }>('/v1/rulesets', keys.editor, {
    method: 'POST',
    body: JSON.stringify({ ...rest, scoring, parent: 'v1', note: `Webinars worth ${points}` }),
  });
  const review = (team: string, key: string) =>
    api(`/v1/rulesets/${version}/approvals`, key, { method: 'POST', body: JSON.stringify({ team, comment: 'Checked the comparison.' }) });
  await review('marketing', keys.editor);
  await review('sales', keys.sales);
  await api(`/v1/rulesets/${version}/impact`, keys.sales, { method: 'POST' });
  let impact: Impact | null = null;
  await expect
    .poll(
      async () => {
        impact = (await api<{ impact: Impact | null }>(`/v1/rulesets/${version}/impact`, keys.sales)).impact;
        return impact !== null;
      },
      { timeout: 60_000, interval: 250 },
    )
    .toBe(true);
  await api(`/v1/rulesets/${version}/activate?comparison=${impact!.comparison}`, server.adminKey, { method: 'POST' });
  return { version, impact: impact! };
}

beforeAll(async () => {
  ensureEditorBuild();
  server = await startEditorServer();
  keys.editor = await server.key('editor', 'Mika Marketing');
  keys.sales = await server.key('sales', 'Sam Sales');
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

describe('the activation history', () => {
  it('lists activations newest first, each with who made it and the impact it recorded', async () => {
    const { version, impact } = await activateNewVersion(30);
    await signIn(page, server.url, server.adminKey);
    await page.goto(`${server.url}/admin/keys`);
    await page.getByRole('navigation', { name: 'Admin pages' }).getByRole('link', { name: 'Activations' }).click();
    await page.waitForURL(/\/admin\/activations$/);
    await settled(page);

    expect(await page.getByTestId('activation-slots').textContent()).toContain(`Active now: ${version}.`);
    const entries = page.getByTestId('activations').getByRole('listitem');
    const newest = entries.first();
    expect(await newest.getByRole('link', { name: version }).count()).toBe(1);
    expect(await newest.textContent()).toContain('replacing v1');
    expect(await newest.textContent()).toContain('By admin (from LEADFLOW_ADMIN_KEY) on');
    const summary = newest.getByTestId('impact-summary');
    expect(await summary.textContent()).toContain(`Replayed on past data: ${impact.from} (active) against ${impact.to}.`);
    expect(await summary.getByTestId('impact-bands').textContent()).toBe(`${impact.bandChanged} of ${impact.leads}`);
    expect(await summary.getByTestId('impact-handoff-changes').textContent()).toBe(`${impact.handOffChanged} of ${impact.leads}`);

    // The first activation, made when the database was new, recorded no impact, and says so.
    expect(await entries.last().textContent()).toContain('No expected impact was recorded for this activation.');
    await shot(page, 'admin-activations-1280');
    await page.setViewportSize({ width: 400, height: 800 });
    await shot(page, 'admin-activations-400');
  });
});
