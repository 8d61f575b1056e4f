/**
 * The lifecycle editor in the built editor, as a marketing editor uses it in
 * Chromium: a transition added with the mouse is drawn on the diagram and used
 * by the live preview, mistakes in the order are marked, a lead's history is
 * stepped through on the diagram, and Discard brings back the saved diagram.
 * A sales key, which may read the rules but not edit them, steps through a
 * history too. The steps share one tab and one draft, in order.
 */
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCREENSHOTS, expectNoSidewaysScroll, openBrowser, openTab, settled, shot, signIn } from './browser';
import { ensureEditorBuild, startEditorServer, type EditorServer } from './harness';

let server: EditorServer;
let browser: Browser;
let page: Page;
let errors: string[];
let editorKey = '';
/** A stored lead still in Inquiry, with activity in its history. */
let leadId = '';
/** Arrows of the saved diagram: one per transition and source stage. */
let savedEdges = 0;
const NEW_ID = 'transition';

async function api<T>(path: string, body?: unknown): Promise<T> {
  const response = await fetch(`${server.url}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { Authorization: `Bearer ${editorKey}`, 'Content-Type': 'application/json' },
    body: body === undefined ? null : JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

interface Explained {
  explanations: Array<{ stageChanges: Array<{ transitionId: string }>; score: { after: { total: number } } } | null>;
}

/**
 * A stored lead whose history, run through v1 as the stepper runs it, reaches MQL by its score, with the
 * number of the event that moved it and the score after that event.
 */
async function leadReachingMql(): Promise<{ id: string; step: number; score: number }> {
  const { leads } = await api<{ leads: Array<{ id: string }> }>('/v1/leads?stage=sql&limit=50');
  for (const { id } of leads) {
    const { timeline } = await api<{ timeline: Array<{ eventId: string; type: string; occurredAt: string; properties: unknown }> }>(
      `/v1/leads/${id}`,
    );
    const events = timeline.map((e) => ({ id: e.eventId, type: e.type, occurredAt: e.occurredAt, properties: e.properties }));
    const { explanations } = await api<Explained>('/v1/evaluate', { version: 'v1', lead: { id, attributes: {} }, events });
    const step = explanations.findIndex((x) => x?.stageChanges.some((c) => c.transitionId === 'reached-mql-threshold'));
    if (step >= 0) return { id, step: step + 1, score: explanations[step]!.score.after.total };
  }
  throw new Error('no demo lead reaches MQL by its score');
}

const diagram = () => page.getByTestId('lifecycle-diagram');
const edges = (selector = '') => diagram().locator(`g.edge${selector}`);
const newItem = () => page.locator(`li[data-transition="${NEW_ID}"]`);

beforeAll(async () => {
  ensureEditorBuild();
  server = await startEditorServer();
  editorKey = await server.key('editor', 'Mika Marketing');
  const { leads } = await api<{ leads: Array<{ id: string; eventCount: number }> }>('/v1/leads?stage=inquiry&limit=50');
  leadId = leads.find((lead) => lead.eventCount >= 2)!.id;
  browser = await openBrowser();
  ({ page, errors } = await openTab(browser));
  await signIn(page, server.url, editorKey);
});

afterAll(async () => {
  expect(errors).toEqual([]);
  await browser?.close();
  await server?.close();
});

describe('the lifecycle editor', () => {
  it('draws the saved lifecycle with its first-match order and nothing flagged', async () => {
    await page.goto(`${server.url}/rules/lifecycle`);
    await settled(page);
    await edges().first().waitFor();
    savedEdges = await edges().count();
    expect(savedEdges).toBe(27);
    const reached = edges('[data-transition="reached-mql-threshold"]');
    expect(await reached.count()).toBe(2);
    expect(await reached.nth(0).locator('tspan').allTextContents()).toEqual(['2 · Any activity', 'Total score ≥', 'MQL threshold']);
    expect(await reached.nth(1).locator('tspan').allTextContents()).toEqual(['2']);
    expect(await edges('[data-state="flagged"]').count()).toBe(0);
    expect(await page.getByTestId('lifecycle-findings').textContent()).toContain('Every stage can be reached');
    // The lead the preview will show stays in Inquiry under the saved rules.
    const preview = page.getByTestId('live-preview');
    await preview.getByLabel('Lead', { exact: true }).selectOption(leadId);
    await expect.poll(() => preview.getByTestId('preview-stage').textContent()).toBe('Inquiry');
  });

  it('adds a transition with the mouse and draws it', async () => {
    await page.getByRole('button', { name: 'Add transition' }).click();
    await newItem().getByLabel('Label', { exact: true }).fill('Any activity in Inquiry disqualifies');
    // A new transition leaves Inquiry; the to-stage and the trigger are picked.
    expect(await newItem().getByRole('group', { name: 'From stages' }).getByLabel('Inquiry').isChecked()).toBe(true);
    await newItem().getByLabel('To stage').selectOption({ label: 'Disqualified' });
    await newItem().getByRole('group', { name: 'Activity and time' }).getByText('Any activity').click();
    expect(await newItem().getByRole('group', { name: 'Activity and time' }).getByLabel('Any activity').isChecked()).toBe(true);

    const drawn = edges(`[data-transition="${NEW_ID}"]`);
    await expect.poll(() => drawn.count()).toBe(1);
    expect(await drawn.getAttribute('data-from')).toBe('inquiry');
    expect(await drawn.getAttribute('data-to')).toBe('disqualified');
    expect(await drawn.locator('tspan').allTextContents()).toEqual(['14 · Any activity']);
    expect(await drawn.locator('path.line').getAttribute('d')).toMatch(/^M [\d.]+ [\d.]+/);
    expect(await edges().count()).toBe(savedEdges + 1);
    await expect.poll(() => page.getByTestId('draft-status').textContent()).toBe('Unsaved changes');
    await shot(page, 'rules-lifecycle-editor');
    // Tall enough that the save bar at the bottom of the window leaves the whole diagram in view.
    await page.setViewportSize({ width: 1280, height: 1400 });
    await page.evaluate('window.scrollTo(0, 0)');
    await diagram().screenshot({ path: join(SCREENSHOTS, 'rules-lifecycle-diagram.png') });
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('moves the preview lead the way the new transition says', async () => {
    const preview = page.getByTestId('live-preview');
    expect(await preview.getByLabel('Lead', { exact: true }).inputValue()).toBe(leadId);
    await expect.poll(() => preview.getByTestId('preview-stage').textContent(), { timeout: 10_000 }).toBe('Disqualified');
  });

  it('steps through a lead’s history and highlights the transition each event fired', async () => {
    const stepper = page.getByTestId('history-stepper');
    await stepper.getByLabel('Lead to step through').selectOption(leadId);
    await expect.poll(() => stepper.getByTestId('step-position').textContent()).toMatch(/^Event 1 of \d+$/);
    const total = Number((await stepper.getByTestId('step-position').textContent())!.match(/of (\d+)/)![1]);
    // Forward until the event the new transition fired at.
    for (let i = 1; i < total && (await stepper.locator(`[data-testid="step-fired"][data-transition="${NEW_ID}"]`).count()) === 0; i++) {
      await stepper.getByRole('button', { name: 'Next event' }).click();
    }
    const fired = stepper.locator(`[data-testid="step-fired"][data-transition="${NEW_ID}"]`);
    expect(await fired.textContent()).toContain('Fired #14 “Any activity in Inquiry disqualifies”: Inquiry → Disqualified');
    expect(await fired.textContent()).toContain('It has no guard');
    await expect.poll(() => edges(`[data-transition="${NEW_ID}"]`).getAttribute('data-state')).toBe('fired');
    expect(await edges('[data-state="fired"]').count()).toBe(1);

    // After it the lead is disqualified for good: the next event fires nothing.
    if (await stepper.getByRole('button', { name: 'Next event' }).isEnabled()) {
      await stepper.getByRole('button', { name: 'Next event' }).click();
      expect(await stepper.getByTestId('step-none').textContent()).toBe('No transition fired: the lead stays in Disqualified.');
      await expect.poll(() => edges('[data-state="fired"]').count()).toBe(0);
      await stepper.getByRole('button', { name: 'Previous event' }).click();
      await expect.poll(() => edges('[data-state="fired"]').count()).toBe(1);
    }
    await stepper.screenshot({ path: join(SCREENSHOTS, 'rules-lifecycle-step.png') });
  });

  it('flags a transition that an earlier one always beats once it is moved above it', async () => {
    for (let i = 0; i < 12; i++)
      await newItem()
        .getByRole('button', { name: /^Move up:/ })
        .click();
    expect(await page.locator('ol.transitions > li').nth(1).getAttribute('data-transition')).toBe(NEW_ID);
    const shadowed = page.getByTestId('lifecycle-findings').locator('[data-kind="shadowed"]');
    await expect.poll(() => shadowed.count()).toBeGreaterThan(0);
    expect(await shadowed.first().textContent()).toContain(
      '#3 “Score reaches the MQL (hand-off) threshold” never fires from Inquiry on Any activity: #2 “Any activity in Inquiry disqualifies” comes first',
    );
    expect(await edges('[data-transition="reached-mql-threshold"][data-from="inquiry"]').getAttribute('data-state')).toBe('flagged');
    expect(await edges('[data-transition="reached-mql-threshold"][data-from="nurture"]').getAttribute('data-state')).toBe('plain');
  });

  it('flags a transition back to its own stage on the diagram and in the list', async () => {
    await newItem().getByRole('group', { name: 'From stages' }).getByText('Disqualified').click();
    const loop = edges(`[data-transition="${NEW_ID}"][data-from="disqualified"]`);
    await expect.poll(() => loop.getAttribute('data-state')).toBe('flagged');
    expect(await loop.getAttribute('aria-label')).toMatch(/\(Self-loop or shadowed transition\)$/);
    expect(await page.getByTestId('lifecycle-findings').locator('[data-kind="self-loop"]').textContent()).toContain(
      '#2 “Any activity in Inquiry disqualifies” leads from Disqualified back to Disqualified.',
    );
    expect(await newItem().getByTestId('transition-flag').textContent()).toBe('Leads back to its own stage');
    await shot(page, 'rules-lifecycle-flagged');
  });

  it('removes a transition and brings it back with undo', async () => {
    await newItem().getByRole('button', { name: 'Remove transition “Any activity in Inquiry disqualifies”' }).click();
    await expect.poll(() => edges(`[data-transition="${NEW_ID}"]`).count()).toBe(0);
    await page.getByTestId('transition-removed').getByRole('button', { name: 'Undo' }).click();
    await expect.poll(() => edges(`[data-transition="${NEW_ID}"]`).count()).toBe(2);
    expect(await page.locator('ol.transitions > li').nth(1).getAttribute('data-transition')).toBe(NEW_ID);
  });

  it('fits a 400 px phone without sideways scrolling', async () => {
    await page.setViewportSize({ width: 400, height: 800 });
    await diagram().waitFor();
    await expectNoSidewaysScroll(page);
    await shot(page, 'rules-lifecycle-400');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('returns to the saved diagram on Discard', async () => {
    await page.getByRole('button', { name: 'Discard changes' }).click();
    await expect.poll(() => edges().count()).toBe(savedEdges);
    expect(await edges(`[data-transition="${NEW_ID}"]`).count()).toBe(0);
    expect(await edges('[data-state="flagged"]').count()).toBe(0);
    expect(await page.getByTestId('draft-status').textContent()).toBe('No changes yet');
  });

  it('tells why a guarded transition fired: its guard and the values it compared', async () => {
    const { id, step, score } = await leadReachingMql();
    const stepper = page.getByTestId('history-stepper');
    await stepper.getByLabel('Lead to step through').selectOption(id);
    await expect.poll(() => stepper.getByTestId('step-position').textContent()).toMatch(/^Event 1 of \d+$/);
    for (let i = 1; i < step; i++) await stepper.getByRole('button', { name: 'Next event' }).click();
    expect(await stepper.getByTestId('step-position').textContent()).toMatch(new RegExp(`^Event ${step} of`));
    const fired = stepper.locator('[data-testid="step-fired"][data-transition="reached-mql-threshold"]');
    expect(await fired.textContent()).toContain('Fired #2 “Score reaches the MQL (hand-off) threshold”');
    expect((await fired.textContent())!.replace(/\s+/g, ' ')).toContain(
      `Because its guard held: Total score ≥ MQL threshold (Total score = ${score.toLocaleString('en-GB')}, MQL threshold = 60)`,
    );
    await expect.poll(() => edges('[data-state="fired"]').getAttribute('data-transition')).toBe('reached-mql-threshold');
  });

  it('speaks Japanese on the diagram, in its checks and in the stepper', async () => {
    await page.getByTestId('language').selectOption('ja');
    await expect.poll(() => page.getByTestId('lifecycle-findings').textContent()).toContain('すべてのステージに到達でき');
    const first = edges('[data-transition="reached-mql-threshold"][data-from="inquiry"]').locator('tspan');
    expect((await first.allTextContents())[0]).toMatch(/^2 · /);
    expect(await page.getByTestId('history-stepper').getByRole('button', { name: '次のイベント' }).count()).toBe(1);
    await page.setViewportSize({ width: 1280, height: 1400 });
    await page.evaluate('window.scrollTo(0, 0)');
    await diagram().screenshot({ path: join(SCREENSHOTS, 'rules-lifecycle-diagram-ja.png') });
    await page.setViewportSize({ width: 1280, height: 800 });
    await page.getByTestId('language').selectOption('en');
  });
});

describe('the lifecycle page for a role that may only read the rules', () => {
  it('lets a sales key step through a lead’s history while every editing control stays disabled', async () => {
    await signIn(page, server.url, await server.key('sales', 'Sam Sales'));
    await page.goto(`${server.url}/rules/lifecycle`);
    await settled(page);
    const stepper = page.getByTestId('history-stepper');
    const picker = stepper.getByLabel('Lead to step through');
    const next = stepper.getByRole('button', { name: 'Next event' });
    const previous = stepper.getByRole('button', { name: 'Previous event' });
    expect(await picker.isEnabled()).toBe(true);
    await picker.selectOption(leadId);
    await expect.poll(() => stepper.getByTestId('step-position').textContent()).toMatch(/^Event 1 of \d+$/);
    await next.click();
    expect(await stepper.getByTestId('step-position').textContent()).toMatch(/^Event 2 of \d+$/);
    await previous.click();
    expect(await stepper.getByTestId('step-position').textContent()).toMatch(/^Event 1 of \d+$/);
    await shot(page, 'rules-lifecycle-sales');
    // The rules themselves stay read-only: no transition to add, no points to change, nothing to save.
    expect(await page.getByRole('button', { name: '+ Add transition' }).count()).toBe(0);
    expect(await page.getByTestId('save-version').count()).toBe(0);
    await page.getByRole('link', { name: 'Scoring' }).click();
    await settled(page);
    expect(await page.getByLabel('Points for “Webinar attended”').isDisabled()).toBe(true);
  });
});
