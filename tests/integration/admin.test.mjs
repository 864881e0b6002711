// The admin API on its own listener against the real binary: it stays closed without a token;
// with one (from GATEHOUSE_ADMIN_TOKEN or from the file) it lists (a subject's sessions, or every
// session page by page), revokes and cleans up sessions, and a revocation ends the browser's
// session on its very next request.
// Run: cd tests/integration && npm test
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { describe } from 'node:test';
import { freePort, toToml } from '../../scripts/e2e-env.mjs';
import { gatehouse } from './lib/cli.mjs';
import { check, skipReason, useEnvironment } from './lib/harness.mjs';
import { assertStatus } from './lib/expect.mjs';
import { ScriptedBrowser } from './lib/scripted-browser.mjs';

const TOKEN = 'e2e-admin-token-0123456789abcdef0123456789';
const REALM = 'Bearer realm="gatehouse-admin"';

/** One admin API call; resolves to { status, headers, text, json }. */
async function admin(env, method, path, { token = TOKEN } = {}) {
  const headers = token === null ? {} : { authorization: `Bearer ${token}` };
  const res = await fetch(`${env.adminUrl}${path}`, { method, headers, signal: AbortSignal.timeout(5000) });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { /* asserted by callers */ }
  return { status: res.status, headers: res.headers, text, json };
}

/** Resolves to the connection error code (e.g. ECONNREFUSED), or 'connected'. */
function tryConnect(url) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname, port: Number(port) });
    socket.once('connect', () => { socket.destroy(); resolve('connected'); });
    socket.once('error', (err) => resolve(err.code));
  });
}

const browser = (env, name) => new ScriptedBrowser({ gatehouseUrl: env.gatehouseUrl, idpUrl: env.idpUrl, name });

describe('admin API without a token', { skip: skipReason(), timeout: 60_000 }, () => {
  const holder = useEnvironment();

  check(holder, 'opens no port and says so in the log', async ({ env }) => {
    assert.equal(await tryConnect(env.adminUrl), 'ECONNREFUSED', `nothing may listen on ${env.adminUrl}`);
    assert.match(readFileSync(env.logs.gatehouse, 'utf8'), /admin API disabled: no admin\.token/);
  });
});

describe('admin API with the token from GATEHOUSE_ADMIN_TOKEN', { skip: skipReason(), timeout: 120_000 }, () => {
  const holder = useEnvironment({ gatehouseEnv: { GATEHOUSE_ADMIN_TOKEN: TOKEN } });

  check(holder, 'refuses requests without the right token', async ({ env }) => {
    assert.match(readFileSync(env.logs.gatehouse, 'utf8'), /admin API listening on 127\.0\.0\.1:\d+/);
    for (const token of [null, 'wrong', `${TOKEN.slice(0, -1)}x`, `${TOKEN}x`]) {
      const r = await admin(env, 'GET', '/admin/sessions?sub=alice', { token });
      assertStatus(r.status, 401, `token ${token}`, r.text);
      assert.equal(r.headers.get('www-authenticate'), REALM);
      assert.equal(r.headers.get('cache-control'), 'no-store');
      assert.ok(!r.text.includes(TOKEN), 'the token is never echoed');
    }
    const basic = await fetch(`${env.adminUrl}/admin/sessions?sub=alice`, { headers: { authorization: `Basic ${TOKEN}` } });
    assertStatus(basic.status, 401, 'Basic scheme');
    assert.ok(!readFileSync(env.logs.gatehouse, 'utf8').includes(TOKEN), 'the token is never logged');
    // The public listener knows nothing of it (its SPA fallback answers with the page).
    const pub = await fetch(`${env.gatehouseUrl}/admin/sessions?sub=alice`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const page = await pub.text();
    assert.ok(!/application\/json/.test(pub.headers.get('content-type') ?? '') && !page.startsWith('{"sessions"'),
      `the admin API is not served on the public listener: ${pub.status} ${page.slice(0, 100)}`);
  });

  check(holder, 'lists a subject\'s sessions; revoking by sub ends them on the very next request', async ({ env, track }) => {
    const alice = track(browser(env, 'alice'));
    const bob = track(browser(env, 'bob'));
    const a = await alice.login();
    const b = await bob.login({ user: 'bob', password: 'bob' });
    assertStatus((await alice.user({ cookie: a.cookie })).status, 200, 'alice before revocation');

    const listed = await admin(env, 'GET', '/admin/sessions?sub=alice');
    assertStatus(listed.status, 200, 'GET /admin/sessions?sub=alice', listed.text);
    assert.equal(listed.headers.get('cache-control'), 'no-store');
    assert.match(listed.headers.get('content-type'), /application\/json/);
    assert.equal(listed.json.sessions.length, 1, listed.text);
    const [session] = listed.json.sessions;
    assert.equal(session.subject, 'alice');
    assert.ok(session.sid && session.id && session.created && session.expires, listed.text);
    assert.equal(session.expired, false);
    assert.ok(!listed.text.includes(a.cookie), 'the cookie handle is never shown');
    const bySid = await admin(env, 'GET', `/admin/sessions?sid=${encodeURIComponent(session.sid)}`);
    assert.deepEqual(bySid.json.sessions, listed.json.sessions, 'the same session by its sid');

    const revoked = await admin(env, 'DELETE', '/admin/sessions?sub=alice');
    assertStatus(revoked.status, 200, 'DELETE /admin/sessions?sub=alice', revoked.text);
    assert.deepEqual(revoked.json, { revoked: 1 });
    assertStatus((await alice.user({ cookie: a.cookie })).status, 401, 'alice right after revocation');
    assertStatus((await bob.user({ cookie: b.cookie })).status, 200, 'bob is untouched');
    assert.deepEqual((await admin(env, 'GET', '/admin/sessions?sub=alice')).json, { sessions: [] });
    assert.match(readFileSync(env.logs.gatehouse, 'utf8'), /admin API: revoke by subject hash \S+ from 127\.0\.0\.1: 1 session\(s\) removed/);
    // Its refresh token is revoked at the provider too (the IdP logs each real revocation; its
    // log reaches the file a moment after the answer).
    const line = new RegExp(`idp: revoked RefreshToken of sub alice \\(sid ${session.sid}, client \\S+\\) at the revocation endpoint`);
    for (const deadline = Date.now() + 5000; !line.test(readFileSync(env.logs.idp, 'utf8')) && Date.now() < deadline;) {
      await new Promise((r) => setTimeout(r, 25));
    }
    assert.match(readFileSync(env.logs.idp, 'utf8'), line);
    assert.doesNotMatch(readFileSync(env.logs.idp, 'utf8'), /idp: revoked RefreshToken of sub bob/);
  });

  check(holder, 'revoking one session by its id ends that browser only, and its refresh token', async ({ env, track }) => {
    const ids = async () => new Set((await admin(env, 'GET', '/admin/sessions?sub=alice')).json.sessions.map((s) => s.id));
    const laptop = track(browser(env, 'one-laptop'));
    const phone = track(browser(env, 'one-phone'));
    const l = await laptop.login();
    const before = await ids();
    const p = await phone.login();
    const phoneIds = [...await ids()].filter((id) => !before.has(id));
    assert.equal(phoneIds.length, 1, 'the phone\'s login added one session');
    const [phoneId] = phoneIds;
    const listed = await admin(env, 'GET', `/admin/sessions?sub=alice&id=${encodeURIComponent(phoneId)}`);
    assert.equal(listed.json.sessions.length, 1, listed.text);
    const { sid } = listed.json.sessions[0];

    for (const [path, status] of [[`/admin/sessions?id=${phoneId}`, 400], [`/admin/sessions?sub=bob&id=${phoneId}`, 404],
      [`/admin/sessions?sub=alice&id=${phoneId}x`, 400]]) {
      const r = await admin(env, 'DELETE', path);
      assertStatus(r.status, status, `DELETE ${path}`, r.text);
      assert.ok(r.json?.error, r.text);
    }
    assertStatus((await phone.user({ cookie: p.cookie })).status, 200, 'refused revokes end nothing');

    const revoked = await admin(env, 'DELETE', `/admin/sessions?sub=alice&id=${encodeURIComponent(phoneId)}`);
    assertStatus(revoked.status, 200, 'DELETE by id', revoked.text);
    assert.deepEqual(revoked.json, { revoked: 1 });
    assertStatus((await phone.user({ cookie: p.cookie })).status, 401, 'the phone right after revocation');
    assertStatus((await laptop.user({ cookie: l.cookie })).status, 200, 'the laptop stays signed in');
    assert.equal((await ids()).has(phoneId), false);
    const line = new RegExp(`idp: revoked RefreshToken of sub alice \\(sid ${sid}, client \\S+\\) at the revocation endpoint`);
    for (const deadline = Date.now() + 5000; !line.test(readFileSync(env.logs.idp, 'utf8')) && Date.now() < deadline;) {
      await new Promise((r) => setTimeout(r, 25));
    }
    assert.match(readFileSync(env.logs.idp, 'utf8'), line, 'its refresh token is revoked at the provider');
  });

  check(holder, 'GET /admin/keys shows the key ring\'s ids, never its keys', async ({ env }) => {
    const ring = JSON.parse(readFileSync(join(env.tmpDir, 'keys.json'), 'utf8'));
    const r = await admin(env, 'GET', '/admin/keys');
    assertStatus(r.status, 200, 'GET /admin/keys', r.text);
    assert.equal(r.headers.get('cache-control'), 'no-store');
    assert.equal(r.json.active, ring.active);
    assert.deepEqual(r.json.keys.map((k) => k.kid), ring.keys.map((k) => k.kid));
    for (const k of r.json.keys) assert.match(k.created, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    for (const secret of [...ring.keys.map((k) => k.key), ring.dpop?.key].filter(Boolean)) {
      assert.ok(!r.text.includes(secret), 'no key material');
    }
    assertStatus((await admin(env, 'GET', '/admin/keys', { token: null })).status, 401, 'without the token');
  });

  check(holder, 'the admin page is served on the admin listener without the token, under its CSP', async ({ env }) => {
    const res = await fetch(`${env.adminUrl}/admin/`, { signal: AbortSignal.timeout(5000) });
    assertStatus(res.status, 200, 'GET /admin/');
    assert.match(res.headers.get('content-type'), /^text\/html/);
    assert.match(res.headers.get('content-security-policy'), /^default-src 'none'; script-src 'self';/);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.match(await res.text(), /<script type="module" src="\/admin\/app\.js">/);
  });

  check(holder, 'without sub/sid it lists every session a page at a time, with an opaque cursor', async ({ env, track }) => {
    await track(browser(env, 'paging-alice')).login();
    await track(browser(env, 'paging-bob')).login({ user: 'bob', password: 'bob' });

    const whole = await admin(env, 'GET', '/admin/sessions');
    assertStatus(whole.status, 200, 'GET /admin/sessions', whole.text);
    assert.equal(whole.headers.get('cache-control'), 'no-store');
    assert.equal(whole.json.next, null, 'a handful of sessions fit in the default page');
    const ids = whole.json.sessions.map((s) => s.id);
    assert.ok(ids.length >= 2, whole.text);
    for (const subject of ['alice', 'bob']) {
      assert.ok(whole.json.sessions.some((s) => s.subject === subject && !s.expired), `${subject} is listed: ${whole.text}`);
    }

    const paged = [];
    let path = '/admin/sessions?limit=1';
    for (let pages = 0; pages < 50; pages += 1) {
      const page = await admin(env, 'GET', path);
      assertStatus(page.status, 200, path, page.text);
      assert.ok(page.json.sessions.length <= 1, page.text);
      paged.push(...page.json.sessions.map((s) => s.id));
      if (page.json.next === null) break;
      assert.match(page.json.next, /^[A-Za-z0-9_-]+$/, 'the cursor goes into a query string as it is');
      path = `/admin/sessions?limit=1&after=${page.json.next}`;
    }
    assert.deepEqual(paged, ids, 'page by page: the same sessions in the same order');

    for (const bad of ['/admin/sessions?limit=0', '/admin/sessions?limit=1001', '/admin/sessions?after=%21%21',
      '/admin/sessions?sub=alice&limit=5']) {
      const r = await admin(env, 'GET', bad);
      assertStatus(r.status, 400, `GET ${bad}`, r.text);
      assert.ok(r.json?.error, `GET ${bad} says why: ${r.text}`);
    }
  });

  check(holder, 'cleanup returns a count; bad requests get 400, 404 and 405', async ({ env }) => {
    const cleanup = await admin(env, 'POST', '/admin/cleanup');
    assertStatus(cleanup.status, 200, 'POST /admin/cleanup', cleanup.text);
    assert.equal(typeof cleanup.json.removed, 'number', cleanup.text);
    const expired = await admin(env, 'DELETE', '/admin/sessions?expired=true');
    assertStatus(expired.status, 200, 'DELETE ?expired=true', expired.text);
    assert.equal(typeof expired.json.revoked, 'number', expired.text);

    for (const [method, path] of [['GET', '/admin/sessions?limit=abc'], ['DELETE', '/admin/sessions'],
      ['DELETE', '/admin/sessions?sub=alice&expired=true'], ['GET', '/admin/sessions?sub=a&sub=b'],
      ['GET', '/admin/sessions?sub=%zz']]) {
      const r = await admin(env, method, path);
      assertStatus(r.status, 400, `${method} ${path}`, r.text);
      assert.ok(r.json?.error, `${method} ${path} says why: ${r.text}`);
    }
    assertStatus((await admin(env, 'GET', '/admin/nope')).status, 404, 'unknown admin path');
    const put = await admin(env, 'PUT', '/admin/sessions?sub=alice');
    assertStatus(put.status, 405, 'PUT /admin/sessions');
    assert.equal(put.headers.get('allow'), 'GET, DELETE');
  });

  check(holder, 'a taken admin.listen stops start-up with a message naming it', async ({ env }) => {
    const config = { ...env.config, server: { ...env.config.server, listen: `127.0.0.1:${await freePort()}` },
      admin: { listen: new URL(env.adminUrl).host, token: TOKEN } };
    const path = join(env.tmpDir, 'taken-admin-port.toml');
    await writeFile(path, toToml(config), { mode: 0o600 });
    const result = await gatehouse(['serve', '--config', path], { timeoutMs: 10_000 });
    assert.equal(result.code, 1, result.output);
    assert.match(result.output, /cannot start: admin\.listen: /);
  });
});

describe('admin API with the token from the config file', { skip: skipReason(), timeout: 120_000 }, () => {
  const holder = useEnvironment({ extraConfig: { admin: { token: TOKEN } } });

  check(holder, 'the token from the file works and only that token', async ({ env, track }) => {
    assertStatus((await admin(env, 'GET', '/admin/sessions?sub=alice', { token: 'x'.repeat(40) })).status, 401, 'wrong token');
    const laptop = track(browser(env, 'laptop'));
    const c = await laptop.login();
    const listed = await admin(env, 'GET', '/admin/sessions?sub=alice');
    assertStatus(listed.status, 200, 'list', listed.text);
    assert.equal(listed.json.sessions.length, 1, listed.text);
    const revoked = await admin(env, 'DELETE', `/admin/sessions?sid=${encodeURIComponent(listed.json.sessions[0].sid)}`);
    assert.deepEqual(revoked.json, { revoked: 1 }, revoked.text);
    assertStatus((await laptop.user({ cookie: c.cookie })).status, 401, 'right after revocation by sid');
  });
});
