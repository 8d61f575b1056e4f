/**
 * Suggesting points in the built editor, as an editor uses it in Chromium:
 * pick a period of the demo history, run the suggestion, read the points
 * and the judged AUCs beside the current version's, open the suggestion as
 * a draft and save it as a new version.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, openTab, settled, shot, signIn } from './browser';
import { ensureEditorBuild, startEditorServer, type EditorServer } from './harness';

let server: EditorServer;
let browser: Browser;
let page: Page;
let errors: string[];
let editorKey = '';

interface Estimate {
  auc: number | null;
  interval: { low: number | null; high: number | null };
}
interface SuggestionReply {
  status: string;
  from: string;
  since: string | null;
  until: string | null;
  options: { horizonDays?: number };
  result: {
    rows: Array<{ id: string; label: string; current: number | null; suggested: number | null; change: number }>;
    auc: { leads: { won: number; lost: number }; current: Estimate; suggested: Estimate } | null;
    notes: Array<{ code: string; message: string }>;
    ruleSet: { note: string; scoring: Array<{ id: string; points: number }>; lifecycle: { thresholds: { mql: number } } } | null;
  };
}

async function api<T>(path: string): Promise<T> {
  const response = await fetch(`${server.url}${path}`, { headers: { Authorization: `Bearer ${editorKey}` } });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

/** A local calendar day, as the date fields hold it. */
function dayOf(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}
const daysBefore = (day: string, days: number) => {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return dayOf(new Date(y, m - 1, d - days));
};
/** An AUC with its interval as the editor writes it in English. */
const aucText = ({ auc, interval }: Estimate) => `${auc!.toFixed(2)} (${interval.low!.toFixed(2)}–${interval.high!.toFixed(2)})`;

beforeAll(async () => {
  ensureEditorBuild();
  server = await startEditorServer();
  editorKey = await server.key('editor', 'Suggesting editor');
  browser = await openBrowser();
  ({ page, errors } = await openTab(browser));
  await signIn(page, server.url, editorKey);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('Suggest page', () => {
  let suggestion: SuggestionReply;

  it('offers the last 180 days of data, and takes another period picked with the mouse', async () => {
    await page.getByRole('link', { name: 'Suggest' }).click();
    await page.waitForURL(/\/suggest$/);
    await settled(page);
    const { lastEventAt } = await api<{ lastEventAt: string }>('/v1/suggestions/period');
    const last = dayOf(new Date(lastEventAt));
    await expect.poll(() => page.getByLabel('To', { exact: true }).inputValue()).toBe(last);
    expect(await page.getByLabel('From', { exact: true }).inputValue()).toBe(daysBefore(last, 179));
    expect(await page.getByRole('button', { name: 'Last 180 days' }).getAttribute('aria-pressed')).toBe('true');

    await page.getByRole('button', { name: 'Last 365 days' }).click();
    expect(await page.getByLabel('From', { exact: true }).inputValue()).toBe(daysBefore(last, 364));
    expect(await page.getByRole('button', { name: 'Last 365 days' }).getAttribute('aria-pressed')).toBe('true');
    expect(await page.getByLabel('Start from').inputValue()).toBe('v1');
    expect(await page.getByLabel('Judge within (days)').inputValue()).toBe('90');
  });

  it('runs the suggestion and shows the table and both AUCs the API answers with', async () => {
    const from = await page.getByLabel('From', { exact: true }).inputValue();
    const to = await page.getByLabel('To', { exact: true }).inputValue();
    await page.getByTestId('run-suggestion').click();
    await page.waitForURL(/\/suggest\?id=/);
    await page.getByTestId('suggestion-result').waitFor({ timeout: 60_000 });
    const id = new URL(page.url()).searchParams.get('id')!;
    suggestion = await api<SuggestionReply>(`/v1/suggestions/${id}`);
    expect(suggestion.status).toBe('done');
    // The period picked: from the start of its first day to the end of its last, local time.
    expect(suggestion.since).toBe(new Date(`${from}T00:00:00`).toISOString());
    expect(suggestion.until).toBe(new Date(`${daysBefore(to, -1)}T00:00:00`).toISOString());
    expect(suggestion.options).toEqual({ horizonDays: 90 });
    const { result } = suggestion;
    expect(result.auc).not.toBeNull();

    const rows = page.getByTestId('suggestion-table').locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(result.rows.length);
    for (const row of result.rows) {
      const cells = page.locator(`tr[data-rule="${row.id}"]`);
      expect(await cells.locator('th').innerText()).toBe(row.label);
      expect(await cells.getByTestId('current').innerText()).toBe(row.current === null ? 'new' : String(row.current));
      expect(await cells.getByTestId('suggested').innerText()).toBe(row.suggested === null ? 'left out' : String(row.suggested));
      const change = row.change === 0 ? '0' : row.change > 0 ? `+${row.change}` : `-${-row.change}`;
      expect((await cells.getByTestId('change').innerText()).replace('−', '-')).toBe(change);
    }
    expect(result.rows.some((row) => row.change !== 0)).toBe(true);

    const auc = result.auc!;
    expect(await page.getByTestId('auc-current').locator('dd').innerText()).toBe(aucText(auc.current));
    expect(await page.getByTestId('auc-suggested').locator('dd').innerText()).toBe(aucText(auc.suggested));
    expect(await page.getByTestId('auc-current').locator('dt').innerText()).toBe('Current (v1)');
    const { won, lost } = auc.leads;
    expect(await page.getByTestId('auc-leads').innerText()).toBe(`Judged on ${won + lost} held-out leads: ${won} won, ${lost} lost.`);

    // The notes in words, in either language, never the server's English message in Japanese.
    expect(result.notes.length).toBeGreaterThan(0);
    await page.getByTestId('language').selectOption('ja');
    expect(await page.getByTestId('suggestion-table').locator('thead').innerText()).toContain('提案ポイント');
    for (const note of result.notes) {
      const text = await page.locator(`[data-testid="suggestion-notes"] li[data-code="${note.code}"]`).innerText();
      expect(text, note.code).toMatch(/[\u3040-\u30ff\u4e00-\u9fff]/);
    }
    await shot(page, 'suggest-ja-1280');
    await page.getByTestId('language').selectOption('en');
    await shot(page, 'suggest-1280');
    await page.setViewportSize({ width: 400, height: 800 });
    await shot(page, 'suggest-400');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('opens the suggestion as a draft of the version it started from, and saves it as a new version', async () => {
    const ruleSet = suggestion.result.ruleSet!;
    await page.getByTestId('open-draft').click();
    await page.waitForURL(/\/rules$/);
    await settled(page);
    expect(await page.getByTestId('draft-base').innerText()).toContain('v1');
    expect(await page.getByTestId('draft-status').innerText()).toBe('Unsaved changes');
    for (const rule of ruleSet.scoring) expect(await page.getByTestId(`points-${rule.id}`).inputValue(), rule.id).toBe(String(rule.points));
    // A rule of v1 the suggestion left out is not in the draft.
    for (const row of suggestion.result.rows.filter((r) => r.suggested === null))
      expect(await page.getByTestId(`points-${row.id}`).count()).toBe(0);
    expect(await page.getByLabel('Note for this version').inputValue()).toBe(ruleSet.note);
    await shot(page, 'suggest-draft-1280');

    await page.getByTestId('save-version').click();
    await page.waitForURL(/\/versions\/v2/);
    const saved = await api<{ definition: typeof ruleSet & { parent: string } }>('/v1/rulesets/v2');
    expect(saved.definition.parent).toBe('v1');
    expect(saved.definition.scoring.map((rule) => [rule.id, rule.points])).toEqual(ruleSet.scoring.map((rule) => [rule.id, rule.points]));
    expect(saved.definition.lifecycle.thresholds.mql).toBe(ruleSet.lifecycle.thresholds.mql);
    expect(errors).toEqual([]);
  });
});
