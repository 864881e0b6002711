// The sample API (demo/api/server.mjs) against the real demo IdP: its token check (JWT access
// tokens, DPoP proofs, server nonces), streaming, websockets and the counters the gateway's
// tests read. Run: cd demo/api && npm ci && npm test   (demo/idp needs npm ci too)
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, generateKeyPairSync, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';

const API_SERVER = fileURLToPath(new URL('../../demo/api/server.mjs', import.meta.url));
const IDP_SERVER = fileURLToPath(new URL('../../demo/idp/server.mjs', import.meta.url));
const fromApi = createRequire(new URL('../../demo/api/package.json', import.meta.url));
const jose = await import(pathToFileURL(fromApi.resolve('jose')).href);
const { WebSocket } = fromApi('ws');

const CLIENT_ID = 'gatehouse-demo';
const CLIENT_SECRET = 'dev-secret-change-me';
const AUDIENCE = 'urn:gatehouse:demo-api';
const MB = 1024 * 1024;
const START_TIMEOUT_MS = 30_000; // how long a child may take to print its ready line
const now = () => Math.floor(Date.now() / 1000);

/** Spawns `node script` with env; resolves once its output matches `ready` (group 1 = URL). */
async function startNode(script, env, ready) {
  const child = spawn(process.execPath, [script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stderr.on('data', (d) => { output += d; });
  const url = await new Promise((resolve, reject) => {
    // Generous: a loaded CI machine once needed more than 10 s to start the IdP. On a timeout the
    // child is killed, or it would keep the test file alive until the runner's own timeout.
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} did not start in ${START_TIMEOUT_MS / 1000} s:\n${output}`));
    }, START_TIMEOUT_MS);
    child.stdout.on('data', (d) => {
      output += d;
      const m = ready.exec(output);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`${script} exited (${code}):\n${output}`)); });
  });
  return {
    url,
    pid: child.pid,
    output: () => output,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');
      return code;
    },
  };
}

/** Peak resident memory of a process in bytes (Linux), or undefined elsewhere. */
function peakRss(pid) {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

async function tokenRequest(issuer, params, headers = {}) {
  const res = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${CLIENT_ID}:${CLIENT_SECRET}`).toString('base64')}`, ...headers },
    body: new URLSearchParams(params),
    signal: AbortSignal.timeout(5000),
  });
  return { status: res.status, headers: res.headers, json: await res.json() };
}

/** An ES256 key and a maker of DPoP proofs (RFC 9449 4.2) with it; `over` overrides claims. */
async function dpopKey() {
  const { publicKey, privateKey } = await jose.generateKeyPair('ES256', { extractable: true });
  const jwk = await jose.exportJWK(publicKey);
  const proof = (htm, htu, { token, nonce, header = {}, ...over } = {}) => new jose.SignJWT({
    htm, htu, jti: randomUUID(), iat: now(), nonce, ath: token ? createHash('sha256').update(token).digest('base64url') : undefined, ...over,
  }).setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk, ...header }).sign(privateKey);
  return { jwk, privateKey, proof, thumbprint: await jose.calculateJwkThumbprint(jwk) };
}

/** GET/POST with fetch; returns { status, headers, json, text }. */
async function call(url, { method = 'GET', headers = {}, body } = {}) {
  const res = await fetch(url, { method, headers, body, duplex: body ? 'half' : undefined, signal: AbortSignal.timeout(60_000) });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, headers: res.headers, json, text };
}

/** A raw node:http request, for what fetch cannot send (e.g. two Authorization headers). */
function rawCall(url, headers) {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { headers }, (res) => {
      let text = '';
      res.on('data', (d) => { text += d; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end();
  });
}

const wwwAuthenticate = (res) => res.headers.get('www-authenticate') ?? '';

/** The download pattern: byte i is i mod 256. */
function expectedSha256(n) {
  const block = Buffer.from(Array.from({ length: 64 * 1024 }, (_, i) => i % 256));
  const hash = createHash('sha256');
  for (let left = n; left > 0; left -= block.length) hash.update(left >= block.length ? block : block.subarray(0, left));
  return hash.digest('hex');
}

describe('sample API against the demo IdP', { timeout: 120_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-api-test-'));
  // The IdP signs with a key the test holds, so the test can craft tokens it would have issued.
  const signingJwk = { ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }), alg: 'RS256', kid: randomUUID() };
  let idp;
  let api;
  let issuer;
  let signingKey;
  let bearer; // a client-credentials token
  const hello = () => `${api.url}/api/hello`;

  /** An access token shaped like the IdP's, signed with its key; `over` changes claims, `header` the header. */
  const craft = (over = {}, header = {}, key = signingKey) => new jose.SignJWT({
    iss: issuer, aud: AUDIENCE, sub: 'alice', client_id: CLIENT_ID, scope: 'api.read', jti: randomUUID(), iat: now(), exp: now() + 300, ...over,
  }).setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: signingJwk.kid, ...header }).sign(key);

  before(async () => {
    const keyFile = join(dir, 'idp-key.json');
    writeFileSync(keyFile, JSON.stringify(signingJwk), { mode: 0o600 });
    idp = await startNode(IDP_SERVER, { IDP_PORT: '0', IDP_SIGNING_KEY_FILE: keyFile, GATEHOUSE_ORIGIN: 'http://127.0.0.1:1' }, /idp listening on (\S+)/);
    issuer = idp.url;
    api = await startNode(API_SERVER, { API_PORT: '0', API_ISSUER: issuer }, /api listening on (\S+)/);
    signingKey = await jose.importJWK(signingJwk, 'RS256');
    const res = await tokenRequest(issuer, { grant_type: 'client_credentials', scope: 'api.read' });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    bearer = res.json.access_token;
  });
  after(async () => {
    const codes = [await api?.stop(), await idp?.stop()];
    rmSync(dir, { recursive: true, force: true });
    assert.deepEqual(codes, [0, 0], 'both exit 0 on SIGTERM');
  });

  test('a client-credentials token of the IdP: /api/hello says who called', async () => {
    const res = await call(hello(), { headers: { authorization: `Bearer ${bearer}` } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.sub, CLIENT_ID);
    assert.equal(res.json.caller, 'client');
    assert.equal(res.json.client_id, CLIENT_ID);
    assert.equal(res.json.scope, 'api.read');
    assert.equal(res.json.aud, AUDIENCE);
    assert.equal(res.json.iss, issuer);
    assert.equal(res.json.dpop, false);
    assert.ok(Date.parse(res.json.token_expires_at) > Date.now());
    assert.ok(res.json.token_id);
    // The scheme is case-insensitive (RFC 9110 11.1).
    assert.equal((await call(hello(), { headers: { authorization: `bearer ${bearer}` } })).status, 200);
  });

  test('a user\'s token (crafted with the IdP\'s key) is a user\'s', async () => {
    const res = await call(hello(), { headers: { authorization: `Bearer ${await craft({ scope: 'api.read api.write' })}` } });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.sub, 'alice');
    assert.equal(res.json.caller, 'user');
    assert.equal(res.json.scope, 'api.read api.write');
  });

  test('no token: 401 offering both schemes, without an error code', async () => {
    const res = await call(hello());
    assert.equal(res.status, 401);
    const www = wwwAuthenticate(res);
    assert.match(www, /^Bearer realm="gatehouse-demo-api"/);
    assert.match(www, /DPoP realm="gatehouse-demo-api", algs="ES256 /);
    assert.doesNotMatch(www, /error=/);
    assert.equal((await call(hello(), { headers: { authorization: 'Basic YTpi' } })).status, 401);
  });

  test('tokens that are not valid for this API are refused with invalid_token', async () => {
    const other = await jose.importJWK({ ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }) }, 'RS256');
    const unsigned = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt' })).toString('base64url')}.${Buffer.from(JSON.stringify({ iss: issuer, aud: AUDIENCE, sub: 'alice', client_id: CLIENT_ID, jti: 'x', iat: now(), exp: now() + 300 })).toString('base64url')}.`;
    const hs256 = await new jose.SignJWT({ iss: issuer, aud: AUDIENCE, sub: 'alice', client_id: CLIENT_ID, jti: 'x', iat: now(), exp: now() + 300 })
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: signingJwk.kid }).sign(new TextEncoder().encode('x'.repeat(32)));
    const cases = [
      ['wrong aud', await craft({ aud: 'urn:other:api' }), /"aud" claim/],
      ['wrong iss', await craft({ iss: 'http://127.0.0.1:1' }), /"iss" claim/],
      ['expired', await craft({ iat: now() - 600, exp: now() - 1 }), /has expired/],
      ['not yet valid', await craft({ nbf: now() + 120 }), /"nbf" claim/],
      ['unsigned (alg none)', unsigned, /not allowed|not a valid JWT/],
      ['HS256', hs256, /not allowed/],
      ['signed by another key with the IdP\'s kid', await craft({}, {}, other), /bad signature/],
      ['an unknown kid', await craft({}, { kid: 'no-such-key' }), /no key of the issuer/],
      ['typ JWT, not at+jwt', await craft({}, { typ: 'JWT' }), /"typ"/],
      ['no client_id', await craft({ client_id: undefined }), /client_id/],
      ['not a JWT', 'abc.def', /not a valid JWT/],
    ];
    for (const [what, token, why] of cases) {
      const res = await call(hello(), { headers: { authorization: `Bearer ${token}` } });
      assert.equal(res.status, 401, `${what}: ${res.text}`);
      assert.match(wwwAuthenticate(res), /^Bearer realm="gatehouse-demo-api", error="invalid_token", error_description="/, what);
      assert.match(res.json.error_description, why, what);
    }
    const two = await rawCall(hello(), { authorization: [`Bearer ${bearer}`, `Bearer ${bearer}`] });
    assert.equal(two.status, 400, 'two Authorization headers');
  });

  describe('DPoP', () => {
    let key;
    let bound; // a DPoP-bound client-credentials token
    before(async () => {
      key = await dpopKey();
      const res = await tokenRequest(issuer, { grant_type: 'client_credentials', scope: 'api.read' }, { dpop: await key.proof('POST', `${issuer}/token`) });
      assert.equal(res.status, 200, JSON.stringify(res.json));
      assert.equal(res.json.token_type, 'DPoP');
      bound = res.json.access_token;
    });
    const dpopCall = async (proof, { url = hello(), scheme = 'DPoP', method = 'GET', token = bound } = {}) => call(url, {
      method, headers: { authorization: `${scheme} ${token}`, ...(proof ? { dpop: proof } : {}) },
    });

    test('a bound token with a good proof is accepted', async () => {
      const res = await dpopCall(await key.proof('GET', hello(), { token: bound }));
      assert.equal(res.status, 200, res.text);
      assert.equal(res.json.dpop, true);
      assert.equal(res.headers.get('dpop-nonce'), null, 'no nonces unless API_DPOP_NONCE=1');
      // htu without its query is what counts (RFC 9449 4.3).
      const q = await dpopCall(await key.proof('GET', `${hello()}?x=1`, { token: bound }), { url: `${hello()}?x=2` });
      assert.equal(q.status, 200, q.text);
    });

    test('every broken proof is refused with invalid_dpop_proof', async () => {
      const other = await dpopKey();
      const { privateKey } = await jose.generateKeyPair('ES256', { extractable: true });
      const privateJwk = await jose.exportJWK(privateKey);
      const cases = [
        ['no proof', undefined, /DPoP header/],
        ['wrong htm', await key.proof('POST', hello(), { token: bound }), /htm/],
        ['wrong htu path', await key.proof('GET', `${api.url}/api/headers`, { token: bound }), /htu/],
        ['wrong htu origin', await key.proof('GET', hello().replace('127.0.0.1', 'localhost'), { token: bound }), /htu/],
        ['no ath', await key.proof('GET', hello()), /ath/],
        ['ath of another token', await key.proof('GET', hello(), { token: bearer }), /ath/],
        ['iat 2 minutes old', await key.proof('GET', hello(), { token: bound, iat: now() - 120 }), /iat/],
        ['iat 2 minutes ahead', await key.proof('GET', hello(), { token: bound, iat: now() + 120 }), /iat/],
        ['no jti', await key.proof('GET', hello(), { token: bound, jti: undefined }), /jti/],
        ['another key than cnf.jkt', await other.proof('GET', hello(), { token: bound }), /bound to/],
        ['typ JWT', await key.proof('GET', hello(), { token: bound, header: { typ: 'JWT' } }), /"typ"/],
        ['a private key in the jwk header', await key.proof('GET', hello(), { token: bound, header: { jwk: privateJwk } }), /public key|refused/],
        ['not a JWT', 'not-a-proof', /not a valid JWT/],
      ];
      for (const [what, proof, why] of cases) {
        const res = await dpopCall(proof);
        assert.equal(res.status, 401, `${what}: ${res.text}`);
        assert.match(wwwAuthenticate(res), /^DPoP realm="gatehouse-demo-api", error="invalid_dpop_proof"/, what);
        assert.match(res.json.error_description, why, what);
      }
    });

    test('a replayed proof (same jti) is refused', async () => {
      const proof = await key.proof('GET', hello(), { token: bound });
      assert.equal((await dpopCall(proof)).status, 200);
      const again = await dpopCall(proof);
      assert.equal(again.status, 401);
      assert.match(wwwAuthenticate(again), /DPoP .*error="invalid_dpop_proof"/);
      assert.match(again.json.error_description, /replayed/);
    });

    test('scheme downgrades and mismatches are refused', async () => {
      const asBearer = await dpopCall(await key.proof('GET', hello(), { token: bound }), { scheme: 'Bearer' });
      assert.equal(asBearer.status, 401, 'a DPoP-bound token with the Bearer scheme');
      assert.match(wwwAuthenticate(asBearer), /^DPoP .*error="invalid_token"/);
      const unbound = await dpopCall(await key.proof('GET', hello(), { token: bearer }), { token: bearer });
      assert.equal(unbound.status, 401, 'an unbound token with the DPoP scheme');
      assert.match(unbound.json.error_description, /not DPoP-bound/);
      const two = await rawCall(hello(), { authorization: `DPoP ${bound}`, dpop: [await key.proof('GET', hello(), { token: bound }), await key.proof('GET', hello(), { token: bound })] });
      assert.equal(two.status, 401, 'two DPoP headers');
    });

    test('with API_DPOP_NONCE=1: use_dpop_nonce first, then the nonce is accepted', async () => {
      const strict = await startNode(API_SERVER, { API_PORT: '0', API_ISSUER: issuer, API_DPOP_NONCE: '1' }, /api listening on (\S+)/);
      try {
        const url = `${strict.url}/api/hello`;
        const first = await dpopCall(await key.proof('GET', url, { token: bound }), { url });
        assert.equal(first.status, 401, first.text);
        assert.match(wwwAuthenticate(first), /^DPoP .*error="use_dpop_nonce"/);
        const nonce = first.headers.get('dpop-nonce');
        assert.ok(nonce, 'DPoP-Nonce header');
        const second = await dpopCall(await key.proof('GET', url, { token: bound, nonce }), { url });
        assert.equal(second.status, 200, second.text);
        assert.ok(second.headers.get('dpop-nonce'), 'the current nonce on every answer');
        const forged = await dpopCall(await key.proof('GET', url, { token: bound, nonce: `${nonce.split('.')[0]}.forged` }), { url });
        assert.equal(forged.status, 401);
        assert.match(wwwAuthenticate(forged), /use_dpop_nonce/);
        // Bearer tokens are not affected.
        assert.equal((await call(url, { headers: { authorization: `Bearer ${bearer}` } })).status, 200);
      } finally {
        assert.equal(await strict.stop(), 0);
      }
    });

    test('websocket handshake with DPoP (htu may be spelled ws://)', async () => {
      const wsUrl = `${api.url.replace('http:', 'ws:')}/api/ws`;
      const ws = new WebSocket(wsUrl, { headers: { authorization: `DPoP ${bound}`, dpop: await key.proof('GET', wsUrl, { token: bound }) } });
      await once(ws, 'open');
      ws.send('dpop hello');
      const [data] = await once(ws, 'message');
      assert.equal(data.toString(), 'dpop hello');
      ws.close();
      await once(ws, 'close');
    });
  });

  test('streams a 50 MB upload and a 50 MB download without buffering them', async () => {
    const auth = { authorization: `Bearer ${bearer}` };
    const size = 50 * MB;
    const block = Buffer.alloc(MB, 7);
    const sent = createHash('sha256');
    const body = Readable.from((function* chunks() {
      for (let i = 0; i < size / MB; i++) { sent.update(block); yield block; }
    })());
    const baseline = peakRss(api.pid);
    const up = await call(`${api.url}/api/upload`, { method: 'POST', headers: { ...auth, 'content-type': 'application/octet-stream' }, body: Readable.toWeb(body) });
    assert.equal(up.status, 200, up.text);
    assert.equal(up.json.bytes, size);
    assert.equal(up.json.sha256, sent.digest('hex'));

    for (const chunked of [false, true]) {
      const res = await fetch(`${api.url}/api/download?bytes=${size + 3}${chunked ? '&chunked=1' : ''}`, { headers: auth });
      assert.equal(res.status, 200);
      if (chunked) {
        assert.equal(res.headers.get('content-length'), null);
        assert.equal(res.headers.get('transfer-encoding'), 'chunked');
      } else assert.equal(res.headers.get('content-length'), String(size + 3));
      const got = createHash('sha256');
      let bytes = 0;
      for await (const chunk of res.body) { got.update(chunk); bytes += chunk.length; }
      assert.equal(bytes, size + 3);
      assert.equal(got.digest('hex'), expectedSha256(size + 3), 'byte i is i mod 256');
    }
    const peak = peakRss(api.pid);
    if (baseline !== undefined && peak !== undefined) {
      // Buffering either body would add at least 50 MB; streaming stays well below that.
      assert.ok(peak - baseline < 40 * MB, `API peak RSS grew by ${Math.round((peak - baseline) / MB)} MB (from ${Math.round(baseline / MB)} MB)`);
    }
    assert.equal((await call(`${api.url}/api/download?bytes=${2 * 1024 ** 3 + 1}`, { headers: auth })).status, 400);
    assert.equal((await call(`${api.url}/api/download?bytes=-1`, { headers: auth })).status, 400);
  });

  test('a client that goes away is counted: slow requests and uploads', async () => {
    const auth = { authorization: `Bearer ${bearer}` };
    const stats = async () => (await call(`${api.url}/api/stats`)).json;
    const before = await stats();
    await assert.rejects(fetch(`${api.url}/api/slow?ms=5000`, { headers: auth, signal: AbortSignal.timeout(200) }));
    const upload = httpRequest(`${api.url}/api/upload`, { method: 'POST', headers: { ...auth, 'content-length': String(10 * MB) } });
    upload.on('error', () => {});
    upload.write(Buffer.alloc(MB));
    await sleep(200);
    upload.destroy();
    let after;
    for (let i = 0; i < 50; i++) {
      after = await stats();
      if (after.slow_aborted > before.slow_aborted && after.upload_aborted > before.upload_aborted) break;
      await sleep(50);
    }
    assert.equal(after.slow_aborted - before.slow_aborted, 1, JSON.stringify(after));
    assert.equal(after.upload_aborted - before.upload_aborted, 1, JSON.stringify(after));
    assert.ok(after.aborted - before.aborted >= 2, JSON.stringify(after));
    assert.equal(after.in_flight, 0);
    const t0 = Date.now();
    const done = await call(`${api.url}/api/slow?ms=300`, { headers: auth });
    assert.equal(done.status, 200);
    assert.ok(Date.now() - t0 >= 290, 'answers after the delay');
  });

  test('status, set-cookie, headers, stats', async () => {
    const auth = { authorization: `Bearer ${bearer}` };
    const s503 = await call(`${api.url}/api/status?code=503`, { headers: auth });
    assert.equal(s503.status, 503);
    assert.deepEqual(s503.json, { status: 503 });
    const s204 = await call(`${api.url}/api/status?code=204`, { headers: auth });
    assert.equal(s204.status, 204);
    assert.equal(s204.text, '');
    assert.equal((await call(`${api.url}/api/status?code=99`, { headers: auth })).status, 400);

    const cookie = await call(`${api.url}/api/set-cookie`, { headers: auth });
    assert.equal(cookie.status, 200);
    assert.match(cookie.headers.get('set-cookie'), /^api_cookie=/);

    const h = await rawCall(`${api.url}/api/headers`, { ...auth, 'x-test': ['one', 'two'], traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' });
    const json = JSON.parse(h.text);
    assert.equal(h.status, 200);
    assert.equal(json.method, 'GET');
    assert.equal(json.headers.traceparent, '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
    assert.deepEqual(json.raw.filter(([n]) => n.toLowerCase() === 'x-test').map(([, v]) => v), ['one', 'two']);
    assert.match(json.headers.authorization, /^Bearer \[redacted: \d+ chars, sha256 [0-9a-f]{16}\]$/);
    assert.ok(!h.text.includes(bearer), 'the token never comes back in a body');

    const unauthorizedStats = await call(`${api.url}/api/stats`);
    assert.equal(unauthorizedStats.status, 200, 'no token needed for /api/stats');
    for (const k of ['requests', 'aborted', 'slow_aborted', 'upload_aborted', 'in_flight', 'unauthorized', 'websockets']) {
      assert.equal(typeof unauthorizedStats.json[k], 'number', k);
    }
    assert.ok(unauthorizedStats.json.by_route['GET /api/hello'] >= 1);
    assert.equal(unauthorizedStats.json.by_route['GET /api/stats'], undefined, 'polling the counters does not count');
    assert.equal((await call(`${api.url}/api/nothing`, { headers: auth })).status, 404);
    assert.equal((await call(`${api.url}/api/hello`, { method: 'POST', headers: auth })).status, 405);
  });

  test('websocket echo, with the token check at the handshake', async () => {
    const wsUrl = `${api.url.replace('http:', 'ws:')}/api/ws`;
    const ws = new WebSocket(wsUrl, { headers: { authorization: `Bearer ${bearer}` } });
    await once(ws, 'open');
    ws.send('hello');
    assert.equal((await once(ws, 'message'))[0].toString(), 'hello');
    ws.send(Buffer.from([0, 1, 2, 255]));
    const [binary, isBinary] = await once(ws, 'message');
    assert.equal(isBinary, true);
    assert.deepEqual([...binary], [0, 1, 2, 255]);
    ws.close();
    await once(ws, 'close');

    for (const headers of [{}, { authorization: `Bearer ${await craft({ aud: 'urn:other:api' })}` }]) {
      const refused = new WebSocket(wsUrl, { headers });
      refused.on('error', () => {});
      const [, res] = await once(refused, 'unexpected-response');
      assert.equal(res.statusCode, 401);
      assert.match(res.headers['www-authenticate'], /Bearer realm=/);
      res.resume();
    }
  });
});
