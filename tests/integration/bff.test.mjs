// gatehouse end to end, login and logout: the real binary against the demo IdP, driven by a
// scripted browser (fetch + cookie jar). Run: cd tests/integration && npm test
// Needs build/apps/gatehouse/gatehouse (or GATEHOUSE_BIN) and demo/idp's npm dependencies.
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { CLIENT_ID } from '../../scripts/e2e-env.mjs';
import { check, skipReason, useEnvironment } from './lib/harness.mjs';
import {
  assertDeletes, assertFlowCookie, assertNoSession, assertSessionCookie, assertStatus,
} from './lib/expect.mjs';
import { discovery, verifyJwt } from './lib/jwt.mjs';
import {
  FLOW_COOKIE_PREFIX, SESSION_COOKIE, ScriptedBrowser, claimMap, setCookies,
} from './lib/scripted-browser.mjs';

const browserFor = (env, name) => new ScriptedBrowser({ gatehouseUrl: env.gatehouseUrl, idpUrl: env.idpUrl, name });
const at = (env, path) => new URL(path, env.gatehouseUrl).href;
const withoutQuery = (u) => `${u.origin}${u.pathname}`;

describe('gatehouse login and logout (end to end)', { skip: skipReason(), timeout: 180_000 }, () => {
  const holder = useEnvironment({ extraConfig: { session: { idle_timeout: '10m' } } });

  check(holder, 'full login as alice, /bff/user claims, logout through the provider, then 401', async ({ env, track }) => {
    const b = track(browserFor(env, 'alice'));
    const meta = await discovery(env.idpUrl);

    // 1. /bff/login: a PKCE/state/nonce authorization request and a flow cookie.
    const start = await b.startLogin('?returnUrl=/after-login');
    assertStatus(start.res.status, 302, 'GET /bff/login?returnUrl=/after-login');
    assert.equal(withoutQuery(start.location), meta.authorization_endpoint, 'redirects to the authorization endpoint');
    const q = start.location.searchParams;
    assert.equal(q.get('response_type'), 'code');
    assert.equal(q.get('client_id'), CLIENT_ID);
    assert.equal(q.get('redirect_uri'), at(env, '/signin-oidc'));
    assert.equal(q.get('code_challenge_method'), 'S256');
    assert.match(q.get('code_challenge') ?? '', /^[A-Za-z0-9_-]{43}$/, 'code_challenge = base64url(SHA-256)');
    assert.ok(q.get('state'), 'state');
    assert.ok(q.get('nonce'), 'nonce');
    assert.ok((q.get('scope') ?? '').split(' ').includes('openid'), `scope ${q.get('scope')}`);
    assert.equal(start.flowCookies.length, 1, `one flow cookie: ${start.res.headers.getSetCookie()}`);
    assertFlowCookie(start.flowCookies[0]);
    assertNoSession(setCookies(start.res), '/bff/login');

    // 2. The IdP's login form, back to /signin-oidc with code, state and iss.
    const callbackUrl = await b.authenticate(start.location, { user: 'alice', password: 'alice' });
    assert.equal(withoutQuery(callbackUrl), at(env, '/signin-oidc'));
    assert.equal(callbackUrl.searchParams.get('state'), q.get('state'));

    // 3. The callback: session cookie, flow cookie cleared, redirect to returnUrl.
    const cb = await b.callback(callbackUrl);
    assertStatus(cb.res.status, 302, 'GET /signin-oidc', cb.body);
    assert.equal(new URL(cb.location, env.gatehouseUrl).href, at(env, '/after-login'));
    const session = cb.cookies.find((c) => c.name === SESSION_COOKIE);
    assert.ok(session, `session cookie set: ${cb.res.headers.getSetCookie()}`);
    assertSessionCookie(session);
    assertDeletes(cb.cookies, start.flowCookies[0].name);

    // 4. /bff/user.
    const user = await b.user();
    assertStatus(user.status, 200, 'GET /bff/user (X-CSRF: 1)', user.text);
    assert.match(user.headers.get('cache-control') ?? '', /no-store/, 'Cache-Control: no-store');
    assert.match(user.headers.get('content-type') ?? '', /^application\/json/);
    assert.ok(Array.isArray(user.json), `a JSON array: ${user.text}`);
    for (const c of user.json) assert.deepEqual(Object.keys(c).sort(), ['type', 'value'], JSON.stringify(c));
    const claims = claimMap(user.json);
    assert.equal(claims.get('sub'), 'alice');
    assert.equal(claims.get('name'), 'Alice Example');
    assert.equal(claims.get('email'), 'alice@example.com');
    const logoutUrl = claims.get('bff:logout_url');
    assert.match(logoutUrl ?? '', /^\/bff\/logout\?sid=[^&\s]+$/, `bff:logout_url: ${logoutUrl}`);
    const expiresIn = claims.get('bff:session_expires_in');
    assert.equal(typeof expiresIn, 'number', `bff:session_expires_in is a number: ${JSON.stringify(expiresIn)}`);
    assert.ok(expiresIn > 0 && expiresIn <= 600, `bff:session_expires_in ${expiresIn} within idle_timeout 10m`);
    assert.doesNotMatch(user.text, /eyJ[A-Za-z0-9_-]{20,}\./, 'no token reaches the browser');

    // 5. Logout: session deleted, cookie cleared, off to end_session with id_token_hint.
    const out = await b.request(at(env, logoutUrl));
    await out.arrayBuffer();
    assertStatus(out.status, 302, `GET ${logoutUrl}`);
    const end = new URL(out.headers.get('location'), env.gatehouseUrl);
    assert.equal(withoutQuery(end), meta.end_session_endpoint, 'redirects to end_session_endpoint');
    assert.equal(end.searchParams.get('post_logout_redirect_uri'), at(env, '/signout-callback-oidc'));
    const logoutState = end.searchParams.get('state');
    assert.ok(logoutState, 'state on the end-session request');
    const hint = end.searchParams.get('id_token_hint');
    assert.ok(hint, 'id_token_hint');
    const { payload } = await verifyJwt(hint, env.idpUrl);
    assert.equal(payload.sub, 'alice');
    assert.equal(payload.aud, CLIENT_ID);
    assertDeletes(setCookies(out), SESSION_COOKIE);
    assert.equal(b.jar.get(SESSION_COOKIE), undefined, 'the jar dropped the session cookie');

    // 6. The IdP ends its session and sends us to /signout-callback-oidc, which goes to "/".
    const back = await b.confirmIdpLogout(end);
    assert.equal(withoutQuery(back), at(env, '/signout-callback-oidc'));
    assert.equal(back.searchParams.get('state'), logoutState);
    const done = await b.callback(back);
    assertStatus(done.res.status, 302, `GET ${back.pathname}${back.search}`, done.body);
    assert.equal(new URL(done.location, env.gatehouseUrl).href, at(env, '/'));

    // 7. The old cookie is dead.
    const after = await b.user({ cookie: session.value });
    assertStatus(after.status, 401, 'GET /bff/user with the logged-out cookie', after.text);
  });

  check(holder, 'logout honours returnUrl', async ({ env, track }) => {
    const b = track(browserFor(env, 'bob'));
    await b.login({ user: 'bob', password: 'bob' });
    const logoutUrl = claimMap((await b.user()).json).get('bff:logout_url');
    const out = await b.request(at(env, `${logoutUrl}&returnUrl=${encodeURIComponent('/bye?x=1')}`));
    await out.arrayBuffer();
    assertStatus(out.status, 302, 'GET /bff/logout?sid=..&returnUrl=/bye?x=1');
    const back = await b.confirmIdpLogout(new URL(out.headers.get('location')));
    const done = await b.callback(back);
    assertStatus(done.res.status, 302, '/signout-callback-oidc', done.body);
    assert.equal(new URL(done.location, env.gatehouseUrl).href, at(env, '/bye?x=1'));
  });

  check(holder, 'login without returnUrl lands on "/"', async ({ env, track }) => {
    const b = track(browserFor(env, 'no-return-url'));
    const { callback } = await b.login({ query: '' });
    assert.equal(new URL(callback.location, env.gatehouseUrl).href, at(env, '/'));
  });

  check(holder, 'logout with a wrong or missing sid is refused and the session stays valid', async ({ env, track }) => {
    const b = track(browserFor(env, 'logout-sid'));
    const { cookie } = await b.login();
    for (const path of ['/bff/logout?sid=not-the-sid', '/bff/logout', '/bff/logout?sid=']) {
      const res = await b.request(at(env, path));
      const body = await res.text();
      assertStatus(res.status, 400, `GET ${path}`, body);
      const deleted = res.headers.getSetCookie().filter((l) => l.startsWith(`${SESSION_COOKIE}=`));
      assert.deepEqual(deleted, [], `GET ${path} must not touch the session cookie`);
      const user = await b.user({ cookie });
      assertStatus(user.status, 200, `GET /bff/user after ${path}`, user.text);
    }
  });

  check(holder, 'prompt=none passes through to the provider', async ({ env, track }) => {
    const b = track(browserFor(env, 'prompt-none'));
    const start = await b.startLogin('?returnUrl=/&prompt=none');
    assertStatus(start.res.status, 302, 'GET /bff/login?returnUrl=/&prompt=none');
    assert.equal(start.location.searchParams.get('prompt'), 'none');
  });

  check(holder, 'a provider error (login_required for prompt=none without an IdP session) gives 400', async ({ env, track }) => {
    const b = track(browserFor(env, 'login-required'));
    const start = await b.startLogin('?returnUrl=/&prompt=none');
    const callbackUrl = await b.authenticate(start.location);
    assert.equal(callbackUrl.searchParams.get('error'), 'login_required', `IdP answered ${callbackUrl}`);
    const cb = await b.callback(callbackUrl);
    assertStatus(cb.res.status, 400, `GET ${callbackUrl.pathname}${callbackUrl.search}`, cb.body);
    assertNoSession(cb.cookies, 'error callback');
  });

  check(holder, 'error=access_denied with a valid state gives 400', async ({ env, track }) => {
    const b = track(browserFor(env, 'access-denied'));
    const start = await b.startLogin();
    const url = new URL(at(env, '/signin-oidc'));
    url.search = new URLSearchParams({
      error: 'access_denied', error_description: 'user said no', state: start.location.searchParams.get('state'), iss: env.idpUrl,
    });
    const cb = await b.callback(url);
    assertStatus(cb.res.status, 400, `GET ${url.pathname}${url.search}`, cb.body);
    assertNoSession(cb.cookies, 'access_denied callback');
  });

  check(holder, 'callback with a state that matches no flow gives 400', async ({ env, track }) => {
    const b = track(browserFor(env, 'state-mismatch'));
    const start = await b.startLogin();
    const callbackUrl = await b.authenticate(start.location);
    for (const state of ['forged-state-value', '']) {
      const url = new URL(callbackUrl);
      if (state) url.searchParams.set('state', state); else url.searchParams.delete('state');
      const cb = await b.callback(url);
      assertStatus(cb.res.status, 400, `GET /signin-oidc with state "${state || '(missing)'}"`, cb.body);
      assertNoSession(cb.cookies, 'state mismatch');
    }
  });

  check(holder, 'callback without the flow cookie gives 400', async ({ env, track }) => {
    const b = track(browserFor(env, 'no-flow-cookie'));
    const start = await b.startLogin();
    const callbackUrl = await b.authenticate(start.location);
    b.jar.delete(start.flowCookies[0]?.name);
    assert.ok(!b.jar.names().some((n) => n.startsWith(FLOW_COOKIE_PREFIX)), 'flow cookie removed from the jar');
    const cb = await b.callback(callbackUrl);
    assertStatus(cb.res.status, 400, 'GET /signin-oidc without the flow cookie', cb.body);
    assertNoSession(cb.cookies, 'missing flow cookie');
  });

  check(holder, 'a replayed callback (same URL, same flow cookie) gives 400 and no session', async ({ env, track }) => {
    const b = track(browserFor(env, 'replay'));
    const { start, callbackUrl } = await b.login();
    const flow = start.flowCookies[0];
    const replay = await b.callback(callbackUrl, { cookie: `${flow.name}=${flow.value}` });
    assertStatus(replay.res.status, 400, 'replayed GET /signin-oidc', replay.body);
    assertNoSession(replay.cookies, 'replayed callback');
  });

  check(holder, 'callback with a wrong iss gives 400', async ({ env, track }) => {
    const b = track(browserFor(env, 'wrong-iss'));
    const start = await b.startLogin();
    const callbackUrl = await b.authenticate(start.location);
    assert.equal(callbackUrl.searchParams.get('iss'), env.idpUrl, 'the demo IdP sends iss');
    callbackUrl.searchParams.set('iss', 'http://127.0.0.1:1/evil-issuer');
    const cb = await b.callback(callbackUrl);
    assertStatus(cb.res.status, 400, `GET /signin-oidc with iss=${callbackUrl.searchParams.get('iss')}`, cb.body);
    assertNoSession(cb.cookies, 'wrong iss');
  });

  // Raw (already encoded) query values: each must be refused before any redirect happens.
  const OPEN_REDIRECTS = [
    ['//evil.example', '%2F%2Fevil.example'],
    ['//evil.example (unencoded)', '//evil.example'],
    ['/\\evil', '%2F%5Cevil'],
    ['/\\\\evil', '%2F%5C%5Cevil'],
    ['\\\\evil', '%5C%5Cevil'],
    ['https://evil.example/', 'https%3A%2F%2Fevil.example%2F'],
    ['http:x', 'http%3Ax'],
    ['CR LF', '%2Fa%0D%0ASet-Cookie%3A%20x%3Dy'],
    ['TAB', '%2F%09%2Fevil.example'],
    ['NUL', '%2Fa%00b'],
  ];
  for (const [label, raw] of OPEN_REDIRECTS) {
    check(holder, `returnUrl ${label} is refused with 400`, async ({ env, track }) => {
      const b = track(browserFor(env, `open-redirect ${label}`));
      const start = await b.startLogin(`?returnUrl=${raw}`);
      assertStatus(start.res.status, 400, `GET /bff/login?returnUrl=${raw}`);
      assert.deepEqual(start.flowCookies.map((c) => c.line), [], 'no flow started');
    });
  }
});

