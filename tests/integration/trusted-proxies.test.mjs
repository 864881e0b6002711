// [server] trusted_proxies end to end: behind a listed proxy (here: loopback, where the tests
// connect from) the address a session records is the client's from X-Forwarded-For, in
// GET /bff/sessions and the admin API alike; without the setting, an X-Forwarded-For a client
// writes itself changes nothing. Run: cd tests/integration && npm test
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { check, skipReason, useEnvironment } from './lib/harness.mjs';
import { assertStatus } from './lib/expect.mjs';
import { SESSION_COOKIE, ScriptedBrowser } from './lib/scripted-browser.mjs';

const TOKEN = 'e2e-trusted-proxies-admin-token-0123456789';
const LOOPBACK = /^(127\.0\.0\.1|::1|::ffff:127\.0\.0\.1)$/;

async function sessionsOf(env, cookie) {
  const res = await fetch(`${env.gatehouseUrl}/bff/sessions`, { headers: { cookie: `${SESSION_COOKIE}=${cookie}`, 'x-csrf': '1' } });
  const text = await res.text();
  assertStatus(res.status, 200, 'GET /bff/sessions', text);
  return JSON.parse(text);
}

async function adminSessionsOf(env, sub) {
  const res = await fetch(`${env.adminUrl}/admin/sessions?sub=${sub}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  const text = await res.text();
  assertStatus(res.status, 200, 'GET /admin/sessions', text);
  return JSON.parse(text);
}

const browser = (env, headers) => new ScriptedBrowser({ gatehouseUrl: env.gatehouseUrl, idpUrl: env.idpUrl, headers });

describe('[server] trusted_proxies: loopback is a listed proxy', { skip: skipReason(), timeout: 120_000 }, () => {
  const holder = useEnvironment({
    extraConfig: { server: { trusted_proxies: ['127.0.0.1', '::1'] } },
    gatehouseEnv: { GATEHOUSE_ADMIN_TOKEN: TOKEN },
  });

  check(holder, 'the session records the client X-Forwarded-For names, past listed proxies', async ({ env, track }) => {
    // The browser claims 198.51.100.23 itself; the first proxy saw 203.0.113.7 and a listed one
    // (::1) passed it on to the load balancer on loopback.
    const alice = await track(browser(env, { 'x-forwarded-for': '198.51.100.23, 203.0.113.7, ::1' })).login();
    const [mine] = await sessionsOf(env, alice.cookie);
    assert.equal(mine.address, '203.0.113.7', JSON.stringify(mine));
    const listed = await adminSessionsOf(env, 'alice');
    assert.ok(listed.sessions.some((s) => s.address === '203.0.113.7'), JSON.stringify(listed));
  });

  check(holder, 'junk in X-Forwarded-For is never recorded: the proxy that passed it on is', async ({ env, track }) => {
    const bob = await track(browser(env, { 'x-forwarded-for': '<script>alert(1)</script>' })).login({ user: 'bob', password: 'bob' });
    const [mine] = await sessionsOf(env, bob.cookie);
    assert.match(mine.address, LOOPBACK, JSON.stringify(mine));
  });
});

describe('[server] trusted_proxies unset: X-Forwarded-For is not believed', { skip: skipReason(), timeout: 120_000 }, () => {
  const holder = useEnvironment();

  check(holder, 'a client cannot choose the address its session records', async ({ env, track }) => {
    const alice = await track(browser(env, { 'x-forwarded-for': '203.0.113.7' })).login();
    const [mine] = await sessionsOf(env, alice.cookie);
    assert.match(mine.address, LOOPBACK, JSON.stringify(mine));
  });
});
