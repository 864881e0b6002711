// Browser tests: Debian's chromium (never a downloaded browser) driven by playwright-core.
//   cd tests/browser && npm ci && npm test                      (SPA tests against a stub server)
//   GATEHOUSE_URL=http://127.0.0.1:8080 npm test                (plus the real login, end to end)
// The end-to-end test needs gatehouse running with the demo IdP (demo/idp) as its provider.
// Without GATEHOUSE_URL it starts both itself (scripts/e2e-env.mjs) when the gatehouse binary
// exists (build/apps/gatehouse/gatehouse or GATEHOUSE_BIN), and skips only when it does not.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gatehouseBinary, startEnvironment } from '../../scripts/e2e-env.mjs';
import { launch, signIn } from './harness.mjs';

const SPA_DIR = fileURLToPath(new URL('../../demo/spa/', import.meta.url));

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css' };

/** Serves demo/spa and a fake /bff/user answering whatever `state.user` says. */
async function startSpaServer(state) {
  const server = createServer(async (req, res) => {
    const { pathname } = new URL(req.url, 'http://x');
    if (pathname === '/bff/user') {
      state.userCalls.push({ csrf: req.headers['x-csrf'] });
      // Like gatehouse: no anti-forgery header, no answer.
      if (req.headers['x-csrf'] !== '1') return res.writeHead(400).end();
      if (!state.user) return res.writeHead(401).end();
      res.writeHead(200, { 'content-type': 'application/json' });
      return res.end(JSON.stringify(state.user));
    }
    const file = pathname === '/' ? 'index.html' : pathname.slice(1);
    if (!['index.html', 'app.js', 'style.css'].includes(file)) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': TYPES[extname(file)] });
    res.end(await readFile(join(SPA_DIR, file)));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${server.address().port}/`,
    close: () => new Promise((r) => { server.close(r); server.closeAllConnections(); }),
  };
}

describe('demo SPA in chromium (stub /bff/user)', { timeout: 90_000 }, () => {
  const state = { user: null, userCalls: [] };
  let spa;
  let browser;
  before(async () => {
    spa = await startSpaServer(state);
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await spa?.close();
  });

  test('signed out: shows the Log in button when /bff/user answers 401', async () => {
    state.user = null;
    state.userCalls.length = 0;
    const page = await browser.context.newPage();
    await page.goto(spa.url);
    await page.locator('#login').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#login').getAttribute('href'), '/bff/login?returnUrl=/');
    assert.equal(await page.locator('#login').textContent(), 'Log in');
    assert.equal(await page.locator('#status').textContent(), 'Not signed in.');
    assert.equal(await page.locator('#logout').isVisible(), false);
    assert.deepEqual(state.userCalls, [{ csrf: '1' }], 'one /bff/user call carrying X-CSRF: 1');
    await page.close();
  });

  test('signed in: shows the name, the claims and the logout link', async () => {
    state.user = [
      { type: 'sub', value: 'alice' },
      { type: 'name', value: 'Alice Example' },
      { type: 'note', value: '<img src=x onerror="window.pwned=1">' },
      { type: 'bff:logout_url', value: '/bff/logout?sid=abc123' },
      { type: 'bff:session_expires_in', value: 1800 },
    ];
    const page = await browser.context.newPage();
    await page.goto(spa.url);
    await page.locator('#user-name').filter({ hasText: 'Alice Example' }).waitFor();
    assert.equal(await page.locator('#login').isVisible(), false);
    assert.equal(await page.locator('#logout').getAttribute('href'), '/bff/logout?sid=abc123');
    const rows = await page.locator('#claims tbody tr').evaluateAll((trs) =>
      trs.map((tr) => [...tr.cells].map((td) => td.textContent)));
    assert.deepEqual(rows[0], ['sub', 'alice']);
    assert.deepEqual(rows[4], ['bff:session_expires_in', '1800']);
    assert.equal(await page.evaluate(() => window.pwned), undefined, 'claim values are text, not HTML');
    assert.match(await page.locator('#status').textContent(), /Signed in\. The session expires in 30 min/);
    await page.close();
  });

  test('a logout URL pointing off-site is ignored', async () => {
    state.user = [{ type: 'sub', value: 'x' }, { type: 'bff:logout_url', value: 'https://evil.example/' }];
    const page = await browser.context.newPage();
    await page.goto(spa.url);
    await page.locator('#user-name').filter({ hasText: 'x' }).waitFor();
    assert.equal(await page.locator('#logout').getAttribute('href'), '/bff/logout');
    await page.close();
  });
});

describe('login through gatehouse (end to end)', { timeout: 120_000 }, () => {
  let base = process.env.GATEHOUSE_URL;
  let env; // our own IdP + gateway when GATEHOUSE_URL is not given
  const bin = gatehouseBinary();
  before(async () => {
    if (base || !existsSync(bin)) return;
    env = await startEnvironment({ gatehouseBin: bin, api: true });
    base = env.gatehouseUrl;
  });
  after(async () => { await env?.stop(); });

  /** test() that skips without a gateway and adds the environment's logs to a failure. */
  const browserTest = (name, fn) => test(name, async (t) => {
    if (!base) {
      const why = `no gateway to test: ${bin} does not exist (make build, or set GATEHOUSE_BIN) and GATEHOUSE_URL is not set`;
      // make test sets it: a broken build must fail here, never pass as skipped.
      if (process.env.GATEHOUSE_REQUIRE_BIN === '1') throw new Error(why);
      t.skip(why);
      return;
    }
    try {
      await fn(t);
    } catch (err) {
      // The gateway's and the IdP's logs explain most failures of an environment we started.
      if (env) err.message += `\n${env.diagnostics(40)}`;
      throw err;
    }
  });

  browserTest('log in as alice, read claims, check the cookie, call the API through the gateway, log out',
    () => loginAndLogout(base, { api: Boolean(env) }));

  browserTest('"your sessions" panel: one browser ends another browser\'s session',
    () => endAnotherBrowsersSession(base));

  // Last: should the back channel fail, its alice session stays, and the panel test above counts sessions.
  browserTest('logging out at the IdP\'s own end-session page signs the gateway session out (back channel)', async (t) => {
    const idpUrl = env?.idpUrl ?? process.env.GATEHOUSE_IDP_URL;
    if (!idpUrl) {
      t.skip('GATEHOUSE_URL is set without GATEHOUSE_IDP_URL: the provider to log out at is unknown');
      return;
    }
    await logoutAtProvider(base, idpUrl);
  });
});

/** Signs in through the SPA, then logs out at the provider's own end-session page (never
 *  /bff/logout): the gateway hears of it only through the back-channel logout token. */
async function logoutAtProvider(base, idpUrl) {
  const https = new URL(base).protocol === 'https:';
  const browser = await launch({ ignoreHTTPSErrors: https });
  try {
    const page = await browser.context.newPage();
    await signIn(page, base);
    const meta = await (await fetch(`${idpUrl}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(5000) })).json();
    await page.goto(meta.end_session_endpoint);
    // No client named in the request, so the demo IdP asks instead of confirming by itself.
    await page.locator('#logout-yes').click();
    await page.getByRole('heading', { name: 'Signed out' }).waitFor();
    await page.goto(base);
    // The IdP delivers the logout token before it shows "Signed out"; allow a moment anyway.
    const userStatus = () => page.evaluate(async () =>
      (await fetch('/bff/user', { headers: { 'X-CSRF': '1' }, credentials: 'same-origin' })).status);
    const deadline = Date.now() + 5000;
    let status = await userStatus();
    while (status !== 401 && Date.now() < deadline) {
      await page.waitForTimeout(100);
      status = await userStatus();
    }
    assert.equal(status, 401, 'GET /bff/user after logging out at the IdP');
    await page.reload();
    await page.locator('#login').waitFor({ state: 'visible' });
  } finally {
    await browser.close();
  }
}

/** Two browsers signed in as the same user; the first ends the second from its sessions panel. */
async function endAnotherBrowsersSession(base) {
  const https = new URL(base).protocol === 'https:';
  const laptop = await launch({ ignoreHTTPSErrors: https });
  const phone = await launch({
    ignoreHTTPSErrors: https,
    userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1',
  });
  try {
    const laptopPage = await laptop.context.newPage();
    const phonePage = await phone.context.newPage();
    await signIn(phonePage, base);
    await signIn(laptopPage, base);
    const rows = laptopPage.locator('#sessions tbody tr');
    await rows.nth(1).waitFor();
    assert.equal(await rows.count(), 2, 'the panel lists both browsers');
    // Each row names the device it signed in from (the User-Agent summary) and its address.
    const devices = (await laptopPage.locator('#sessions td.device').allTextContents()).sort();
    assert.equal(devices.length, 2);
    assert.ok(devices.includes('Mobile Safari 17 on iOS'), `the phone's row: ${devices}`);
    assert.ok(devices.some((d) => /Chrom(e|ium) \d+ on Linux/.test(d)), `the laptop's row: ${devices}`);
    for (const address of await laptopPage.locator('#sessions td.address').allTextContents())
      assert.match(address, /^(127\.0\.0\.1|::1|::ffff:127\.0\.0\.1)$/);
    await laptopPage.locator('#sessions .end-session').click();
    await laptopPage.waitForFunction(() => document.querySelectorAll('#sessions tbody tr').length === 1);
    const phoneStatus = await phonePage.evaluate(async () =>
      (await fetch('/bff/user', { headers: { 'X-CSRF': '1' }, credentials: 'same-origin' })).status);
    assert.equal(phoneStatus, 401, 'the ended browser is signed out');
    const laptopStatus = await laptopPage.evaluate(async () =>
      (await fetch('/bff/user', { headers: { 'X-CSRF': '1' }, credentials: 'same-origin' })).status);
    assert.equal(laptopStatus, 200, 'the browser that ended it stays signed in');
  } finally {
    await laptop.close();
    await phone.close();
  }
}

/** The real login through the IdP's form, the cookie checks and the logout, in chromium. */
async function loginAndLogout(base, { api = false } = {}) {
  const https = new URL(base).protocol === 'https:';
  // Self-signed development certificates are expected on https.
  const browser = await launch({ ignoreHTTPSErrors: https });
  try {
    const page = await browser.context.newPage();
    await signIn(page, base); // through the demo IdP's login form (demo/idp/server.mjs)
    const claims = Object.fromEntries(await page.locator('#claims tbody tr').evaluateAll((trs) =>
      trs.map((tr) => [tr.cells[0].textContent, tr.cells[1].textContent])));
    assert.ok(claims.sub, `sub claim in ${JSON.stringify(claims)}`);
    assert.ok(claims.name, `name claim in ${JSON.stringify(claims)}`);
    assert.equal(await page.locator('#user-name').textContent(), claims.name);
    assert.ok(claims['bff:logout_url'], 'bff:logout_url claim');

    if (api) {
      // The SPA's button: the gateway attaches the user's token on the way to the sample API.
      await page.locator('#call-api').click();
      await page.locator('#api-result').waitFor({ state: 'visible' });
      assert.equal(await page.locator('#api-sub').textContent(), claims.sub);
      assert.match(await page.locator('#api-scope').textContent(), /api\.read/);
    }

    // The IdP shares the host (cookies ignore ports), so leave its idp_* cookies out.
    const wanted = process.env.GATEHOUSE_COOKIE_NAME;
    const cookies = (await browser.context.cookies(base))
      .filter((c) => (wanted ? c.name === wanted : !c.name.startsWith('idp_')));
    assert.ok(cookies.length >= 1, 'gatehouse set a session cookie');
    for (const c of cookies) {
      if (https) assert.ok(c.name.startsWith('__Host-'), `${c.name}: __Host- prefix on https`);
      assert.equal(c.httpOnly, true, `${c.name}: HttpOnly`);
      assert.ok(['Lax', 'Strict'].includes(c.sameSite), `${c.name}: SameSite is ${c.sameSite}`);
      assert.equal(c.path, '/', `${c.name}: Path`);
      if (https) assert.equal(c.secure, true, `${c.name}: Secure`);
    }

    await page.locator('#logout').click();
    // Via the IdP's end-session endpoint and back to the SPA, signed out.
    await page.waitForURL((url) => url.origin === new URL(base).origin && url.pathname === '/');
    await page.locator('#login').waitFor({ state: 'visible' });
    const status = await page.evaluate(async () =>
      (await fetch('/bff/user', { headers: { 'X-CSRF': '1' }, credentials: 'same-origin' })).status);
    assert.equal(status, 401);
  } finally {
    await browser.close();
  }
}
