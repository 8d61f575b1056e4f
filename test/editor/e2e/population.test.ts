/**
 * The draft's effect on stored leads in the built editor, as an ops admin
 * sees it in Chromium while tuning thresholds: typing a lower hot threshold
 * moves leads between bands, and a longer decay half-life moves the score
 * histogram; the same panel on a phone.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openBrowser, openTab, shot, signIn } from './browser';
import { ensureEditorBuild, startEditorServer, type EditorServer } from './harness';

let server: EditorServer;
let browser: Browser;
let page: Page;
let errors: string[];
let editorKey: string;

/** A whole number as the panel shows it ("1,234", "+12", "−3"). */
const numberIn = (text: string | null) => Number((text ?? '').replace(/[−–]/g, '-').replace(/[^\d+-]/g, ''));

/** The thresholds page with the active version freshly loaded, its population figures shown. */
async function freshThresholds(): Promise<void> {
  await page.goto(`${server.url}/rules/thresholds`);
  await page.evaluate("sessionStorage.removeItem('leadflow.draft')");
  await page.reload();
  await page.getByTestId('population-bands').waitFor();
}

/** A hot threshold between the warm one and the current one: the draft stays valid and more leads are hot. */
async function lowerHot(): Promise<string> {
  const hot = Number(await page.locator('#f-bands-hot').inputValue());
  const warm = Number(await page.locator('#f-bands-warm').inputValue());
  return String(Math.round((hot + warm) / 2));
}

const draftHot = async () => numberIn(await page.getByTestId('population-band-hot-draft').textContent());

/** The histogram's table: per bin, the active version's count and the draft's. */
async function histogram(): Promise<Array<[number, number]>> {
  const rows = await page.getByTestId('table-population-histogram').locator('tbody tr').all();
  return Promise.all(rows.map(async (row) => (await row.locator('td').allTextContents()).map(numberIn) as [number, number]));
}

/** Replaces a number field's value from the keyboard, as a person does: click, select all, type, leave. */
async function typeInto(selector: string, value: string): Promise<void> {
  await page.locator(selector).click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.type(value);
  await page.keyboard.press('Tab');
}

beforeAll(async () => {
  ensureEditorBuild();
  server = await startEditorServer();
  editorKey = await server.key('editor', 'Olivia Ops');
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

describe('the effect on stored leads', () => {
  it('says which leads it judged, and shows the draft equal to the active version before any edit', async () => {
    await freshThresholds();
    await expect.poll(() => page.getByTestId('population-sample').textContent()).toMatch(/All [\d,]+ stored leads/);
    const bins = await histogram();
    expect(bins.length).toBeGreaterThan(1);
    expect(bins.every(([active, draft]) => active === draft)).toBe(true);
    expect(await page.getByTestId('population-changes').textContent()).toContain('No lead changes band.');
  });

  it('moves leads into the hot band when the hot threshold is lowered, and says which and why', async () => {
    await freshThresholds();
    const before = await draftHot();
    await typeInto('#f-bands-hot', await lowerHot());

    await expect.poll(draftHot, { timeout: 15_000 }).toBeGreaterThan(before);
    const row = page.getByTestId('population-band-hot');
    expect(numberIn(await row.locator('td').nth(2).textContent())).toBe((await draftHot()) - before);
    const changes = page.getByTestId('population-changes');
    expect(await changes.locator('h3').textContent()).toMatch(/[1-9][\d,]* leads change band/);
    expect(await changes.locator('ol > li').first().textContent()).toMatch(/Hot threshold [\d.]+ → [\d.]+/);
    await shot(page, 'population-thresholds');
  });

  it('moves the score histogram when decay slows', async () => {
    await freshThresholds();
    const before = await histogram();
    await typeInto('#f-decay-halfLifeDays', '365');

    await expect.poll(async () => (await histogram()).some(([active, draft]) => active !== draft), { timeout: 15_000 }).toBe(true);
    const after = await histogram();
    // The same leads, spread over the same bins or more: slower decay leaves higher scores.
    const total = (bins: Array<[number, number]>, side: 0 | 1) => bins.reduce((sum, bin) => sum + bin[side], 0);
    expect(total(after, 1)).toBe(total(before, 0));
    const mean = (bins: Array<[number, number]>, side: 0 | 1) => bins.reduce((sum, bin, i) => sum + bin[side] * i, 0) / total(bins, side);
    expect(mean(after, 1)).toBeGreaterThan(mean(after, 0));
  });

  it('shows the figures on a phone', async () => {
    await page.setViewportSize({ width: 400, height: 800 });
    await freshThresholds();
    const before = await draftHot();
    await typeInto('#f-bands-hot', await lowerHot());
    await expect.poll(draftHot, { timeout: 15_000 }).toBeGreaterThan(before);
    const panel = page.getByTestId('population');
    const box = await panel.boundingBox();
    expect(box!.width).toBeLessThanOrEqual(400);
    await shot(page, 'population-phone');
  });
});
