/**
 * The threshold what-if of a comparison report in the built editor, as an
 * ops editor uses it in Chromium: a slider over the scores the data holds,
 * the change against the version's own MQL threshold, the curves, and the
 * chosen value taken into a draft and saved.
 */
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SCREENSHOTS, expectNoSidewaysScroll, openBrowser, openTab, settled, shot, signIn } from './browser';
import { ensureEditorBuild, startEditorServer, type EditorServer } from './harness';

let server: EditorServer;
let browser: Browser;
let page: Page;
let errors: string[];
const keys = { editor: '', sales: '' };
/** A finished comparison of v1 (active) and v2. */
let comparisonId = '';
const POLL_MS = 500;

interface Definition {
  lifecycle: { thresholds: { mql: number } };
  scoring: Array<{ id: string; points: number }>;
}

async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(`${server.url}${path}`, {
    ...init,
    headers: { Authorization: `Bearer ${keys.editor}`, 'Content-Type': 'application/json', ...init.headers },
  });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** Saves a copy of v1 with more points for every scoring rule, as v2. */
async function saveV2(): Promise<void> {
  const { definition } = await api<{ definition: Definition & Record<string, unknown> }>('/v1/rulesets/v1');
  const { version: _version, createdAt: _createdAt, author: _author, $schema: _schema, ...rest } = definition;
  const scoring = definition.scoring.map((rule) => ({ ...rule, points: rule.points > 0 ? rule.points + 5 : rule.points }));
  await api('/v1/rulesets', { method: 'POST', body: JSON.stringify({ ...rest, scoring, parent: 'v1', note: 'More points' }) });
}

async function finishedComparison(): Promise<string> {
  const { id } = await api<{ id: string }>('/v1/comparisons', { method: 'POST', body: JSON.stringify({ versions: ['v1', 'v2'] }) });
  for (;;) {
    const { status } = await api<{ status: string }>(`/v1/comparisons/${id}`);
    if (status === 'done') return id;
    if (status !== 'running') throw new Error(`comparison ${status}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

const panel = () => page.getByTestId('whatif-v2');

/** Signs out whoever is signed in in this tab, once the app shows it, then signs in with `key`. */
async function switchTo(key: string): Promise<void> {
  await page.goto(`${server.url}/`);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(/\/sign-in/);
  await signIn(page, server.url, key);
}

async function openReport(): Promise<void> {
  await page.goto(`${server.url}/compare?id=${comparisonId}`);
  await page.getByTestId('compare-report').waitFor({ timeout: 60_000 });
  await settled(page);
}

beforeAll(async () => {
  ensureEditorBuild();
  server = await startEditorServer();
  keys.editor = await server.key('editor', 'Olivia Ops');
  keys.sales = await server.key('sales', 'Sam Sales');
  await saveV2();
  comparisonId = await finishedComparison();
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

describe('the threshold what-if', () => {
  it('ranges over the scores the data holds and names the MQL threshold it moves', async () => {
    await openReport();
    const { report } = await api<{
      report: { whatIf: Array<{ version: string; threshold: number; points: Array<{ threshold: number }> }> };
    }>(`/v1/comparisons/${comparisonId}`);
    const curve = report.whatIf.find((c) => c.version === 'v2')!;
    const slider = panel().getByRole('slider');
    const max = Number(await slider.getAttribute('max'));
    expect(Number(await slider.getAttribute('min'))).toBe(0);
    expect(max).toBeGreaterThan(curve.threshold);
    expect(max).toBeLessThan(curve.points[0]!.threshold);
    expect(await panel().getByTestId('whatif-moves').textContent()).toContain(
      `Moves the MQL hand-off threshold (lifecycle.thresholds.mql) of v2; its own value is ${curve.threshold}.`,
    );
    expect(await panel().getByTestId('chart-whatif-curves-v2').isVisible()).toBe(true);
  });

  it('shows the change against the version’s own threshold as the slider moves', async () => {
    await openReport();
    const handOffs = panel().getByTestId('whatif-handoffs');
    const own = Number((await handOffs.textContent())!.replace(/,/g, ''));
    expect(await panel().getByTestId('whatif-change-handoffs').textContent()).toBe('–');
    // The keyboard moves the slider as a person would: down by ten points.
    await panel().getByRole('slider').focus();
    for (let i = 0; i < 10; i++) await page.keyboard.press('ArrowLeft');
    const lower = Number((await handOffs.textContent())!.replace(/,/g, ''));
    expect(lower).toBeGreaterThan(own);
    expect(await panel().getByTestId('whatif-change-handoffs').textContent()).toBe(`+${(lower - own).toLocaleString('en-GB')}`);
    expect(await panel().getByTestId('whatif-change-recall').textContent()).toMatch(/^(\+|±)[\d.]+ pt$/);
    await panel().scrollIntoViewIfNeeded();
    await page.locator('section', { has: page.locator('#whatif-title') }).screenshot({ path: join(SCREENSHOTS, 'compare-whatif.png') });
  });

  it('opens the chosen value as a draft of the version, which saves as a new version', async () => {
    await openReport();
    const input = panel().getByRole('spinbutton');
    await input.fill('42');
    await panel().getByRole('link', { name: 'Use 42 in a draft of v2' }).click();
    await page.waitForURL(/\/rules\/thresholds$/);
    await expect.poll(() => page.getByTestId('draft-base').textContent()).toContain('v2');
    await expect.poll(() => page.locator('#f-lifecycle-thresholds-mql').inputValue()).toBe('42');
    await expect.poll(() => page.getByTestId('draft-status').textContent()).toBe('Unsaved changes');
    await page.getByTestId('save-version').click();
    await page.waitForURL(/\/versions\/v3\?saved=1/);
    const saved = await api<{ definition: Definition & { parent: string } }>('/v1/rulesets/v3');
    expect(saved.definition.lifecycle.thresholds.mql).toBe(42);
    expect(saved.definition.parent).toBe('v2');
  });

  it('shows sales the what-if without a way to draft rules', async () => {
    await switchTo(keys.sales);
    await openReport();
    await panel().getByRole('spinbutton').fill('50');
    expect(await panel().getByTestId('whatif-change-handoffs').textContent()).not.toBe('–');
    expect(await panel().getByTestId('whatif-use').count()).toBe(0);
  });

  it('fits a 400 px phone, in English and Japanese', async () => {
    await page.setViewportSize({ width: 400, height: 800 });
    await openReport();
    await panel().getByRole('spinbutton').fill('45');
    await expectNoSidewaysScroll(page);
    await panel().scrollIntoViewIfNeeded();
    await panel().screenshot({ path: join(SCREENSHOTS, 'compare-whatif-400.png') });
    await page.evaluate("localStorage.setItem('leadflow.locale', 'ja')");
    await openReport();
    expect(await panel().getByTestId('whatif-moves').textContent()).toContain('MQL 引き継ぎしきい値');
    await expectNoSidewaysScroll(page);
    await shot(page, 'compare-whatif-ja-400');
  });
});
