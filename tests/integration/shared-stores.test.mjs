// Several gateway instances on one shared store, PostgreSQL and Redis, each a real server started
// on loopback (scripts/e2e-stores.mjs): a session made on one instance works on the others and
// ends everywhere at once; back-channel logouts and their replay records are shared; expired
// sessions are cleaned up once, not once per instance; a store killed under load costs 503s
// with Retry-After (never a logout) and everything resumes when it is back; sessions move there
// from SQLite with export/import. Run: cd tests/integration && npm test
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLIENT_ID, generateSigningJwk, startEnvironment, toToml } from '../../scripts/e2e-env.mjs';
import { assertStatus } from './lib/expect.mjs';
import { gatehouse } from './lib/cli.mjs';
import { check, skipReason, useEnvironment } from './lib/harness.mjs';
import { signJwt } from './lib/jwt.mjs';
import { SESSION_COOKIE, ScriptedBrowser, claimMap } from './lib/scripted-browser.mjs';

const STORES = ['postgres', 'redis'];
const STORE_TIMEOUT_MS = 2000; // postgres_timeout / redis_timeout in the generated config
const EVENT = 'http://schemas.openid.net/event/backchannel-logout';

async function call(base, path, { cookie, method = 'GET', csrf = true, timeoutMs = 10_000 } = {}) {
  const headers = {};
  if (cookie) headers.cookie = `${SESSION_COOKIE}=${cookie}`;
  if (csrf) headers['x-csrf'] = '1';
  const started = Date.now();
  const res = await fetch(`${base}${path}`, { method, headers, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { /* asserted by callers */ }
  return { status: res.status, headers: res.headers, text, json, ms: Date.now() - started };
}

async function signIn(env, track, user = 'alice', name = user) {
  const browser = track(new ScriptedBrowser({ gatehouseUrl: env.gatehouseUrl, idpUrl: env.idpUrl, name }));
  const { cookie } = await browser.login({ user, password: user });
  const me = await call(env.gatehouseUrl, '/bff/user', { cookie });
  assertStatus(me.status, 200, `${name}: /bff/user after login`, me.text);
  const claims = claimMap(me.json);
  return { cookie, sub: claims.get('sub'), sid: claims.get('sid'), name };
}

function logoutToken(env, { sub, sid }, jti = randomUUID()) {
  const header = { alg: env.idpSigningKey.alg, kid: env.idpSigningKey.kid, typ: 'logout+jwt' };
  const claims = { iss: env.idpUrl, aud: CLIENT_ID, iat: Math.floor(Date.now() / 1000), jti, events: { [EVENT]: {} }, sub, sid };
  return signJwt(header, claims, { key: env.idpSigningKey });
}

async function backchannel(base, token) {
  const res = await fetch(`${base}/bff/backchannel`, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ logout_token: token }).toString(), signal: AbortSignal.timeout(10_000),
  });
  return { status: res.status, text: await res.text() };
}

async function eventually(what, probe, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await probe();
    if (last === true) return;
    if (Date.now() > deadline) assert.fail(`${what} did not happen within ${timeoutMs} ms (last: ${JSON.stringify(last)})`);
    await sleep(200);
  }
}

const cli = (args, cwd) => gatehouse(args, { cwd, timeoutMs: 120_000, env: { PATH: process.env.PATH } });

/** Sum of "session cleanup removed N expired sessions" over the logs. */
function cleanedUp(logFiles) {
  let total = 0;
  for (const f of logFiles) {
    for (const m of readFileSync(f, 'utf8').matchAll(/session cleanup removed (\d+) expired sessions/g)) total += Number(m[1]);
  }
  return total;
}

for (const store of STORES) {
  describe(`two instances on one ${store} store (end to end)`, { skip: skipReason(), timeout: 240_000 }, () => {
    const holder = useEnvironment({ store, gateways: 2, idpSigningKey: generateSigningJwk() });

    check(holder, 'a session made on one instance works on the other, and ending it there ends it everywhere', async ({ env, track }) => {
      const [a, b] = env.gateways.map((g) => g.url);
      const s = await signIn(env, track);
      const onB = await call(b, '/bff/user', { cookie: s.cookie });
      assertStatus(onB.status, 200, 'the other instance knows the session', onB.text);
      assert.equal(claimMap(onB.json).get('sub'), s.sub);
      const listed = await call(b, '/bff/sessions', { cookie: s.cookie });
      assertStatus(listed.status, 200, 'GET /bff/sessions on B', listed.text);
      const mine = listed.json.find((x) => x.current);
      assert.ok(mine, listed.text);
      const other = await signIn(env, track, 'alice', 'alice-phone');
      const ended = await call(b, `/bff/sessions/${mine.id}`, { cookie: other.cookie, method: 'DELETE' });
      assertStatus(ended.status, 200, 'ending the first device from the second, on B', ended.text);
      assert.equal(ended.json.ended, 1, ended.text);
      assertStatus((await call(a, '/bff/user', { cookie: s.cookie })).status, 401, 'ended on A too');
      assertStatus((await call(a, '/bff/user', { cookie: other.cookie })).status, 200, 'the second device still works on A');
    });

    check(holder, 'a back-channel logout posted to one instance ends the session on the other, and its jti is refused on both', async ({ env, track }) => {
      const [a, b] = env.gateways.map((g) => g.url);
      const s = await signIn(env, track, 'bob');
      const jti = randomUUID();
      const token = logoutToken(env, s, jti);
      assertStatus((await backchannel(b, token)).status, 200, 'logout token on B');
      assertStatus((await call(a, '/bff/user', { cookie: s.cookie })).status, 401, 'the session ended on A');
      const replayed = await backchannel(a, logoutToken(env, s, jti));
      assertStatus(replayed.status, 400, 'the same jti on A is a replay', replayed.text);
      assertStatus((await backchannel(b, token)).status, 400, 'and on B');
    });

    check(holder, `the store killed under load: 503 + Retry-After within the store timeout, no logout, a queued back-channel logout, /readyz 503; then everything resumes`, async ({ env, track }) => {
      const [a, b] = env.gateways.map((g) => g.url);
      const keep = await signIn(env, track, 'alice', 'survivor');
      const doomed = await signIn(env, track, 'bob', 'doomed');
      let stop = false;
      const answers = [];
      const load = Array.from({ length: 4 }, (_, i) => (async () => {
        while (!stop) {
          try {
            answers.push(await call(i % 2 ? a : b, '/bff/user', { cookie: keep.cookie }));
          } catch (err) {
            answers.push({ status: 'error', text: err.message, headers: new Headers(), ms: 0 });
          }
        }
      })());
      await sleep(300);
      await env.storeServer.kill();
      const killedAt = Date.now();
      let down;
      try {
        await eventually('a 503 for a signed-in user', async () => {
          const r = await call(a, '/bff/user', { cookie: keep.cookie });
          down = r;
          return r.status === 503 || r.status;
        }, 15_000);
        assert.ok(down.headers.get('retry-after'), 'Retry-After on the 503');
        assert.deepEqual(down.headers.getSetCookie(), [], 'the cookie is not cleared');
        assert.ok(down.ms <= STORE_TIMEOUT_MS + 1500, `answered within the store timeout (took ${down.ms} ms)`);
        const ready = await call(b, '/readyz', { csrf: false });
        assertStatus(ready.status, 503, '/readyz while the store is down', ready.text);
        // Refused (the jti cannot be kept) but queued on the instance, applied once the store is back.
        const queued = await backchannel(b, logoutToken(env, doomed));
        assertStatus(queued.status, 400, 'back-channel logout while the store is down', queued.text);
        await sleep(500);
      } finally {
        await env.storeServer.start();
      }
      const downFor = Date.now() - killedAt;
      await eventually('/readyz 200 on both', async () => (await call(a, '/readyz', { csrf: false })).status === 200
        && (await call(b, '/readyz', { csrf: false })).status === 200, 20_000);
      await sleep(300);
      stop = true;
      await Promise.all(load);
      const statuses = new Map();
      for (const r of answers) statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      const summary = JSON.stringify(Object.fromEntries(statuses));
      assert.ok(answers.every((r) => r.status === 200 || r.status === 503), `only 200s and 503s under load: ${summary}`);
      assert.ok(answers.every((r) => r.headers.getSetCookie().length === 0 || r.status === 200), `no cookie cleared: ${summary}`);
      assert.ok(answers.filter((r) => r.status === 503).every((r) => r.ms <= STORE_TIMEOUT_MS + 1500),
        `every 503 within the store timeout: ${JSON.stringify(answers.filter((r) => r.status === 503).map((r) => r.ms))}`);
      assert.ok(statuses.get(503) > 0, `the outage (${downFor} ms) was seen: ${summary}`);
      assertStatus((await call(a, '/bff/user', { cookie: keep.cookie })).status, 200, 'the session survived the kill -9');
      await eventually('the queued back-channel logout applied', async () => {
        const r = await call(a, '/bff/user', { cookie: doomed.cookie });
        return r.status === 401 || r.status;
      });
    });
  });

  describe(`expired sessions on a shared ${store} store are cleaned up once (end to end)`, { skip: skipReason(), timeout: 120_000 }, () => {
    const holder = useEnvironment({
      store, gateways: 2,
      extraConfig: { session: { idle_timeout: '3s', renew_after: '1s', cleanup_interval: '1s' } },
    });

    check(holder, 'three sessions expire: the instances together report three removals', async ({ env, track }) => {
      for (const [user, name] of [['alice', 'a1'], ['bob', 'b1'], ['alice', 'a2']]) await signIn(env, track, user, name);
      const logs = env.gateways.map((g) => g.logFile);
      const before = cleanedUp(logs);
      await eventually('three removals', () => cleanedUp(logs) - before >= 3 || cleanedUp(logs) - before, 30_000);
      await sleep(3000); // a few more rounds on both instances
      assert.equal(cleanedUp(logs) - before, 3, 'each expired session removed (and counted) once');
    });
  });

  describe(`sessions moved from SQLite to ${store} with export/import (end to end)`, { skip: skipReason(), timeout: 240_000 }, () => {
    const holder = useEnvironment();

    check(holder, '10,000 sessions move over and the real ones keep working through a gateway on the new store', async ({ env, track }) => {
      const users = [await signIn(env, track, 'alice'), await signIn(env, track, 'bob')];
      const file = join(env.tmpDir, `sessions-${store}.jsonl`);
      const exported = await cli(['sessions', 'export', '--config', env.configPath, '--out', file], env.tmpDir);
      assert.equal(exported.code, 0, exported.stderr);
      const [header, ...lines] = (await readFile(file, 'utf8')).trim().split('\n');
      assert.ok(lines.length >= 2, 'both sessions exported');
      // Pad to 10,000 with copies under keys and ids of their own (never usable: no cookie maps to them).
      const template = JSON.parse(lines[0]);
      const padded = [...lines];
      for (let i = padded.length; i < 10_000; ++i) {
        padded.push(JSON.stringify({ ...template, key: `padding-${i}-${randomUUID()}`, subject_id: `load-${i}`, session_id: `sid-${i}` }));
      }
      await writeFile(file, `${header}\n${padded.join('\n')}\n`, { mode: 0o600 });

      const { startStore } = await import('../../scripts/e2e-stores.mjs');
      const { server, session } = await startStore(store, env.tmpDir);
      try {
        const target = join(env.tmpDir, `${store}.toml`);
        const config = structuredClone(env.config);
        Object.assign(config.session, session);
        delete config.session.sqlite_path;
        await writeFile(target, toToml(config), { mode: 0o600 });
        const started = Date.now();
        const imported = await cli(['sessions', 'import', '--config', target, '--in', file], env.tmpDir);
        assert.equal(imported.code, 0, imported.stderr);
        assert.match(imported.stderr, /imported 10000 session\(s\), 0 already there, 0 failed/);
        console.log(`# ${store}: imported 10,000 sessions in ${Date.now() - started} ms`);
        const listed = await cli(['sessions', 'list', '--config', target, '--format', 'json'], env.tmpDir);
        assert.equal(listed.code, 0, listed.stderr);
        assert.equal(JSON.parse(listed.stdout).length, 10_000, 'the new store lists all of them');
        const gateway = await env.startGateway({ config: { session: { ...session, sqlite_path: null } } });
        for (const u of users) assertStatus((await call(gateway.url, '/bff/user', { cookie: u.cookie })).status, 200, `${u.name} on the ${store} store`);
        const again = await cli(['sessions', 'import', '--config', target, '--in', file], env.tmpDir);
        assert.match(again.stderr, /imported 0 session\(s\), 10000 already there/, 'a second import keeps what is there');
      } finally {
        await server.stop();
      }
    });
  });
}

describe('gatehouse migrate (end to end)', { skip: skipReason(), timeout: 120_000 }, () => {
  check({ env: undefined }, 'creates the PostgreSQL schema that serve with postgres_auto_migrate = false requires', async () => {
    const { startPostgres } = await import('../../scripts/e2e-stores.mjs');
    const pg = await startPostgres();
    let env;
    try {
      const base = { session: { store: 'postgres', postgres_url: pg.url, postgres_auto_migrate: false } };
      await assert.rejects(startEnvironment({ extraConfig: base }), /run `gatehouse migrate`/, 'serve refuses a missing schema');
      env = await startEnvironment({ extraConfig: { session: { store: 'sqlite' } } });
      const file = join(env.tmpDir, 'pg.toml');
      const config = structuredClone(env.config);
      Object.assign(config.session, base.session);
      await writeFile(file, toToml(config), { mode: 0o600 });
      const first = await cli(['migrate', '--config', file], env.tmpDir);
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stdout, /schema "gatehouse" .*version 1/);
      const again = await cli(['migrate', '--config', file], env.tmpDir);
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stdout, /already at version 1/);
      assert.ok(!`${first.stdout}${first.stderr}`.includes(pg.url), 'the URL is not printed');
      const gateway = await env.startGateway({ config: base });
      assertStatus((await call(gateway.url, '/readyz', { csrf: false })).status, 200, 'serve on the migrated schema');
      const unreachable = structuredClone(config);
      unreachable.session.postgres_url = 'postgresql://postgres:pw-not-shown@127.0.0.1:1/gatehouse';
      unreachable.session.postgres_timeout = '1s';
      await writeFile(file, toToml(unreachable), { mode: 0o600 });
      const failed = await cli(['migrate', '--config', file], env.tmpDir);
      assert.notEqual(failed.code, 0);
      assert.match(failed.stderr, /gatehouse migrate: /);
      assert.ok(!failed.stderr.includes('pw-not-shown'), failed.stderr);
    } finally {
      await env?.stop();
      await pg.stop();
    }
  });
});
