// `[session] max_per_user` across two gateway processes sharing one SQLite file (each on an
// origin of its own, so a login really is created and trimmed by the instance it goes through):
// a login beyond the limit ends the user's least recently used session on both instances, other
// users are untouched (the end is audited and counted with the reason `limit`), and logins racing
// on both instances leave at most the limit once they are done, never none.
// Run: cd tests/integration && npm test
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from '../../scripts/e2e-env.mjs';
import { assertStatus } from './lib/expect.mjs';
import { check, skipReason, useEnvironment } from './lib/harness.mjs';
import { sampleSum } from './lib/metrics.mjs';
import { SESSION_COOKIE, ScriptedBrowser } from './lib/scripted-browser.mjs';

const LIMIT = 2;
const ADMIN_TOKEN = 'e2e-session-limit-admin-token-0123456789abcdef';
// Both origins are known before the IdP starts: it must accept both instances' callbacks.
const portA = await freePort();
const portB = await freePort();
const originA = `http://127.0.0.1:${portA}`;
const originB = `http://127.0.0.1:${portB}`;

async function call(origin, path, cookie) {
  const res = await fetch(`${origin}${path}`, {
    headers: { cookie: `${SESSION_COOKIE}=${cookie}`, 'x-csrf': '1' },
    redirect: 'manual', signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  return { status: res.status, text, json: () => JSON.parse(text) };
}

const alive = async (origin, cookie) => (await call(origin, '/bff/user?slide=false', cookie)).status === 200;

/** The audit events of an instance's [audit] file (relative: in the environment's folder). */
const auditEvents = (env, file) => {
  const path = join(env.tmpDir, file);
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
};

/** Polls until `find()` returns something; returns it. */
async function eventually(find, what, timeoutMs = 8000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found) return found;
    if (Date.now() > deadline) assert.fail(`${what}: not there within ${timeoutMs} ms`);
    await sleep(25);
  }
}

describe('per-user session limit on two instances (end to end)', { skip: skipReason(), timeout: 240_000 }, () => {
  const holder = useEnvironment({
    port: portA,
    idpEnv: { GATEHOUSE_ORIGIN: `${originA},${originB}` },
    gatehouseEnv: { GATEHOUSE_ADMIN_TOKEN: ADMIN_TOKEN },
    extraConfig: { session: { max_per_user: LIMIT }, audit: { file: 'audit-a.jsonl' } },
  });
  const limitEnds = (env) => sampleSum(env.gateways.map((g) => g.adminUrl), ADMIN_TOKEN, 'gatehouse_sessions_ended_total{reason="limit"}');
  const browser = (env, origin, name) => new ScriptedBrowser({ gatehouseUrl: origin, idpUrl: env.idpUrl, name });
  const signIn = async (env, origin, name, track, user = 'alice') =>
    (await track(browser(env, origin, name)).login({ user, password: user })).cookie;

  check(holder, 'a login beyond the limit ends the least recently used session, on every instance', async ({ env, track }) => {
    await env.startGateway({ port: portB, config: { server: { public_origin: originB }, audit: { file: 'audit-b.jsonl' } } });
    const bob = await signIn(env, originA, 'bob', track, 'bob');
    const first = await signIn(env, originA, 'first@A', track);
    await sleep(20);
    const second = await signIn(env, originB, 'second@B', track);
    assert.ok(await alive(originA, first) && await alive(originB, second), 'at the limit, both work');

    await sleep(20);
    const third = await signIn(env, originB, 'third@B', track);
    for (const origin of [originA, originB]) {
      assert.equal(await alive(origin, first), false, `the least recently used ended (seen on ${origin})`);
      assert.ok(await alive(origin, second), `the second stays (${origin})`);
      assert.ok(await alive(origin, third), `the new one stays (${origin})`);
    }
    assert.ok(await alive(originA, bob), 'another user is untouched');
    assert.equal(await limitEnds(env), 1, 'gatehouse_sessions_ended_total{reason="limit"} over both instances');
    const started = auditEvents(env, 'audit-a.jsonl').find((e) => e.event === 'session_started' && e.sub === 'alice');
    assert.ok(started, 'the first login of alice (on A) is audited');
    // B created the third session, so B ended the first and audits it.
    const ended = await eventually(() => auditEvents(env, 'audit-b.jsonl').find((e) => e.event === 'session_ended' && e.reason === 'limit'), 'a session_ended (limit) in B\'s audit file');
    assert.equal(ended.actor, 'gateway');
    assert.equal(ended.sub, 'alice');
    assert.equal(ended.session_id, started.session_id, 'the least recently used session is the one audited');
    assert.ok(!auditEvents(env, 'audit-a.jsonl').some((e) => e.reason === 'limit'), 'and only by the instance that ended it');
    const listed = await call(originA, '/bff/sessions', third);
    assertStatus(listed.status, 200, 'GET /bff/sessions', listed.text);
    assert.equal(listed.json().length, LIMIT, listed.text);
  });

  check(holder, 'logins racing on both instances leave at most the limit, never none', async ({ env, track }) => {
    const [a, b] = env.gateways;
    assert.ok(a && b, 'two instances (started by the first test)');
    // The provider part of each login first, then every callback (create + trim) at once.
    const racers = [originA, originB, originA, originB].map((origin, i) => ({ origin, b: track(browser(env, origin, `racer${i}@${origin}`)) }));
    const pending = [];
    for (const r of racers) {
      const start = await r.b.startLogin('?returnUrl=/');
      assert.equal(start.res.status, 302);
      pending.push({ r, callbackUrl: await r.b.authenticate(start.location, { user: 'alice', password: 'alice' }) });
    }
    const done = await Promise.all(pending.map(({ r, callbackUrl }) => r.b.callback(callbackUrl)));
    const cookies = done.map((cb) => cb.cookies.find((c) => c.name === SESSION_COOKIE && c.value)?.value);
    assert.ok(cookies.every(Boolean), 'every login got a session cookie');
    let survivors = 0;
    for (const cookie of cookies) survivors += (await alive(originA, cookie)) ? 1 : 0;
    assert.ok(survivors >= 1, 'the latest login stays');
    assert.ok(survivors <= LIMIT, `${survivors} of the racing logins survive, at most ${LIMIT}`);
    const onB = await Promise.all(cookies.map((c) => alive(originB, c)));
    assert.equal(onB.filter(Boolean).length, survivors, 'both instances see the same survivors');
    const listed = await call(originB, '/bff/sessions', cookies[onB.indexOf(true)]);
    assertStatus(listed.status, 200, 'GET /bff/sessions', listed.text);
    assert.ok(listed.json().length <= LIMIT, `alice holds ${listed.json().length} sessions once the logins are done`);
  });
});
