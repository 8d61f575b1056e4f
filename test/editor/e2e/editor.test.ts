/**
 * The built editor in Chromium against a real server on a temporary SQLite
 * database: the path a marketing editor, a sales lead and an admin take
 * together, from editing a rule to activating the new version.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, ensureEditorBuild, startEditorServer, type EditorServer } from './harness';
import { expectNoSidewaysScroll } from './browser';

const SCREENSHOTS = join(REPO, 'test-artifacts', 'editor');
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
/** Chromium reports every 4xx answer as a failed resource; the editor asks for some on purpose (validation while typing). */
const EXPECTED_HTTP_REFUSAL = /^Failed to load resource: the server responded with a status of 4\d\d/;
const MS_PER_HOUR = 3_600_000;

let server: EditorServer;
let browser: Browser;
let page: Page;
const keys: Record<'editor' | 'sales' | 'admin' | 'ingest', string> = { editor: '', sales: '', admin: '', ingest: '' };
const consoleErrors: string[] = [];
/** The comparison the compare test runs, opened again at other screen widths. */
let comparisonId = '';

async function api<T>(path: string, key = keys.editor): Promise<T> {
  const response = await fetch(`${server.url}${path}`, { headers: { Authorization: `Bearer ${key}` } });
  if (!response.ok) throw new Error(`${path}: ${response.status}`);
  return (await response.json()) as T;
}

/** A demo lead that attended webinars, so webinar points show in its preview. */
async function leadWithWebinars(): Promise<string> {
  const { leads } = await api<{ leads: Array<{ id: string }> }>('/v1/leads?limit=200');
  for (const { id } of leads) {
    const detail = await api<{ timeline: Array<{ type: string }> }>(`/v1/leads/${id}`);
    if (detail.timeline.some((e) => e.type === 'webinar_attended')) return id;
  }
  throw new Error('no demo lead attended a webinar');
}

/** Sends events as the ingest key, as a source system would. */
async function sendEvents(events: Array<{ id: string; leadId: string; type: string; occurredAt: string }>): Promise<void> {
  const response = await fetch(`${server.url}/v1/events/batch`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${keys.ingest}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ events }),
  });
  const reply = (await response.json()) as { stored: number };
  if (!response.ok || reply.stored !== events.length) throw new Error(`events not stored: ${JSON.stringify(reply)}`);
}

/** A time `hours` before now, inside the dashboard's period. */
const hoursAgo = (hours: number) => new Date(Date.now() - hours * MS_PER_HOUR).toISOString();

async function shot(name: string): Promise<void> {
  await page.evaluate('window.scrollTo(0, 0)');
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** Waits until the page has its heading and nothing left loading, in either language. */
async function settled(): Promise<void> {
  await page.locator('main h1').first().waitFor();
  await expect.poll(() => page.getByText(/^(Loading…|読み込み中…)$/).count(), { timeout: 10_000 }).toBe(0);
}

async function signIn(role: keyof typeof keys): Promise<void> {
  if (await page.getByRole('button', { name: /Sign out|サインアウト/ }).isVisible()) {
    await page.getByRole('button', { name: /Sign out|サインアウト/ }).click();
  }
  await page.waitForURL(/\/sign-in/);
  await page.getByLabel(/API key|API キー/).fill(keys[role]);
  await page.getByRole('button', { name: /^(Sign in|サインイン)$/ }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/sign-in'));
}

beforeAll(async () => {
  mkdirSync(SCREENSHOTS, { recursive: true });
  ensureEditorBuild();
  server = await startEditorServer();
  keys.admin = server.adminKey;
  keys.editor = await server.key('editor', 'Mika Marketing');
  keys.sales = await server.key('sales', 'Sam Sales');
  keys.ingest = await server.key('ingest', 'Web forms');
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.setDefaultTimeout(15_000);
  page.on('console', (message) => {
    if (message.type() === 'error' && !EXPECTED_HTTP_REFUSAL.test(message.text())) consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => consoleErrors.push(error.message));
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('the editor, end to end', () => {
  it('asks for a key first, then signs an editor in to the dashboard', async () => {
    await page.goto(`${server.url}/`);
    await page.waitForURL(/\/sign-in/);
    await page.getByLabel('API key').fill('lf_not_a_key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('not valid');

    await signIn('editor');
    expect(new URL(page.url()).pathname).toBe('/dashboard');
    await page.getByTestId('kpi-hotLeadConversion').waitFor();
    await page.getByTestId('table-funnel').waitFor({ state: 'attached' });
    // The live KPI counts other leads than the replayed one on the compare page, and says so.
    expect(await page.getByTestId('kpi-scope-hotLeadConversion').textContent()).toContain('Live, last 90 days');
    await shot('dashboard');
  });

  it('edits a rule’s points with the form and the live preview follows', async () => {
    const leadId = await leadWithWebinars();
    await page.getByRole('link', { name: 'Rules', exact: true }).click();
    await page.getByTestId('scoring-table').waitFor();
    await page.locator('#preview-lead').selectOption(leadId);
    const score = page.getByTestId('preview-score');
    await expect.poll(() => page.getByTestId('preview-base-score').textContent()).toContain('v1');
    const before = await score.textContent();

    const points = page.getByLabel('Points for “Webinar attended”');
    await points.fill('5000');
    const error = page.locator('#f-scoring-3-points-error');
    await expect.poll(() => error.textContent()).toMatch(/1000/);
    expect(await points.getAttribute('aria-invalid')).toBe('true');

    await points.fill('45');
    await expect.poll(() => error.count()).toBe(0);
    await expect.poll(() => score.textContent()).not.toBe(before);
    expect(await page.getByTestId('preview-delta').textContent()).toMatch(/^\+/);
    expect(await page.getByTestId('draft-status').textContent()).toBe('Unsaved changes');
    await shot('rules-scoring');

    await page.reload();
    await expect.poll(() => page.getByLabel('Points for “Webinar attended”').inputValue()).toBe('45');
    expect(await page.getByTestId('draft-status').textContent()).toBe('Unsaved changes');
  });

  it('previews a sequence of typed events', async () => {
    await page.getByLabel('Typed events').check();
    const score = page.getByTestId('preview-score');
    await expect.poll(() => score.textContent()).toMatch(/^\d/);
    const before = await score.textContent();
    await page.getByRole('button', { name: '+ Add event' }).click();
    await expect.poll(() => score.textContent()).not.toBe(before);
    await page.getByLabel('A real lead').check();
  });

  it('opens a transition of the lifecycle diagram to edit its guard', async () => {
    await page.getByRole('link', { name: 'Lifecycle', exact: true }).click();
    await page.locator('g[data-transition="reached-mql-threshold"]').first().click();
    const item = page.locator('li[data-transition="reached-mql-threshold"]');
    await item.getByTestId('condition-builder').waitFor();
    expect(await item.getByTestId('condition-words').textContent()).toBe('Total score ≥ MQL threshold');
    await shot('rules-lifecycle');
    await page.getByRole('link', { name: 'Thresholds and decay' }).click();
    await page.getByRole('spinbutton', { name: 'MQL (hand-off) threshold' }).waitFor();
    await shot('rules-thresholds');
  });

  it("shows the draft's cases the change breaks, and removes them", async () => {
    // v1's reference cases travel with the draft; those pinning webinar points no longer hold at 45.
    const cases = page.getByTestId('cases');
    const summary = cases.getByTestId('cases-summary');
    await expect.poll(() => summary.textContent()).toMatch(/^2 of \d+ cases fail/);
    const failing = cases.locator('[data-testid="case"][data-passed="false"]');
    expect(await failing.first().getByTestId('case-difference').textContent()).toBe(
      'band: expected cold, got warm (score 45, warm from 30)',
    );
    for (let left = 2; left > 0; left--) {
      await failing.first().getByRole('button', { name: 'Remove' }).click();
      await expect.poll(() => summary.isVisible().then((visible) => (visible ? failing.count() : -1))).toBe(left - 1);
    }
    await expect.poll(() => summary.textContent()).toMatch(/^All \d+ cases pass$/);
  });

  it('saves the draft as a new version with a note', async () => {
    await page.getByLabel('Note for this version').fill('Webinars show intent: worth more points');
    await page.getByTestId('save-version').click();
    await page.waitForURL(/\/versions\/v2\?saved=1/);
    expect(await page.getByTestId('version-message').textContent()).toBe('Saved as v2.');
    await expect.poll(() => page.getByTestId('diff-text').allTextContents()).toEqual(['Webinar attended: 20 → 45 points']);
  });

  it('shows the history and a side-by-side diff of two versions', async () => {
    await page.getByRole('link', { name: 'Versions', exact: true }).click();
    const row = page.locator('tr[data-version="v2"]');
    await row.waitFor();
    expect(await row.textContent()).toContain('Webinars show intent: worth more points');
    expect(await row.textContent()).toContain('Mika Marketing');
    await shot('versions');
    await page.getByLabel('Select v1').check();
    await page.getByLabel('Select v2').check();
    await page.getByTestId('show-diff').click();
    await page.waitForURL(/\/versions\/diff\?from=v1&to=v2/);
    const cells = page.getByTestId('diff-table').locator('tbody tr:not(.section) td');
    await expect.poll(() => cells.allTextContents()).toEqual(['Webinar attended: 20 → 45 points', '20', '45']);
    await shot('versions-diff');
  });

  it('gets the approval of marketing and of sales', async () => {
    await page.goto(`${server.url}/versions/v2`);
    await page.getByLabel('Comment for Marketing').fill('Webinars are worth more: checked the comparison.');
    await page.getByRole('button', { name: 'Approve for Marketing' }).click();
    await expect.poll(() => page.getByTestId('approval-marketing').textContent()).toContain('Mika Marketing');
    expect(await page.getByRole('button', { name: 'Approve for Sales' }).count()).toBe(0);

    await signIn('sales');
    await page.goto(`${server.url}/rules`);
    await page.getByText('only marketing editors can change rules').waitFor();
    expect(await page.getByTestId('save-version').count()).toBe(0);
    await page.goto(`${server.url}/versions/v2`);
    await page.getByLabel('Comment for Sales').fill('Fine for the team.');
    await page.getByRole('button', { name: 'Approve for Sales' }).click();
    await expect.poll(() => page.getByTestId('approval-sales').textContent()).toContain('Sam Sales');
  });

  it('lets an admin activate the new version', async () => {
    await signIn('admin');
    await page.goto(`${server.url}/versions/v2`);
    await page.getByTestId('activate').click();
    await page.getByTestId('confirm-activation').getByTestId('impact-summary').waitFor({ timeout: 60_000 });
    await page.getByTestId('confirm-activate').click();
    await page.getByTestId('version-active').waitFor();
    expect(await page.getByTestId('version-message').textContent()).toBe('v2 is now active.');
    expect((await api<{ active: string }>('/v1/rulesets')).active).toBe('v2');
    await shot('version-detail');
  });

  it('rolls back to an earlier version without new approvals', async () => {
    await page.goto(`${server.url}/versions/v1`);
    await page.getByRole('button', { name: 'Roll back to v1' }).click();
    await page.getByTestId('confirm-activation').getByTestId('impact-summary').waitFor({ timeout: 60_000 });
    await page.getByRole('button', { name: 'Yes, roll back to v1' }).click();
    await page.getByTestId('version-active').waitFor();
    expect((await api<{ active: string }>('/v1/rulesets')).active).toBe('v1');
  });

  it('runs a version in shadow and shows it beside the active one on the dashboard', async () => {
    await page.goto(`${server.url}/versions/v2`);
    await page.getByRole('button', { name: 'Run in shadow as challenger' }).click();
    await expect.poll(() => page.getByTestId('version-message').textContent()).toBe('v2 now runs in shadow.');
    // Two new leads attend two webinars each: 40 points under v1 (no hand-off at 60), 90 under v2 (webinars worth 45).
    await sendEvents(
      ['shadow-a', 'shadow-b'].flatMap((leadId) =>
        [0, 1].map((n) => ({ id: `${leadId}-webinar-${n}`, leadId, type: 'webinar_attended', occurredAt: hoursAgo(2 - n) })),
      ),
    );
    await page.getByRole('link', { name: 'Dashboard', exact: true }).click();
    const challenger = page.locator('section', { has: page.getByRole('heading', { name: 'Shadow challenger', exact: true }) });
    await expect.poll(() => challenger.textContent()).toContain('v2');
    expect(await challenger.getByRole('link', { name: 'Compare their live results' }).getAttribute('href')).toBe(
      '/compare?versions=v1,v2&source=shadow',
    );
    await expect.poll(() => page.getByTestId('challenger-coverage').textContent()).toMatch(/^\s*v2 has evaluated 2 of [\d,]+ leads\.\s*$/);
    const funnelRow = (stage: string) =>
      page.getByTestId('table-challenger-funnel').locator('tr', { has: page.locator('th', { hasText: new RegExp(`^${stage}$`) }) });
    expect(await funnelRow('Stage').locator('th').allTextContents()).toEqual(['Stage', 'v1 (active)', 'v2 (challenger)']);
    expect(await funnelRow('Inquiry').locator('td').allTextContents()).toEqual(['2', '2']);
    expect(await funnelRow('MQL').locator('td').allTextContents()).toEqual(['0', '2']);
    await shot('dashboard-challenger');
  });

  it('runs a comparison judged within the days asked, and opens the report with its verdict', async () => {
    await page.goto(`${server.url}/compare?versions=v1,v2`);
    await page.getByLabel('Judge within (days)').fill('60');
    await page.getByTestId('run-comparison').click();
    await page.getByTestId('compare-report').waitFor({ timeout: 60_000 });
    comparisonId = new URL(page.url()).searchParams.get('id') ?? '';
    const { report } = await api<{
      report: {
        options: { horizonDays: number };
        versions: Array<{ version: string; classification: { precision: number | null } }>;
        diffs: Array<{ verdict: { leads: number; resolved: number } }>;
      };
    }>(`/v1/comparisons/${comparisonId}`);
    expect(report.options.horizonDays).toBe(60);

    const verdict = page.getByTestId('verdict-v2');
    expect(await verdict.getByTestId('verdict-sentence').textContent()).toMatch(
      /^\s*(v2 hands off|hand-offs of v2).*precision.*recall.*AUC.*\.\s*$/s,
    );
    const count = new Intl.NumberFormat('en-GB');
    const { leads, resolved } = report.diffs[0]!.verdict;
    expect(await verdict.textContent()).toContain(`Judged on ${count.format(resolved)} of ${count.format(leads)} leads`);
    expect(await verdict.textContent()).toContain('within 60 days');

    // Each precision in the chart's table is the report's, with its interval after it.
    const expected = report.versions.map((v) =>
      v.classification.precision === null
        ? 'unknown'
        : new Intl.NumberFormat('en-GB', { style: 'percent', maximumFractionDigits: 1 }).format(v.classification.precision),
    );
    const precision = page
      .getByTestId('table-precision-recall')
      .locator('tr', { has: page.locator('th', { hasText: /^Precision$/ }) })
      .locator('td');
    expect((await precision.allTextContents()).map((cell) => cell.split(' (')[0])).toEqual(expected);
    await shot('compare');
  });

  it('downloads the changed leads as CSV with the filters of the list', async () => {
    const list = page.getByTestId('changed-leads-v2');
    await list.getByLabel('Change').selectOption('band');
    const matching = Number((await list.getByRole('status').textContent())!.match(/^\s*([\d,]+) of/)![1]!.replace(/,/g, ''));
    const [download] = await Promise.all([page.waitForEvent('download'), list.getByRole('button', { name: 'Download CSV' }).click()]);
    expect(download.suggestedFilename()).toBe('changed-leads-v1-v2-band.csv');
    const lines = readFileSync((await download.path())!, 'utf8')
      .trim()
      .split(/\r?\n/);
    expect(lines.length - 1).toBe(matching);
  });

  it('opens a lead’s hand-off summary and timeline', async () => {
    await page.goto(`${server.url}/leads`);
    const first = page.getByTestId('leads-table').locator('tbody tr a').first();
    const id = await first.textContent();
    await first.click();
    await page.waitForURL(new RegExp(`/leads/${id}$`));
    await page.getByTestId('handoff').waitFor();
    expect(await page.getByTestId('timeline').locator('tbody tr').count()).toBeGreaterThan(0);
    await shot('lead');
  });

  it('switches to Japanese: labels, numbers and dates follow', async () => {
    await page.goto(`${server.url}/versions`);
    await page.getByTestId('language').selectOption('ja');
    await page.getByRole('heading', { name: 'バージョン', exact: true }).waitFor();
    expect(await page.locator('html').getAttribute('lang')).toBe('ja');
    expect(await page.getByRole('navigation', { name: 'メインナビゲーション' }).textContent()).toContain('ルール');
    const created = (await api<{ definition: { createdAt: string } }>('/v1/rulesets/v2')).definition.createdAt;
    const japaneseDate = new Intl.DateTimeFormat('ja-JP', { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(created));
    expect(await page.locator('tr[data-version="v2"]').textContent()).toContain(japaneseDate);
    await shot('versions-ja');
    await page.goto(`${server.url}/rules`);
    await page.getByRole('heading', { name: 'スコアリングルール' }).waitFor();
    await shot('rules-ja');
    await page.goto(`${server.url}/compare?id=${comparisonId}`);
    await page.getByTestId('verdict-v2').waitFor();
    expect(await page.getByTestId('verdict-sentence').textContent()).toMatch(
      /^\s*v2 (の引き継ぎ|と v1 の引き継ぎ数).*適合率.*再現率.*AUC.*。\s*$/s,
    );
    await shot('compare-ja');
  });

  it('fits a narrow laptop screen without sideways scrolling', async () => {
    await page.setViewportSize({ width: 1024, height: 700 });
    for (const path of ['/rules', '/rules/lifecycle', '/dashboard', '/versions', '/versions/v2', '/compare', '/leads']) {
      await page.goto(`${server.url}${path}`);
      await page.locator('main h1').first().waitFor();
      expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(1024);
    }
    await page.goto(`${server.url}/rules`);
    await page.getByTestId('live-preview').waitFor();
    await shot('rules-1024');
  });

  it('fits a 400 px phone screen without sideways scrolling, in both languages', async () => {
    await page.setViewportSize({ width: 400, height: 800 });
    const { leads } = await api<{ leads: Array<{ id: string }> }>('/v1/leads?limit=1');
    const paths = [
      '/dashboard',
      '/rules',
      '/rules/lifecycle',
      '/versions',
      '/versions/v2',
      '/versions/diff?from=v1&to=v2',
      '/compare',
      '/leads',
    ];
    for (const locale of ['ja', 'en']) {
      await page.getByTestId('language').selectOption(locale);
      for (const path of [...paths, `/leads/${leads[0]!.id}`]) {
        await page.goto(`${server.url}${path}`);
        await settled();
        await expectNoSidewaysScroll(page, `${path} in ${locale}`);
      }
    }
    await page.goto(`${server.url}/compare?id=${comparisonId}`);
    await page.getByTestId('verdict-v2').waitFor();
    await expectNoSidewaysScroll(page, 'a comparison report');
    await shot('compare-400');
    await page.goto(`${server.url}/dashboard`);
    await page.getByTestId('table-funnel').waitFor({ state: 'attached' });
    await shot('dashboard-400');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('tells a role that cannot see KPIs so on the dashboard, instead of loading them for ever', async () => {
    await signIn('ingest');
    expect(new URL(page.url()).pathname).toBe('/dashboard');
    expect(await page.getByTestId('no-access').textContent()).toBe(
      'Your role cannot see KPIs: they are shown to sales and marketing editors.',
    );
    await settled();
    expect(await page.getByLabel('Period').count()).toBe(0);
    await shot('dashboard-ingest');
  });

  it('leaves nothing loading for ever on any page, whatever the role', async () => {
    const { leads } = await api<{ leads: Array<{ id: string }> }>('/v1/leads?limit=1');
    const paths = ['/dashboard', '/rules', '/rules/thresholds', '/versions', '/versions/v2', '/compare', '/leads'];
    for (const role of ['ingest', 'sales'] as const) {
      await signIn(role);
      for (const path of paths) {
        await page.goto(`${server.url}${path}`);
        await settled();
      }
      await page.goto(`${server.url}/leads/${leads[0]!.id}`);
      await expect.poll(() => page.getByText('Loading…').count(), { timeout: 10_000 }).toBe(0);
    }
    // Sales may read comparisons but not run them; ingest may read neither leads nor comparisons.
    await page.goto(`${server.url}/compare`);
    expect(await page.getByTestId('no-access').textContent()).toContain('cannot run comparisons');
    expect(await page.getByTestId('run-comparison').count()).toBe(0);
    await signIn('ingest');
    for (const path of ['/leads', `/leads/${leads[0]!.id}`]) {
      await page.goto(`${server.url}${path}`);
      expect(await page.getByTestId('no-access').textContent(), path).toContain('cannot see leads');
    }
  });

  it('logs no errors in the browser console', () => {
    expect(consoleErrors).toEqual([]);
  });
});

describe('the editor served on the API’s port', () => {
  const get = (path: string) => fetch(`${server.url}${path}`);

  it('answers the app’s own routes with index.html, for reloads and shared links', async () => {
    const response = await get('/versions/v2');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/html');
    expect(await response.text()).toContain('<div style="display: contents">');
  });

  it('leaves unknown API paths to the API: a problem, not the app', async () => {
    const response = await get('/v1/no-such-thing');
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
  });

  it('serves hashed build files for good and refuses missing or outside files', async () => {
    const index = await (await get('/')).text();
    const script = /\/_app\/immutable\/[^"']+\.js/.exec(index)?.[0];
    expect(script).toBeDefined();
    const asset = await get(script!);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toContain('immutable');
    expect((await get('/_app/immutable/missing.js')).status).toBe(404);
    expect((await get('/..%2f..%2fpackage.json')).status).toBe(404);
  });
});
