// Logs and metrics of one full flow: with `[log] level = "trace"` and `format = "json"`, a login
// through the dev IdP, /bff/user, an [[api]] call, the admin API, GET /metrics (admin listener
// and the unauthenticated [metrics] listener), a back-channel logout and a logout. Then:
// every log line is one JSON object; no secret the run used or saw appears in any line (the
// session cookie, the flow cookies, the authorization code, the client secret, the admin token,
// the logout token, any JWT at all: access, ID and logout tokens are JWTs); the request id is
// echoed, forwarded upstream and on the request's log line. Run: cd tests/integration && npm test
// (`make test-node` also checks every log of the whole run for every secret the run recorded:
// scripts/check-log-secrets.mjs.)
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { CLIENT_ID, CLIENT_SECRET, freePort, generateSigningJwk, startEnvironment } from '../../scripts/e2e-env.mjs';
import { assertStatus } from './lib/expect.mjs';
import { skipReason } from './lib/harness.mjs';
import { JWT_LIKE, signJwt } from './lib/jwt.mjs';
import { sample } from './lib/metrics.mjs';
import { SESSION_COOKIE, ScriptedBrowser, claimMap } from './lib/scripted-browser.mjs';

const ADMIN_TOKEN = randomBytes(24).toString('hex');
const EVENT = 'http://schemas.openid.net/event/backchannel-logout';
const PROMETHEUS = 'text/plain; version=0.0.4; charset=utf-8';

/** fetch bounded at 10 s; a request that gets no answer fails naming its URL, with the
 *  gateway's threads' stacks (gdb, when installed) and the logs' tails: a hang is a bug to see. */
async function boundedFetch(env, url, options = {}) {
  try {
    return await fetch(url, { ...options, signal: AbortSignal.timeout(10_000) });
  } catch (err) {
    if (err.name !== 'TimeoutError') throw err;
    let stacks = '(no gdb)';
    try {
      stacks = execFileSync('gdb', ['-p', String(env.gatehouse.child.pid), '-batch', '-ex', 'thread apply all bt'],
        { encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (gdbErr) {
      stacks = `(gdb failed: ${gdbErr.message})`;
    }
    throw new Error(`no answer within 10 s: ${options.method ?? 'GET'} ${url}\n--- gateway threads ---\n${stacks}\n${env.diagnostics()}`);
  }
}

describe('logs hold no secret; metrics and request ids', { skip: skipReason(), timeout: 180_000 }, () => {
  let env;
  let metricsPort;
  const secrets = new Map([['client secret', CLIENT_SECRET], ['admin token', ADMIN_TOKEN]]);

  before(async () => {
    metricsPort = await freePort();
    env = await startEnvironment({
      api: true,
      idpSigningKey: generateSigningJwk(),
      extraConfig: { metrics: { listen: `127.0.0.1:${metricsPort}` } },
      gatehouseEnv: { GATEHOUSE_ADMIN_TOKEN: ADMIN_TOKEN, GATEHOUSE_LOG_LEVEL: 'trace', GATEHOUSE_LOG_FORMAT: 'json' },
    });
  });
  after(async () => {
    if (env) await env.stop();
  });

  test('a full flow, then the logs', async () => {
    const browser = new ScriptedBrowser({ gatehouseUrl: env.gatehouseUrl, idpUrl: env.idpUrl, name: 'alice' });
    const { cookie, callbackUrl, start } = await browser.login({ user: 'alice', password: 'alice' });
    secrets.set('session cookie', cookie);
    for (const flow of start.flowCookies) secrets.set(`flow cookie ${flow.name}`, flow.value);
    const code = callbackUrl.searchParams.get('code');
    assert.ok(code, `the callback carries a code: ${callbackUrl}`);
    secrets.set('authorization code', code);

    // The request id: a sane one is kept and echoed, an insane one replaced.
    const me = await browser.request(`${env.gatehouseUrl}/bff/user`, { headers: { 'x-csrf': '1', 'x-request-id': 'log-secrets-user-1' } });
    const meText = await me.text();
    assertStatus(me.status, 200, 'GET /bff/user', meText);
    assert.equal(me.headers.get('x-request-id'), 'log-secrets-user-1');
    const sid = claimMap(JSON.parse(meText)).get('sid');
    const odd = await boundedFetch(env, `${env.gatehouseUrl}/healthz`, { headers: { 'x-request-id': 'has space' } });
    await odd.arrayBuffer();
    assert.match(odd.headers.get('x-request-id') ?? '', /^[0-9a-f]{32}$/);

    // An [[api]] call: the request id goes upstream too.
    const api = await browser.request(`${env.gatehouseUrl}/api/headers`, { headers: { 'x-csrf': '1', 'x-request-id': 'log-secrets-api-1' } });
    const apiText = await api.text();
    assertStatus(api.status, 200, 'GET /api/headers through the gateway', apiText);
    assert.equal(api.headers.get('x-request-id'), 'log-secrets-api-1');
    assert.equal(JSON.parse(apiText).headers['x-request-id'], 'log-secrets-api-1', 'forwarded to the upstream');

    // The admin API and its /metrics, behind the token.
    const bearer = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const listed = await boundedFetch(env, `${env.adminUrl}/admin/sessions?sub=alice`, { headers: bearer });
    assertStatus(listed.status, 200, 'GET /admin/sessions', await listed.text());
    const refused = await boundedFetch(env, `${env.adminUrl}/metrics`);
    await refused.arrayBuffer();
    assert.equal(refused.status, 401, '/metrics on the admin listener needs the token');

    // A second session of alice ends by back-channel logout (a token signed with the IdP's key).
    const other = new ScriptedBrowser({ gatehouseUrl: env.gatehouseUrl, idpUrl: env.idpUrl, name: 'alice-2' });
    const second = await other.login({ user: 'alice', password: 'alice' });
    secrets.set('second session cookie', second.cookie);
    const secondSid = claimMap((await other.user({ cookie: second.cookie })).json).get('sid');
    const key = env.idpSigningKey;
    const logoutToken = signJwt({ alg: key.alg, kid: key.kid, typ: 'logout+jwt' }, {
      iss: env.idpUrl, aud: CLIENT_ID, iat: Math.floor(Date.now() / 1000), jti: randomUUID(), events: { [EVENT]: {} }, sid: secondSid,
    }, { key });
    secrets.set('logout token', logoutToken);
    const bc = await boundedFetch(env, `${env.gatehouseUrl}/bff/backchannel`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ logout_token: logoutToken }).toString(),
    });
    assertStatus(bc.status, 200, 'POST /bff/backchannel', await bc.text());
    assert.equal((await other.user({ cookie: second.cookie })).status, 401, 'the back-channel logout ended the second session');

    // The metrics, on the admin listener and on the one of their own (no auth, /metrics only).
    const scraped = await boundedFetch(env, `${env.adminUrl}/metrics`, { headers: bearer });
    const text = await scraped.text();
    assertStatus(scraped.status, 200, 'GET /metrics on the admin listener', text);
    assert.equal(scraped.headers.get('content-type'), PROMETHEUS);
    const open = await boundedFetch(env, `http://127.0.0.1:${metricsPort}/metrics`);
    const openText = await open.text();
    assertStatus(open.status, 200, 'GET /metrics on [metrics] listen', openText);
    assert.equal(open.headers.get('content-type'), PROMETHEUS);
    const elsewhere = await boundedFetch(env, `http://127.0.0.1:${metricsPort}/admin/sessions`, { headers: bearer });
    await elsewhere.arrayBuffer();
    assert.equal(elsewhere.status, 404, 'the metrics listener serves /metrics only');
    assert.ok(sample(text, 'gatehouse_http_requests_total{route="bff",code="200"}') >= 2, text);
    assert.ok(sample(text, 'gatehouse_http_requests_total{route="api",code="200"}') >= 1, text);
    assert.ok(sample(text, 'gatehouse_http_request_duration_seconds_count{route="bff"}') >= 2, text);
    assert.ok(sample(text, 'gatehouse_sessions_started_total') >= 2, text);
    assert.ok(sample(text, 'gatehouse_sessions_ended_total{reason="backchannel"}') >= 1, text);
    assert.equal(sample(text, 'gatehouse_backchannel_total{result="accepted"}'), 1, text);
    assert.ok(sample(text, 'gatehouse_store_operation_duration_seconds_count{store="sqlite",op="get"}') >= 1, text);
    assert.ok(sample(text, 'gatehouse_upstream_duration_seconds_count{route="/api"}') >= 1, text);
    assert.ok(sample(text, 'process_resident_memory_bytes') > 1e6, text);
    assert.ok(sample(text, 'process_open_fds') > 3, text);
    assert.ok(sample(text, 'process_start_time_seconds') > 1.6e9, text);
    for (const s of secrets.values()) assert.ok(!text.includes(s), 'no secret in the metrics');

    // Logout (the gateway's part: the session ends, the browser goes to the IdP).
    const out = await browser.request(`${env.gatehouseUrl}/bff/logout?sid=${encodeURIComponent(sid)}`);
    await out.arrayBuffer();
    assert.ok([302, 303].includes(out.status), `GET /bff/logout answered ${out.status}`);

    // The logs, once the gateway has stopped (its shutdown lines included).
    const logFile = env.logs.gatehouse;
    await env.stop({ keep: true });
    const log = readFileSync(logFile, 'utf8');
    await rm(env.tmpDir, { recursive: true, force: true });
    env = undefined;
    const lines = log.split('\n').filter(Boolean);
    assert.ok(lines.length > 20, `expected a busy log at trace level, got ${lines.length} lines`);
    const parsed = lines.map((line) => {
      try { return JSON.parse(line); } catch { assert.fail(`not a JSON line: ${line}`); }
    });
    for (const entry of parsed) {
      assert.equal(typeof entry.timestamp, 'string', JSON.stringify(entry));
      assert.match(entry.level, /^(trace|debug|info|warn|error|critical)$/);
      assert.equal(typeof entry.message, 'string');
    }
    assert.ok(parsed.some((e) => e.level === 'trace' || e.level === 'debug'), 'trace level reaches the log');
    for (const [what, value] of secrets) {
      assert.ok(value && value.length >= 8, `${what} is a real value`);
      const hit = lines.find((l) => l.includes(value));
      assert.equal(hit, undefined, `the ${what} appears in a log line: ${hit}`);
    }
    const jwt = lines.find((l) => { JWT_LIKE.lastIndex = 0; return JWT_LIKE.test(l); });
    assert.equal(jwt, undefined, `a JWT appears in a log line: ${jwt}`);
    assert.ok(!log.includes(SESSION_COOKIE + '='), 'no Cookie header in the log');

    // The request lines.
    const userLine = parsed.find((e) => e.request_id === 'log-secrets-user-1');
    assert.ok(userLine, 'the /bff/user request has its line');
    assert.equal(userLine.route, 'bff');
    assert.equal(userLine.status, 200);
    assert.equal(userLine.method, 'GET');
    assert.equal(userLine.path, '/bff/user');
    assert.equal(typeof userLine.duration_ms, 'number');
    const apiLine = parsed.find((e) => e.request_id === 'log-secrets-api-1');
    assert.ok(apiLine, 'the [[api]] request has its line');
    assert.equal(apiLine.route, 'api');
    const callbackLine = parsed.find((e) => e.path === '/signin-oidc');
    assert.ok(callbackLine, 'the callback has its line');
    assert.equal(callbackLine.route, 'login');
    assert.ok(!JSON.stringify(callbackLine).includes('code='), 'the path is logged without its query');
  });
});
