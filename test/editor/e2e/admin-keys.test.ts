/**
 * API keys in the built editor in Chromium: only an admin finds the admin
 * pages; an admin creates a key with a name, role and expiry, sees it once
 * and copies it, sees when each key was last used, and revokes one only after
 * confirming.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { openBrowser, openTab, settled, shot, signIn } from './browser';
import { ensureEditorBuild, startEditorServer, type EditorServer } from './harness';

let server: EditorServer;
let browser: Browser;
let page: Page;
let errors: string[];

interface KeyEntry {
  id: string;
  name: string;
  role: string;
  expiresAt: string | null;
  revokedAt: string | null;
  lastUsedAt: string | null;
}

async function call(path: string, key = server.adminKey): Promise<Response> {
  return fetch(`${server.url}${path}`, { headers: { Authorization: `Bearer ${key}` } });
}

async function storedKey(name: string): Promise<KeyEntry | undefined> {
  const { keys } = (await (await call('/v1/keys')).json()) as { keys: KeyEntry[] };
  return keys.find((key) => key.name === name);
}

const row = (name: string) => page.getByRole('row').filter({ has: page.getByRole('rowheader', { name, exact: true }) });

beforeAll(async () => {
  ensureEditorBuild();
  server = await startEditorServer();
  browser = await openBrowser();
});

beforeEach(async () => {
  ({ page, errors } = await openTab(browser));
  await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
});

afterEach(async () => {
  await page.close();
  expect(errors).toEqual([]);
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
});

describe('the admin pages', () => {
  it('are not in the navigation of an editor, and say so when opened by address', async () => {
    await signIn(page, server.url, await server.key('editor', 'Mika Marketing'));
    await page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'Versions' }).waitFor();
    expect(await page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'Admin' }).count()).toBe(0);
    await page.goto(`${server.url}/admin/keys`);
    await settled(page);
    expect(await page.getByTestId('no-access').textContent()).toBe('Only an administrator can manage keys and webhooks.');
    expect(await page.getByRole('table').count()).toBe(0);
  });

  it('open from the navigation for an admin, on the API keys', async () => {
    await signIn(page, server.url, server.adminKey);
    await page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'Admin' }).click();
    await page.waitForURL(/\/admin\/keys$/);
    await settled(page);
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('API keys');
    expect(
      await page.getByRole('navigation', { name: 'Admin pages' }).getByRole('link', { name: 'API keys' }).getAttribute('aria-current'),
    ).toBe('page');
  });
});

describe('creating a key', () => {
  it('shows the key once, with a copy button and a warning; the key works with the chosen role and expiry', async () => {
    await signIn(page, server.url, server.adminKey);
    await page.goto(`${server.url}/admin/keys`);
    await settled(page);
    await page.getByLabel('Name', { exact: true }).fill('CRM import');
    await page.getByLabel('Role').selectOption({ label: 'Ingest' });
    await page.getByLabel('Expires (optional)').fill('2099-06-30T17:30');
    await page.getByRole('button', { name: 'Create key' }).click();

    const once = page.getByTestId('shown-once');
    await once.waitFor();
    expect(await once.getByRole('heading').textContent()).toBe('The new key for CRM import');
    expect(await once.getByRole('alert').textContent()).toBe('Copy it now and keep it somewhere safe: you will not see it again.');
    const key = await once.getByLabel('The new key for CRM import').inputValue();
    expect(key).toMatch(/^lf_[A-Za-z0-9_-]{43}$/);
    await once.getByRole('button', { name: 'Copy' }).click();
    await once.getByText('Copied.').waitFor();
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(key);

    const me = await call('/v1/me', key);
    expect(await me.json()).toEqual({ name: 'CRM import', role: 'ingest' });
    const stored = await storedKey('CRM import');
    expect(stored).toMatchObject({ role: 'ingest', revokedAt: null, expiresAt: new Date('2099-06-30T17:30').toISOString() });
    await shot(page, 'admin-keys-created-1280');

    await once.getByRole('button', { name: 'I have saved it' }).click();
    expect(await page.getByTestId('shown-once').count()).toBe(0);
    await row('CRM import').waitFor();
    expect(await page.getByText(key).count()).toBe(0);
  });

  it('refuses an expiry in the past, saying so at the field, and creates nothing', async () => {
    await signIn(page, server.url, server.adminKey);
    await page.goto(`${server.url}/admin/keys`);
    await settled(page);
    await page.getByLabel('Name', { exact: true }).fill('Too late');
    await page.getByLabel('Expires (optional)').fill('2020-01-01T09:00');
    await page.getByRole('button', { name: 'Create key' }).click();
    const field = page.getByLabel('Expires (optional)');
    await expect.poll(() => field.getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('.field-error').textContent()).toMatch(/^must be a time after now/);
    expect(await page.getByTestId('shown-once').count()).toBe(0);
    expect(await storedKey('Too late')).toBeUndefined();
  });
});

describe('the list of keys', () => {
  it('shows when each key was last used', async () => {
    const key = await server.key('sales', 'Sam Sales');
    await signIn(page, server.url, server.adminKey);
    await page.goto(`${server.url}/admin/keys`);
    await settled(page);
    expect(await row('Sam Sales').getByRole('cell').nth(4).textContent()).toBe('Not used yet');

    expect((await call('/v1/me', key)).status).toBe(200);
    const { lastUsedAt } = (await storedKey('Sam Sales'))!;
    expect(lastUsedAt).not.toBeNull();
    await page.reload();
    await settled(page);
    const shown = await page.evaluate(
      (at) => new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short' }).format(new Date(at)),
      lastUsedAt!,
    );
    expect(await row('Sam Sales').getByRole('cell').nth(4).textContent()).toBe(shown);
    await shot(page, 'admin-keys-1280');
    await page.setViewportSize({ width: 400, height: 800 });
    await shot(page, 'admin-keys-400');
  });

  it('revokes a key only once the admin confirms; cancelling leaves it working', async () => {
    const key = await server.key('editor', 'Old laptop');
    await signIn(page, server.url, server.adminKey);
    await page.goto(`${server.url}/admin/keys`);
    await settled(page);

    await row('Old laptop').getByRole('button', { name: 'Revoke' }).click();
    const dialog = page.getByRole('dialog', { name: 'Revoke the key "Old laptop"?' });
    await dialog.waitFor();
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect((await call('/v1/me', key)).status).toBe(200);

    await row('Old laptop').getByRole('button', { name: 'Revoke' }).click();
    await dialog.waitFor();
    await shot(page, 'admin-keys-revoke-1280');
    await dialog.getByRole('button', { name: 'Revoke key' }).click();
    await row('Old laptop').getByText('Revoked').waitFor();
    expect(await row('Old laptop').getByRole('button', { name: 'Revoke' }).count()).toBe(0);
    expect((await call('/v1/me', key)).status).toBe(401);
    expect((await storedKey('Old laptop'))!.revokedAt).not.toBeNull();
  });

  it('reads in Japanese', async () => {
    await signIn(page, server.url, server.adminKey);
    await page.goto(`${server.url}/admin/keys`);
    await settled(page);
    await page.getByTestId('language').selectOption('ja');
    expect(await page.getByRole('heading', { level: 1 }).textContent()).toBe('API キー');
    await page.getByRole('button', { name: 'キーを作成' }).waitFor();
    await shot(page, 'admin-keys-ja-1280');
  });
});
