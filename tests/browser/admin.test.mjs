// The admin page (GET /admin/ on the admin listener) in chromium, end to end: a user signs in
// through the SPA in one browser, an operator signs in to the admin page in another with the
// admin token, finds the user's session by `sub`, revokes it, and the user's browser is signed
// out. Also: the page's CSP and headers, a wrong token, sign-out, a token refused later, and
// paging through more sessions than one page holds.
//   cd tests/browser && npm ci && node --test admin.test.mjs
// Starts its own IdP and gateway (scripts/e2e-env.mjs) when the gatehouse binary exists
// (build/apps/gatehouse/gatehouse or GATEHOUSE_BIN); skips only when it does not, and with
// GATEHOUSE_REQUIRE_BIN=1 (make test) fails instead.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { loginMany } from '../../scripts/bench-lib/seed-sessions.mjs';
import { gatehouseBinary, startEnvironment } from '../../scripts/e2e-env.mjs';
import { launch, signIn, userStatus } from './harness.mjs';

const ADMIN_TOKEN = randomBytes(32).toString('hex');
const PAGE_SIZE = 50; // src/admin/page/app.js
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
  + "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

describe('admin page (end to end)', { timeout: 180_000 }, () => {
  const bin = gatehouseBinary();
  let env;
  before(async () => {
    if (!existsSync(bin)) return;
    env = await startEnvironment({ gatehouseBin: bin, gatehouseEnv: { GATEHOUSE_ADMIN_TOKEN: ADMIN_TOKEN } });
  });
  after(async () => { await env?.stop(); });

  const adminTest = (name, fn) => test(name, async (t) => {
    if (!env) {
      const why = `no gateway to test: ${bin} does not exist (make build, or set GATEHOUSE_BIN)`;
      if (process.env.GATEHOUSE_REQUIRE_BIN === '1') throw new Error(why);
      t.skip(why);
      return;
    }
    try {
      await fn(t);
    } catch (err) {
      err.message += `\n${env.diagnostics(40)}`;
      throw err;
    }
  });

  adminTest('the page is served without the token, under a strict CSP, and refuses a wrong token', async () => {
    const operator = await launch();
    try {
      const page = await operator.context.newPage();
      const violations = [];
      page.on('console', (m) => { if (/Content.Security.Policy/i.test(m.text())) violations.push(m.text()); });
      const res = await page.goto(`${env.adminUrl}/admin/`);
      assert.equal(res.status(), 200);
      const h = res.headers();
      assert.equal(h['content-security-policy'], CSP);
      assert.equal(h['x-content-type-options'], 'nosniff');
      assert.equal(h['referrer-policy'], 'no-referrer');
      assert.equal(h['cache-control'], 'no-store');
      for (const asset of ['app.js', 'style.css']) {
        const r = await fetch(`${env.adminUrl}/admin/${asset}`, { signal: AbortSignal.timeout(5000) });
        assert.equal(r.status, 200, asset);
        assert.equal(r.headers.get('content-security-policy'), CSP, asset);
        assert.equal(r.headers.get('x-content-type-options'), 'nosniff', asset);
      }

      await page.locator('#signin').waitFor({ state: 'visible' });
      await page.locator('#token').fill(`${ADMIN_TOKEN.slice(0, -1)}x`);
      await page.locator('#signin-form button[type=submit]').click();
      await page.locator('#signin-error').filter({ hasText: 'That token was refused.' }).waitFor();
      assert.equal(await page.locator('#console').isVisible(), false, 'no console with a wrong token');
      assert.equal(await page.evaluate(() => sessionStorage.length), 0, 'a refused token is not kept');
      assert.deepEqual(violations, [], 'the page runs under its CSP without violations');
    } finally {
      await operator.close();
    }
  });

  adminTest('an operator finds a user\'s session by sub, revokes it, and the user is signed out', async () => {
    const user = await launch();
    const operator = await launch();
    try {
      const userPage = await user.context.newPage();
      await signIn(userPage, env.gatehouseUrl);
      const sub = await userPage.locator('#claims tbody tr').evaluateAll((trs) =>
        trs.map((tr) => [tr.cells[0].textContent, tr.cells[1].textContent]).find(([type]) => type === 'sub')?.[1]);
      assert.ok(sub, 'the SPA shows the user\'s sub');
      assert.equal(await userStatus(userPage), 200, 'signed in');

      const admin = await operator.context.newPage();
      await admin.goto(`${env.adminUrl}/admin/`);
      await admin.locator('#token').fill(ADMIN_TOKEN);
      await admin.locator('#signin-form button[type=submit]').click();
      await admin.locator('#console').waitFor({ state: 'visible' });
      assert.equal(await admin.evaluate(() => localStorage.length), 0, 'nothing in localStorage');
      assert.deepEqual(await operator.context.cookies(), [], 'no cookie holds the token');
      assert.equal(await admin.evaluate(() => sessionStorage.getItem('gatehouse-admin-token')), ADMIN_TOKEN);

      // The key ring's ids (the environment's ring has one key) and the metrics panel.
      await admin.locator('#keys tbody tr').first().waitFor();
      assert.match(await admin.locator('#keys tbody tr td').nth(2).textContent(), /active/);
      // GET /metrics on the admin listener: the user's login is counted.
      await admin.locator('#metrics-status').filter({ hasText: /^As of / }).waitFor();
      assert.match(await admin.locator('#metric-requests').textContent(), /^[1-9]\d*$/);
      assert.match(await admin.locator('#metric-started').textContent(), /^[1-9]\d*$/);
      assert.match(await admin.locator('#metric-store-errors').textContent(), /^\d+$/);

      await admin.locator('#search-by').selectOption('sub');
      await admin.locator('#search-value').fill(sub);
      await admin.locator('#search-form button[type=submit]').click();
      await admin.locator('#view-title').filter({ hasText: sub }).waitFor();
      const rows = admin.locator('#sessions tbody tr');
      await rows.first().waitFor();
      assert.equal(await rows.count(), 1, 'the user has one session');
      const cells = await rows.first().locator('td').allTextContents();
      assert.equal(cells[1], sub, 'subject column');
      assert.match(cells[3], /Chrom/i, `the device column names the browser: ${JSON.stringify(cells)}`);
      assert.match(cells[4], /127\.0\.0\.1/, `the address column: ${JSON.stringify(cells)}`);

      // Revoking asks first; cancelling ends nothing.
      await rows.first().locator('.revoke-session').click();
      await admin.locator('#confirm').waitFor({ state: 'visible' });
      await admin.locator('#confirm-no').click();
      await admin.locator('#confirm').waitFor({ state: 'hidden' });
      assert.equal(await userStatus(userPage), 200, 'cancelled: still signed in');

      await rows.first().locator('.revoke-session').click();
      assert.match(await admin.locator('#confirm-text').textContent(), new RegExp(`of ${sub.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      await admin.locator('#confirm-yes').click();
      await admin.locator('#sessions-status').filter({ hasText: 'Revoked 1 session.' }).waitFor();
      await admin.locator('#sessions-empty').waitFor({ state: 'visible' });
      assert.equal(await rows.count(), 0, 'the list no longer shows it');
      assert.equal(await userStatus(userPage), 401, 'the revoked browser gets 401 from /bff/user');

      // Cleanup runs and reports.
      await admin.locator('#cleanup').click();
      await admin.locator('#cleanup-status').filter({ hasText: /^Removed \d+ expired session/ }).waitFor();

      // A token refused later (rotated on the server, here: replaced in the tab) shows the form.
      await admin.evaluate(() => sessionStorage.setItem('gatehouse-admin-token', 'no-longer-valid'));
      await admin.locator('#list-all').click();
      await admin.locator('#signin').waitFor({ state: 'visible' });
      assert.match(await admin.locator('#signin-error').textContent(), /refused/);
      assert.equal(await admin.locator('#console').isVisible(), false);
      assert.equal(await admin.locator('#sessions tbody tr').count(), 0, 'no data left on the page');

      // Signing in again, then out: the token is gone from the tab.
      await admin.locator('#token').fill(ADMIN_TOKEN);
      await admin.locator('#signin-form button[type=submit]').click();
      await admin.locator('#console').waitFor({ state: 'visible' });
      await admin.locator('#sign-out').click();
      await admin.locator('#signin').waitFor({ state: 'visible' });
      assert.equal(await admin.evaluate(() => sessionStorage.getItem('gatehouse-admin-token')), null);
    } finally {
      await user.close();
      await operator.close();
    }
  });

  adminTest('the page lists the partition, revokes every session of a user, and shows hostile values as text', async () => {
    const phones = [await launch(), await launch()];
    const operator = await launch();
    try {
      const pages = [];
      for (const b of phones) {
        const p = await b.context.newPage();
        await signIn(p, env.gatehouseUrl);
        pages.push(p);
      }
      const admin = await operator.context.newPage();
      await admin.goto(`${env.adminUrl}/admin/`);
      await admin.locator('#token').fill(ADMIN_TOKEN);
      await admin.locator('#signin-form button[type=submit]').click();
      // Signed in, the page lists every session of the partition, a page at a time.
      await admin.locator('#view-title').filter({ hasText: 'Every session' }).waitFor();
      await admin.locator('#sessions tbody tr').nth(1).waitFor();
      assert.equal(await admin.locator('#page-info').textContent(), 'Page 1');
      assert.equal(await admin.locator('#prev-page').isDisabled(), true);

      await admin.locator('#sessions tbody tr').first().locator('.revoke-subject').click();
      await admin.locator('#confirm-yes').click();
      await admin.locator('#sessions-status').filter({ hasText: 'Revoked 2 sessions.' }).waitFor();
      for (const p of pages) assert.equal(await userStatus(p), 401, 'every browser of the user is signed out');

      // Hostile values (a device string is whatever the browser sent) stay text; null fields show "—".
      const hostile = '<img src=x onerror="window.pwned=1">';
      await admin.route('**/admin/sessions?sub=evil', (route) => route.fulfill({
        status: 200,
        contentType: 'application/json',
        body: JSON.stringify({ sessions: [{ id: 'Xq3v0F2cKj1a', subject: 'evil', sid: null, device: hostile, address: null, created: '2026-11-27T09:12:03Z', renewed: '2026-11-27T09:12:03Z', expires: null, expired: false }] }),
      }));
      await admin.locator('#search-value').fill('evil');
      await admin.locator('#search-form button[type=submit]').click();
      await admin.locator('#sessions tbody tr').first().waitFor();
      const cells = await admin.locator('#sessions tbody tr').first().locator('td').allTextContents();
      assert.equal(cells[3], hostile, 'the device is shown as text');
      assert.deepEqual([cells[2], cells[4], cells[6]], ['\u2014', '\u2014', '\u2014'], 'sid, address, last seen absent');
      assert.equal(cells[7], 'never');
      assert.equal(await admin.evaluate(() => window.pwned), undefined);

      // A gateway without GET /metrics: the panel says so.
      await admin.route('**/metrics', (route) => route.fulfill({ status: 404, contentType: 'application/json', body: '{"error":"no such admin endpoint"}' }));
      await admin.locator('#refresh-metrics').click();
      await admin.locator('#metrics-status').filter({ hasText: /^Metrics unavailable/ }).waitFor();
      assert.equal(await admin.locator('#metrics').isVisible(), false);
    } finally {
      for (const b of [...phones, operator]) await b.close();
    }
  });

  adminTest('more sessions than a page holds: Next and Previous page through every one of them', async () => {
    const made = await loginMany(env, PAGE_SIZE + 5, { concurrency: 8, seconds: 60 });
    assert.equal(made.done, PAGE_SIZE + 5, `real logins (${made.failures} failed)`);
    const listed = await fetch(`${env.adminUrl}/admin/sessions?limit=1000`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, signal: AbortSignal.timeout(10_000) });
    assert.equal(listed.status, 200);
    const every = (await listed.json()).sessions.map((s) => s.id);
    assert.ok(every.length > PAGE_SIZE && every.length <= 2 * PAGE_SIZE, `${every.length} sessions: two pages`);

    const operator = await launch();
    try {
      const admin = await operator.context.newPage();
      await admin.goto(`${env.adminUrl}/admin/`);
      await admin.locator('#token').fill(ADMIN_TOKEN);
      await admin.locator('#signin-form button[type=submit]').click();
      await admin.locator('#view-title').filter({ hasText: 'Every session' }).waitFor();
      const rows = admin.locator('#sessions tbody tr');
      const shown = () => rows.evaluateAll((trs) => trs.map((tr) => tr.dataset.id));
      await rows.nth(PAGE_SIZE - 1).waitFor();
      const first = await shown();
      assert.equal(first.length, PAGE_SIZE, 'a full first page');
      assert.equal(await admin.locator('#prev-page').isDisabled(), true, 'no page before the first');
      assert.equal(await admin.locator('#next-page').isDisabled(), false, 'a next page');

      await admin.locator('#next-page').click();
      await admin.locator('#page-info').filter({ hasText: /^Page 2$/ }).waitFor();
      const second = await shown();
      assert.equal(second.length, every.length - PAGE_SIZE, 'the rest on the second page');
      assert.deepEqual([...first, ...second].sort(), [...every].sort(), 'both pages together: every session, once');
      assert.equal(await admin.locator('#next-page').isDisabled(), true, 'no page after the last');
      assert.equal(await admin.locator('#prev-page').isDisabled(), false);

      await admin.locator('#prev-page').click();
      await admin.locator('#page-info').filter({ hasText: /^Page 1$/ }).waitFor();
      assert.deepEqual(await shown(), first, 'Previous shows the first page again');
      assert.equal(await admin.locator('#prev-page').isDisabled(), true);
    } finally {
      await operator.close();
    }
  });
});
