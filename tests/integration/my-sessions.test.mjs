// Users see and end their own sessions: GET /bff/sessions, DELETE /bff/sessions/{id},
// DELETE /bff/sessions?others=true. Run: cd tests/integration && npm test
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { check, skipReason, useEnvironment } from './lib/harness.mjs';
import { assertStatus } from './lib/expect.mjs';
import { SESSION_COOKIE, ScriptedBrowser } from './lib/scripted-browser.mjs';

describe('"my sessions" endpoints (end to end)', { skip: skipReason(), timeout: 120_000 }, () => {
  const holder = useEnvironment();
  const userAgents = {
    laptop: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0',
    phone: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1',
    tablet: 'curl/8.5.0',
  };
  const browser = (env, name) => new ScriptedBrowser({ gatehouseUrl: env.gatehouseUrl, idpUrl: env.idpUrl, name, userAgent: userAgents[name] });
  const call = async (env, method, path, cookie, { csrf = true } = {}) => {
    const headers = { cookie: `${SESSION_COOKIE}=${cookie}` };
    if (csrf) headers['x-csrf'] = '1';
    const res = await fetch(`${env.gatehouseUrl}${path}`, { method, headers, redirect: 'manual' });
    const text = await res.text();
    return { status: res.status, text, json: () => JSON.parse(text) };
  };

  check(holder, 'a user lists their sessions and ends another device\'s, never someone else\'s', async ({ env, track }) => {
    const laptop = await track(browser(env, 'laptop')).login();
    const phoneBrowser = track(browser(env, 'phone'));
    const phone = await phoneBrowser.login();
    const tablet = await track(browser(env, 'tablet')).login();
    const bob = await track(browser(env, 'bob')).login({ user: 'bob', password: 'bob' });

    assertStatus((await call(env, 'GET', '/bff/sessions', laptop.cookie, { csrf: false })).status, 401, 'without X-CSRF');
    const listed = await call(env, 'GET', '/bff/sessions', laptop.cookie);
    assertStatus(listed.status, 200, 'GET /bff/sessions', listed.text);
    const sessions = listed.json();
    assert.equal(sessions.length, 3, listed.text);
    assert.equal(sessions.filter((s) => s.current).length, 1);
    // Each session shows the device it signed in from, its address and when it was last seen.
    assert.deepEqual(sessions.map((s) => s.device).sort(), ['Firefox 121 on Windows', 'Mobile Safari 17 on iOS', 'curl 8']);
    assert.equal(sessions.find((s) => s.current).device, 'Firefox 121 on Windows');
    for (const s of sessions) {
      assert.ok(s.id && s.created && s.renewed && s.expires, JSON.stringify(s));
      assert.match(s.address, /^(127\.0\.0\.1|::1|::ffff:127\.0\.0\.1)$/, JSON.stringify(s));
      assert.equal(s.last_seen, s.renewed, 'last seen is the throttled renewal');
      for (const secret of [laptop.cookie, phone.cookie, tablet.cookie]) assert.ok(!listed.text.includes(secret));
    }

    const bobsId = (await call(env, 'GET', '/bff/sessions', bob.cookie)).json()[0].id;
    assertStatus((await call(env, 'DELETE', `/bff/sessions/${bobsId}`, laptop.cookie)).status, 404, 'another user\'s session');
    assertStatus((await call(env, 'DELETE', '/bff/sessions/not-an-id', laptop.cookie)).status, 404, 'a made-up id');
    assertStatus((await call(env, 'DELETE', '/bff/sessions', laptop.cookie)).status, 400, 'DELETE without others=true');

    // Which listed session is the phone's? Ask from the phone itself.
    const phoneId = (await call(env, 'GET', '/bff/sessions', phone.cookie)).json().find((s) => s.current).id;
    const ended = await call(env, 'DELETE', `/bff/sessions/${phoneId}`, laptop.cookie);
    assertStatus(ended.status, 200, 'DELETE the phone session', ended.text);
    assert.equal(ended.json().ended, 1);
    assertStatus((await phoneBrowser.user({ cookie: phone.cookie })).status, 401, 'the phone right after');

    const others = await call(env, 'DELETE', '/bff/sessions?others=true', laptop.cookie);
    assertStatus(others.status, 200, 'DELETE others', others.text);
    assert.equal(others.json().ended, 1, 'only the tablet was left besides the laptop');
    assertStatus((await call(env, 'GET', '/bff/user', tablet.cookie)).status, 401, 'the tablet after "others"');
    assertStatus((await call(env, 'GET', '/bff/user', laptop.cookie)).status, 200, 'the laptop itself stays');
    assertStatus((await call(env, 'GET', '/bff/user', bob.cookie)).status, 200, 'bob is untouched');
    assertStatus((await call(env, 'PUT', '/bff/sessions', laptop.cookie)).status, 405, 'PUT');
  });
});
