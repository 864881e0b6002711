// gatehouse end to end, the session cookie: anti-forgery header, tampered/forged/foreign
// cookies, fixation, parallel logins, sliding expiry and "nothing usable at rest".
// Run: cd tests/integration && npm test
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { describe } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startEnvironment } from '../../scripts/e2e-env.mjs';
import { check, skipReason, useEnvironment } from './lib/harness.mjs';
import { assertSessionCookie, assertStatus } from './lib/expect.mjs';
import { JWT_LIKE } from './lib/jwt.mjs';
import { SESSION_COOKIE, ScriptedBrowser, claimMap } from './lib/scripted-browser.mjs';

const browserFor = (env, name) => new ScriptedBrowser({ gatehouseUrl: env.gatehouseUrl, idpUrl: env.idpUrl, name });
const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Changes the character in the middle of a handle to another base64url character. */
function flipOneChar(handle) {
  const i = Math.floor(handle.length / 2);
  const other = B64URL[(B64URL.indexOf(handle[i]) + 1) % B64URL.length];
  return handle.slice(0, i) + other + handle.slice(i + 1);
}

describe('gatehouse session cookie (end to end)', { skip: skipReason(), timeout: 180_000 }, () => {
  // renew_after 0s: every sliding read renews, so the sliding test needs no long waits.
  const holder = useEnvironment({ extraConfig: { session: { idle_timeout: '10m', renew_after: '0s' } } });

  check(holder, 'anonymous /bff/user gives 401', async ({ env, track }) => {
    const b = track(browserFor(env, 'anonymous'));
    const res = await b.user();
    assertStatus(res.status, 401, 'GET /bff/user without a cookie', res.text);
  });

  check(holder, '/bff/user without X-CSRF: 1 gives 401 even with a valid cookie', async ({ env, track }) => {
    const b = track(browserFor(env, 'csrf'));
    const { cookie } = await b.login();
    for (const csrf of [null, '0', '']) {
      const res = await b.user({ csrf, cookie });
      assertStatus(res.status, 401, `GET /bff/user with X-CSRF ${csrf === null ? '(absent)' : `"${csrf}"`}`, res.text);
    }
    const ok = await b.user({ cookie });
    assertStatus(ok.status, 200, 'GET /bff/user with X-CSRF: 1 (control)', ok.text);
  });

  check(holder, 'a tampered cookie (one character flipped) gives 401', async ({ env, track }) => {
    const b = track(browserFor(env, 'tampered'));
    const { cookie } = await b.login();
    const tampered = flipOneChar(cookie);
    const res = await b.user({ cookie: tampered });
    assertStatus(res.status, 401, `GET /bff/user with cookie ${tampered} (was ${cookie})`, res.text);
  });

  check(holder, 'a forged cookie (random 43-char base64url) gives 401', async ({ env, track }) => {
    const b = track(browserFor(env, 'forged'));
    for (const forged of [randomBytes(32).toString('base64url'), 'A'.repeat(43), 'x', 'A'.repeat(4096)]) {
      const res = await b.user({ cookie: forged });
      assertStatus(res.status, 401, `GET /bff/user with forged cookie ${forged.slice(0, 50)}`, res.text);
    }
  });

  check(holder, 'a cookie from another gateway (other keys and partition, same database) gives 401', async ({ env, track }) => {
    const other = await startEnvironment({
      extraConfig: { session: { partition: 'foreign-app', sqlite_path: env.config.session.sqlite_path } },
    });
    try {
      const b2 = track(browserFor(other, 'foreign-gateway'));
      const { cookie } = await b2.login();
      const there = await b2.user({ cookie });
      assertStatus(there.status, 200, 'the foreign cookie works at its own gateway (control)', there.text);
      const b = track(browserFor(env, 'first-gateway'));
      const here = await b.user({ cookie });
      assertStatus(here.status, 401, 'GET /bff/user at the first gateway with the second one\'s cookie', here.text);
    } catch (err) {
      err.message += `\n--- second gateway ---\n${other.diagnostics(30)}`;
      throw err;
    } finally {
      await other.stop();
    }
  });

  check(holder, 'logging in again issues a fresh cookie value; a planted cookie is never adopted', async ({ env, track }) => {
    const b = track(browserFor(env, 'relogin'));
    const first = await b.login();
    const second = await b.login(); // silent at the IdP: its session is still there
    assertSessionCookie(second.session);
    assert.notEqual(second.cookie, first.cookie, 're-login must not reuse the session handle');
    assertStatus((await b.user()).status, 200, 'GET /bff/user with the new cookie');

    const victim = track(browserFor(env, 'fixation'));
    const planted = randomBytes(32).toString('base64url');
    victim.jar.set(SESSION_COOKIE, planted);
    const login = await victim.login();
    assert.notEqual(login.cookie, planted, 'the gateway must replace an attacker-planted cookie');
    const attacker = await victim.user({ cookie: planted });
    assertStatus(attacker.status, 401, 'GET /bff/user with the planted value after the victim logged in', attacker.text);
  });

  check(holder, 'two logins in parallel tabs both complete, with distinct sessions', async ({ env, track, t }) => {
    const b = track(browserFor(env, 'tabs'));
    const tabA = await b.startLogin('?returnUrl=/tab-a');
    const tabB = await b.startLogin('?returnUrl=/tab-b');
    assertStatus(tabA.res.status, 302, 'tab A /bff/login');
    assertStatus(tabB.res.status, 302, 'tab B /bff/login');
    assert.notEqual(tabA.flowCookies[0]?.name, tabB.flowCookies[0]?.name,
      'each flow needs its own cookie name, or the second tab overwrites the first');
    const cbA = await b.authenticate(tabA.location);
    const cbB = await b.authenticate(tabB.location);

    // Out of order: the tab started last finishes first.
    const doneB = await b.callback(cbB);
    assertStatus(doneB.res.status, 302, 'tab B /signin-oidc', doneB.body);
    assert.equal(new URL(doneB.location, env.gatehouseUrl).pathname, '/tab-b');
    const doneA = await b.callback(cbA);
    assertStatus(doneA.res.status, 302, 'tab A /signin-oidc (after tab B completed)', doneA.body);
    assert.equal(new URL(doneA.location, env.gatehouseUrl).pathname, '/tab-a');

    const sB = doneB.cookies.find((c) => c.name === SESSION_COOKIE)?.value;
    const sA = doneA.cookies.find((c) => c.name === SESSION_COOKIE)?.value;
    assert.ok(sA && sB, 'both callbacks set a session cookie');
    assert.notEqual(sA, sB, 'two distinct sessions');
    assert.equal(b.jar.get(SESSION_COOKIE), sA, 'the last login replaces the cookie');
    assertStatus((await b.user()).status, 200, 'GET /bff/user with the final cookie');
    // Not pinned by the spec: whether the replaced session (B) still works.
    t.diagnostic(`replaced session B answers ${(await b.user({ cookie: sB })).status}`);
  });

  check(holder, 'two tabs whose callbacks arrive at the same moment both get a session (5 rounds)', async ({ env, track }) => {
    for (let round = 0; round < 5; round++) {
      const b = track(browserFor(env, `concurrent-tabs-${round}`));
      const tabs = [await b.startLogin('?returnUrl=/tab-a'), await b.startLogin('?returnUrl=/tab-b')];
      const callbacks = [];
      for (const tab of tabs) callbacks.push(await b.authenticate(tab.location)); // one IdP session
      const done = await Promise.all(callbacks.map((url) => b.callback(url)));
      for (const [i, d] of done.entries()) {
        assertStatus(d.res.status, 302, `round ${round}: concurrent /signin-oidc of tab ${'AB'[i]}`, d.body);
        assert.ok(d.cookies.some((c) => c.name === SESSION_COOKIE && c.value), `round ${round}: tab ${'AB'[i]} got a session cookie`);
      }
    }
  });

  check(holder, '?slide=false reads without renewing; a plain read renews', async ({ env, track }) => {
    const b = track(browserFor(env, 'slide'));
    await b.login();
    const expiresIn = async (slide) => {
      const res = await b.user({ slide });
      assertStatus(res.status, 200, `GET /bff/user${slide === false ? '?slide=false' : ''}`, res.text);
      return claimMap(res.json).get('bff:session_expires_in');
    };
    const renewed = await expiresIn(true);
    await sleep(2500);
    const unrenewed = await expiresIn(false);
    assert.ok(unrenewed <= renewed - 2, `after 2.5 s, ?slide=false shows ${unrenewed}, expected <= ${renewed - 2}`);
    const again = await expiresIn(false);
    assert.ok(again <= unrenewed, `?slide=false must not renew: ${again} > ${unrenewed}`);
    const slid = await expiresIn(true);
    assert.ok(slid >= unrenewed + 2, `a plain read renews (renew_after 0s): ${slid}, expected >= ${unrenewed + 2}`);
    const read = await expiresIn(false);
    assert.ok(read >= slid - 1, `the renewal was stored: ?slide=false now shows ${read}, expected >= ${slid - 1}`);
  });

  check(holder, 'nothing usable at rest: the database holds neither the cookie handle nor a token', async ({ env, track, t }) => {
    const b = track(browserFor(env, 'at-rest'));
    const { cookie } = await b.login();
    assertStatus((await b.user()).status, 200, 'GET /bff/user (forces the session to be read/renewed)');
    const dbPath = env.config.session.sqlite_path;
    const files = (await readdir(dirname(dbPath))).filter((f) => f.startsWith(basename(dbPath)));
    const bytes = Buffer.concat(await Promise.all(files.map((f) => readFile(join(dirname(dbPath), f)))));
    assert.ok(bytes.length > 0, `no database files next to ${dbPath}`);
    const text = bytes.toString('latin1');

    assert.ok(!text.includes(cookie), `the cookie handle ${cookie} is stored in ${files.join(', ')}`);
    assert.ok(!bytes.includes(Buffer.from(cookie, 'base64url')), 'the raw 32 handle bytes are stored');
    const jwtLike = text.match(JWT_LIKE) ?? [];
    assert.deepEqual(jwtLike.map((s) => s.slice(0, 60)), [], 'JWT-looking text in the database');

    // Logging out shows us the real ID token (id_token_hint): check it was not in those bytes.
    const logoutUrl = claimMap((await b.user()).json).get('bff:logout_url');
    const out = await b.request(new URL(logoutUrl, env.gatehouseUrl).href);
    await out.arrayBuffer();
    const idToken = new URL(out.headers.get('location')).searchParams.get('id_token_hint');
    assert.ok(idToken, 'logout reveals the ID token as id_token_hint');
    for (const [i, part] of idToken.split('.').entries()) {
      assert.ok(!text.includes(part), `ID token segment ${i} is stored in plain text`);
    }
    // The store's key may be a hash of the handle: allowed, only reported.
    const hash = createHash('sha256').update(cookie).digest();
    const hashSeen = text.includes(hash.toString('base64url')) || bytes.includes(hash) || text.includes(hash.toString('hex'));
    t.diagnostic(`database files: ${files.join(', ')} (${bytes.length} bytes); SHA-256(handle) ${hashSeen ? 'present' : 'not found'} (either is fine)`);
  });
});
