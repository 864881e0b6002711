// Calling APIs through the gateway ([[api]] routes): the real binary, the real dev provider and
// the real sample API (demo/api). Run: cd tests/integration && npm test
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { describe } from 'node:test';
import { API_AUDIENCE } from '../../scripts/e2e-env.mjs';
import { check, skipReason, useEnvironment } from './lib/harness.mjs';
import { assertStatus } from './lib/expect.mjs';
import { sampleSum } from './lib/metrics.mjs';
import { SESSION_COOKIE, ScriptedBrowser, rawRequest } from './lib/scripted-browser.mjs';

const MiB = 1024 * 1024;
const ADMIN_TOKEN = 'e2e-proxy-admin-token-0123456789abcdef012345';
/** gatehouse_token_refresh_total{result} summed over an environment's gateways. */
const refreshCount = (env, result) => sampleSum(env.gateways.map((g) => g.adminUrl), ADMIN_TOKEN, `gatehouse_token_refresh_total{result="${result}"}`);

/** A call through the gateway as the SPA makes it (cookie + X-CSRF unless told otherwise). */
async function call(base, path, { cookie, csrf = true, method = 'GET', body, headers = {}, signal } = {}) {
  const h = { ...headers };
  if (cookie) h.cookie = `${SESSION_COOKIE}=${cookie}`;
  if (csrf) h['x-csrf'] = '1';
  const res = await fetch(`${base}${path}`, { method, headers: h, body, redirect: 'manual', signal, duplex: body ? 'half' : undefined });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { /* asserted by callers */ }
  return { status: res.status, headers: res.headers, text, json };
}

/** Resident and peak memory of a process, in bytes (Linux /proc). */
function memory(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)[1]) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

/** Resets the peak (VmHWM) to the current RSS, so a later reading shows only what came after. */
function resetPeak(pid) {
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
}

const login = async (env, track, user = 'alice') => {
  const b = track(new ScriptedBrowser({ gatehouseUrl: env.gatehouseUrl, idpUrl: env.idpUrl, name: user }));
  return (await b.login({ user, password: user })).cookie;
};

/** A minimal WebSocket client over a raw socket: handshake, one text frame, its echo. */
function websocketEcho(port, { cookie, origin, path = '/api/ws', message = 'ping through gatehouse' }) {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let buffer = Buffer.alloc(0);
    let upgraded = false;
    const timer = setTimeout(() => { socket.destroy(); reject(new Error('websocket: no answer in 10 s')); }, 10_000);
    const done = (v) => { clearTimeout(timer); socket.destroy(); resolve(v); };
    socket.on('error', (err) => { clearTimeout(timer); reject(err); });
    socket.on('data', (d) => {
      buffer = Buffer.concat([buffer, d]);
      if (!upgraded) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        const head = buffer.subarray(0, end).toString('latin1');
        const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0);
        if (status !== 101) return done({ status, head });
        upgraded = true;
        buffer = buffer.subarray(end + 4);
        const payload = Buffer.from(message);
        const mask = Buffer.from([1, 2, 3, 4]);
        const masked = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]));
        socket.write(Buffer.concat([Buffer.from([0x81, 0x80 | payload.length]), mask, masked]));
      }
      if (upgraded && buffer.length >= 2) {
        const length = buffer[1] & 0x7f;
        if (buffer.length < 2 + length) return;
        done({ status: 101, echo: buffer.subarray(2, 2 + length).toString() });
      }
    });
    socket.write([
      `GET ${path} HTTP/1.1`, `Host: 127.0.0.1:${port}`, 'Upgrade: websocket', 'Connection: Upgrade',
      'Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
      ...(origin ? [`Origin: ${origin}`] : []), ...(cookie ? [`Cookie: ${SESSION_COOKIE}=${cookie}`] : []), '', '',
    ].join('\r\n'));
  });
}

describe('API proxy: routes, headers, streaming, failures (end to end)', { skip: skipReason(), timeout: 240_000 }, () => {
  const holder = useEnvironment({
    api: true,
    idpEnv: { IDP_TEST_HOOKS: '1' },
    gatehouseEnv: { GATEHOUSE_ADMIN_TOKEN: ADMIN_TOKEN },
    extraConfig: { server: { max_body: '1MiB' } },
    apiRoutes: ({ apiUrl }) => [
      { path: '/api', upstream: `${apiUrl}/api`, token: 'user', audience: API_AUDIENCE, max_body: '100MiB',
        websocket: true, response_timeout: '2s' },
      { path: '/service', upstream: `${apiUrl}/api`, token: 'client', scopes: ['api.read'], audience: API_AUDIENCE },
      { path: '/admins', upstream: `${apiUrl}/api`, token: 'user', audience: API_AUDIENCE, require_claims: { groups: 'admins' } },
      { path: '/either', upstream: `${apiUrl}/api`, token: 'user_or_client', scopes: ['api.read'], audience: API_AUDIENCE },
      { path: '/maybe', upstream: `${apiUrl}/api`, token: 'user_or_none', audience: API_AUDIENCE },
      // Nothing listens on port 1 of loopback: connections are refused at once.
      { path: '/gone', upstream: 'http://127.0.0.1:1/api', token: 'none' },
    ],
  });

  check(holder, 'a signed-in call reaches the API with the user\'s token; anonymous and CSRF-less calls get a 401 problem, never a redirect', async ({ env, track }) => {
    const cookie = await login(env, track);
    const hello = await call(env.gatehouseUrl, '/api/hello', { cookie });
    assertStatus(hello.status, 200, 'GET /api/hello', hello.text);
    assert.equal(hello.json.sub, 'alice');
    assert.equal(hello.json.aud, API_AUDIENCE);
    assert.equal(hello.json.caller, 'user');
    for (const [what, r] of [
      ['anonymous', await call(env.gatehouseUrl, '/api/hello')],
      ['without X-CSRF', await call(env.gatehouseUrl, '/api/hello', { cookie, csrf: false })],
      ['a forged cookie', await call(env.gatehouseUrl, '/api/hello', { cookie: 'A'.repeat(43) })],
    ]) {
      assertStatus(r.status, 401, what, r.text);
      assert.equal(r.headers.get('content-type'), 'application/problem+json', what);
      assert.equal(r.json.status, 401, what);
      assert.equal(r.headers.get('location'), null, `${what}: never a redirect`);
    }
    const status = await call(env.gatehouseUrl, '/api/status?code=418', { cookie });
    assertStatus(status.status, 418, 'the upstream\'s own status passes through', status.text);
  });

  check(holder, 'the browser\'s cookies, CSRF header, credentials and hop-by-hop headers never reach the API; X-Forwarded-* and traceparent do', async ({ env, track }) => {
    const cookie = await login(env, track);
    const r = await rawRequest(env.port, [
      'GET /api/headers?x=1 HTTP/1.1', `Host: 127.0.0.1:${env.port}`, `Cookie: ${SESSION_COOKIE}=${cookie}; other=1`,
      'X-CSRF: 1', 'Authorization: Bearer forged-by-the-browser', 'DPoP: forged', 'Connection: keep-alive, X-Secret',
      'X-Secret: hop', 'Keep-Alive: timeout=5', 'TE: trailers', 'Upgrade: h2c', 'Proxy-Authorization: Basic eA==',
      'X-Forwarded-For: 10.9.8.7', 'X-Forwarded-Host: evil.example', 'X-Custom: kept', '', '',
    ].join('\r\n'));
    assertStatus(r.status, 200, 'GET /api/headers', r.body);
    const seen = JSON.parse(r.body).headers;
    for (const name of ['cookie', 'x-csrf', 'dpop', 'x-secret', 'keep-alive', 'te', 'upgrade', 'proxy-authorization'])
      assert.equal(seen[name], undefined, `${name} must not reach the API: ${JSON.stringify(seen)}`);
    assert.match(seen.authorization, /^Bearer \[redacted: \d+ chars/, 'the gateway\'s own token');
    assert.ok(!r.body.includes('forged-by-the-browser'));
    assert.equal(seen['x-custom'], 'kept');
    assert.equal(seen['x-forwarded-for'], '10.9.8.7, 127.0.0.1');
    assert.equal(seen['x-forwarded-host'], `127.0.0.1:${env.port}`, 'the public origin, not what the browser claims');
    assert.equal(seen['x-forwarded-proto'], 'http');
    assert.match(seen.traceparent, /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/);
    const passed = await call(env.gatehouseUrl, '/api/headers', { cookie, headers: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' } });
    assert.equal(passed.json.headers.traceparent, '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    const cookies = await call(env.gatehouseUrl, '/api/set-cookie', { cookie });
    assertStatus(cookies.status, 200, 'GET /api/set-cookie', cookies.text);
    assert.deepEqual(cookies.headers.getSetCookie(), [], 'the upstream\'s Set-Cookie is dropped');
  });

  check(holder, 'a 50 MB upload and a 50 MB download stream through without the gateway holding them', async ({ env, track }) => {
    const cookie = await login(env, track);
    const pid = env.gatehouse.child.pid;
    await call(env.gatehouseUrl, '/api/hello', { cookie });  // warm: token, pool, buffers
    resetPeak(pid);
    const before = memory(pid);
    const down = await fetch(`${env.gatehouseUrl}/api/download?bytes=${50 * MiB}`, { headers: { cookie: `${SESSION_COOKIE}=${cookie}`, 'x-csrf': '1' } });
    assertStatus(down.status, 200, 'download');
    let received = 0;
    for await (const chunk of down.body) received += chunk.length;
    assert.equal(received, 50 * MiB);
    const chunked = await fetch(`${env.gatehouseUrl}/api/download?bytes=${5 * MiB}&chunked=1`, { headers: { cookie: `${SESSION_COOKIE}=${cookie}`, 'x-csrf': '1' } });
    assert.equal((await chunked.arrayBuffer()).byteLength, 5 * MiB, 'a chunked download');

    const size = 50 * MiB;
    const block = Buffer.alloc(MiB, 7);
    const body = new ReadableStream({
      pull(controller) { if ((this.sent = (this.sent ?? 0) + 1) > size / MiB) controller.close(); else controller.enqueue(block); },
    });
    const up = await call(env.gatehouseUrl, '/api/upload', { cookie, method: 'POST', body, headers: { 'content-type': 'application/octet-stream' } });
    assertStatus(up.status, 200, 'upload (chunked from the browser)', up.text);
    assert.equal(up.json.bytes, size);
    const after = memory(pid);
    const growth = after.peak - before.rss;
    assert.ok(growth < 32 * MiB, `gateway peak RSS grew by ${(growth / MiB).toFixed(1)} MiB moving 105 MB`);
    const big = await call(env.gatehouseUrl, '/api/upload', { cookie, method: 'POST', body: Buffer.alloc(2 * MiB), headers: {} });
    assertStatus(big.status, 200, 'a 2 MiB body on a route with max_body 100MiB', big.text);
    const refused = await call(env.gatehouseUrl, '/bff/backchannel', { method: 'POST', body: Buffer.alloc(2 * MiB), csrf: false });
    assertStatus(refused.status, 413, 'server.max_body still bounds what the gateway reads itself');
  });

  check(holder, 'an unreachable API is a 502, a slow one a 504, and a browser that leaves cancels the upstream call', async ({ env, track }) => {
    const cookie = await login(env, track);
    const down = await call(env.gatehouseUrl, '/gone/hello', {});
    assertStatus(down.status, 502, 'upstream not listening', down.text);
    assert.equal(down.json.status, 502);
    const start = await env.apiStats();
    const slow = await call(env.gatehouseUrl, '/api/slow?ms=4000', { cookie });
    assertStatus(slow.status, 504, 'slower than response_timeout (2s)', slow.text);
    assert.match(readFileSync(env.logs.gatehouse, 'utf8'), /proxy api\[0\] \/api -> http:\/\/127\.0\.0\.1:\d+: no response within 2000 ms/);
    assert.match(readFileSync(env.logs.gatehouse, 'utf8'), /proxy api\[\d+\] \/gone -> http:\/\/127\.0\.0\.1:\d+: cannot connect/);

    // The timed-out call is abandoned too, but the API may count that a moment after the 504:
    // wait for it, so that it does not land in the count of the browser's abort below.
    let before = await env.apiStats();
    for (let waited = 0; before.slow_aborted < start.slow_aborted + 1 && waited < 3000; waited += 50) {
      await new Promise((r) => setTimeout(r, 50));
      before = await env.apiStats();
    }
    assert.equal(before.slow_aborted - start.slow_aborted, 1, `the API saw the timed-out call abandoned: ${JSON.stringify(before)}`);
    const abort = new AbortController();
    const pending = call(env.gatehouseUrl, '/api/slow?ms=1500', { cookie, signal: abort.signal }).catch((e) => e);
    await new Promise((r) => setTimeout(r, 300));
    abort.abort();
    await pending;
    await new Promise((r) => setTimeout(r, 500));
    const after = await env.apiStats();
    assert.equal(after.slow_aborted - before.slow_aborted, 1, `the API saw its request abandoned: ${JSON.stringify(after)}`);
  });

  check(holder, 'require_claims refuses a user without the claim (403); client, user_or_client and user_or_none routes serve anonymous callers as they should', async ({ env, track }) => {
    const cookie = await login(env, track);
    const refused = await call(env.gatehouseUrl, '/admins/hello', { cookie });
    assertStatus(refused.status, 403, 'alice has no groups=admins', refused.text);
    const before = (await (await fetch(`${env.idpUrl}/__test/token-requests`)).json()).client_credentials;
    const issuedBefore = await refreshCount(env, 'client_issued');
    const anonymous = await Promise.all(Array.from({ length: 20 }, () => call(env.gatehouseUrl, '/service/hello', {})));
    for (const r of anonymous) {
      assertStatus(r.status, 200, 'client token, no session', r.text);
      assert.equal(r.json.caller, 'client');
      assert.match(r.json.scope, /api\.read/);
    }
    const after = (await (await fetch(`${env.idpUrl}/__test/token-requests`)).json()).client_credentials;
    assert.equal(after - before, 1, '20 concurrent callers share one client-credentials token');
    assert.equal(await refreshCount(env, 'client_issued') - issuedBefore, 1, 'gatehouse_token_refresh_total{result="client_issued"}');
    assertStatus((await call(env.gatehouseUrl, '/service/hello', {})).status, 200, 'and it is cached');
    assert.equal((await (await fetch(`${env.idpUrl}/__test/token-requests`)).json()).client_credentials, after);

    assert.equal((await call(env.gatehouseUrl, '/either/hello', {})).json.caller, 'client', 'user_or_client, anonymous');
    assert.equal((await call(env.gatehouseUrl, '/either/hello', { cookie })).json.caller, 'user', 'user_or_client, signed in');
    // The call goes through with no token at all: the sample API itself refuses it.
    const nobody = await call(env.gatehouseUrl, '/maybe/hello', {});
    assertStatus(nobody.status, 401, 'user_or_none, anonymous: the API\'s own answer', nobody.text);
    assert.notEqual(nobody.headers.get('content-type'), 'application/problem+json', 'not the gateway\'s');
    assert.match(nobody.headers.get('www-authenticate') ?? '', /Bearer/);
    assert.equal((await call(env.gatehouseUrl, '/maybe/hello', { cookie })).json.sub, 'alice', 'user_or_none, signed in');
  });

  check(holder, 'a WebSocket is proxied with the token on the handshake, only from the gateway\'s own Origin', async ({ env, track }) => {
    const cookie = await login(env, track);
    const echo = await websocketEcho(env.port, { cookie, origin: env.gatehouseUrl });
    assert.equal(echo.status, 101, echo.head);
    assert.equal(echo.echo, 'ping through gatehouse');
    assert.equal((await websocketEcho(env.port, { cookie, origin: 'https://evil.example' })).status, 403);
    assert.equal((await websocketEcho(env.port, { cookie })).status, 403, 'no Origin');
    assert.equal((await websocketEcho(env.port, { origin: env.gatehouseUrl })).status, 401, 'no session');
  });

  check(holder, 'smuggling attempts are refused before anything reaches the API', async ({ env, track }) => {
    const cookie = await login(env, track);
    const before = (await env.apiStats()).requests;
    for (const attempt of [
      `POST /api/upload HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\nCookie: ${SESSION_COOKIE}=${cookie}\r\nX-CSRF: 1\r\n\r\n0\r\n\r\n`,
      `POST /api/upload HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nContent-Length: 5\r\nCookie: ${SESSION_COOKIE}=${cookie}\r\nX-CSRF: 1\r\n\r\nabcd`,
      `POST /api/upload HTTP/1.1\r\nHost: x\r\nX-CSRF: 1\r\n Content-Length: 4\r\nCookie: ${SESSION_COOKIE}=${cookie}\r\n\r\nabcd`,
    ]) {
      const r = await rawRequest(env.port, attempt);
      assertStatus(r.status, 400, attempt.split('\r\n').slice(0, 4).join(' | '), r.body);
    }
    assert.equal((await env.apiStats()).requests, before, 'the API saw none of them');
  });
});

describe('API proxy: token refresh across two instances (end to end)', { skip: skipReason(), timeout: 240_000 }, () => {
  // Access tokens live 62 s and are refreshed 60 s before they expire: stale after 2 s.
  const holder = useEnvironment({
    api: true,
    gateways: 2,
    idpEnv: { IDP_TEST_HOOKS: '1', IDP_ACCESS_TOKEN_TTL: '62' },
    gatehouseEnv: { GATEHOUSE_ADMIN_TOKEN: ADMIN_TOKEN },
    extraConfig: { oidc: { refresh_margin: '60s' }, session: { renew_after: '1s' } },
  });
  const refreshes = async (env) => (await (await fetch(`${env.idpUrl}/__test/token-requests`)).json()).refresh_token;
  const hook = (env, path) => fetch(`${env.idpUrl}${path}`, { method: 'POST' });
  const stale = () => new Promise((r) => setTimeout(r, 2500));

  check(holder, '50 concurrent calls over two instances refresh once, and sliding renewals racing the refresh keep the new tokens', async ({ env, track }) => {
    const cookie = await login(env, track);
    const [a, b] = env.gateways.map((g) => g.url);
    const counted = await refreshCount(env, 'refreshed');
    for (let round = 0; round < 2; ++round) {
      if (round === 1) await stale();
      const before = await refreshes(env);
      const calls = Array.from({ length: 50 }, (_, i) => call(i % 2 ? a : b, '/api/hello', { cookie }));
      const slides = Array.from({ length: 10 }, (_, i) => call(i % 2 ? a : b, '/bff/user', { cookie }));
      const answers = await Promise.all(calls);
      for (const s of await Promise.all(slides)) assertStatus(s.status, 200, '/bff/user during the refresh', s.text);
      for (const r of answers) assertStatus(r.status, 200, `round ${round}`, r.text);
      assert.equal(new Set(answers.map((r) => r.json.token_id)).size, 1, 'every call used the one new token');
      assert.equal(await refreshes(env) - before, 1, `round ${round}: exactly one token request for 50 calls`);
      const later = await call(a, '/api/hello', { cookie });
      assert.equal(later.json.token_id, answers[0].json.token_id, 'no slide put the old token back');
      assert.equal(await refreshes(env) - before, 1, 'and no further refresh was needed');
    }
    assert.equal(await refreshCount(env, 'refreshed') - counted, 2, 'gatehouse_token_refresh_total{result="refreshed"}: one per round, over both instances');
  });

  check(holder, 'a provider failing during refresh is a 503 with Retry-After and the session stays', async ({ env, track }) => {
    const cookie = await login(env, track);
    assertStatus((await call(env.gatehouseUrl, '/api/hello', { cookie })).status, 200, 'first call');
    await stale();
    const failures = await refreshCount(env, 'provider_error');
    await hook(env, '/__test/token-endpoint?mode=fail');
    try {
      const r = await call(env.gatehouseUrl, '/api/hello', { cookie });
      assertStatus(r.status, 503, 'refresh while the provider fails', r.text);
      assert.ok(r.headers.get('retry-after'), 'Retry-After');
      assert.deepEqual(r.headers.getSetCookie(), [], 'the session cookie is not cleared');
      assertStatus((await call(env.gatehouseUrl, '/bff/user', { cookie })).status, 200, 'still signed in');
      assert.equal(await refreshCount(env, 'provider_error') - failures, 1, 'gatehouse_token_refresh_total{result="provider_error"}');
    } finally {
      await hook(env, '/__test/token-endpoint?mode=ok');
    }
    assertStatus((await call(env.gatehouseUrl, '/api/hello', { cookie })).status, 200, 'after the provider is back');
  });

  check(holder, 'a refresh token the provider refuses (invalid_grant) ends the session: 401, cookie cleared', async ({ env, track }) => {
    const cookie = await login(env, track, 'bob');
    assertStatus((await call(env.gatehouseUrl, '/api/hello', { cookie })).status, 200, 'first call');
    await hook(env, '/__test/revoke-grants?sub=bob');
    await stale();
    const rejected = await refreshCount(env, 'rejected');
    const r = await call(env.gatehouseUrl, '/api/hello', { cookie });
    assertStatus(r.status, 401, 'refresh refused', r.text);
    assert.ok(r.headers.getSetCookie().some((c) => c.startsWith(`${SESSION_COOKIE}=;`)), 'the session cookie is cleared');
    assertStatus((await call(env.gatehouseUrl, '/bff/user', { cookie })).status, 401, 'the session is gone');
    assert.match(readFileSync(env.logs.gatehouse, 'utf8'), /session ended \(refresh_failed\)/);
    assert.equal(await refreshCount(env, 'rejected') - rejected, 1, 'gatehouse_token_refresh_total{result="rejected"}');
  });
});

describe('API proxy: DPoP-bound tokens (end to end)', { skip: skipReason(), timeout: 120_000 }, () => {
  const holder = useEnvironment({ api: { API_DPOP_NONCE: '1' }, extraConfig: { oidc: { dpop: true } } });

  check(holder, 'the user\'s token is DPoP-bound and each call carries a fresh proof the API accepts, its nonce included', async ({ env, track }) => {
    const cookie = await login(env, track);
    const ids = new Set();
    for (let i = 0; i < 3; ++i) {
      const r = await call(env.gatehouseUrl, '/api/hello', { cookie });
      assertStatus(r.status, 200, `DPoP call ${i}`, r.text);
      assert.equal(r.json.dpop, true);
      ids.add(r.json.token_id);
    }
    assert.equal(ids.size, 1, 'one bound token, reused');
  });
});
