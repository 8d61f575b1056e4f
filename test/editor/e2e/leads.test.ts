/**
 * The score as of now in the built editor: the leads list and a lead's page
 * show each lead's decayed score beside its score at the last event, and when
 * time alone next changes the lead, with the numbers the API gives; in English
 * and Japanese, at desktop and phone widths.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import en from '../../../editor/src/lib/i18n/en.json';
import { openBrowser, openTab, settled, shot, signIn } from './browser';
import { ensureEditorBuild, startEditorServer, type EditorServer } from './harness';

const DAY = 86_400_000;

let server: EditorServer;
let browser: Browser;
let page: Page;
let errors: string[];
let salesKey: string;

interface LeadRow {
  id: string;
  stage: string;
  score: number;
  scoreNow: number;
}

interface LeadDetail {
  lead: { id: string; stage: string; score: { total: number } };
  now: { score: { total: number } };
  nextChange: { at: string; stage: keyof typeof STAGE_LABELS; band: string } | null;
}

const STAGE_LABELS = {
  inquiry: en['stage.inquiry'],
  mql: en['stage.mql'],
  sal: en['stage.sal'],
  sql: en['stage.sql'],
  won: en['stage.won'],
  lost: en['stage.lost'],
  nurture: en['stage.nurture'],
  dormant: en['stage.dormant'],
  disqualified: en['stage.disqualified'],
};

async function api<T>(path: string): Promise<T> {
  const response = await fetch(`${server.url}${path}`, { headers: { Authorization: `Bearer ${salesKey}` } });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** A number as the editor shows it ("1,234.5"). */
const numberIn = (text: string | null) => Number((text ?? '').replace(/[^\d.-]/g, ''));

/**
 * A demo lead whose score has decayed since its last event and whose next
 * time-based change is more than a day away, so that nothing changes it
 * between the API's answer and the page's.
 */
async function decayedLead(): Promise<LeadDetail> {
  const { leads } = await api<{ leads: LeadRow[] }>('/v1/leads?limit=200');
  for (const row of leads.filter((lead) => lead.scoreNow < lead.score)) {
    const detail = await api<LeadDetail>(`/v1/leads/${row.id}`);
    if (detail.nextChange && Date.parse(detail.nextChange.at) > Date.now() + DAY && detail.nextChange.stage !== detail.lead.stage)
      return detail;
  }
  throw new Error('no demo lead has a decayed score and a stage change more than a day ahead');
}

beforeAll(async () => {
  ensureEditorBuild();
  server = await startEditorServer();
  salesKey = await server.key('sales', 'Sam Sales');
  browser = await openBrowser();
});

beforeEach(async () => {
  ({ page, errors } = await openTab(browser));
  await signIn(page, server.url, salesKey);
});

afterEach(async () => {
  await page.close();
  expect(errors).toEqual([]);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('a lead’s page', () => {
  it('shows the score now beside the score at the last event, and the next time-based change, as the API gives them', async () => {
    const detail = await decayedLead();
    await page.goto(`${server.url}/leads/${detail.lead.id}`);
    await settled(page);
    const now = page.getByTestId('lead-score-now');
    expect(numberIn(await now.textContent())).toBe(detail.now.score.total);
    expect(numberIn(await page.getByTestId('lead-score').textContent())).toBe(detail.lead.score.total);
    expect(detail.now.score.total).toBeLessThan(detail.lead.score.total);
    const header = await page.locator('p', { has: now }).textContent();
    expect(header).toMatch(/now · .+ at last event/);

    const nextChange = await page.getByTestId('next-change').textContent();
    const { stage, at } = detail.nextChange!;
    const date = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(at));
    expect(nextChange).toBe(`Becomes ${STAGE_LABELS[stage]} without further activity on ${date}`);
    await shot(page, 'lead-score-now');
    await page.setViewportSize({ width: 400, height: 800 });
    await shot(page, 'lead-score-now-400');

    await page.getByTestId('language').selectOption('ja');
    await expect.poll(() => page.locator('p', { has: now }).textContent()).toMatch(/現在 .+ · 最終イベント時 /);
    expect(numberIn(await now.textContent())).toBe(detail.now.score.total);
    expect(await page.getByTestId('next-change').textContent()).toMatch(/^活動がなければ .+ に.+になります$/);
    await shot(page, 'lead-score-now-ja-400');
  });
});

describe('the leads list', () => {
  it('shows each lead’s score now beside its score at the last event, as the API gives them', async () => {
    await page.goto(`${server.url}/leads`);
    await settled(page);
    const rows = page.getByTestId('leads-table').locator('tbody tr');
    await rows.first().waitFor();
    const { leads } = await api<{ leads: LeadRow[] }>('/v1/leads?limit=500');
    const byId = new Map(leads.map((lead) => [lead.id, lead]));
    const ids = await rows.locator('td:first-child a').allTextContents();
    const nows = (await rows.getByTestId('score-now').allTextContents()).map(numberIn);
    const lasts = (await rows.getByTestId('score-last').allTextContents()).map(numberIn);
    expect(ids.length).toBeGreaterThan(10);
    expect(nows).toHaveLength(ids.length);
    expect(ids.map((id, i) => ({ id, now: nows[i], last: lasts[i] }))).toEqual(
      ids.map((id) => ({ id, now: byId.get(id)?.scoreNow, last: byId.get(id)?.score })),
    );
    // Time has passed since the demo's last events: some scores have decayed, so the two numbers differ.
    expect(nows.some((now, i) => now < lasts[i]!)).toBe(true);
    expect(await rows.first().locator('td.num').first().textContent()).toMatch(/now · .+ at last event/);
    await shot(page, 'leads-score-now');
    await page.setViewportSize({ width: 400, height: 800 });
    await shot(page, 'leads-score-now-400');
  });
});
