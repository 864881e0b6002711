// Live key reload: two gateway processes sharing one SQLite file and one key ring file, each on
// an origin of its own (logins really are sealed by the instance they go through). `gatehouse
// keys rotate` while sessions are in use reaches both without a restart (a new login through B
// is sealed with the new kid, the old session keeps working on both); `gatehouse keys retire`
// ends the old key's sessions on both (401); a broken file written over the ring, and a SIGHUP
// on it, keep both serving. Run: cd tests/integration && npm test
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { chmod, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { API_AUDIENCE, freePort } from '../../scripts/e2e-env.mjs';
import { assertStatus } from './lib/expect.mjs';
import { gatehouse } from './lib/cli.mjs';
import { check, skipReason, useEnvironment } from './lib/harness.mjs';
import { SESSION_COOKIE, ScriptedBrowser } from './lib/scripted-browser.mjs';

// Both origins are known before the IdP starts: it must accept both instances' callbacks.
const portA = await freePort();
const portB = await freePort();
const originA = `http://127.0.0.1:${portA}`;
const originB = `http://127.0.0.1:${portB}`;

const cli = (args, cwd) => gatehouse(args, { cwd, timeoutMs: 60_000, env: { PATH: process.env.PATH } });

async function user(base, cookie) {
  const res = await fetch(`${base}/bff/user`, {
    headers: { cookie: `${SESSION_COOKIE}=${cookie}`, 'x-csrf': '1' },
    redirect: 'manual', signal: AbortSignal.timeout(10_000),
  });
  return { status: res.status, text: await res.text() };
}

async function signIn(env, origin, who, track) {
  const browser = track(new ScriptedBrowser({ gatehouseUrl: origin, idpUrl: env.idpUrl, name: `${who}@${origin}` }));
  const { cookie } = await browser.login({ user: who, password: who });
  assertStatus((await user(origin, cookie)).status, 200, `${who}: /bff/user after login on ${origin}`);
  return cookie;
}

async function eventually(what, probe, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await probe();
    if (last === true) return;
    if (Date.now() > deadline) assert.fail(`${what} did not happen within ${timeoutMs} ms (last: ${JSON.stringify(last)})`);
    await sleep(100);
  }
}

const logOf = (gateway) => readFileSync(gateway.logFile, 'utf8');

/** subject -> the kid in its stored ticket's envelope header (0x01 | kid length | kid | ...). */
async function storedKids(env) {
  const out = await cli(['sessions', 'export', '--config', env.configPath], env.tmpDir);
  assert.equal(out.code, 0, out.stderr);
  const kids = new Map();
  for (const line of out.stdout.trim().split('\n').slice(1)) {
    const s = JSON.parse(line);
    const sealed = Buffer.from(s.ticket, 'base64url');
    kids.set(s.subject_id, sealed.subarray(2, 2 + sealed[1]).toString('latin1'));
  }
  return kids;
}

/** Requests /bff/user through both instances in turn until stopped; collects what was not 200. */
function traffic(origins, cookie) {
  const state = { running: true, requests: 0, failures: [] };
  state.done = (async () => {
    for (let i = 0; state.running; ++i) {
      const origin = origins[i % origins.length];
      const r = await user(origin, cookie).catch((e) => ({ status: String(e) }));
      ++state.requests;
      if (r.status !== 200) state.failures.push(`${origin}: ${r.status}`);
    }
  })();
  state.stop = async () => { state.running = false; await state.done; return state; };
  return state;
}

describe('live key reload on two instances (end to end)', { skip: skipReason(), timeout: 240_000 }, () => {
  const holder = useEnvironment({ port: portA, idpEnv: { GATEHOUSE_ORIGIN: `${originA},${originB}` } });
  const shared = {};

  check(holder, 'keys rotate reaches both running instances while a session is in use', async ({ env, track }) => {
    const b = await env.startGateway({ port: portB, config: { server: { public_origin: originB } } });
    const [a] = env.gateways;
    shared.a = a;
    shared.b = b;
    shared.alice = await signIn(env, originA, 'alice', track);
    assertStatus((await user(originB, shared.alice)).status, 200, 'the session made on A works on B');
    shared.oldKid = (await storedKids(env)).get('alice');
    assert.ok(shared.oldKid, 'the stored ticket names its kid');

    const load = traffic([originA, originB], shared.alice);
    await sleep(200);
    const rotated = await cli(['keys', 'rotate', '--config', env.configPath], env.tmpDir);
    assert.equal(rotated.code, 0, rotated.stderr);
    const newKid = /sealed with key (\S+);/.exec(rotated.stdout)?.[1];
    assert.ok(newKid && newKid !== shared.oldKid, rotated.stdout);
    assert.match(rotated.stdout, /re-read the file/);
    shared.newKid = newKid;
    for (const g of [a, b]) {
      await eventually(`${g.url} reloads the ring`, () =>
        new RegExp(`key ring reloaded from .*: active key ${newKid}, 2 key\\(s\\); added ${newKid}`).test(logOf(g)) || logOf(g).split('\n').slice(-3));
    }
    await sleep(300);
    const flowed = await load.stop();
    assert.deepEqual(flowed.failures, [], `every request during the rotation was served (${flowed.requests} requests)`);
    assert.ok(flowed.requests >= 4, `requests flowed (${flowed.requests})`);

    shared.bob = await signIn(env, originB, 'bob', track);
    const kids = await storedKids(env);
    assert.equal(kids.get('bob'), newKid, 'a login through B is sealed with the new key');
    assert.equal(kids.get('alice'), shared.oldKid, 'the older session keeps its sealing');
    for (const origin of [originA, originB]) {
      assertStatus((await user(origin, shared.alice)).status, 200, `the old session still works on ${origin}`);
      assertStatus((await user(origin, shared.bob)).status, 200, `the new session works on ${origin}`);
    }
  });

  check(holder, 'keys retire ends the old key\'s sessions on both instances without a restart', async ({ env }) => {
    assert.ok(shared.newKid, 'runs after the rotation test');
    const active = await cli(['keys', 'retire', shared.newKid, '--config', env.configPath], env.tmpDir);
    assert.equal(active.code, 2, 'the active key cannot be retired');
    assert.match(active.stderr, /is the active key.*rotate first/);
    const unknown = await cli(['keys', 'retire', 'no-such-kid', '--config', env.configPath], env.tmpDir);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, new RegExp(`no key no-such-kid in .*\\(its keys: ${shared.oldKid}, ${shared.newKid}\\)`));

    const retired = await cli(['keys', 'retire', shared.oldKid, '--config', env.configPath], env.tmpDir);
    assert.equal(retired.code, 0, retired.stderr);
    assert.match(retired.stdout, new RegExp(`retired key ${shared.oldKid}: sessions sealed with it have ended`));
    for (const g of [shared.a, shared.b]) {
      await eventually(`${g.url} drops the retired key`, () =>
        new RegExp(`retired ${shared.oldKid} \\(sessions sealed with them end\\)`).test(logOf(g)) || logOf(g).split('\n').slice(-3));
    }
    for (const origin of [originA, originB]) {
      assertStatus((await user(origin, shared.alice)).status, 401, `the old key's session ended on ${origin}`);
      assertStatus((await user(origin, shared.bob)).status, 200, `the new key's session lives on ${origin}`);
    }
    const listed = await cli(['keys', 'list', '--config', env.configPath], env.tmpDir);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, new RegExp(`^${shared.newKid} +\\S+Z +yes$`, 'm'));
    assert.ok(!listed.stdout.includes(shared.oldKid), listed.stdout);
    assert.match(listed.stdout, /^1 key\(s\)$/m);
  });

  check(holder, 'a broken key file written over the ring keeps both instances serving', async ({ env, track }) => {
    assert.ok(shared.bob, 'runs after the rotation test');
    const file = join(env.tmpDir, 'keys.json');
    const good = await readFile(file, 'utf8');
    const warnings = (g) => (logOf(g).match(/key ring not reloaded/g) ?? []).length;
    const before = [shared.a, shared.b].map(warnings);

    await writeFile(file, '{"version":1,"active":', { mode: 0o600 }); // in place, truncated
    for (const [i, g] of [shared.a, shared.b].entries()) {
      await eventually(`${g.url} refuses the broken file`, () => warnings(g) > before[i] || logOf(g).split('\n').slice(-3));
      assert.match(logOf(g), /key ring not reloaded, keeping the current one \(active key \S+, 1 key\(s\)\): key ring file .* is corrupt: not valid JSON/);
    }
    for (const origin of [originA, originB])
      assertStatus((await user(origin, shared.bob)).status, 200, `still serving on ${origin}`);
    // A login now is sealed with the ring kept in memory, and opens on the other instance.
    const again = await signIn(env, originA, 'alice', track);
    assertStatus((await user(originB, again)).status, 200, 'a login during the outage works on B');

    // SIGHUP on the broken file: refused again, still serving.
    const beforeHup = warnings(shared.b);
    shared.b.gatehouse.child.kill('SIGHUP');
    await eventually('SIGHUP re-reads the file on B', () => warnings(shared.b) > beforeHup || logOf(shared.b).split('\n').slice(-3));
    assert.match(logOf(shared.b), /SIGHUP: reloading/);
    assertStatus((await user(originB, shared.bob)).status, 200, 'B still serves after the SIGHUP');

    // World-readable: refused too (and said why).
    await writeFile(file, good, { mode: 0o600 });
    await chmod(file, 0o644);
    await eventually('A refuses the readable file', () => /has mode 0644 and is accessible by group or others/.test(logOf(shared.a)) || logOf(shared.a).split('\n').slice(-3));
    assertStatus((await user(originA, shared.bob)).status, 200, 'A still serves');

    // The good ring back, atomically: nothing changed, nobody was logged out.
    await writeFile(`${file}.new`, good, { mode: 0o600 });
    await rename(`${file}.new`, file);
    await sleep(500);
    for (const origin of [originA, originB]) {
      assertStatus((await user(origin, shared.bob)).status, 200, `bob on ${origin}`);
      assertStatus((await user(origin, again)).status, 200, `the login made during the outage, on ${origin}`);
    }
    for (const g of [shared.a, shared.b])
      assert.equal(g.gatehouse.child.exitCode, null, `${g.url} kept running: no restart at any point`);
    // No key material in any log line.
    const ring = JSON.parse(good);
    const secrets = [...ring.keys.map((k) => k.key), ring.dpop?.key].filter(Boolean);
    for (const g of [shared.a, shared.b]) {
      const text = logOf(g);
      for (const s of secrets) assert.ok(!text.includes(s), `${g.url}: key material in the log`);
    }
  });
});

// DPoP: a rotation replaces the DPoP key, and the running gateway signs every later proof with the
// new one. Its cached client-credentials token is bound to the old key, so it is fetched again
// (the sample API checks the binding: an old-bound token with a new-key proof would be a 401).
describe('live key reload with DPoP-bound tokens (end to end)', { skip: skipReason(), timeout: 240_000 }, () => {
  const holder = useEnvironment({
    api: { API_DPOP_NONCE: '1' },
    extraConfig: { oidc: { dpop: true } },
    apiRoutes: ({ apiUrl }) => [
      { path: '/api', upstream: `${apiUrl}/api`, token: 'user', audience: API_AUDIENCE },
      { path: '/service', upstream: `${apiUrl}/api`, token: 'client', scopes: ['api.read'], audience: API_AUDIENCE },
    ],
  });

  const service = async (env) => {
    const res = await fetch(`${env.gatehouseUrl}/service/hello`, { headers: { 'x-csrf': '1' }, signal: AbortSignal.timeout(10_000) });
    const text = await res.text();
    assertStatus(res.status, 200, 'the client-credentials route', text);
    return JSON.parse(text);
  };

  check(holder, 'after keys rotate new proofs use the new DPoP key and the client token is bound to it', async ({ env, track }) => {
    const first = await service(env);
    assert.equal(first.dpop, true, 'a DPoP-bound client token');
    assert.equal((await service(env)).token_id, first.token_id, 'cached');

    const rotated = await cli(['keys', 'rotate', '--config', env.configPath], env.tmpDir);
    assert.equal(rotated.code, 0, rotated.stderr);
    await eventually('the gateway takes the new DPoP key', () =>
      /key ring reloaded from .*; new DPoP key/.test(logOf(env.gateways[0])) || logOf(env.gateways[0]).split('\n').slice(-3));

    const after = await service(env);
    assert.equal(after.dpop, true);
    assert.notEqual(after.token_id, first.token_id, 'fetched again, bound to the new key');
    assert.equal((await service(env)).token_id, after.token_id, 'and cached again');

    // A login now gets a user token bound to the new key, which the API accepts.
    const cookie = await signIn(env, env.gatehouseUrl, 'alice', track);
    const res = await fetch(`${env.gatehouseUrl}/api/hello`, {
      headers: { cookie: `${SESSION_COOKIE}=${cookie}`, 'x-csrf': '1' }, signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    assertStatus(res.status, 200, 'a user call after the rotation', text);
    assert.equal(JSON.parse(text).dpop, true);
  });
});
