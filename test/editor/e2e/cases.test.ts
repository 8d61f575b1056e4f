/**
 * Cases in the built editor, in Chromium: the draft's cases run on every edit
 * beside the live preview, red with the first difference when an edit breaks
 * one, and a lead's current outcome kept as a case from its page.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openBrowser, openTab, settled, shot, signIn } from './browser';
import { ensureEditorBuild, startEditorServer, type EditorServer } from './harness';

let server: EditorServer;
let browser: Browser;
let page: Page;
let errors: string[];
let editorKey = '';
/** The reference cases kept beside v1 (rules/v1.cases.json). */
let v1Cases = 0;

beforeAll(async () => {
  ensureEditorBuild();
  server = await startEditorServer();
  editorKey = await server.key('editor', 'Olivia Ops');
  const response = await fetch(`${server.url}/v1/rulesets/v1/cases`, { headers: { Authorization: `Bearer ${editorKey}` } });
  v1Cases = ((await response.json()) as { total: number }).total;
  browser = await openBrowser();
});

beforeEach(async () => {
  ({ page, errors } = await openTab(browser));
  await signIn(page, server.url, editorKey);
});

afterEach(async () => {
  await page.close();
  expect(errors).toEqual([]);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

const cases = () => page.getByTestId('cases');

describe("the draft's cases", () => {
  it('run on every edit: all pass on v1, and a change to webinar points fails the webinar case with its difference', async () => {
    await page.goto(`${server.url}/rules`);
    await settled(page);
    await expect.poll(() => cases().getByTestId('cases-summary').textContent()).toBe(`All ${v1Cases} cases pass`);
    await page.getByLabel('Points for “Webinar attended”').fill('15');
    const failing = cases().locator('[data-testid="case"][data-passed="false"]');
    await expect.poll(() => failing.count()).toBeGreaterThan(0);
    const webinar = failing.filter({ hasText: 'webinar attended gives 20' });
    expect(await webinar.getByTestId('case-difference').textContent()).toBe('score: expected at least 20, got 15 (fit 0, engagement 15)');
    expect(await cases().getByTestId('cases-summary').textContent()).toMatch(/^\d+ of \d+ cases fail/);
    await shot(page, 'cases-failing');
  });
});

describe("a lead's outcome kept as a case", () => {
  it("adds the lead's case to the draft, where it passes", async () => {
    const leads = await fetch(`${server.url}/v1/leads?limit=1`, { headers: { Authorization: `Bearer ${editorKey}` } });
    const leadId = ((await leads.json()) as { leads: Array<{ id: string }> }).leads[0]!.id;
    await page.goto(`${server.url}/leads/${leadId}`);
    await settled(page);
    await page.getByTestId('keep-as-case').click();
    const notice = page.getByTestId('kept-case');
    await notice.waitFor();
    expect(await notice.textContent()).toContain(`Added to the draft's cases as "lead ${leadId} as of`);
    await notice.getByRole('link', { name: 'Open the rules' }).click();
    await settled(page);
    const kept = cases().locator('[data-testid="case"]', { hasText: `lead ${leadId} as of` });
    await expect.poll(() => kept.getAttribute('data-passed')).toBe('true');
  });
});
