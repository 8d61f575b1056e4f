/**
 * The tuning loop in the built editor, as a new ops admin works it in
 * Chromium: picking event types with the mouse, discarding and replacing a
 * draft, creating a fit rule from nothing, typing conditions with mistakes in
 * them, reading a lead's timeline, and the same pages on a phone.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { expectNoSidewaysScroll, openBrowser, openTab, settled, shot, signIn } from './browser';
import { ensureEditorBuild, startEditorServer, type EditorServer } from './harness';

let server: EditorServer;
let browser: Browser;
/** A new tab for each test, signed in as the editor; the errors it logged fail the test. */
let page: Page;
let errors: string[];
const keys = { editor: '', sales: '', ingest: '' };

interface Definition {
  scoring: Array<{ id: string; label: string; kind: string; on?: string[]; points: number; when?: unknown }>;
}

async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const response = await fetch(`${server.url}${path}`, {
    ...init,
    headers: { Authorization: `Bearer ${keys.editor}`, 'Content-Type': 'application/json', ...init.headers },
  });
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

const definitionOf = async (version: string) => (await api<{ definition: Definition }>(`/v1/rulesets/${version}`)).definition;

/** A number as the editor shows it ("+1,234.5", "-56.39", "−3"). */
const numberIn = (text: string | null) => Number((text ?? '').replace(/[−–]/g, '-').replace(/[^\d.+-]/g, ''));

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
  keys.ingest = await server.key('ingest', 'CRM sync');
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

describe('the draft', () => {
  it('discards unsaved edits', async () => {
    await freshRules();
    const points = scoringRows().first().locator('input[type=number]').first();
    const original = await points.inputValue();
    await points.fill('33');
    await expect.poll(() => page.getByTestId('draft-status').textContent()).toBe('Unsaved changes');

    await page.getByRole('button', { name: 'Discard changes' }).click();
    await expect.poll(() => points.inputValue()).toBe(original);
    expect(await page.getByTestId('draft-status').textContent()).toBe('No changes yet');
  });

  it('asks before another version replaces unsaved edits, from “Edit a copy” and from “Start from version”', async () => {
    const v1 = await definitionOf('v1');
    const { version: copy } = await api<{ version: string }>('/v1/rulesets', {
      method: 'POST',
      body: JSON.stringify({
        ...v1,
        version: undefined,
        createdAt: undefined,
        author: undefined,
        $schema: undefined,
        parent: 'v1',
        note: 'Emails worth more',
        scoring: v1.scoring.map((rule, i) => (i === 0 ? { ...rule, points: rule.points + 7 } : rule)),
      }),
    });
    await freshRules();
    const points = scoringRows().first().locator('input[type=number]').first();
    await points.fill('33');
    await expect.poll(() => page.getByTestId('draft-status').textContent()).toBe('Unsaved changes');

    await page.goto(`${server.url}/versions/${copy}`);
    await page.getByRole('link', { name: 'Edit a copy' }).click();
    const question = page.getByTestId('replace-draft');
    await question.waitFor();
    expect(await question.textContent()).toContain(`Starting from ${copy} would discard them.`);
    await shot(page, 'rules-replace-draft');
    await page.getByRole('button', { name: 'Keep my changes' }).click();
    await expect.poll(() => question.count()).toBe(0);
    expect(await points.inputValue()).toBe('33');
    expect(await page.getByTestId('draft-base').textContent()).toContain('v1');
    expect(new URL(page.url()).search).toBe('');

    await page.getByLabel('Start from version').selectOption(copy);
    await question.waitFor();
    await page.getByRole('button', { name: `Discard them and start from ${copy}` }).click();
    await expect.poll(() => page.getByTestId('draft-base').textContent()).toContain(copy);
    await expect.poll(() => points.inputValue()).toBe(String(v1.scoring[0]!.points + 7));
    expect(await page.getByTestId('draft-status').textContent()).toBe('No changes yet');
  });
});

describe('a new fit rule', () => {
  it('is created from scratch: add a rule, make it fit, give it a condition and save', async () => {
    await freshRules();
    const before = (await definitionOf('v1')).scoring.length;
    await page.getByRole('button', { name: '+ Add scoring rule' }).click();
    const row = scoringRows().nth(before);
    await row.getByRole('textbox', { name: `Rule ${before + 1}` }).fill('Large company');
    await row.getByLabel('Kind').selectOption('fit');
    await row.getByRole('spinbutton', { name: 'Points for “Large company”' }).fill('15');
    // A new rule opens with its condition builder.
    const builder = page.getByRole('group', { name: 'Condition: Large company' });
    await builder.getByRole('button', { name: '+ Add condition' }).click();
    await builder.getByLabel('Field', { exact: true }).selectOption({ label: 'Company size (employees)' });
    await builder.getByLabel('Operator').selectOption({ label: 'is at least' });
    await builder.getByLabel('Value', { exact: true }).fill('200');
    await expect.poll(() => page.getByTestId('condition-words').textContent()).toBe('Company size (employees) ≥ 200');

    await page.getByLabel('Note for this version').fill('Large companies fit better');
    await page.getByTestId('save-version').click();
    await page.waitForURL(/\/versions\/v\d+\?saved=1/);
    const saved = new URL(page.url()).pathname.split('/').pop()!;
    const rule = (await definitionOf(saved)).scoring.find((r) => r.label === 'Large company');
    expect(rule).toEqual({
      id: expect.any(String),
      label: 'Large company',
      kind: 'fit',
      points: 15,
      when: { '>=': [{ var: 'lead.attributes.companySize' }, 200] },
    });
  });

  it('says in words, not in validator terms, that an engagement rule needs an event type', async () => {
    await freshRules();
    await page.getByRole('button', { name: '+ Add scoring rule' }).click();
    const picker = scoringRows().last().locator('details.picker');
    await picker.locator('summary').click();
    await picker.locator('fieldset').getByText('Email opened', { exact: true }).click();
    const problems = page.getByTestId('draft-problems');
    await expect.poll(() => problems.textContent()).toContain('Choose at least one event type.');
    expect(await problems.textContent()).not.toContain('Too small');
  });
});

describe('conditions', () => {
  async function firstConditionRow() {
    await freshRules();
    await scoringRows().first().getByRole('button', { name: 'Edit condition' }).click();
    const builder = page.getByTestId('condition-builder');
    await builder.getByRole('button', { name: '+ Add condition' }).first().click();
    const condition = builder.getByTestId('condition-row').last();
    await condition.getByLabel('Field', { exact: true }).selectOption({ label: 'Company size (employees)' });
    await condition.getByLabel('Operator').selectOption({ label: 'is greater than' });
    return condition;
  }

  it('refuses an empty number instead of comparing with ""', async () => {
    const condition = await firstConditionRow();
    const value = condition.getByLabel('Value', { exact: true });
    await value.fill('50');
    await value.fill('');
    expect(await value.getAttribute('aria-invalid')).toBe('true');
    expect((await condition.getByRole('alert').textContent())?.trim()).toBe('Enter a number.');
    expect(await page.getByTestId('save-version').isDisabled()).toBe(true);
    expect(await page.getByTestId('draft-problems').textContent()).toContain('Enter a number.');

    await value.fill('75');
    await expect.poll(() => condition.getByRole('alert').count()).toBe(0);
    expect(await page.getByTestId('save-version').isDisabled()).toBe(false);
  });

  it('keeps the operator when “Other field…” is chosen, and offers the field meant for a misspelled one', async () => {
    const condition = await firstConditionRow();
    await condition.getByLabel('Value', { exact: true }).fill('50');
    await condition.getByLabel('Field', { exact: true }).selectOption({ label: 'Other field…' });
    expect(await condition.getByLabel('Operator').inputValue()).toBe('>');

    const path = condition.getByLabel('Field path');
    await path.fill('lead.attributes.companySise');
    await path.press('Enter');
    await expect.poll(() => condition.getByRole('alert').textContent()).toContain('“lead.attributes.companySise” is not a field');
    expect(await condition.getByLabel('Operator').inputValue()).toBe('>');
    expect(await page.getByTestId('save-version').isDisabled()).toBe(true);
    await condition.getByRole('button', { name: 'Use Company size (employees)' }).click();
    await expect.poll(() => condition.getByLabel('Field', { exact: true }).inputValue()).toBe('lead.attributes.companySize');
    expect(await condition.getByRole('alert').count()).toBe(0);
    expect(await condition.getByLabel('Value', { exact: true }).inputValue()).toBe('50');

    await condition.getByLabel('Field', { exact: true }).selectOption({ label: 'Other field…' });
    await path.fill('score.');
    await path.press('Enter');
    await expect.poll(() => condition.getByRole('alert').textContent()).toContain('“score.” is not a field');
  });
  it('knows the attributes stored leads have: offers them, spots a misspelling of one and wants a number for a numeric one', async () => {
    const response = await fetch(`${server.url}/v1/leads/crm-1/attributes`, {
      method: 'PUT',
      headers: { Authorization: `Bearer ${keys.ingest}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ attributes: { annualRevenue: 1_200_000 } }),
    });
    expect(response.status).toBe(201);
    const condition = await firstConditionRow();
    const field = condition.getByLabel('Field', { exact: true });
    await field.selectOption({ label: 'Lead attribute “annualRevenue”' });
    await condition.getByLabel('Operator').selectOption({ label: 'is at least' });
    await condition.getByLabel('Value', { exact: true }).fill('');
    await expect.poll(async () => (await condition.getByRole('alert').textContent())?.trim()).toBe('Enter a number.');
    await condition.getByLabel('Value', { exact: true }).fill('1000000');

    await field.selectOption({ label: 'Other field…' });
    const path = condition.getByLabel('Field path');
    await path.fill('lead.attributes.anualRevenue');
    await path.press('Enter');
    await expect.poll(() => condition.getByRole('alert').textContent()).toContain('“lead.attributes.anualRevenue” is not a field');
    await condition.getByRole('button', { name: 'Use Lead attribute “annualRevenue”' }).click();
    await expect.poll(() => field.inputValue()).toBe('lead.attributes.annualRevenue');
    expect(await condition.getByRole('alert').count()).toBe(0);
    await shot(page, 'rules-condition-attributes');
  });

  it('takes an attribute no lead has yet, and not like any known one, as a new attribute, keeping the operator', async () => {
    const condition = await firstConditionRow();
    await condition.getByLabel('Field', { exact: true }).selectOption({ label: 'Other field…' });
    const path = condition.getByLabel('Field path');
    await path.fill('lead.attributes.fiscalYearEnd');
    await path.press('Enter');
    await expect.poll(() => condition.getByLabel('Field', { exact: true }).inputValue()).toBe('__other__');
    expect(await condition.getByRole('alert').count()).toBe(0);
    // A typed path's type is only guessed (this one as text): the operator chosen before stays.
    expect(await condition.getByLabel('Operator').inputValue()).toBe('>');
  });
});

describe('a lead’s timeline', () => {
  /** A demo lead whose score fell while time passed, and the event (a tick) that says so. */
  async function decayedLead(): Promise<{ id: string; tick: string }> {
    const { leads } = await api<{ leads: Array<{ id: string }> }>('/v1/leads?limit=200');
    for (const { id } of leads) {
      const { timeline } = await api<{ timeline: Array<{ eventId: string; type: string; scoreAfter: number | null }> }>(`/v1/leads/${id}`);
      const tick = timeline.find((e, i) => e.type === 'tick' && i > 0 && (e.scoreAfter ?? 0) < (timeline[i - 1]!.scoreAfter ?? 0));
      if (tick) return { id, tick: tick.eventId };
    }
    throw new Error('no demo lead lost points over time');
  }

  it('shows what decay took, rows that add up to the score, and no raw codes', async () => {
    const { id, tick: tickId } = await decayedLead();
    await page.goto(`${server.url}/leads/${id}`);
    const rows = page.getByTestId('timeline').locator('tbody tr');
    await rows.first().waitFor();
    const tick = page.getByTestId('timeline').locator(`tbody tr[data-event-id="${tickId}"]`);
    expect(numberIn(await tick.getByTestId('timeline-change').textContent())).toBeLessThan(0);
    expect(await tick.getByTestId('timeline-rules').textContent()).toMatch(/Decay/);

    // Newest first: each row's change takes the score from the row below it to its own.
    const changes = (await rows.getByTestId('timeline-change').allTextContents()).map(numberIn);
    const scores = (await rows.getByTestId('timeline-score').allTextContents()).map(numberIn);
    const total = changes.reduce((sum, change) => sum + change, 0);
    expect(total).toBeCloseTo(scores[0]!, 1);
    expect(scores[0]).toBeCloseTo(numberIn(await page.getByTestId('lead-score').textContent()), 1);

    const text = `${await page.getByTestId('timeline').textContent()} ${await page.locator('section', { has: page.getByRole('heading', { name: 'Sales outcomes' }) }).textContent()}`;
    expect(text).not.toMatch(/\b[a-z]+(?:[_-][a-z]+)+\b/);
    await shot(page, 'lead-timeline');
  });
});

describe('the leads table', () => {
  it('lets the leads table be sorted by score, both ways', async () => {
    await page.goto(`${server.url}/leads`);
    await settled(page);
    const scores = async () =>
      (await page.getByTestId('leads-table').locator('tbody tr').getByTestId('score-now').allTextContents()).map(numberIn);
    await page.getByRole('button', { name: 'Score' }).click();
    expect(await page.getByRole('columnheader', { name: 'Score' }).getAttribute('aria-sort')).toBe('descending');
    const down = await scores();
    expect(down).toEqual([...down].sort((a, b) => b - a));
    await page.getByRole('button', { name: 'Score' }).click();
    expect(await page.getByRole('columnheader', { name: 'Score' }).getAttribute('aria-sort')).toBe('ascending');
    const up = await scores();
    expect(up).toEqual([...up].sort((a, b) => a - b));
    expect(up[0]).toBeLessThan(up[up.length - 1]!);
    await shot(page, 'leads-sorted');
  });
});

describe('the rules pages for other roles and on a phone', () => {
  it('shows rule names whole', async () => {
    await freshRules();
    const labels = scoringRows().locator('td.label-cell').getByRole('textbox');
    const cut = await labels.evaluateAll((inputs) =>
      inputs
        .filter((input) => input.scrollWidth > input.clientWidth + 1 || input.scrollHeight > input.clientHeight + 1)
        .map((input) => input.id),
    );
    expect(cut).toEqual([]);
    await shot(page, 'rules-scoring-1280');
  });

  it('shows sales the rules without buttons it cannot use', async () => {
    await signIn(page, server.url, keys.sales);
    await page.goto(`${server.url}/rules`);
    await page.getByTestId('scoring-table').waitFor();
    expect(await page.getByRole('button', { name: /^(Move up|Move down): / }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /^Remove rule/ }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /^\+ Add/ }).count()).toBe(0);
    await shot(page, 'rules-read-only');
  });

  it('fits the scoring table and the save bar on a 400 px phone', async () => {
    await page.setViewportSize({ width: 400, height: 800 });
    try {
      await freshRules();
      const points = scoringRows().first().getByRole('spinbutton').first();
      await points.fill('21');
      const box = (await points.boundingBox())!;
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width).toBeLessThanOrEqual(400);
      await expectNoSidewaysScroll(page);

      await page.evaluate('window.scrollTo(0, 0)');
      const bar = (await page.getByRole('form', { name: 'Save as new version' }).boundingBox())!;
      const covered = Math.max(0, Math.min(bar.y + bar.height, 800) - Math.max(bar.y, 0));
      expect(covered).toBeLessThanOrEqual(800 * 0.1);
      await shot(page, 'rules-scoring-400');
      for (const [path, name] of [
        ['/leads', 'leads-400'],
        [`/leads/${(await api<{ leads: Array<{ id: string }> }>('/v1/leads?limit=1')).leads[0]!.id}`, 'lead-400'],
      ] as const) {
        await page.goto(`${server.url}${path}`);
        await settled(page);
        await shot(page, name);
      }
    } finally {
      await page.setViewportSize({ width: 1280, height: 800 });
    }
  });
});
