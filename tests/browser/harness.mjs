// Shared by the browser tests: Debian's chromium (never a downloaded browser) in a throw-away
// profile, and the demo IdP's login form.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { parseSetCookie, recordCookie } from '../integration/lib/scripted-browser.mjs';

export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const STEP_TIMEOUT_MS = 15_000;

/** A fresh, throw-away browser profile each time; resolves to { context, close }. */
export async function launch(options = {}) {
  const userDataDir = await mkdtemp(join(tmpdir(), 'gatehouse-chromium-'));
  // launchPersistentContext passes our fresh dir as --user-data-dir (launch() refuses that flag).
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
    timeout: 30_000,
    ...options,
  });
  context.setDefaultTimeout(STEP_TIMEOUT_MS);
  // Every gateway cookie the browser is given, for the whole run's log check.
  context.on('response', (res) => {
    res.headerValues('set-cookie')
      .then((lines) => { for (const line of lines.flatMap((l) => l.split('\n'))) recordCookie(parseSetCookie(line)); })
      .catch(() => {}); // the context closed first
  });
  return {
    context,
    async close() {
      await context.close().catch(() => {});
      await rm(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Logs in through the IdP's form in `page` and waits for the signed-in SPA. */
export async function signIn(page, base) {
  await page.goto(base);
  await page.locator('#login').click();
  await page.locator('input[name=login]').fill(process.env.GATEHOUSE_TEST_USER ?? 'alice');
  await page.locator('input[name=password]').fill(process.env.GATEHOUSE_TEST_PASSWORD ?? 'alice');
  await page.locator('button[type=submit]').click();
  await page.waitForURL((url) => url.origin === new URL(base).origin);
  await page.locator('#claims').waitFor({ state: 'visible' });
}

/** The status of GET /bff/user from inside `page` (its cookies, the SPA's X-CSRF header). */
export function userStatus(page) {
  return page.evaluate(async () =>
    (await fetch('/bff/user', { headers: { 'X-CSRF': '1' }, credentials: 'same-origin' })).status);
}
