// Drives the demo IdP (demo/idp/server.mjs) as a scripted confidential client: fetch plus a
// small cookie jar, no browser. Run: cd demo/idp && npm ci && npm test
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  constants, createHash, createPublicKey, generateKeyPairSync, randomBytes, randomUUID, sign, verify,
} from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';

const SERVER = fileURLToPath(new URL('../../demo/idp/server.mjs', import.meta.url));
const CLIENT_ID = 'gatehouse-demo';
const CLIENT_SECRET = 'dev-secret-change-me';
const REQUEST_TIMEOUT_MS = 5000;
const API = 'urn:gatehouse:demo-api'; // the IdP's default resource indicator
const API_SCOPES = 'openid profile email offline_access api.read api.write';
const START_TIMEOUT_MS = 30_000; // how long an IdP may take to print its ready line
// jose (a devDependency of demo/idp, where npm test runs) makes and checks JWTs and DPoP proofs.
const jose = await import(pathToFileURL(createRequire(new URL('../../demo/idp/package.json', import.meta.url)).resolve('jose')).href);

const b64url = (buf) => Buffer.from(buf).toString('base64url');
const decodeJwt = (jwt) => {
  const [h, p] = jwt.split('.');
  return { header: JSON.parse(Buffer.from(h, 'base64url')), payload: JSON.parse(Buffer.from(p, 'base64url')) };
};

/** Resolves once the IdP's output matches `re` (its log lines arrive through a pipe). */
async function outputMatching(idp, re, timeoutMs = 3000) {
  const deadline = Date.now() + timeoutMs;
  while (!re.test(idp.output())) {
    if (Date.now() > deadline) assert.fail(`no IdP output matching ${re} within ${timeoutMs} ms:\n${idp.output()}`);
    await sleep(20);
  }
  return re.exec(idp.output());
}

/** Starts the IdP as a child process on a free port; resolves when it prints its ready line. */
async function startIdp(env = {}) {
  const child = spawn(process.execPath, [SERVER], {
    env: { ...process.env, IDP_PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr.on('data', (d) => { output += d; });
  const issuer = await new Promise((resolve, reject) => {
    // Generous: a loaded CI machine once needed more than 10 s. On a timeout the child is killed,
    // or it would keep the test file alive until the runner's own timeout.
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`idp did not start in ${START_TIMEOUT_MS / 1000} s:\n${output}`));
    }, START_TIMEOUT_MS);
    child.stdout.on('data', (d) => {
      output += d;
      const m = /idp listening on (\S+)/.exec(output);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`idp exited (${code}):\n${output}`)); });
  });
  return {
    issuer,
    output: () => output,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      const [code] = await once(child, 'exit');
      return code;
    },
  };
}

/** A stand-in for gatehouse: records back-channel logout POSTs; nothing else is served. */
async function startRelyingParty() {
  const logouts = [];
  const server = createServer(async (req, res) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    if (req.method === 'POST' && req.url === '/bff/backchannel') {
      logouts.push({ contentType: req.headers['content-type'], form: new URLSearchParams(body) });
      res.writeHead(200).end();
    } else {
      res.writeHead(404).end();
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    origin: `http://127.0.0.1:${server.address().port}`,
    logouts,
    close: () => new Promise((r) => { server.close(r); server.closeAllConnections(); }),
  };
}

/** Minimal cookie jar honouring Path, which is enough for one loopback host. */
class CookieJar {
  #cookies = new Map(); // `${name};${path}` -> { name, value, path }

  store(res) {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      const attr = (n) => attrs.find((a) => a.toLowerCase().startsWith(`${n}=`))?.split('=')[1];
      const path = attr('path') ?? '/';
      const expires = attr('expires');
      const key = `${name};${path}`;
      if (!value || (expires && Date.parse(expires) <= Date.now())) this.#cookies.delete(key);
      else this.#cookies.set(key, { name, value, path, line });
    }
  }

  header(url) {
    const { pathname } = new URL(url);
    return [...this.#cookies.values()]
      .filter((c) => pathname === c.path || pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`))
      .map((c) => `${c.name}=${c.value}`).join('; ');
  }

  all() { return [...this.#cookies.values()]; }
}

class Client {
  constructor(issuer, origin, { auth = 'client_secret_basic' } = {}) {
    this.issuer = issuer;
    this.redirectUri = `${origin}/signin-oidc`;
    this.postLogoutRedirectUri = `${origin}/signout-callback-oidc`;
    this.auth = auth;
    this.jar = new CookieJar();
  }

  async discover() {
    const res = await fetch(`${this.issuer}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    assert.equal(res.status, 200);
    this.meta = await res.json();
    return this.meta;
  }

  /** A browser-like request: manual redirects, cookies from the jar. */
  async browse(url, { method = 'GET', form } = {}) {
    const headers = { cookie: this.jar.header(url) };
    let body;
    if (form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(form).toString();
    }
    const res = await fetch(url, { method, headers, body, redirect: 'manual', signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    this.jar.store(res);
    if (process.env.DEBUG_IDP_TEST) console.error( // DEBUG_IDP_TEST=1 npm test: trace every hop
      method, url, headers.cookie, '->', res.status, res.headers.get('location'));
    return res;
  }

  /** Follows redirects from `res` until one leaves the IdP (returned as a URL) or a page is shown. */
  async follow(res) {
    for (let hops = 0; hops < 10; hops++) {
      if (![302, 303].includes(res.status)) return { page: res, html: await res.text() };
      const location = new URL(res.headers.get('location'), res.url);
      if (location.origin !== new URL(this.issuer).origin) return { location };
      res = await this.browse(location.href);
    }
    throw new Error('too many redirects');
  }

  /** Authorization request with PKCE S256, state and nonce; logs in with the given user. */
  async authorize({ login = 'alice', password = 'alice', scope = 'openid profile email offline_access', extra = {} } = {}) {
    const verifier = b64url(randomBytes(32));
    const state = b64url(randomBytes(16));
    const nonce = b64url(randomBytes(16));
    const url = new URL(this.meta.authorization_endpoint);
    url.search = new URLSearchParams({
      response_type: 'code', client_id: CLIENT_ID, redirect_uri: this.redirectUri, scope, state, nonce,
      code_challenge: b64url(createHash('sha256').update(verifier).digest()), code_challenge_method: 'S256', ...extra,
    });
    let step = await this.follow(await this.browse(url.href));
    if (step.page) {
      assert.equal(step.page.status, 200, step.html);
      const action = /<form method="post" action="([^"]+)"/.exec(step.html)?.[1];
      assert.ok(action && /name="login"/.test(step.html) && /name="password"/.test(step.html), `no login form:\n${step.html}`);
      const res = await this.browse(new URL(action, this.issuer).href, { method: 'POST', form: { login, password } });
      step = await this.follow(res);
    }
    return { ...step, verifier, state, nonce };
  }

  async tokenRequest(endpoint, params, extraHeaders = {}) {
    const headers = { 'content-type': 'application/x-www-form-urlencoded', ...extraHeaders };
    const body = new URLSearchParams(params);
    if (this.auth === 'client_secret_basic') {
      // RFC 6749 2.3.1: id and secret are form-urlencoded before base64.
      const cred = `${encodeURIComponent(CLIENT_ID)}:${encodeURIComponent(CLIENT_SECRET)}`;
      headers.authorization = `Basic ${Buffer.from(cred).toString('base64')}`;
    } else {
      body.set('client_id', CLIENT_ID);
      body.set('client_secret', CLIENT_SECRET);
    }
    const res = await fetch(endpoint, { method: 'POST', headers, body, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    const text = await res.text();
    return { status: res.status, headers: res.headers, json: text ? JSON.parse(text) : undefined };
  }

  /** The token endpoint: grant_type plus params, with a DPoP proof when given. */
  token(params, dpop) {
    return this.tokenRequest(this.meta.token_endpoint, params, dpop ? { dpop } : {});
  }

  /** A JWT access token checked with jose against the JWKS: at+jwt, our issuer, the API's audience. */
  async verifyAccessToken(jwt, audience = API) {
    const jwks = jose.createRemoteJWKSet(new URL(this.meta.jwks_uri));
    return jose.jwtVerify(jwt, jwks, { issuer: this.issuer, audience, typ: 'at+jwt' });
  }

  async verifyJwt(jwt) {
    const { header, payload } = decodeJwt(jwt);
    const jwks = await (await fetch(this.meta.jwks_uri, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) })).json();
    const jwk = jwks.keys.find((k) => k.kid === header.kid);
    assert.ok(jwk, `no key ${header.kid} in jwks`);
    assert.equal(jwk.alg, header.alg);
    const [h, p, s] = jwt.split('.');
    const key = createPublicKey({ key: jwk, format: 'jwk' });
    const opts = {
      RS256: { key },
      PS256: { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
      ES256: { key, dsaEncoding: 'ieee-p1363' },
    }[header.alg];
    assert.ok(verify('sha256', Buffer.from(`${h}.${p}`), opts, Buffer.from(s, 'base64url')), 'bad JWT signature');
    return { header, payload };
  }

  /** Full login: authorize, assert the callback, redeem the code. */
  async login({ dpop, tokenParams = {}, ...opts } = {}) {
    const { location, verifier, state, nonce } = await this.authorize(opts);
    assert.ok(location, 'expected a redirect back to the client');
    assert.equal(`${location.origin}${location.pathname}`, this.redirectUri);
    assert.equal(location.searchParams.get('state'), state);
    assert.equal(location.searchParams.get('iss'), this.issuer);
    const code = location.searchParams.get('code');
    assert.ok(code, `no code in ${location}`);
    const res = await this.tokenRequest(this.meta.token_endpoint, {
      grant_type: 'authorization_code', code, redirect_uri: this.redirectUri, code_verifier: verifier, ...tokenParams,
    }, dpop ? { dpop: await dpop(this.meta.token_endpoint) } : {});
    assert.equal(res.status, 200, JSON.stringify(res.json));
    const idToken = await this.verifyJwt(res.json.id_token);
    assert.equal(idToken.payload.nonce, nonce);
    return { tokens: res.json, idToken };
  }

  /** RP-initiated logout, confirming like the auto-submitting page does; returns the final redirect. */
  async logout(idTokenHint, state = 'after-logout') {
    const url = new URL(this.meta.end_session_endpoint);
    url.search = new URLSearchParams({ id_token_hint: idTokenHint, post_logout_redirect_uri: this.postLogoutRedirectUri, state });
    const page = await this.browse(url.href);
    assert.equal(page.status, 200);
    const html = await page.text();
    const action = /<form id="op.logoutForm" method="post" action="([^"]+)"/.exec(html)?.[1];
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(html)?.[1];
    assert.ok(action && xsrf, `no logout form:\n${html}`);
    const res = await this.browse(new URL(action, this.issuer).href, { method: 'POST', form: { xsrf, logout: 'yes' } });
    assert.equal(res.status, 303);
    return new URL(res.headers.get('location'));
  }
}

describe('demo IdP (RS256, client_secret_basic)', { timeout: 60_000 }, () => {
  let rp;
  let idp;
  before(async () => {
    rp = await startRelyingParty();
    idp = await startIdp({ GATEHOUSE_ORIGIN: rp.origin });
  });
  after(async () => {
    const code = await idp?.stop();
    await rp?.close();
    assert.equal(code, 0, 'idp should exit cleanly on SIGTERM');
  });

  test('discovery advertises what gatehouse needs', async () => {
    const meta = await new Client(idp.issuer, rp.origin).discover();
    assert.equal(meta.issuer, idp.issuer);
    assert.deepEqual(meta.code_challenge_methods_supported, ['S256']);
    assert.deepEqual(meta.response_types_supported, ['code']);
    assert.deepEqual(meta.token_endpoint_auth_methods_supported, ['client_secret_basic', 'client_secret_post']);
    assert.deepEqual(meta.id_token_signing_alg_values_supported, ['RS256']);
    for (const s of ['openid', 'profile', 'email', 'offline_access']) assert.ok(meta.scopes_supported.includes(s), s);
    assert.ok(meta.end_session_endpoint);
    assert.ok(meta.revocation_endpoint);
    assert.equal(meta.backchannel_logout_supported, true);
    assert.equal(meta.backchannel_logout_session_supported, true);
  });

  test('a wrong password shows the form again with an error', async () => {
    const c = new Client(idp.issuer, rp.origin);
    await c.discover();
    const { page, html } = await c.authorize({ password: 'wrong' });
    assert.equal(page.status, 200);
    assert.match(html, /Invalid username or password/);
    assert.match(html, /name="login"/);
  });

  test('the authorization request requires PKCE', async () => {
    const c = new Client(idp.issuer, rp.origin);
    await c.discover();
    const url = new URL(c.meta.authorization_endpoint);
    url.search = new URLSearchParams({ response_type: 'code', client_id: CLIENT_ID, redirect_uri: c.redirectUri, scope: 'openid', state: 's' });
    const { location } = await c.follow(await c.browse(url.href));
    assert.equal(location.searchParams.get('error'), 'invalid_request');
    assert.match(location.searchParams.get('error_description'), /PKCE/);
  });

  test('code flow: tokens, refresh, revocation, RP-initiated logout', async () => {
    const c = new Client(idp.issuer, rp.origin);
    await c.discover();
    const { tokens, idToken } = await c.login();
    assert.equal(tokens.token_type, 'Bearer');
    assert.ok(tokens.access_token, 'access_token');
    assert.ok(tokens.refresh_token, 'refresh_token');
    assert.ok(tokens.expires_in > 0);
    const claims = idToken.payload;
    assert.equal(claims.iss, idp.issuer);
    assert.equal(claims.aud, CLIENT_ID);
    assert.equal(claims.sub, 'alice');
    assert.equal(claims.name, 'Alice Example');
    assert.equal(claims.email, 'alice@example.com');
    assert.ok(claims.sid, 'ID token carries sid');
    for (const k of c.jar.all()) assert.doesNotMatch(k.line, /;\s*secure/i, `${k.name} must work over http`);

    // The access token is the sample API's (the default resource), so userinfo refuses it; the
    // suite with IDP_API_RESOURCES empty below checks userinfo with an opaque token.
    const { payload: at } = await c.verifyAccessToken(tokens.access_token);
    assert.equal(at.sub, 'alice');
    const me = await fetch(c.meta.userinfo_endpoint, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    assert.equal(me.status, 401);

    const refreshed = await c.tokenRequest(c.meta.token_endpoint, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
    assert.equal(refreshed.status, 200, JSON.stringify(refreshed.json));
    assert.ok(refreshed.json.access_token);
    assert.notEqual(refreshed.json.access_token, tokens.access_token);
    // Rotation on every use (IDP_ROTATE_REFRESH_TOKEN defaults to 1).
    assert.ok(refreshed.json.refresh_token);
    assert.notEqual(refreshed.json.refresh_token, tokens.refresh_token);
    const refreshToken = refreshed.json.refresh_token;
    const newId = await c.verifyJwt(refreshed.json.id_token);
    assert.equal(newId.payload.sid, claims.sid, 'refresh keeps the session id');

    const revoked = await c.tokenRequest(c.meta.revocation_endpoint, { token: refreshToken, token_type_hint: 'refresh_token' });
    assert.equal(revoked.status, 200);
    // The line tests read to see a revocation; it names the account and sid, never the token.
    await outputMatching(idp, new RegExp(`idp: revoked RefreshToken of sub alice \\(sid ${claims.sid}, client ${CLIENT_ID}\\) at the revocation endpoint`));
    assert.ok(!idp.output().includes(refreshToken), 'the IdP never logs a token');
    const twice = await c.tokenRequest(c.meta.revocation_endpoint, { token: refreshToken, token_type_hint: 'refresh_token' });
    assert.equal(twice.status, 200);
    await outputMatching(idp, /idp: revocation request from gatehouse-demo for an unknown, expired or already revoked token/);
    const again = await c.tokenRequest(c.meta.token_endpoint, { grant_type: 'refresh_token', refresh_token: refreshToken });
    assert.equal(again.status, 400);
    assert.equal(again.json.error, 'invalid_grant');

    const landed = await c.logout(tokens.id_token, 'st-1');
    assert.equal(`${landed.origin}${landed.pathname}`, c.postLogoutRedirectUri);
    assert.equal(landed.searchParams.get('state'), 'st-1');

    // The IdP session is gone: the next authorization request asks for a login again.
    const next = await c.authorize({ password: 'wrong' });
    assert.match(next.html ?? '', /name="password"/);
  });

  test('bob can log in too and gets his own claims', async () => {
    const c = new Client(idp.issuer, rp.origin);
    await c.discover();
    const { idToken } = await c.login({ login: 'bob', password: 'bob' });
    assert.equal(idToken.payload.sub, 'bob');
    assert.equal(idToken.payload.email, 'bob@example.com');
  });

  test('end-session POSTs a logout_token to the back-channel URI on 127.0.0.1', async () => {
    const c = new Client(idp.issuer, rp.origin);
    await c.discover();
    const { tokens, idToken } = await c.login();
    const before = rp.logouts.length;
    await c.logout(tokens.id_token);
    // oidc-provider awaits back-channel delivery before redirecting, so it has arrived by now.
    const received = rp.logouts.slice(before);
    assert.equal(received.length, 1, `expected one back-channel POST; idp output:\n${idp.output()}`);
    assert.match(received[0].contentType, /^application\/x-www-form-urlencoded/);
    const logoutToken = received[0].form.get('logout_token');
    assert.ok(logoutToken, 'logout_token form field');
    const { header, payload } = await c.verifyJwt(logoutToken);
    assert.equal(header.typ, 'logout+jwt');
    assert.equal(payload.iss, idp.issuer);
    assert.equal(payload.aud, CLIENT_ID);
    assert.equal(payload.sub, 'alice');
    assert.equal(payload.sid, idToken.payload.sid);
    assert.ok(payload.jti);
    assert.equal(payload.nonce, undefined);
    assert.deepEqual(payload.events, { 'http://schemas.openid.net/event/backchannel-logout': {} });
    await outputMatching(idp, new RegExp(`idp: back-channel logout delivered to ${rp.origin}/bff/backchannel \\(sub alice, sid ${payload.sid}\\)`));
  });
});

describe('demo IdP (ES256, client_secret_post, short tokens, strict offline_access)', { timeout: 60_000 }, () => {
  let idp;
  const origin = 'http://127.0.0.1:1'; // never contacted: no back-channel logout in this suite
  before(async () => {
    idp = await startIdp({
      GATEHOUSE_ORIGIN: origin, IDP_SIGNING_ALG: 'ES256', IDP_TOKEN_AUTH: 'client_secret_post',
      IDP_TTL_ID_TOKEN: '30', IDP_TTL_ACCESS_TOKEN: '20', IDP_STRICT_OFFLINE_ACCESS: '1',
    });
  });
  after(async () => { await idp?.stop(); });

  test('ES256 ID token, client_secret_post, the configured lifetimes', async () => {
    const c = new Client(idp.issuer, origin, { auth: 'client_secret_post' });
    const meta = await c.discover();
    assert.deepEqual(meta.id_token_signing_alg_values_supported, ['ES256']);
    const { tokens, idToken } = await c.login({ scope: 'openid profile' });
    assert.equal(idToken.header.alg, 'ES256');
    assert.equal(idToken.payload.exp - idToken.payload.iat, 30);
    assert.equal(tokens.expires_in, 20); // IDP_TTL_ACCESS_TOKEN, the older name of IDP_ACCESS_TOKEN_TTL
    const { payload, protectedHeader } = await c.verifyAccessToken(tokens.access_token);
    assert.equal(protectedHeader.alg, 'ES256', 'the API token is signed like the ID token');
    assert.equal(payload.exp - payload.iat, 20);
    // Strict mode: no offline_access granted, so no refresh token.
    assert.equal(tokens.refresh_token, undefined);
  });

  test('strict mode: offline_access with prompt=consent yields a refresh token', async () => {
    const c = new Client(idp.issuer, origin, { auth: 'client_secret_post' });
    await c.discover();
    const { tokens } = await c.login({ extra: { prompt: 'consent' } });
    assert.ok(tokens.refresh_token);
    // The token response's scope is the API access token's; the grant's is the refresh token's.
    const info = await c.tokenRequest(c.meta.introspection_endpoint, { token: tokens.refresh_token });
    assert.equal(info.json.active, true, JSON.stringify(info.json));
    assert.match(info.json.scope, /offline_access/);
  });

  test('a wrong client secret is refused with invalid_client', async () => {
    // Note: oidc-provider treats client_secret_basic and client_secret_post as interchangeable
    // for a secret-holding client, so only the secret itself is checked here.
    const c = new Client(idp.issuer, origin, { auth: 'client_secret_post' });
    await c.discover();
    const res = await fetch(c.meta.token_endpoint, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: 'x', client_id: CLIENT_ID, client_secret: 'wrong' }),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    assert.equal(res.status, 401);
    assert.equal((await res.json()).error, 'invalid_client');
  });
});

describe('demo IdP (PS256)', { timeout: 60_000 }, () => {
  let idp;
  const origin = 'http://127.0.0.1:1';
  before(async () => { idp = await startIdp({ GATEHOUSE_ORIGIN: origin, IDP_SIGNING_ALG: 'PS256' }); });
  after(async () => { await idp?.stop(); });

  test('PS256 ID token verifies against the JWKS', async () => {
    const c = new Client(idp.issuer, origin);
    await c.discover();
    const { idToken } = await c.login();
    assert.equal(idToken.header.alg, 'PS256');
  });
});

/** A private JWK like the tests give IDP_SIGNING_KEY_FILE. */
function privateJwk(alg, kid = randomUUID()) {
  const { privateKey } = alg === 'ES256'
    ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
    : generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), alg, kid };
}

describe('demo IdP with IDP_SIGNING_KEY_FILE', { timeout: 60_000 }, () => {
  const origin = 'http://127.0.0.1:1';
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-idp-key-'));
  const jwk = privateJwk('ES256'); // not the default alg: the file's alg wins
  const keyFile = join(dir, 'signing-key.json');
  let idp;
  before(async () => {
    writeFileSync(keyFile, JSON.stringify(jwk), { mode: 0o600 });
    idp = await startIdp({ GATEHOUSE_ORIGIN: origin, IDP_SIGNING_KEY_FILE: keyFile });
  });
  after(async () => {
    await idp?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('publishes exactly that key (public part only) and signs ID tokens with it', async () => {
    const c = new Client(idp.issuer, origin);
    const meta = await c.discover();
    assert.deepEqual(meta.id_token_signing_alg_values_supported, ['ES256']);
    const jwks = await (await fetch(meta.jwks_uri, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) })).json();
    assert.equal(jwks.keys.length, 1, JSON.stringify(jwks));
    const [published] = jwks.keys;
    assert.equal(published.kid, jwk.kid);
    assert.equal(published.alg, 'ES256');
    assert.equal(published.use, 'sig');
    assert.equal(published.d, undefined, 'no private part in the JWKS');
    assert.equal(published.x, jwk.x);
    assert.equal(published.y, jwk.y);
    const { idToken } = await c.login();
    assert.equal(idToken.header.kid, jwk.kid);
    assert.match(idp.output(), new RegExp(`idp signing key ${jwk.kid} \\(ES256\\) from IDP_SIGNING_KEY_FILE`));
    assert.ok(!idp.output().includes(jwk.d), 'the private key is never printed');
  });

  test('a token the test signs with the file\'s key verifies against the IdP\'s JWKS', async () => {
    const c = new Client(idp.issuer, origin);
    await c.discover();
    const h = b64url(JSON.stringify({ alg: 'ES256', kid: jwk.kid, typ: 'logout+jwt' }));
    const p = b64url(JSON.stringify({ iss: idp.issuer, aud: CLIENT_ID, iat: Math.floor(Date.now() / 1000), jti: randomUUID() }));
    const s = sign('sha256', Buffer.from(`${h}.${p}`), { key: jwk, format: 'jwk', dsaEncoding: 'ieee-p1363' });
    const { payload } = await c.verifyJwt(`${h}.${p}.${b64url(s)}`);
    assert.equal(payload.iss, idp.issuer);
  });
});

describe('IDP_SIGNING_KEY_FILE validation', { timeout: 60_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-idp-badkey-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name, content) => {
    const path = join(dir, name);
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content), { mode: 0o600 });
    return path;
  };
  const rsa = privateJwk('RS256');
  const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, ...rsaPublic } = rsa;

  test('bad files are refused at start-up with a message naming the variable', async () => {
    const { readConfig } = await import(SERVER);
    const cases = [
      [join(dir, 'missing.json'), /cannot be read \(ENOENT\)/],
      [file('not-json.json', `{"kty":"RSA","d":"${rsa.d}"`), /is not valid JSON/],
      [file('array.json', [rsa]), /must hold one JWK object/],
      [file('no-kid.json', { ...rsa, kid: undefined }), /needs a non-empty string "kid"/],
      [file('empty-kid.json', { ...rsa, kid: '' }), /needs a non-empty string "kid"/],
      [file('no-alg.json', { ...rsa, alg: undefined }), /needs "alg" one of RS256, PS256, ES256, got undefined/],
      [file('alg-none.json', { ...rsa, alg: 'none' }), /needs "alg" one of RS256, PS256, ES256, got "none"/],
      [file('alg-hs256.json', { ...rsa, alg: 'HS256' }), /got "HS256"/],
      [file('use-enc.json', { ...rsa, use: 'enc' }), /"use" "enc"/],
      [file('public.json', rsaPublic), /holds no private key/],
      [file('no-e.json', { ...rsa, e: undefined }), /is not a usable private JWK \(ERR_INVALID_ARG_TYPE\)/],
      [file('kty-oct.json', { ...rsa, kty: 'oct' }), /is not a usable private JWK/],
      [file('alg-vs-kty.json', { ...rsa, alg: 'ES256' }), /holds a rsa key, but ES256 needs ec/],
      [file('small-rsa.json', { ...generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ format: 'jwk' }), alg: 'RS256', kid: 'k' }),
        /1024-bit RSA key; at least 2048 bits/],
      [file('p384.json', { ...generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey.export({ format: 'jwk' }), alg: 'ES256', kid: 'k' }),
        /EC key on secp384r1; ES256 needs P-256/],
    ];
    for (const [path, message] of cases) {
      assert.throws(() => readConfig({ IDP_SIGNING_KEY_FILE: path }), (err) => {
        assert.match(err.message, /IDP_SIGNING_KEY_FILE/, path);
        assert.match(err.message, message, path);
        assert.ok(!err.message.includes(rsa.d), `${path}: no key material in the message`);
        return true;
      }, path);
    }
    const good = file('good.json', rsa);
    assert.throws(() => readConfig({ IDP_SIGNING_KEY_FILE: good, IDP_SIGNING_ALG: 'ES256' }),
      /IDP_SIGNING_ALG is ES256 but IDP_SIGNING_KEY_FILE's key is RS256/);
    const config = readConfig({ IDP_SIGNING_KEY_FILE: good, IDP_SIGNING_ALG: 'RS256' });
    assert.equal(config.signingAlg, 'RS256');
    assert.equal(config.signingKey.kid, rsa.kid);
    assert.equal(readConfig({}).signingKey, undefined, 'without the variable a key is generated');
  });

  test('the server exits with status 2 and the message', async () => {
    const child = spawn(process.execPath, [SERVER], {
      env: { ...process.env, IDP_PORT: '0', IDP_SIGNING_KEY_FILE: file('public2.json', rsaPublic) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    const [code] = await once(child, 'exit');
    assert.equal(code, 2, stderr);
    assert.match(stderr, /idp: configuration error: IDP_SIGNING_KEY_FILE ".*public2\.json" holds no private key/);
  });
});

/** An ES256 key for DPoP proofs and a maker of proofs (RFC 9449 4.2) signed with it. */
async function dpopKey() {
  const { publicKey, privateKey } = await jose.generateKeyPair('ES256');
  const jwk = await jose.exportJWK(publicKey);
  const proof = (htu, { htm = 'POST', nonce, ath, jti = randomUUID(), iat = Math.floor(Date.now() / 1000) } = {}) =>
    new jose.SignJWT({ htm, htu, jti, iat, nonce, ath }).setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk }).sign(privateKey);
  return { jwk, thumbprint: await jose.calculateJwkThumbprint(jwk), proof };
}

async function hook(idp, method, path) {
  const res = await fetch(`${idp.issuer}${path}`, { method, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch { /* an HTML error page: callers check the status */ }
  return { status: res.status, json };
}

describe('demo IdP: tokens for the sample API, DPoP, test hooks (IDP_TEST_HOOKS=1)', { timeout: 60_000 }, () => {
  const origin = 'http://127.0.0.1:1';
  let idp;
  before(async () => { idp = await startIdp({ GATEHOUSE_ORIGIN: origin, IDP_TEST_HOOKS: '1' }); });
  after(async () => { await idp?.stop(); });

  test('discovery: client credentials, DPoP algorithms', async () => {
    const meta = await new Client(idp.issuer, origin).discover();
    for (const g of ['authorization_code', 'refresh_token', 'client_credentials']) assert.ok(meta.grant_types_supported.includes(g), g);
    assert.ok(meta.dpop_signing_alg_values_supported.includes('ES256'));
    assert.ok(meta.dpop_signing_alg_values_supported.includes('PS256'));
    assert.match(idp.output(), /idp test hooks on at \/__test\//);
  });

  test('authorization code without `resource`: a JWT access token for the API (RFC 9068)', async () => {
    const c = new Client(idp.issuer, origin);
    await c.discover();
    const { tokens } = await c.login({ scope: API_SCOPES });
    assert.equal(tokens.token_type, 'Bearer');
    assert.equal(tokens.expires_in, 300, 'IDP_ACCESS_TOKEN_TTL defaults to 300 s');
    assert.equal(tokens.scope, 'api.read api.write');
    const { payload, protectedHeader } = await c.verifyAccessToken(tokens.access_token);
    assert.equal(protectedHeader.typ, 'at+jwt');
    assert.equal(payload.iss, idp.issuer);
    assert.equal(payload.aud, API);
    assert.equal(payload.sub, 'alice');
    assert.equal(payload.client_id, CLIENT_ID);
    assert.equal(payload.scope, 'api.read api.write');
    assert.equal(payload.exp - payload.iat, 300);
    assert.equal(payload.cnf, undefined, 'no DPoP proof, no binding');
    assert.ok(payload.jti);
  });

  test('authorization code and refresh with resource=<the API>: the same audience; another resource is refused', async () => {
    const c = new Client(idp.issuer, origin);
    await c.discover();
    const { tokens } = await c.login({ scope: API_SCOPES, tokenParams: { resource: API } });
    assert.equal((await c.verifyAccessToken(tokens.access_token)).payload.aud, API);
    const refreshed = await c.token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token, resource: API });
    assert.equal(refreshed.status, 200, JSON.stringify(refreshed.json));
    assert.equal((await c.verifyAccessToken(refreshed.json.access_token)).payload.aud, API);
    const other = await c.token({ grant_type: 'refresh_token', refresh_token: refreshed.json.refresh_token, resource: 'urn:other:api' });
    assert.equal(other.status, 400);
    assert.equal(other.json.error, 'invalid_target');
  });

  test('refresh rotates the refresh token; a used one is refused with invalid_grant and ends the grant', async () => {
    const c = new Client(idp.issuer, origin);
    await c.discover();
    const { tokens } = await c.login({ scope: API_SCOPES });
    const first = await c.token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
    assert.equal(first.status, 200, JSON.stringify(first.json));
    assert.notEqual(first.json.refresh_token, tokens.refresh_token);
    const at = (await c.verifyAccessToken(first.json.access_token)).payload;
    assert.equal(at.aud, API, 'a refresh without resource gets the granted resource');
    assert.equal(at.scope, 'api.read api.write');
    assert.equal(at.sub, 'alice');
    const second = await c.token({ grant_type: 'refresh_token', refresh_token: first.json.refresh_token });
    assert.equal(second.status, 200, JSON.stringify(second.json));

    const reused = await c.token({ grant_type: 'refresh_token', refresh_token: first.json.refresh_token });
    assert.equal(reused.status, 400);
    assert.equal(reused.json.error, 'invalid_grant');
    // Reuse detection: the newest refresh token of that grant is gone as well.
    const latest = await c.token({ grant_type: 'refresh_token', refresh_token: second.json.refresh_token });
    assert.equal(latest.status, 400);
    assert.equal(latest.json.error, 'invalid_grant');
  });

  test('client credentials: a JWT for the API whose sub is the client id, api.read at most', async () => {
    const c = new Client(idp.issuer, origin);
    await c.discover();
    const res = await c.token({ grant_type: 'client_credentials', scope: 'api.read api.write' });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.equal(res.json.token_type, 'Bearer');
    assert.equal(res.json.scope, 'api.read');
    assert.equal(res.json.refresh_token, undefined);
    assert.equal(res.json.expires_in, 300);
    const { payload } = await c.verifyAccessToken(res.json.access_token);
    assert.equal(payload.sub, CLIENT_ID);
    assert.equal(payload.client_id, CLIENT_ID);
    assert.equal(payload.aud, API);
    assert.equal(payload.scope, 'api.read');
    const withResource = await c.token({ grant_type: 'client_credentials', scope: 'api.read', resource: API });
    assert.equal(withResource.status, 200, JSON.stringify(withResource.json));
    const wrongSecret = await fetch(c.meta.token_endpoint, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'api.read', client_id: CLIENT_ID, client_secret: 'wrong' }),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    assert.equal(wrongSecret.status, 401);
  });

  test('DPoP: a proof binds the code flow\'s, the refresh\'s and the client credentials\' access tokens', async () => {
    const c = new Client(idp.issuer, origin);
    await c.discover();
    const key = await dpopKey();
    const { tokens } = await c.login({ scope: API_SCOPES, dpop: (htu) => key.proof(htu) });
    assert.equal(tokens.token_type, 'DPoP');
    assert.equal((await c.verifyAccessToken(tokens.access_token)).payload.cnf.jkt, key.thumbprint);

    const refreshed = await c.token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, await key.proof(c.meta.token_endpoint));
    assert.equal(refreshed.status, 200, JSON.stringify(refreshed.json));
    assert.equal(refreshed.json.token_type, 'DPoP');
    assert.equal((await c.verifyAccessToken(refreshed.json.access_token)).payload.cnf.jkt, key.thumbprint);

    const proof = await key.proof(c.meta.token_endpoint);
    const cc = await c.token({ grant_type: 'client_credentials', scope: 'api.read' }, proof);
    assert.equal(cc.status, 200, JSON.stringify(cc.json));
    assert.equal(cc.json.token_type, 'DPoP');
    assert.equal((await c.verifyAccessToken(cc.json.access_token)).payload.cnf.jkt, key.thumbprint);
    assert.equal(cc.headers.get('dpop-nonce'), null, 'no nonce unless IDP_DPOP_NONCE=1');

    const replayed = await c.token({ grant_type: 'client_credentials', scope: 'api.read' }, proof);
    assert.equal(replayed.status, 400, JSON.stringify(replayed.json));
    const wrongHtu = await c.token({ grant_type: 'client_credentials' }, await key.proof(`${idp.issuer}/elsewhere`));
    assert.equal(wrongHtu.status, 400);
    assert.equal(wrongHtu.json.error, 'invalid_dpop_proof');
  });

  test('hook: token request counts by grant type', async () => {
    const c = new Client(idp.issuer, origin);
    await c.discover();
    const before = (await hook(idp, 'GET', '/__test/token-requests')).json;
    assert.equal(before.mode, 'ok');
    const { tokens } = await c.login({ scope: API_SCOPES });
    await c.token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
    await c.token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token }); // reused: refused
    await c.token({ grant_type: 'client_credentials', scope: 'api.read' });
    const { status, json: after } = await hook(idp, 'GET', '/__test/token-requests');
    assert.equal(status, 200);
    assert.equal(after.authorization_code - before.authorization_code, 1);
    assert.equal(after.refresh_token - before.refresh_token, 2);
    assert.equal(after.client_credentials - before.client_credentials, 1);
    assert.equal(after.failed.refresh_token - before.failed.refresh_token, 1);
    assert.equal(after.failed.client_credentials - before.failed.client_credentials, 0);
  });

  test('hook: the token endpoint fails with 503 until told ok', async () => {
    const c = new Client(idp.issuer, origin);
    await c.discover();
    const { tokens } = await c.login({ scope: API_SCOPES });
    const before = (await hook(idp, 'GET', '/__test/token-requests')).json;
    try {
      assert.deepEqual((await hook(idp, 'POST', '/__test/token-endpoint?mode=fail')).json, { mode: 'fail' });
      for (const params of [{ grant_type: 'refresh_token', refresh_token: tokens.refresh_token }, { grant_type: 'client_credentials', scope: 'api.read' }]) {
        const res = await c.token(params);
        assert.equal(res.status, 503);
        assert.equal(res.json.error, 'temporarily_unavailable');
      }
      const during = (await hook(idp, 'GET', '/__test/token-requests')).json;
      assert.equal(during.mode, 'fail');
      assert.equal(during.failed.refresh_token - before.failed.refresh_token, 1);
      assert.equal(during.failed.client_credentials - before.failed.client_credentials, 1);
    } finally {
      assert.equal((await hook(idp, 'POST', '/__test/token-endpoint?mode=ok')).status, 200);
    }
    // Nothing was consumed while failing: the refresh token still works.
    const res = await c.token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token });
    assert.equal(res.status, 200, JSON.stringify(res.json));
    assert.equal((await hook(idp, 'POST', '/__test/token-endpoint?mode=maybe')).status, 400);
    await outputMatching(idp, /idp: test hook: token endpoint answers 503 to every request/);
    await outputMatching(idp, /idp: test hook: token endpoint works again/);
  });

  test('hook: revoke-grants ends a user\'s refresh tokens, not another user\'s', async () => {
    const alice = new Client(idp.issuer, origin);
    const bob = new Client(idp.issuer, origin);
    await alice.discover();
    await bob.discover();
    const a = (await alice.login({ scope: API_SCOPES })).tokens;
    const b = (await bob.login({ login: 'bob', password: 'bob', scope: API_SCOPES })).tokens;
    const { status, json } = await hook(idp, 'POST', '/__test/revoke-grants?sub=alice');
    assert.equal(status, 200);
    assert.equal(json.sub, 'alice');
    assert.ok(json.grants >= 1, JSON.stringify(json));
    const refusedA = await alice.token({ grant_type: 'refresh_token', refresh_token: a.refresh_token });
    assert.equal(refusedA.status, 400);
    assert.equal(refusedA.json.error, 'invalid_grant');
    const okB = await bob.token({ grant_type: 'refresh_token', refresh_token: b.refresh_token });
    assert.equal(okB.status, 200, JSON.stringify(okB.json));
    assert.equal((await hook(idp, 'POST', '/__test/revoke-grants')).status, 400);
    assert.equal((await hook(idp, 'GET', '/__test/nothing')).status, 404);
    await outputMatching(idp, /idp: test hook: revoked \d+ grant\(s\) of sub alice/);
  });
});

describe('demo IdP without IDP_TEST_HOOKS', { timeout: 60_000 }, () => {
  let idp;
  before(async () => { idp = await startIdp({ GATEHOUSE_ORIGIN: 'http://127.0.0.1:1' }); });
  after(async () => { await idp?.stop(); });

  test('has no /__test/ endpoints', async () => {
    for (const [method, path] of [['GET', '/__test/token-requests'], ['POST', '/__test/token-endpoint?mode=fail'], ['POST', '/__test/revoke-grants?sub=alice']]) {
      assert.equal((await hook(idp, method, path)).status, 404, path);
    }
    assert.doesNotMatch(idp.output(), /test hooks/);
  });
});

describe('demo IdP with IDP_ISSUED_TOKENS_FILE (and IDP_TEST_HOOKS=1)', { timeout: 60_000 }, () => {
  let rp;
  let idp;
  let dir;
  const file = () => join(dir, 'issued.jsonl');
  const issued = () => readFileSync(file(), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'idp-issued-'));
    rp = await startRelyingParty();
    idp = await startIdp({ GATEHOUSE_ORIGIN: rp.origin, IDP_TEST_HOOKS: '1', IDP_ISSUED_TOKENS_FILE: file() });
  });
  after(async () => {
    await idp?.stop();
    await rp?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('every code and token it issues is appended: login, refresh, client credentials, back-channel logout', async () => {
    assert.match(idp.output(), /idp issued tokens appended to .*issued\.jsonl \(IDP_ISSUED_TOKENS_FILE\)/);
    const c = new Client(idp.issuer, rp.origin);
    await c.discover();
    const { tokens } = await c.login({ scope: API_SCOPES });
    const refreshed = (await c.token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token })).json;
    const machine = (await c.token({ grant_type: 'client_credentials', scope: 'api.read' })).json;
    await c.logout(refreshed.id_token);
    const logoutToken = rp.logouts.at(-1)?.form.get('logout_token');
    assert.ok(logoutToken, 'the back-channel logout was sent');
    const has = (kind, value) => issued().some((e) => e.kind === kind && e.value === value);
    for (const t of [tokens, refreshed]) {
      assert.ok(has('access token', t.access_token), 'the JWT access token as the client got it');
      assert.ok(has('refresh token', t.refresh_token), 'the refresh token');
      assert.ok(has('id token', t.id_token), 'the ID token');
    }
    assert.ok(has('client credentials token', machine.access_token), 'the client-credentials token');
    assert.ok(has('logout token', logoutToken), 'the back-channel logout token');
    assert.ok(issued().some((e) => e.kind === 'authorization code' && /^[\w-]{43}$/.test(e.value)), 'the authorization code');
    assert.ok(!idp.output().includes(tokens.refresh_token), 'and none of them in its own output');
  });

  test('the variable needs IDP_TEST_HOOKS=1', async () => {
    const { readConfig } = await import(SERVER);
    assert.throws(() => readConfig({ IDP_ISSUED_TOKENS_FILE: file() }), /IDP_ISSUED_TOKENS_FILE needs IDP_TEST_HOOKS=1/);
    assert.equal(readConfig({ IDP_TEST_HOOKS: '1', IDP_ISSUED_TOKENS_FILE: file() }).issuedTokensFile, file());
    assert.equal(readConfig({}).issuedTokensFile, undefined);
  });
});

describe('demo IdP with IDP_DPOP_NONCE=1 and IDP_ACCESS_TOKEN_TTL=2', { timeout: 60_000 }, () => {
  const origin = 'http://127.0.0.1:1';
  let idp;
  before(async () => { idp = await startIdp({ GATEHOUSE_ORIGIN: origin, IDP_DPOP_NONCE: '1', IDP_ACCESS_TOKEN_TTL: '2' }); });
  after(async () => { await idp?.stop(); });

  test('a proof without the server nonce gets use_dpop_nonce and a DPoP-Nonce; with it, a token', async () => {
    const c = new Client(idp.issuer, origin);
    await c.discover();
    const key = await dpopKey();
    const first = await c.token({ grant_type: 'client_credentials', scope: 'api.read' }, await key.proof(c.meta.token_endpoint));
    assert.equal(first.status, 400);
    assert.equal(first.json.error, 'use_dpop_nonce');
    const nonce = first.headers.get('dpop-nonce');
    assert.ok(nonce, 'DPoP-Nonce header');
    const second = await c.token({ grant_type: 'client_credentials', scope: 'api.read' }, await key.proof(c.meta.token_endpoint, { nonce }));
    assert.equal(second.status, 200, JSON.stringify(second.json));
    assert.equal(second.json.token_type, 'DPoP');
    // Bearer requests are untouched by the nonce requirement.
    const bearer = await c.token({ grant_type: 'client_credentials', scope: 'api.read' });
    assert.equal(bearer.status, 200, JSON.stringify(bearer.json));
  });

  test('access tokens live IDP_ACCESS_TOKEN_TTL seconds, for both grant kinds', async () => {
    const c = new Client(idp.issuer, origin);
    await c.discover();
    const { tokens } = await c.login({ scope: API_SCOPES });
    assert.equal(tokens.expires_in, 2);
    const { payload } = await c.verifyAccessToken(tokens.access_token);
    assert.equal(payload.exp - payload.iat, 2);
    const cc = await c.token({ grant_type: 'client_credentials', scope: 'api.read' });
    assert.equal(cc.json.expires_in, 2);
  });
});

describe('demo IdP with IDP_API_RESOURCES empty: opaque access tokens', { timeout: 60_000 }, () => {
  const origin = 'http://127.0.0.1:1';
  let idp;
  before(async () => { idp = await startIdp({ GATEHOUSE_ORIGIN: origin, IDP_API_RESOURCES: '' }); });
  after(async () => { await idp?.stop(); });

  test('userinfo accepts the access token; revoking the refresh token revokes it too', async () => {
    const c = new Client(idp.issuer, origin);
    await c.discover();
    const { tokens } = await c.login();
    assert.doesNotMatch(tokens.access_token, /^eyJ/, 'opaque, not a JWT');
    const me = await fetch(c.meta.userinfo_endpoint, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    assert.equal(me.status, 200);
    assert.equal((await me.json()).preferred_username, 'alice');
    const revoked = await c.tokenRequest(c.meta.revocation_endpoint, { token: tokens.refresh_token, token_type_hint: 'refresh_token' });
    assert.equal(revoked.status, 200);
    // Revoking the refresh token revokes its grant, access tokens included.
    const meAfter = await fetch(c.meta.userinfo_endpoint, { headers: { authorization: `Bearer ${tokens.access_token}` } });
    assert.equal(meAfter.status, 401);
  });
});

describe('configuration of the new settings', () => {
  test('bad values are refused with a message naming the variable', async () => {
    const { readConfig } = await import(SERVER);
    assert.throws(() => readConfig({ IDP_ACCESS_TOKEN_TTL: '2', IDP_TTL_ACCESS_TOKEN: '20' }), /IDP_ACCESS_TOKEN_TTL \(2\) and its older name IDP_TTL_ACCESS_TOKEN \(20\) disagree/);
    assert.throws(() => readConfig({ IDP_ACCESS_TOKEN_TTL: '0' }), /IDP_ACCESS_TOKEN_TTL must be an integer >= 1/);
    assert.throws(() => readConfig({ IDP_TEST_HOOKS: '1', IDP_HOST: '0.0.0.0' }), /IDP_TEST_HOOKS=1 only on a loopback IDP_HOST/);
    assert.throws(() => readConfig({ IDP_TEST_HOOKS: 'yes' }), /IDP_TEST_HOOKS must be 0 or 1/);
    assert.throws(() => readConfig({ IDP_DPOP_NONCE: 'true' }), /IDP_DPOP_NONCE must be 0 or 1/);
    assert.throws(() => readConfig({ IDP_API_RESOURCES: 'not a uri' }), /IDP_API_RESOURCES entries must be absolute URIs/);
    const defaults = readConfig({});
    assert.equal(defaults.ttl.AccessToken, 300);
    assert.deepEqual(defaults.apiResources, [API]);
    assert.equal(defaults.testHooks, false);
    assert.equal(defaults.dpopNonce, false);
    assert.equal(defaults.rotateRefreshToken, true);
    assert.equal(readConfig({ IDP_ROTATE_REFRESH_TOKEN: '0' }).rotateRefreshToken, false);
  });
});

describe('demo IdP with two resource indicators and IDP_ROTATE_REFRESH_TOKEN=0', { timeout: 60_000 }, () => {
  const origin = 'http://127.0.0.1:1';
  const SECOND = 'urn:gatehouse:second-api';
  let idp;
  before(async () => { idp = await startIdp({ GATEHOUSE_ORIGIN: origin, IDP_API_RESOURCES: `${API},${SECOND}`, IDP_ROTATE_REFRESH_TOKEN: '0' }); });
  after(async () => { await idp?.stop(); });

  test('the first is the default; the second is there for the asking, at refresh and for clients', async () => {
    const c = new Client(idp.issuer, origin);
    await c.discover();
    const { tokens } = await c.login({ scope: API_SCOPES });
    assert.equal((await c.verifyAccessToken(tokens.access_token)).payload.aud, API);
    const second = await c.token({ grant_type: 'refresh_token', refresh_token: tokens.refresh_token, resource: SECOND });
    assert.equal(second.status, 200, JSON.stringify(second.json));
    // oidc-provider's own policy: a confidential client's refresh token rotates only past 70 %.
    assert.equal(second.json.refresh_token, tokens.refresh_token);
    const { payload } = await c.verifyAccessToken(second.json.access_token, SECOND);
    assert.equal(payload.scope, 'api.read api.write');
    const cc = await c.token({ grant_type: 'client_credentials', scope: 'api.read' });
    assert.equal((await c.verifyAccessToken(cc.json.access_token)).payload.aud, API);
    const cc2 = await c.token({ grant_type: 'client_credentials', scope: 'api.read', resource: SECOND });
    assert.equal((await c.verifyAccessToken(cc2.json.access_token, SECOND)).payload.aud, SECOND);
  });
});
