// Session audit events end to end: the real binary with the demo IdP, [audit] file and
// [audit] webhook (a local Node HTTP server) at once. A login, /bff/user and a logout, a
// back-channel logout and an admin revoke each leave their events in both; no token, cookie or
// admin token ever appears in them; SIGHUP after a rename (logrotate) sends the next event to a
// new file. Run: cd tests/integration && npm test
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, renameSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLIENT_ID, generateSigningJwk } from '../../scripts/e2e-env.mjs';
import { assertStatus } from './lib/expect.mjs';
import { gatehouse } from './lib/cli.mjs';
import { check, skipReason, useEnvironment } from './lib/harness.mjs';
import { JWT_LIKE, signJwt } from './lib/jwt.mjs';
import { sample, scrape } from './lib/metrics.mjs';
import { SESSION_COOKIE, ScriptedBrowser, claimMap } from './lib/scripted-browser.mjs';

const TOKEN = 'e2e-audit-admin-token-0123456789abcdef0123';
const EVENT = 'http://schemas.openid.net/event/backchannel-logout';
const POLL_MS = 8000;
const USER_AGENT = 'AuditTest/1.0 (X11; Linux x86_64)';

/** A webhook receiver: every POST body (a JSON array) and every event in arrival order. Its URL
 *  carries a credential, as such URLs often do (path and query): anything else gets a 401. */
function startReceiver() {
  const batches = [];
  const path = `/audit/${randomBytes(16).toString('hex')}?key=${randomBytes(16).toString('hex')}`;
  const server = createServer((req, res) => {
    if (req.url !== path) { res.writeHead(401).end(); return; }
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      try {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        batches.push({ method: req.method, type: req.headers['content-type'], body });
        res.writeHead(204).end();
      } catch {
        res.writeHead(400).end();
      }
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({
      url: `http://127.0.0.1:${server.address().port}${path}`,
      batches,
      events: () => batches.flatMap((b) => b.body),
      close: () => new Promise((r) => server.close(r)),
    }));
  });
}

const readEvents = (path) => (existsSync(path) ? readFileSync(path, 'utf8') : '')
  .split('\n').filter(Boolean).map((line) => JSON.parse(line));

/** Polls `read()` until an event matching `want` is there; returns it. */
async function eventually(read, want, what) {
  const deadline = Date.now() + POLL_MS;
  for (;;) {
    const found = read().find((e) => Object.entries(want).every(([k, v]) => e[k] === v));
    if (found) return found;
    if (Date.now() > deadline) assert.fail(`${what}: no event like ${JSON.stringify(want)} within ${POLL_MS} ms in\n${JSON.stringify(read(), null, 1)}`);
    await sleep(25);
  }
}

async function signIn(env, track, user) {
  const browser = track(new ScriptedBrowser({ gatehouseUrl: env.gatehouseUrl, idpUrl: env.idpUrl, name: user, userAgent: USER_AGENT }));
  const { cookie } = await browser.login({ user, password: user });
  const me = await browser.user({ cookie });
  assertStatus(me.status, 200, `${user}: GET /bff/user`, me.text);
  const claims = claimMap(me.json);
  return { browser, cookie, sub: claims.get('sub'), sid: claims.get('sid'), logoutUrl: claims.get('bff:logout_url') };
}

describe('session audit events (end to end)', { skip: skipReason(), timeout: 240_000 }, () => {
  let auditDir;
  let receiver;
  const options = { idpSigningKey: generateSigningJwk('RS256'), gatehouseEnv: { GATEHOUSE_ADMIN_TOKEN: TOKEN } };
  // Both must exist before the environment starts: its config names them.
  before(async () => {
    auditDir = await mkdtemp(join(tmpdir(), 'gatehouse-audit-'));
    receiver = await startReceiver();
    options.extraConfig = { audit: { file: join(auditDir, 'audit.jsonl'), webhook: receiver.url } };
  });
  const holder = useEnvironment(options);
  after(async () => {
    await receiver?.close();
    if (auditDir) await rm(auditDir, { recursive: true, force: true });
  });
  const auditFile = () => join(auditDir, 'audit.jsonl');
  const secrets = [TOKEN];

  check(holder, 'login, /bff/user and logout: session_started, then session_ended (logout, user)', async ({ env, track }) => {
    const alice = await signIn(env, track, 'alice');
    secrets.push(alice.cookie);
    const started = await eventually(() => readEvents(auditFile()), { event: 'session_started', sub: alice.sub }, 'alice login');
    assert.equal(started.partition, 'gatehouse-e2e');
    assert.equal(started.sid, alice.sid);
    assert.match(started.session_id, /^[A-Za-z0-9_-]{22}$/);
    assert.equal(started.client_address, '127.0.0.1');
    assert.equal(started.user_agent, USER_AGENT);
    assert.equal(started.count, 1);
    assert.match(started.time, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    for (const absent of ['reason', 'actor', 'action']) assert.ok(!(absent in started), `no ${absent} on a start`);
    // The id the user sees in GET /bff/sessions is the one in the audit log.
    const mine = await alice.browser.request(`${env.gatehouseUrl}/bff/sessions`, { headers: { 'x-csrf': '1' }, cookie: `${SESSION_COOKIE}=${alice.cookie}` });
    const listing = await mine.text();
    assertStatus(mine.status, 200, 'GET /bff/sessions', listing);
    assert.ok(JSON.parse(listing).some((s) => s.id === started.session_id), `GET /bff/sessions lists ${started.session_id}: ${listing}`);

    const out = await alice.browser.request(`${env.gatehouseUrl}${alice.logoutUrl}`, { cookie: `${SESSION_COOKIE}=${alice.cookie}` });
    await out.arrayBuffer();
    assertStatus(out.status, 302, `GET ${alice.logoutUrl}`);
    const ended = await eventually(() => readEvents(auditFile()), { event: 'session_ended', sub: alice.sub, reason: 'logout' }, 'alice logout');
    assert.equal(ended.actor, 'user');
    assert.equal(ended.session_id, started.session_id);
    assert.equal(ended.sid, alice.sid);
    assert.equal(ended.client_address, '127.0.0.1');
  });

  check(holder, 'a back-channel logout: session_ended (backchannel, provider)', async ({ env, track }) => {
    const bob = await signIn(env, track, 'bob');
    secrets.push(bob.cookie);
    const started = await eventually(() => readEvents(auditFile()), { event: 'session_started', sub: bob.sub, sid: bob.sid }, 'bob login');
    const key = env.idpSigningKey;
    const token = signJwt({ alg: key.alg, kid: key.kid, typ: 'logout+jwt' }, {
      iss: env.idpUrl, aud: CLIENT_ID, iat: Math.floor(Date.now() / 1000), jti: randomUUID(), events: { [EVENT]: {} }, sub: bob.sub, sid: bob.sid,
    }, { key });
    secrets.push(token);
    const res = await fetch(`${env.gatehouseUrl}/bff/backchannel`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ logout_token: token }).toString(), signal: AbortSignal.timeout(5000),
    });
    assertStatus(res.status, 200, 'POST /bff/backchannel', await res.text());
    const ended = await eventually(() => readEvents(auditFile()), { event: 'session_ended', sub: bob.sub, reason: 'backchannel' }, 'bob back-channel logout');
    assert.equal(ended.actor, 'provider');
    assert.equal(ended.sid, bob.sid);
    assert.equal(ended.session_id, started.session_id);
    assert.equal(ended.client_address, '127.0.0.1');
  });

  check(holder, 'an admin revoke: session_ended (admin, admin) and an admin_action', async ({ env, track }) => {
    const alice = await signIn(env, track, 'alice');
    secrets.push(alice.cookie);
    const started = await eventually(() => readEvents(auditFile()), { event: 'session_started', sub: alice.sub, sid: alice.sid }, 'alice second login');
    const res = await fetch(`${env.adminUrl}/admin/sessions?sub=${encodeURIComponent(alice.sub)}`, {
      method: 'DELETE', headers: { authorization: `Bearer ${TOKEN}`, 'user-agent': 'ops-script/2' }, signal: AbortSignal.timeout(5000),
    });
    const text = await res.text();
    assertStatus(res.status, 200, 'DELETE /admin/sessions?sub=alice', text);
    assert.equal(JSON.parse(text).revoked, 1);
    const ended = await eventually(() => readEvents(auditFile()), { event: 'session_ended', sub: alice.sub, reason: 'admin' }, 'admin revoke');
    assert.equal(ended.actor, 'admin');
    assert.equal(ended.session_id, started.session_id);
    const action = await eventually(() => readEvents(auditFile()), { event: 'admin_action', action: 'revoke', sub: alice.sub }, 'admin action');
    assert.equal(action.actor, 'admin');
    assert.equal(action.count, 1);
    assert.equal(action.client_address, '127.0.0.1');
    assert.equal(action.user_agent, 'ops-script/2');
    assertStatus((await alice.browser.user({ cookie: alice.cookie })).status, 401, 'the revoked session is over');
  });

  check(holder, 'the webhook receives the same events as JSON array batches', async () => {
    const fileEvents = readEvents(auditFile());
    const key = (e) => `${e.time}|${e.event}|${e.sub}|${e.session_id}|${e.reason}|${e.action}`;
    const deadline = Date.now() + POLL_MS;
    while (receiver.events().length < fileEvents.length && Date.now() < deadline) await sleep(50);
    assert.deepEqual(receiver.events().map(key).sort(), fileEvents.map(key).sort(), 'webhook and file carry the same events');
    assert.ok(receiver.batches.length >= 1);
    for (const b of receiver.batches) {
      assert.equal(b.method, 'POST');
      assert.match(b.type ?? '', /^application\/json/);
      assert.ok(Array.isArray(b.body) && b.body.length >= 1 && b.body.length <= 100, 'a batch is a non-empty array of at most 100');
    }
  });

  check(holder, 'nothing was dropped: both sinks\' drop counters are on /metrics, at 0', async ({ env }) => {
    const text = await scrape(env.adminUrl, TOKEN);
    for (const series of ['gatehouse_audit_file_dropped_total', 'gatehouse_audit_webhook_dropped_total']) {
      assert.equal(sample(text, series), 0, `${series} in\n${text}`);
    }
  });

  check(holder, 'no token, cookie handle or admin token in the audit log', async () => {
    const text = readFileSync(auditFile(), 'utf8');
    const sent = JSON.stringify(receiver.events());
    for (const secret of secrets) {
      assert.ok(!text.includes(secret), 'a secret value is in the audit file');
      assert.ok(!sent.includes(secret), 'a secret value reached the webhook');
    }
    assert.deepEqual(text.match(JWT_LIKE) ?? [], [], 'nothing JWT-like in the audit file');
    assert.equal(statSync(auditFile()).mode & 0o007, 0, 'the audit file is not world-readable');
  });

  check(holder, 'SIGHUP after a rename: the next event goes to a new file', async ({ env, track }) => {
    const rotated = `${auditFile()}.1`;
    renameSync(auditFile(), rotated);
    const logged = readFileSync(env.logs.gatehouse, 'utf8').length;
    env.gatehouse.child.kill('SIGHUP');
    const deadline = Date.now() + POLL_MS;
    while (!/audit file .* reopened/.test(readFileSync(env.logs.gatehouse, 'utf8').slice(logged))) {
      if (Date.now() > deadline) assert.fail('no "audit file reopened" line after SIGHUP');
      await sleep(25);
    }
    assert.ok(existsSync(auditFile()), 'a fresh audit file exists right after SIGHUP');
    const bob = await signIn(env, track, 'bob');
    secrets.push(bob.cookie);
    const fresh = await eventually(() => readEvents(auditFile()), { event: 'session_started', sub: bob.sub, sid: bob.sid }, 'login after SIGHUP');
    assert.ok(fresh);
    assert.ok(!readEvents(rotated).some((e) => e.sid === bob.sid), 'the rotated file no longer grows');
    assert.equal(env.gatehouse.child.exitCode, null, 'gatehouse still running after SIGHUP');
  });
});

async function call(env, path, cookie, { method = 'GET' } = {}) {
  const res = await fetch(`${env.gatehouseUrl}${path}`, {
    method, headers: { cookie: `${SESSION_COOKIE}=${cookie}`, 'x-csrf': '1', 'user-agent': USER_AGENT }, redirect: 'manual', signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  return { status: res.status, text, json: text ? JSON.parse(text) : undefined };
}

/** An environment whose [audit] file lives in a directory of its own (made before it starts). */
function withAuditFile(options) {
  const state = { dir: undefined, file: () => join(state.dir, 'audit.jsonl') };
  before(async () => {
    state.dir = await mkdtemp(join(tmpdir(), 'gatehouse-audit-'));
    options.extraConfig = { ...options.extraConfig, audit: { file: state.file() } };
  });
  const holder = useEnvironment(options);
  after(async () => { if (state.dir) await rm(state.dir, { recursive: true, force: true }); });
  return { holder, state };
}

describe('session audit events: refresh, refresh_failed, my sessions, the command line (end to end)', { skip: skipReason(), timeout: 240_000 }, () => {
  // Access tokens live 62 s and are refreshed 60 s before they expire: stale after 2 s.
  const { holder, state } = withAuditFile({
    api: true,
    idpEnv: { IDP_TEST_HOOKS: '1', IDP_ACCESS_TOKEN_TTL: '62' },
    extraConfig: { oidc: { refresh_margin: '60s' } },
  });
  const stale = () => sleep(2500);
  const events = () => readEvents(state.file());

  check(holder, 'a token refresh through the API proxy: session_refreshed', async ({ env, track }) => {
    const alice = await signIn(env, track, 'alice');
    const started = await eventually(events, { event: 'session_started', sid: alice.sid }, 'login');
    assertStatus((await call(env, '/api/hello', alice.cookie)).status, 200, 'first API call');
    await stale();
    assertStatus((await call(env, '/api/hello', alice.cookie)).status, 200, 'API call after a refresh');
    const refreshed = await eventually(events, { event: 'session_refreshed', sid: alice.sid }, 'refresh');
    assert.equal(refreshed.session_id, started.session_id);
    assert.equal(refreshed.sub, alice.sub);
    assert.equal(refreshed.client_address, '127.0.0.1');
    assert.equal(refreshed.user_agent, USER_AGENT);
    assert.ok(!('reason' in refreshed));
  });

  check(holder, 'a refresh token the provider refuses: session_ended (refresh_failed, provider)', async ({ env, track }) => {
    const bob = await signIn(env, track, 'bob');
    const started = await eventually(events, { event: 'session_started', sid: bob.sid }, 'login');
    await fetch(`${env.idpUrl}/__test/revoke-grants?sub=bob`, { method: 'POST' });
    await stale();
    assertStatus((await call(env, '/api/hello', bob.cookie)).status, 401, 'refresh refused');
    const ended = await eventually(events, { event: 'session_ended', sid: bob.sid }, 'refresh_failed');
    assert.equal(ended.reason, 'refresh_failed');
    assert.equal(ended.actor, 'provider');
    assert.equal(ended.session_id, started.session_id);
  });

  check(holder, 'DELETE /bff/sessions/{id}: session_ended (user, user) for exactly that session', async ({ env, track }) => {
    const laptop = await signIn(env, track, 'alice');
    const phone = await signIn(env, track, 'alice');
    const phoneStarted = await eventually(events, { event: 'session_started', sid: phone.sid }, 'second login');
    const ended = await call(env, `/bff/sessions/${phoneStarted.session_id}`, laptop.cookie, { method: 'DELETE' });
    assertStatus(ended.status, 200, 'DELETE /bff/sessions/{id}', ended.text);
    const event = await eventually(events, { event: 'session_ended', session_id: phoneStarted.session_id }, 'user ended');
    assert.equal(event.reason, 'user');
    assert.equal(event.actor, 'user');
    assert.equal(event.sid, phone.sid);
    assert.equal(event.user_agent, USER_AGENT);
    assert.ok(!events().some((e) => e.event === 'session_ended' && e.sid === laptop.sid), 'the other session did not end');
  });

  check(holder, 'gatehouse sessions revoke writes its events to the audit file', async ({ env, track }) => {
    const alice = await signIn(env, track, 'alice');
    const started = await eventually(events, { event: 'session_started', sid: alice.sid }, 'login');
    const out = await gatehouse(['sessions', 'revoke', '--sub', alice.sub, '--config', env.configPath], { cwd: env.tmpDir });
    assert.equal(out.code, 0, out.stderr);
    const action = await eventually(events, { event: 'admin_action', action: 'revoke', user_agent: `gatehouse-cli uid=${process.getuid()}` }, 'CLI revoke');
    assert.equal(action.actor, 'admin');
    assert.equal(action.sub, alice.sub);
    assert.ok(action.count >= 1);
    const ended = await eventually(events, { event: 'session_ended', session_id: started.session_id }, 'CLI revoke ended it');
    assert.equal(ended.reason, 'admin');
    assert.equal(ended.actor, 'admin');
    assertStatus((await alice.browser.user({ cookie: alice.cookie })).status, 401, 'the revoked session is over');
  });
});

describe('session audit events: expiry (end to end)', { skip: skipReason(), timeout: 120_000 }, () => {
  const { holder, state } = withAuditFile({ extraConfig: { session: { idle_timeout: '2s', renew_after: '1s', cleanup_interval: '1s' } } });

  check(holder, 'the periodic cleanup: one session_ended (expired, cleanup) per session, naming it', async ({ env, track }) => {
    const events = () => readEvents(state.file());
    const users = [await signIn(env, track, 'alice'), await signIn(env, track, 'bob')];
    const started = [];
    for (const u of users) started.push(await eventually(events, { event: 'session_started', sid: u.sid }, `${u.sub}: login`));
    // Nobody uses the sessions again: they expire (idle 2 s) and the cleanup (every 1 s) removes them.
    for (const [i, u] of users.entries()) {
      const ended = await eventually(events, { event: 'session_ended', session_id: started[i].session_id }, `${u.sub}: cleanup`);
      assert.equal(ended.reason, 'expired');
      assert.equal(ended.actor, 'cleanup');
      assert.equal(ended.sub, u.sub);
      assert.equal(ended.sid, u.sid);
      assert.equal(ended.count, 1);
      assert.ok(!('client_address' in ended), 'no request caused it');
    }
    const byCleanup = events().filter((e) => e.event === 'session_ended' && e.actor === 'cleanup');
    assert.ok(byCleanup.every((e) => e.sub && e.session_id && e.count === 1), `every cleanup event names its session:\n${JSON.stringify(byCleanup, null, 1)}`);
    for (const s of started) {
      assert.equal(events().filter((e) => e.event === 'session_ended' && e.session_id === s.session_id).length, 1, `one end for ${s.session_id}`);
    }
  });
});
