/**
 * A version whose cases fail is not activated, in the built editor in Chromium:
 * marketing saves a draft that breaks a reference case and keeps the case, both
 * teams approve it, and the admin who activates it is told which case fails and
 * why, while the active version stays as it was.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openBrowser, openTab, settled, shot, signIn } from './browser';
import { ensureEditorBuild, startEditorServer, type EditorServer } from './harness';

let server: EditorServer;
let browser: Browser;
let page: Page;
let errors: string[];
const keys = { editor: '', sales: '', admin: '' };

/** The reference case that webinars worth 15 points break, and how it says so in the draft's cases panel. */
const WEBINAR_CASE = 'webinar attended gives 20';
const WEBINAR_DIFFERENCE = 'score: expected at least 20, got 15 (fit 0, engagement 15)';

async function active(): Promise<string> {
  const response = await fetch(`${server.url}/v1/rulesets`, { headers: { Authorization: `Bearer ${keys.admin}` } });
  return ((await response.json()) as { active: string }).active;
}

const approvals = () => page.getByRole('region', { name: 'Approvals' });

/** Approves `version` for `team` with a comment, signed in with `key`. */
async function approve(version: string, key: string, team: 'Marketing' | 'Sales'): Promise<void> {
  await signIn(page, server.url, key);
  await page.goto(`${server.url}/versions/${version}`);
  await settled(page);
  await page.getByLabel(`Comment for ${team}`).fill('Checked.');
  await approvals()
    .getByRole('button', { name: `Approve for ${team}` })
    .click();
  await expect.poll(() => page.getByTestId(`approval-${team.toLowerCase()}`).textContent()).toContain('Approved by');
}

beforeAll(async () => {
  ensureEditorBuild();
  server = await startEditorServer();
  keys.admin = server.adminKey;
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

describe('activating a version whose cases fail', () => {
  let version = '';

  it('saves a draft that keeps the failing webinar case', async () => {
    await signIn(page, server.url, keys.editor);
    await page.goto(`${server.url}/rules`);
    await settled(page);
    await page.getByLabel('Points for “Webinar attended”').fill('15');
    const webinar = page.getByTestId('cases').locator('[data-testid="case"][data-passed="false"]', { hasText: WEBINAR_CASE });
    await expect.poll(() => webinar.getByTestId('case-difference').textContent()).toBe(WEBINAR_DIFFERENCE);
    await page.getByLabel('Note for this version').fill('Webinars worth 15, the webinar case kept as it is');
    await page.getByTestId('save-version').click();
    await page.waitForURL(/\/versions\/v\d+\?saved=1/);
    version = new URL(page.url()).pathname.split('/').pop()!;
    expect(version).not.toBe('v1');
  });

  it('is approved by both teams', async () => {
    await approve(version, keys.editor, 'Marketing');
    await approve(version, keys.sales, 'Sales');
  });

  it('is refused when the admin confirms, naming the failing case and its difference, and v1 stays active', async () => {
    await signIn(page, server.url, keys.admin);
    await page.goto(`${server.url}/versions/${version}`);
    await settled(page);
    await page.getByTestId('activate').click();
    await page.getByTestId('confirm-activate').click();
    const refusal = page.getByTestId('failing-cases');
    await refusal.waitFor();
    expect(await refusal.textContent()).toContain(`Not activated: ${version} fails`);
    const webinar = refusal.getByTestId('failing-case').filter({ hasText: WEBINAR_CASE });
    expect(await webinar.getByTestId('failing-case-difference').textContent()).toBe(WEBINAR_DIFFERENCE);
    expect(await page.getByTestId('version-active').count()).toBe(0);
    expect(await active()).toBe('v1');
    await shot(page, 'activation-failing-cases');
    await page.setViewportSize({ width: 400, height: 800 });
    // The comparison's charts below take the new width after a moment; the refusal fits as soon as the page is
    // laid out at it (polled: just after the resize Chromium may still answer for the old width).
    await expect.poll(() => refusal.evaluate((element) => element.getBoundingClientRect().right)).toBeLessThanOrEqual(400);
    await shot(page, 'activation-failing-cases-400');
  });
});
