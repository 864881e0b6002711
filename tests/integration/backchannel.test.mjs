// Back-channel logout (OpenID Connect Back-Channel Logout 1.0): POST /bff/backchannel with a
// form-encoded logout_token. The IdP signs with a key the test generated (IDP_SIGNING_KEY_FILE),
// so each test can craft a token that breaks exactly one rule and sign it with the very key the
// gateway trusts through the IdP's JWKS. Run: cd tests/integration && npm test
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLIENT_ID, CLIENT_SECRET, generateSigningJwk, startIdp } from '../../scripts/e2e-env.mjs';
import { assertStatus } from './lib/expect.mjs';
import { check, skipReason, useEnvironment } from './lib/harness.mjs';
import { discovery, signJwt } from './lib/jwt.mjs';
import { ScriptedBrowser, claimMap } from './lib/scripted-browser.mjs';

const EVENT = 'http://schemas.openid.net/event/backchannel-logout';
const FORM = 'application/x-www-form-urlencoded';
const POLL_MS = 5000; // the IdP and the gateway's revocations work asynchronously: poll this long
// Words a rejection's body must not contain: the reason goes to the gateway's log only.
const REASONS = /\b(iss|issuer|aud|audience|iat|exp|expired|jti|nonce|sid|sub|typ|alg|kid|signature|replay(ed)?|events?|none|HS256)\b/i;

const now = () => Math.floor(Date.now() / 1000);
const form = (token) => new URLSearchParams({ logout_token: token }).toString();

/** Logs `user` in with a fresh browser: its own IdP session, hence its own sid. */
async function signIn(env, track, user = 'alice', name = user) {
  const browser = track(new ScriptedBrowser({ gatehouseUrl: env.gatehouseUrl, idpUrl: env.idpUrl, name }));
  const { cookie } = await browser.login({ user, password: user });
  return sessionOf(browser, cookie, name);
}

/** { browser, cookie, sub, sid, name } of a live session, read from /bff/user. */
async function sessionOf(browser, cookie, name) {
  const me = await browser.user({ cookie });
  assertStatus(me.status, 200, `${name}: GET /bff/user after login`, me.text);
  const claims = claimMap(me.json);
  const sid = claims.get('sid');
  assert.ok(sid, `${name}: the session carries the provider's sid: ${me.text}`);
  assert.match(claims.get('bff:logout_url') ?? '', /^\/bff\/logout\?sid=/);
  return { browser, cookie, sub: claims.get('sub'), sid, name };
}

async function assertAlive(s, why) {
  const me = await s.browser.user({ cookie: s.cookie });
  assertStatus(me.status, 200, `${why}: ${s.name}'s session (sid ${s.sid}) must still work — GET /bff/user`, me.text);
}

async function assertEnded(s, why) {
  const me = await s.browser.user({ cookie: s.cookie });
  assertStatus(me.status, 401, `${why}: ${s.name}'s session (sid ${s.sid}) must have ended — GET /bff/user`, me.text);
}

/** The claims of a logout token that passes every rule, for `target` ({ sub, sid }). */
function validClaims(env, { sub, sid } = {}) {
  return { iss: env.idpUrl, aud: CLIENT_ID, iat: now(), jti: randomUUID(), events: { [EVENT]: {} }, sub, sid };
}

/**
 * A logout token for `target`, signed with the IdP's key unless `key`/`secret` say otherwise.
 * `header` and `claims` are merged over valid ones; a value of undefined removes the member.
 */
function logoutToken(env, target, { header = {}, claims = {}, key = env.idpSigningKey, secret } = {}) {
  const h = { alg: env.idpSigningKey.alg, kid: env.idpSigningKey.kid, typ: 'logout+jwt', ...header };
  return signJwt(h, { ...validClaims(env, target), ...claims }, { key, secret });
}

async function post(env, body, { contentType = FORM, method = 'POST' } = {}) {
  const headers = contentType ? { 'content-type': contentType } : {};
  // fetch labels a string body text/plain; bytes go out without a Content-Type.
  if (!contentType && typeof body === 'string') body = Buffer.from(body);
  const res = await fetch(`${env.gatehouseUrl}/bff/backchannel`, {
    method, headers, body, redirect: 'manual', signal: AbortSignal.timeout(5000),
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

async function assertAccepted(env, token, what, options) {
  const res = await post(env, form(token), options);
  assertStatus(res.status, 200, `${what}: POST /bff/backchannel`, res.text);
  assert.match(res.headers.get('cache-control') ?? '', /no-store/, `${what}: Cache-Control: no-store`);
  return res;
}

/**
 * POSTs `body` and expects the generic 400 — the same body as for a token that is not even a
 * JWT, naming no reason — and `target` still signed in: nothing was deleted.
 */
async function assertRejected(env, target, body, what, options) {
  const logged = readFileSync(env.logs.gatehouse, 'utf8').length;
  const res = await post(env, body, options);
  assertStatus(res.status, 400, `${what}: POST /bff/backchannel`, res.text);
  await logMatching(env.logs.gatehouse, /logout/i, `${what}: the reason goes to the gateway's log`, logged);
  const reference = await post(env, form('not-a-jwt'));
  assertStatus(reference.status, 400, 'reference: logout_token=not-a-jwt', reference.text);
  assert.equal(res.text, reference.text, `${what}: the body must be the generic one (the reason belongs in the log)`);
  assert.doesNotMatch(res.text, REASONS, `${what}: the body must not reveal the reason`);
  await assertAlive(target, what);
}

/** Waits until the file at `path` (from offset `from`) matches `re`; fails after `POLL_MS`. */
async function logMatching(path, re, what, from = 0) {
  const deadline = Date.now() + POLL_MS;
  for (;;) {
    const text = readFileSync(path, 'utf8').slice(from);
    if (re.test(text)) return text;
    if (Date.now() > deadline) assert.fail(`${what}: no line matching ${re} in ${path} within ${POLL_MS} ms`);
    await sleep(25);
  }
}

/** The IdP's log line for a refresh token revoked through its revocation endpoint. */
const revokedLine = (s) => new RegExp(`idp: revoked RefreshToken of sub ${s.sub} \\(sid ${s.sid}, client ${CLIENT_ID}\\) at the revocation endpoint`);

describe('back-channel logout: every rejection', { skip: skipReason(), timeout: 240_000 }, () => {
  const holder = useEnvironment({ idpSigningKey: generateSigningJwk('RS256') });
  // Each test: a fresh alice session, a token aimed at it that breaks one rule, then 400 and the
  // session still works.
  const rejects = (name, build, options) => check(holder, name, async ({ env, track }) => {
    const target = await signIn(env, track);
    const bodies = [build(env, target)].flat();
    for (const [i, body] of bodies.entries()) {
      await assertRejected(env, target, body, `${name}${bodies.length > 1 ? ` (#${i + 1} of ${bodies.length})` : ''}`, options);
    }
  });

  rejects('no logout_token parameter', () => ['', 'token=abc', 'logout_token=', `logout_tokens=${randomUUID()}`]);
  rejects('a duplicated logout_token parameter', (env, target) => {
    const token = logoutToken(env, target);
    return [`${form(token)}&${form(token)}`, `${form(token)}&logout_token=x`, `logout_token=x&${form(token)}`];
  });
  rejects('a content type other than application/x-www-form-urlencoded', (env, target) => form(logoutToken(env, target)),
    { contentType: 'text/plain' });
  rejects('a JSON body', (env, target) => JSON.stringify({ logout_token: logoutToken(env, target) }),
    { contentType: 'application/json' });
  rejects('no content type at all', (env, target) => form(logoutToken(env, target)), { contentType: null });
  rejects('a logout_token that is not a JWT', (env, target) => {
    const [h, p, s] = logoutToken(env, target).split('.');
    return ['not-a-jwt', 'a.b.c', `${h}.${p}`, `${h}.${p}.${s}.x.y`, `${h}.!!!.${s}`, `${p}.${h}.${s}`].map(form);
  });
  rejects('alg none', (env, target) => [
    form(logoutToken(env, target, { header: { alg: 'none', kid: undefined } })),
    form(logoutToken(env, target, { header: { alg: 'none' } })),
    // A signature part present, so that a parser refusing an empty one is not all that stands.
    form(`${logoutToken(env, target, { header: { alg: 'none' } })}c2lnbmF0dXJl`),
  ]);
  rejects('HS256 signed with the client secret', (env, target) => [
    form(logoutToken(env, target, { header: { alg: 'HS256', kid: undefined }, secret: CLIENT_SECRET })),
    form(logoutToken(env, target, { header: { alg: 'HS256' }, secret: CLIENT_SECRET })),
  ]);
  rejects('a tampered payload (the signature no longer matches)', (env, target) => {
    // Signed for nobody, then pointed at the target: only the signature check can catch it.
    const [h, , s] = logoutToken(env, { sub: 'nobody', sid: 'nobody' }).split('.');
    const p = Buffer.from(JSON.stringify(validClaims(env, target))).toString('base64url');
    return form(`${h}.${p}.${s}`);
  });
  rejects('a key that is not in the JWKS (unknown kid)', (env, target) => {
    const stranger = generateSigningJwk('RS256');
    return form(logoutToken(env, target, { header: { kid: stranger.kid }, key: stranger }));
  });
  rejects('another key under the published kid', (env, target) =>
    form(logoutToken(env, target, { key: generateSigningJwk('RS256') })));
  rejects('no kid, signed by a key that is not the IdP\'s', (env, target) =>
    form(logoutToken(env, target, { header: { kid: undefined }, key: generateSigningJwk('RS256') })));
  rejects('typ other than logout+jwt', (env, target) => ['JWT', 'at+jwt', 'application/jwt', 'logout'].map((typ) =>
    form(logoutToken(env, target, { header: { typ } }))));
  rejects('a wrong iss', (env, target) => [
    form(logoutToken(env, target, { claims: { iss: 'https://idp.evil.example' } })),
    form(logoutToken(env, target, { claims: { iss: undefined } })),
  ]);
  rejects('a wrong aud', (env, target) => [
    form(logoutToken(env, target, { claims: { aud: 'another-client' } })),
    form(logoutToken(env, target, { claims: { aud: ['another-client'] } })),
    form(logoutToken(env, target, { claims: { aud: undefined } })),
  ]);
  rejects('iat in the future', (env, target) => form(logoutToken(env, target, { claims: { iat: now() + 600 } })));
  rejects('iat too old', (env, target) => [
    form(logoutToken(env, target, { claims: { iat: now() - 15 * 60 } })),
    form(logoutToken(env, target, { claims: { iat: now() - 15 * 60, exp: now() + 600 } })),
  ]);
  rejects('no iat', (env, target) => form(logoutToken(env, target, { claims: { iat: undefined } })));
  rejects('exp in the past', (env, target) =>
    form(logoutToken(env, target, { claims: { iat: now() - 100, exp: now() - 90 } })));
  rejects('no events claim', (env, target) => form(logoutToken(env, target, { claims: { events: undefined } })));
  rejects('events that is not a JSON object', (env, target) => [EVENT, [EVENT], true].map((events) =>
    form(logoutToken(env, target, { claims: { events } }))));
  rejects('events without the back-channel logout member', (env, target) => [
    {}, { 'http://schemas.openid.net/event/other': {} }, { [`${EVENT}/`]: {} },
  ].map((events) => form(logoutToken(env, target, { claims: { events } }))));
  rejects('the back-channel logout member is not an object', (env, target) => [true, 'yes', [], null, 1].map((member) =>
    form(logoutToken(env, target, { claims: { events: { [EVENT]: member } } }))));
  rejects('neither sub nor sid', (env, target) => [
    form(logoutToken(env, target, { claims: { sub: undefined, sid: undefined } })),
    form(logoutToken(env, target, { claims: { sub: '', sid: '' } })),
  ]);
  rejects('a nonce', (env, target) => form(logoutToken(env, target, { claims: { nonce: 'n-0S6_WzA2Mj' } })));
  rejects('no jti', (env, target) => [
    form(logoutToken(env, target, { claims: { jti: undefined } })),
    form(logoutToken(env, target, { claims: { jti: '' } })),
  ]);

  check(holder, 'a replayed token: first 200, then 400 every time, and it ends nothing more', async ({ env, track }) => {
    const first = await signIn(env, track, 'alice', 'alice (replay)');
    const token = logoutToken(env, first);
    await assertAccepted(env, token, 'first delivery');
    await assertEnded(first, 'after the first delivery');
    // Same browser, same IdP session: logging in again gives a new gateway session with the same
    // sub and sid — exactly what the replayed token names.
    const { cookie } = await first.browser.login();
    const again = await sessionOf(first.browser, cookie, 'alice (replay, again)');
    assert.equal(again.sid, first.sid, 'the second login reuses the IdP session, hence the sid');
    await assertRejected(env, again, form(token), 'the same token again');
    await assertRejected(env, again, form(token), 'the same token a third time');
  });

  check(holder, 'GET /bff/backchannel: 405 with Allow: POST', async ({ env, track }) => {
    const target = await signIn(env, track);
    const res = await post(env, undefined, { method: 'GET', contentType: null });
    assertStatus(res.status, 405, 'GET /bff/backchannel', res.text);
    assert.match(res.headers.get('allow') ?? '', /^\s*POST\s*$/i, `Allow: ${res.headers.get('allow')}`);
    const query = await fetch(`${env.gatehouseUrl}/bff/backchannel?${form(logoutToken(env, target))}`, { signal: AbortSignal.timeout(5000) });
    await query.arrayBuffer();
    assertStatus(query.status, 405, 'GET /bff/backchannel?logout_token=<valid>');
    await assertAlive(target, 'GET with a valid token in the query');
  });
});

describe('back-channel logout: accepted tokens', { skip: skipReason(), timeout: 240_000 }, () => {
  const holder = useEnvironment({ idpSigningKey: generateSigningJwk('RS256') });

  check(holder, 'typ absent: 200, Cache-Control: no-store, and that session ends', async ({ env, track }) => {
    const target = await signIn(env, track);
    await assertAccepted(env, logoutToken(env, target, { header: { typ: undefined } }), 'typ absent');
    await assertEnded(target, 'typ absent');
  });

  for (const typ of ['logout+jwt', 'application/logout+jwt', 'Logout+JWT']) {
    check(holder, `typ ${typ}: accepted`, async ({ env, track }) => {
      const target = await signIn(env, track);
      await assertAccepted(env, logoutToken(env, target, { header: { typ } }), `typ ${typ}`);
      await assertEnded(target, `typ ${typ}`);
    });
  }

  check(holder, 'Content-Type with a charset parameter: accepted', async ({ env, track }) => {
    const target = await signIn(env, track);
    await assertAccepted(env, logoutToken(env, target), 'charset=UTF-8', { contentType: `${FORM}; charset=UTF-8` });
    await assertEnded(target, 'charset=UTF-8');
  });

  check(holder, 'iat 30 s old, or 100 s old with exp ahead: accepted', async ({ env, track }) => {
    const a = await signIn(env, track, 'alice', 'alice (30 s)');
    await assertAccepted(env, logoutToken(env, a, { claims: { iat: now() - 30 } }), 'iat 30 s ago');
    await assertEnded(a, 'iat 30 s ago');
    const b = await signIn(env, track, 'alice', 'alice (100 s)');
    await assertAccepted(env, logoutToken(env, b, { claims: { iat: now() - 100, exp: now() + 60 } }), 'iat 100 s ago, exp in 60 s');
    await assertEnded(b, 'iat 100 s ago, exp in 60 s');
  });

  check(holder, 'sub + sid ends that login only: alice\'s other login and bob stay', async ({ env, track }) => {
    const laptop = await signIn(env, track, 'alice', 'alice (laptop)');
    const phone = await signIn(env, track, 'alice', 'alice (phone)');
    const bob = await signIn(env, track, 'bob');
    assert.notEqual(laptop.sid, phone.sid, 'two browsers, two IdP sessions');
    await assertAccepted(env, logoutToken(env, laptop), 'sub + sid');
    await assertEnded(laptop, 'sub + sid');
    await assertAlive(phone, 'sub + sid of the laptop');
    await assertAlive(bob, 'sub + sid of the laptop');
  });

  check(holder, 'sid only ends that login only', async ({ env, track }) => {
    const laptop = await signIn(env, track, 'alice', 'alice (laptop)');
    const phone = await signIn(env, track, 'alice', 'alice (phone)');
    const bob = await signIn(env, track, 'bob');
    await assertAccepted(env, logoutToken(env, { sid: laptop.sid }), 'sid only');
    await assertEnded(laptop, 'sid only');
    await assertAlive(phone, 'sid only, the laptop\'s');
    await assertAlive(bob, 'sid only, the laptop\'s');
  });

  check(holder, 'alice\'s sub with bob\'s sid ends nothing', async ({ env, track }) => {
    const alice = await signIn(env, track);
    const bob = await signIn(env, track, 'bob');
    await assertAccepted(env, logoutToken(env, { sub: alice.sub, sid: bob.sid }), 'sub alice + sid of bob');
    await assertAlive(alice, 'sub alice + sid of bob');
    await assertAlive(bob, 'sub alice + sid of bob');
  });

  check(holder, 'the ended session\'s refresh token is revoked at the provider', async ({ env, track }) => {
    const target = await signIn(env, track);
    const meta = await discovery(env.idpUrl);
    assert.ok(meta.revocation_endpoint, 'the dev IdP offers revocation');
    await assertAccepted(env, logoutToken(env, target), 'sub + sid');
    await assertEnded(target, 'sub + sid');
    // The gateway never hands out the refresh token; the IdP logs each one revoked at its
    // revocation endpoint by account and sid (demo/idp/server.mjs).
    await logMatching(env.logs.idp, revokedLine(target), 'refresh token revoked at the IdP');
  });

  // Last in this block: it ends every session alice has here.
  check(holder, 'sub only ends every session of that subject and nobody else\'s', async ({ env, track }) => {
    const laptop = await signIn(env, track, 'alice', 'alice (laptop)');
    const phone = await signIn(env, track, 'alice', 'alice (phone)');
    const bob = await signIn(env, track, 'bob');
    await assertAccepted(env, logoutToken(env, { sub: 'alice' }), 'sub only');
    await assertEnded(laptop, 'sub only');
    await assertEnded(phone, 'sub only');
    await assertAlive(bob, 'sub only, alice\'s');
    await logMatching(env.logs.idp, revokedLine(laptop), 'laptop refresh token revoked');
    await logMatching(env.logs.idp, revokedLine(phone), 'phone refresh token revoked');
  });
});

describe('back-channel logout with [session] backchannel_all_user_sessions = true (ES256 key)', { skip: skipReason(), timeout: 240_000 }, () => {
  const holder = useEnvironment({
    idpSigningKey: generateSigningJwk('ES256'),
    extraConfig: { session: { backchannel_all_user_sessions: true } },
  });

  check(holder, 'a sid-only token ends every session of the subject owning that sid, not bob\'s', async ({ env, track }) => {
    const laptop = await signIn(env, track, 'alice', 'alice (laptop)');
    const phone = await signIn(env, track, 'alice', 'alice (phone)');
    const bob = await signIn(env, track, 'bob');
    await assertAccepted(env, logoutToken(env, { sid: laptop.sid }), 'sid only');
    await assertEnded(laptop, 'sid only');
    await assertEnded(phone, 'sid only, the laptop\'s');
    await assertAlive(bob, 'sid only, alice\'s laptop');
    await logMatching(env.logs.idp, revokedLine(phone), 'the phone\'s refresh token revoked too');
  });

  check(holder, 'a sub + sid token ends every session of the subject, not bob\'s', async ({ env, track }) => {
    const laptop = await signIn(env, track, 'alice', 'alice (laptop)');
    const phone = await signIn(env, track, 'alice', 'alice (phone)');
    const bob = await signIn(env, track, 'bob');
    await assertAccepted(env, logoutToken(env, laptop), 'sub + sid');
    await assertEnded(laptop, 'sub + sid');
    await assertEnded(phone, 'sub + sid of the laptop');
    await assertAlive(bob, 'sub + sid of alice\'s laptop');
  });

  // docs/configuration.md: "every session of its subject ..., whatever its sid" — the sid
  // picks nothing here, and it never reaches another subject's sessions.
  check(holder, 'alice\'s sub with bob\'s sid ends alice\'s sessions, never bob\'s', async ({ env, track }) => {
    const alice = await signIn(env, track);
    const bob = await signIn(env, track, 'bob');
    await assertAccepted(env, logoutToken(env, { sub: alice.sub, sid: bob.sid }), 'sub alice + sid of bob');
    await assertEnded(alice, 'sub alice + sid of bob');
    await assertAlive(bob, 'sub alice + sid of bob');
  });
});

describe('back-channel logout after the provider changed its signing key', { skip: skipReason(), timeout: 120_000 }, () => {
  const holder = useEnvironment({ idpSigningKey: generateSigningJwk('RS256') });

  check(holder, 'a token under a kid the gateway has not seen: it refetches the JWKS and accepts', async ({ env, track }) => {
    const target = await signIn(env, track);
    // The same issuer on the same port, now with another key: the gateway's cached JWKS lacks it.
    const rotated = generateSigningJwk('RS256');
    const keyFile = join(env.tmpDir, 'idp-rotated-key.json');
    await writeFile(keyFile, JSON.stringify(rotated), { mode: 0o600 });
    await env.idp.stop();
    const idp = await startIdp({
      port: Number(new URL(env.idpUrl).port), gatehouseOrigins: [env.gatehouseUrl],
      logFile: join(env.tmpDir, 'idp-rotated.log'), env: { IDP_SIGNING_KEY_FILE: keyFile },
    });
    try {
      assert.equal(idp.url, env.idpUrl, 'the restarted IdP is the same issuer');
      await assertAccepted(env, logoutToken({ ...env, idpSigningKey: rotated }, target), 'a token under the new kid');
      await assertEnded(target, 'a token under the new kid');
    } finally {
      await idp.stop();
    }
  });
});

describe('back-channel logout from the provider\'s own end-session page', { skip: skipReason(), timeout: 120_000 }, () => {
  const holder = useEnvironment(); // the IdP's own key: nothing crafted here

  check(holder, 'logging out at the IdP ends that gateway session; the next /bff/user is 401', async ({ env, track }) => {
    const alice = await signIn(env, track, 'alice', 'alice (logs out at the IdP)');
    const other = await signIn(env, track, 'alice', 'alice (another browser)');
    const bob = await signIn(env, track, 'bob');
    const meta = await discovery(env.idpUrl);
    // Straight to the provider, not through /bff/logout: only the back channel can tell us.
    const landed = await alice.browser.confirmIdpLogout(new URL(meta.end_session_endpoint));
    assert.equal(landed.origin, new URL(env.idpUrl).origin, `the IdP's own "signed out" page, not the gateway: ${landed}`);
    await logMatching(env.logs.idp, new RegExp(
      `idp: back-channel logout delivered to ${env.gatehouseUrl}/bff/backchannel \\(sub alice, sid ${alice.sid}\\)`,
    ), 'the IdP delivered the logout token');
    const deadline = Date.now() + POLL_MS;
    let status;
    while ((status = (await alice.browser.user({ cookie: alice.cookie })).status) !== 401 && Date.now() < deadline) await sleep(50);
    assertStatus(status, 401, 'GET /bff/user after logging out at the IdP');
    await assertAlive(other, 'alice logged out at the IdP in another browser');
    await assertAlive(bob, 'alice logged out at the IdP');
    assert.doesNotMatch(readFileSync(env.logs.idp, 'utf8'), /back-channel logout to .* failed/, 'no failed delivery');
  });
});
