/**
 * Chromium for the editor's end-to-end tests: one page that records every
 * error the browser logs, and the steps a person takes on any page (sign in,
 * wait for a page to settle, save a screenshot).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { REPO } from './harness';

export const SCREENSHOTS = join(REPO, 'test-artifacts', 'editor');
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

/** Chromium, headless, as the editor's tests run it. */
export async function openBrowser(): Promise<Browser> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
}

export interface EditorTab {
  page: Page;
  /** Console errors, uncaught exceptions and crashes, in order. */
  errors: string[];
}

/** A new 1280 × 800 tab that records every error the page logs. */
export async function openTab(browser: Browser): Promise<EditorTab> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.setDefaultTimeout(15_000);
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' && !EXPECTED_HTTP_REFUSAL.test(message.text())) errors.push(message.text());
  });
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('crash', () => errors.push('the tab crashed'));
  return { page, errors };
}

/** Signs out whoever is signed in and signs in with `key`. */
export async function signIn(page: Page, url: string, key: string): Promise<void> {
  await page.goto(`${url}/`);
  // Signed in already, the app draws its Sign out button; signed out, it goes to the sign-in page. Wait for either.
  const signOut = page.getByRole('button', { name: /Sign out|サインアウト/ });
  const keyField = page.getByLabel(/API key|API キー/);
  await signOut.or(keyField).first().waitFor();
  if (await signOut.isVisible()) await signOut.click();
  await page.waitForURL(/\/sign-in/);
  await page.getByLabel(/API key|API キー/).fill(key);
  await page.getByRole('button', { name: /^(Sign in|サインイン)$/ }).click();
  await page.waitForURL((address) => !address.pathname.startsWith('/sign-in'));
}

/** Waits until the page has its heading and nothing left loading, in either language. */
export async function settled(page: Page): Promise<void> {
  await page.locator('main h1').first().waitFor();
  await expect.poll(() => page.getByText(/^(Loading…|読み込み中…)$/).count(), { timeout: 10_000 }).toBe(0);
}

/** A full-page screenshot in test-artifacts/editor/. */
export async function shot(page: Page, name: string): Promise<void> {
  await page.evaluate('window.scrollTo(0, 0)');
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** How far the page reaches past the window's right edge, and which element reaches furthest (the outermost on a tie). */
const SIDEWAYS = `(() => {
  const overflow = document.documentElement.scrollWidth - innerWidth;
  let widest = null;
  let right = innerWidth;
  for (const element of document.body.querySelectorAll('*')) {
    const edge = element.getBoundingClientRect().right + scrollX;
    if (edge > right + 0.5) [widest, right] = [element, edge];
  }
  if (!widest) return { overflow, widest: 'none' };
  const testId = widest.getAttribute('data-testid');
  const name = widest.tagName.toLowerCase() + (widest.id ? '#' + widest.id : '') +
    [...widest.classList].map((c) => '.' + c).join('') + (testId ? '[data-testid="' + testId + '"]' : '');
  return { overflow, widest: name + ' to ' + Math.round(right) + ' px' };
})()`;

/**
 * Fails when the page scrolls sideways, naming the element that reaches furthest. It measures again for up
 * to two seconds: just after the window is resized Chromium may still answer for the old width.
 */
export async function expectNoSidewaysScroll(page: Page, what = 'the page'): Promise<void> {
  const deadline = Date.now() + 2_000;
  const sideways = () => page.evaluate<{ overflow: number; widest: string }>(SIDEWAYS);
  let seen = await sideways();
  while (seen.overflow > 0 && Date.now() < deadline) {
    await page.waitForTimeout(100);
    seen = await sideways();
  }
  expect(
    seen.overflow,
    `${what} scrolls sideways at ${await page.evaluate<number>('innerWidth')} px; furthest: ${seen.widest}`,
  ).toBeLessThanOrEqual(0);
}
