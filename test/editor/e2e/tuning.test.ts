/**
 * The tuning loop in the built editor, as a new ops admin works it in
 * Chromium: picking event types with the mouse, discarding and replacing a
 * draft, creating a fit rule from nothing, typing conditions with mistakes in
 * them, reading a lead's timeline, and the same pages on a phone.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openBrowser, openTab, signIn } from './browser';
import { ensureEditorBuild, startEditorServer, type EditorServer } from './harness';

let server: EditorServer;
let browser: Browser;
/** A new tab for each test, signed in as the editor; the errors it logged fail the test. */
let page: Page;
let errors: string[];
const keys = { editor: '', sales: '' };

/** The rules page with the active version freshly loaded and no edits: the draft lives in the tab's memory and session storage. */
async function freshRules(): Promise<void> {
  await page.goto(`${server.url}/rules`);
  await page.evaluate("sessionStorage.removeItem('leadflow.draft')");
  await page.reload();
  await page.getByTestId('scoring-table').waitFor();
  await expect.poll(() => page.getByTestId('draft-status').textContent()).toBe('No changes yet');
}

const scoringRows = () => page.getByTestId('scoring-table').locator('tbody tr[data-rule-id]');

beforeAll(async () => {
  ensureEditorBuild();
  server = await startEditorServer();
  keys.editor = await server.key('editor', 'Olivia Ops');
  keys.sales = await server.key('sales', 'Sam Sales');
  browser = await openBrowser();
});

beforeEach(async () => {
  ({ page, errors } = await openTab(browser));
  await signIn(page, server.url, keys.editor);
});

afterEach(async () => {
  await page.close();
  expect(errors).toEqual([]);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('the event-type picker', () => {
  it('adds event types when their names are clicked, and stays open until the pointer leaves it', async () => {
    await freshRules();
    const picker = scoringRows().first().locator('details.picker');
    await picker.locator('summary').click();
    await picker.locator('fieldset').getByText('Site visit', { exact: true }).click();
    await picker.locator('fieldset').getByText('Demo request', { exact: true }).click();

    expect(await picker.getAttribute('open')).not.toBeNull();
    expect(await picker.getByRole('checkbox', { name: 'Site visit' }).isChecked()).toBe(true);
    expect(await picker.getByRole('checkbox', { name: 'Demo request' }).isChecked()).toBe(true);
    expect(await picker.locator('summary').textContent()).toMatch(/Site visit.*Demo request/);
    expect(await page.getByTestId('draft-status').textContent()).toBe('Unsaved changes');

    await page.getByRole('heading', { name: 'Scoring rules' }).click();
    await expect.poll(() => picker.getAttribute('open')).toBeNull();
  });
});
