// Development OpenID Provider for the gatehouse demo and tests. NEVER use it in production:
// in-memory storage, keys generated at start-up (or read from IDP_SIGNING_KEY_FILE), fixed demo
// users, plain http on loopback.
//
//   node server.mjs            (see ../README.md for every environment variable)
//
// It registers one confidential client (gatehouse) and serves its own tiny login page;
// consent is granted automatically because the client is first-party. Access tokens for the
// sample API (demo/api) are JWTs (RFC 9068) with the API's resource indicator as audience, and
// may be DPoP-bound (RFC 9449).

import { createPrivateKey, generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';
import Provider from 'oidc-provider';
// The in-memory store oidc-provider uses by default keeps only 1000 entries (sessions, grants,
// tokens together): a few hundred logins evict refresh tokens, which then fail as invalid_grant.
// Its own adapter over a larger store instead (the version is pinned by the lock file).
import MemoryAdapter from 'oidc-provider/lib/adapters/memory_adapter.js';
import LRU from 'oidc-provider/lib/helpers/lru.js';

const STORE_ENTRIES = 1_000_000;
import { DPOP_ALGS, resourceIndicators } from './api-tokens.mjs';
import { issuedTokenRecorder, recordIssuedTokens, recordingLogoutTokens } from './issued-tokens.mjs';
import { esc, loginPage, page, readForm } from './pages.mjs';
import { installTestHooks } from './test-hooks.mjs';

const USERS = new Map([
  ['alice', { password: 'alice', name: 'Alice Example', email: 'alice@example.com' }],
  ['bob', { password: 'bob', name: 'Bob Example', email: 'bob@example.com' }],
]);

const SIGNING_ALGS = {
  RS256: () => generateKeyPairSync('rsa', { modulusLength: 2048 }),
  PS256: () => generateKeyPairSync('rsa', { modulusLength: 2048 }),
  ES256: () => generateKeyPairSync('ec', { namedCurve: 'P-256' }),
};
const TOKEN_AUTH_METHODS = ['client_secret_basic', 'client_secret_post'];
// What a key of each alg must be (node:crypto's asymmetricKeyType / namedCurve).
const KEY_TYPES = { RS256: 'rsa', PS256: 'rsa', ES256: 'ec' };

/**
 * Reads IDP_SIGNING_KEY_FILE: one private JWK (JSON) with `kid` and `alg`, so tests can sign
 * their own tokens (e.g. crafted logout tokens) with the key the IdP publishes. Throws with a
 * message naming the variable; never echoes key material.
 */
export function readSigningKey(path, algFromEnv) {
  const fail = (why) => { throw new Error(`IDP_SIGNING_KEY_FILE "${path}" ${why}`); };
  let text;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    fail(`cannot be read (${err.code ?? err.message})`);
  }
  let jwk;
  try {
    jwk = JSON.parse(text);
  } catch {
    fail('is not valid JSON (expected one private JWK object)'); // the parser's message quotes the key
  }
  if (jwk === null || typeof jwk !== 'object' || Array.isArray(jwk)) fail('must hold one JWK object');
  if (typeof jwk.kid !== 'string' || jwk.kid === '') fail('needs a non-empty string "kid"');
  if (!Object.hasOwn(SIGNING_ALGS, jwk.alg)) fail(`needs "alg" one of ${Object.keys(SIGNING_ALGS).join(', ')}, got ${JSON.stringify(jwk.alg)}`);
  if (jwk.use !== undefined && jwk.use !== 'sig') fail(`has "use" ${JSON.stringify(jwk.use)}; a signing key needs "sig" or none`);
  if (typeof jwk.d !== 'string') fail('holds no private key ("d" missing): the IdP signs with it');
  let key;
  try {
    key = createPrivateKey({ key: jwk, format: 'jwk' });
  } catch (err) {
    fail(`is not a usable private JWK (${err.code ?? 'invalid key'})`);
  }
  const { asymmetricKeyType: type, asymmetricKeyDetails: details } = key;
  if (type !== KEY_TYPES[jwk.alg]) fail(`holds a ${type} key, but ${jwk.alg} needs ${KEY_TYPES[jwk.alg]}`);
  if (type === 'rsa' && details.modulusLength < 2048) fail(`holds a ${details.modulusLength}-bit RSA key; at least 2048 bits`);
  if (type === 'ec' && details.namedCurve !== 'prime256v1') fail(`holds an EC key on ${details.namedCurve}; ES256 needs P-256`);
  if (algFromEnv && algFromEnv !== jwk.alg) {
    throw new Error(`IDP_SIGNING_ALG is ${algFromEnv} but IDP_SIGNING_KEY_FILE's key is ${jwk.alg}: set one or make them agree`);
  }
  return { ...jwk, use: 'sig' };
}

/** Reads and validates the configuration; throws with a clear message on bad input. */
export function readConfig(env = process.env) {
  const int = (name, fallback, min = 1) => {
    if (env[name] === undefined || env[name] === '') return fallback;
    const n = Number(env[name]);
    if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be an integer >= ${min}, got "${env[name]}"`);
    return n;
  };
  const flag = (name, fallback) => {
    const v = env[name];
    if (v === undefined || v === '') return fallback;
    if (v !== '0' && v !== '1') throw new Error(`${name} must be 0 or 1, got "${v}"`);
    return v === '1';
  };
  // IDP_ACCESS_TOKEN_TTL; IDP_TTL_ACCESS_TOKEN is its older name, still accepted.
  const accessTokenTtl = () => {
    const [a, b] = [int('IDP_ACCESS_TOKEN_TTL', undefined), int('IDP_TTL_ACCESS_TOKEN', undefined)];
    if (a !== undefined && b !== undefined && a !== b) {
      throw new Error(`IDP_ACCESS_TOKEN_TTL (${a}) and its older name IDP_TTL_ACCESS_TOKEN (${b}) disagree: set one`);
    }
    return a ?? b ?? 300;
  };
  const oneOf = (name, allowed, fallback) => {
    const v = env[name] || fallback;
    if (!allowed.includes(v)) throw new Error(`${name} must be one of ${allowed.join(', ')}, got "${v}"`);
    return v;
  };
  // Comma-separated so one IdP can serve e.g. both http://127.0.0.1:8080 and https://localhost:8443.
  const signingKey = env.IDP_SIGNING_KEY_FILE ? readSigningKey(env.IDP_SIGNING_KEY_FILE, env.IDP_SIGNING_ALG) : undefined;
  const origins = (env.GATEHOUSE_ORIGIN || 'http://127.0.0.1:8080')
    .split(',').map((o) => o.trim().replace(/\/+$/, '')).filter(Boolean);
  for (const o of origins) {
    const u = new URL(o);
    if (u.origin !== o) throw new Error(`GATEHOUSE_ORIGIN entries must be bare origins, got "${o}"`);
  }
  // Resource indicators (RFC 8707) the IdP issues JWT access tokens for; the first is the
  // default for requests without `resource`. Empty: opaque access tokens, as for userinfo.
  const apiResources = (env.IDP_API_RESOURCES ?? 'urn:gatehouse:demo-api')
    .split(',').map((r) => r.trim()).filter(Boolean);
  for (const r of apiResources) {
    if (!URL.canParse(r) || r.includes('#')) throw new Error(`IDP_API_RESOURCES entries must be absolute URIs without a fragment, got "${r}"`);
  }
  const host = env.IDP_HOST || '127.0.0.1';
  const testHooks = flag('IDP_TEST_HOOKS', false);
  if (testHooks && !['127.0.0.1', '::1', 'localhost'].includes(host)) {
    throw new Error(`IDP_TEST_HOOKS=1 only on a loopback IDP_HOST, got "${host}"`);
  }
  const issuedTokensFile = env.IDP_ISSUED_TOKENS_FILE || undefined;
  if (issuedTokensFile && !testHooks) {
    throw new Error('IDP_ISSUED_TOKENS_FILE needs IDP_TEST_HOOKS=1: it writes every token the IdP issues to a file');
  }
  return {
    host,
    port: int('IDP_PORT', 9090, 0), // 0 = pick a free port (tests)
    issuer: env.IDP_ISSUER || undefined, // default derived from the bound port
    origins,
    clientId: env.IDP_CLIENT_ID || 'gatehouse-demo',
    clientSecret: env.IDP_CLIENT_SECRET || 'dev-secret-change-me',
    tokenAuth: oneOf('IDP_TOKEN_AUTH', TOKEN_AUTH_METHODS, 'client_secret_basic'),
    signingAlg: signingKey?.alg ?? oneOf('IDP_SIGNING_ALG', Object.keys(SIGNING_ALGS), 'RS256'),
    signingKey, // undefined: a fresh key of signingAlg at every start
    apiResources,
    dpopNonce: flag('IDP_DPOP_NONCE', false), // RFC 9449 section 8: demand a server nonce
    rotateRefreshToken: flag('IDP_ROTATE_REFRESH_TOKEN', true),
    testHooks,
    issuedTokensFile, // test hooks only: every issued token appended there (issued-tokens.mjs)
    ttl: {
      AccessToken: accessTokenTtl(),
      IdToken: int('IDP_TTL_ID_TOKEN', 3600),
      RefreshToken: int('IDP_TTL_REFRESH_TOKEN', 14 * 24 * 3600),
    },
    // Spec behaviour (OIDC Core 11): offline_access only counts with prompt=consent, and refresh
    // tokens need offline_access. Off by default so a plain login of gatehouse gets one.
    strictOfflineAccess: env.IDP_STRICT_OFFLINE_ACCESS === '1',
    cookieKeys: env.IDP_COOKIE_KEYS
      ? env.IDP_COOKIE_KEYS.split(',')
      : [randomBytes(32).toString('base64url')],
  };
}

function signingJwk(alg) {
  const { privateKey } = SIGNING_ALGS[alg]();
  return { ...privateKey.export({ format: 'jwk' }), alg, use: 'sig', kid: randomUUID() };
}

// oidc-provider guards every outgoing request (back-channel logout, jwks_uri...) against SSRF
// by destroying sockets to special-use addresses, loopback included. In this dev setup the
// relying party (gatehouse) IS on loopback, so for loopback URLs only we drop that guard;
// every other destination keeps it.
function isLoopback(url) {
  const { hostname } = new URL(url);
  return hostname === 'localhost' || hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(hostname);
}
function devFetch(url, options) {
  if (isLoopback(url)) delete options.dispatcher;
  return globalThis.fetch(url, options);
}

// First-party client: grant everything it asked for, so the flow never stops at a consent page.
async function grantAll(provider, details, accountId) {
  const { client_id: clientId, scope } = details.params;
  const grant = details.grantId
    ? await provider.Grant.find(details.grantId)
    : new provider.Grant({ accountId, clientId });
  if (scope) grant.addOIDCScope(scope);
  const missing = details.prompt.details ?? {};
  if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
  for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, scopes.join(' '));
  }
  return grant.save();
}

/** Creates the provider for an issuer. Exported so it can be embedded; main() runs it standalone. */
export function createProvider(config, issuer) {
  const { origins } = config;
  const client = {
    client_id: config.clientId,
    client_secret: config.clientSecret,
    client_name: 'gatehouse demo',
    application_type: 'web',
    grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
    response_types: ['code'],
    redirect_uris: origins.map((o) => `${o}/signin-oidc`),
    post_logout_redirect_uris: origins.map((o) => `${o}/signout-callback-oidc`),
    backchannel_logout_uri: `${origins[0]}/bff/backchannel`,
    backchannel_logout_session_required: true,
    token_endpoint_auth_method: config.tokenAuth,
    id_token_signed_response_alg: config.signingAlg,
    scope: 'openid profile email offline_access',
  };

  const store = new LRU({ maxSize: STORE_ENTRIES });
  const record = config.issuedTokensFile ? issuedTokenRecorder(config.issuedTokensFile) : undefined;
  const provider = new Provider(issuer, {
    adapter: (model) => new MemoryAdapter(model, store),
    clients: [client],
    jwks: { keys: [config.signingKey ?? signingJwk(config.signingAlg)] },
    clientAuthMethods: TOKEN_AUTH_METHODS,
    responseTypes: ['code'],
    pkce: { required: () => true }, // oidc-provider 9 supports S256 only
    enabledJWA: { dPoPSigningAlgValues: DPOP_ALGS },
    scopes: ['openid', 'profile', 'email', 'offline_access'],
    claims: {
      openid: ['sub'],
      profile: ['name', 'preferred_username'],
      email: ['email', 'email_verified'],
    },
    // Put the scope's claims into the ID token too (default: userinfo only for code flow), so a
    // BFF that reads claims from the ID token alone still shows the user's name.
    conformIdTokenClaims: false,
    async findAccount(_ctx, sub) {
      const user = USERS.get(sub);
      if (!user) return undefined;
      return {
        accountId: sub,
        claims: async () => ({
          sub, name: user.name, email: user.email, email_verified: true, preferred_username: sub,
        }),
      };
    },
    async issueRefreshToken(_ctx, cl, code) {
      if (!cl.grantTypeAllowed('refresh_token')) return false;
      return config.strictOfflineAccess ? code.scopes.has('offline_access') : true;
    },
    // Every use of a refresh token replaces it; presenting a used one again is refused with
    // invalid_grant and ends the whole grant (reuse detection, OAuth 2.0 Security BCP 4.14).
    // Without it, oidc-provider's default policy (rotate past 70 % of the lifetime) applies.
    ...(config.rotateRefreshToken ? { rotateRefreshToken: true } : {}),
    ttl: {
      ...config.ttl,
      ClientCredentials: config.ttl.AccessToken,
      AuthorizationCode: 60,
      Interaction: 3600,
      Session: 14 * 24 * 3600,
      Grant: 14 * 24 * 3600,
    },
    cookies: {
      keys: config.cookieKeys,
      // Cookies are per host, not per port: the IdP and gatehouse both live on 127.0.0.1, so
      // prefix the IdP's cookie names to avoid any clash with the gateway's.
      names: { session: 'idp_session', interaction: 'idp_interaction', resume: 'idp_interaction_resume' },
    },
    features: {
      devInteractions: { enabled: false }, // our own pages below
      backchannelLogout: { enabled: true }, // also makes ID tokens carry `sid`
      revocation: { enabled: true },
      introspection: { enabled: true },
      userinfo: { enabled: true },
      clientCredentials: { enabled: true },
      resourceIndicators: resourceIndicators(config),
      dPoP: {
        enabled: true,
        ...(config.dpopNonce ? { nonceSecret: randomBytes(32), requireNonce: () => true } : {}),
      },
      rpInitiatedLogout: {
        enabled: true,
        // A known relying party asked for the logout: confirm automatically (dev convenience), so
        // "Log out" lands straight on post_logout_redirect_uri. logout=yes ends the whole IdP
        // session, so the next login shows the form again.
        async logoutSource(ctx, form) {
          const auto = Boolean(ctx.oidc.client);
          ctx.body = page('Sign out', `<h1>Sign out</h1>${form}
<p>Sign out of the demo IdP${ctx.oidc.client ? ` and ${esc(ctx.oidc.client.clientName ?? ctx.oidc.client.clientId)}` : ''}?</p>
<button id="logout-yes" type="submit" form="op.logoutForm" name="logout" value="yes" autofocus>Yes, sign me out</button>
${auto ? `<script>document.getElementById('logout-yes').click()</script>` : ''}`);
        },
        async postLogoutSuccessSource(ctx) {
          ctx.body = page('Signed out', '<h1>Signed out</h1><p>You are signed out of the demo IdP.</p>');
        },
      },
    },
    async renderError(ctx, out) {
      ctx.type = 'html';
      ctx.body = page('Error', `<h1>Error</h1>${Object.entries(out)
        .map(([k, v]) => `<p><strong>${esc(k)}</strong>: ${esc(v)}</p>`).join('')}`);
    },
    fetch: record ? recordingLogoutTokens(devFetch, record) : devFetch,
  });
  // Plain http on loopback, no reverse proxy: never trust X-Forwarded-*; cookies then come out
  // without the Secure flag because the request is not https.
  provider.proxy = false;

  provider.on('backchannel.error', (_ctx, err, cl) => {
    console.error(`idp: back-channel logout to ${cl.backchannelLogoutUri} failed: ${err.message}`);
  });
  provider.on('server_error', (_ctx, err) => console.error('idp: server_error', err));
  logDeliveriesAndRevocations(provider);
  if (record) recordIssuedTokens(provider, record);
  return provider;
}

// One log line per delivered back-channel logout and per token revoked at the revocation
// endpoint, naming the account and the sid but never a token (an opaque token's id is the token):
// the tests read these to see that gatehouse revoked an ended session's refresh token.
function logDeliveriesAndRevocations(provider) {
  provider.on('backchannel.success', (_ctx, cl, accountId, sid) => {
    console.log(`idp: back-channel logout delivered to ${cl.backchannelLogoutUri} (sub ${accountId}, sid ${sid})`);
  });
  const destroyed = new WeakSet();
  for (const kind of ['access_token', 'refresh_token']) provider.on(`${kind}.destroyed`, (token) => destroyed.add(token));
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.oidc?.route !== 'revocation' || ctx.status !== 200) return;
    const { RefreshToken: refresh, AccessToken: access } = ctx.oidc.entities;
    const revoked = [refresh, access].filter((t) => t && destroyed.has(t));
    for (const t of revoked) {
      console.log(`idp: revoked ${t.kind} of sub ${t.accountId} (sid ${t.sid ?? '-'}, client ${t.clientId}) at the revocation endpoint`);
    }
    if (revoked.length === 0) console.log(`idp: revocation request from ${ctx.oidc.client?.clientId} for an unknown, expired or already revoked token`);
  });
}

/** Handles /interaction/:uid (GET: login form or auto-consent) and /interaction/:uid/login (POST). */
async function interaction(provider, req, res, uid, action) {
  const details = await provider.interactionDetails(req, res);
  if (details.uid !== uid) throw Object.assign(new Error('interaction mismatch'), { status: 400 });
  const client = await provider.Client.find(details.params.client_id);
  const clientName = client?.clientName ?? details.params.client_id;

  if (req.method === 'GET' && !action) {
    if (details.prompt.name === 'login') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      return res.end(loginPage(uid, clientName));
    }
    if (details.prompt.name === 'consent') {
      const grantId = await grantAll(provider, details, details.session.accountId);
      return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true });
    }
    throw Object.assign(new Error(`unsupported prompt ${details.prompt.name}`), { status: 400 });
  }

  if (req.method === 'POST' && action === 'login' && details.prompt.name === 'login') {
    const form = await readForm(req);
    const login = form.get('login') ?? '';
    const user = USERS.get(login);
    if (!user || user.password !== form.get('password')) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      return res.end(loginPage(uid, clientName, 'Invalid username or password.'));
    }
    // Log in and grant consent in one step: saves a round trip through a consent prompt.
    const grantId = await grantAll(provider, details, login);
    return provider.interactionFinished(req, res, {
      login: { accountId: login },
      consent: { grantId },
    }, { mergeWithLastSubmission: false });
  }
  throw Object.assign(new Error('method not allowed'), { status: 405 });
}

/** Starts the IdP; resolves once listening. Returns { server, provider, issuer, close }. */
export async function start(config = readConfig()) {
  let provider;
  let providerHandler;
  let testHooks;
  const server = createServer(async (req, res) => {
    if (testHooks && await testHooks(req, res)) return undefined;
    const m = /^\/interaction\/([\w-]+)(?:\/(login))?\/?(?:\?.*)?$/.exec(req.url);
    if (!m) return providerHandler(req, res);
    try {
      await interaction(provider, req, res, m[1], m[2]);
    } catch (err) {
      const status = err.status ?? err.statusCode ?? 500;
      if (status >= 500) console.error('idp: interaction error', err);
      if (!res.headersSent) {
        res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
        res.end(page('Error', `<h1>Error</h1><p>${esc(err.error_description ?? err.message)}</p>`));
      } else res.end();
    }
  });
  // Bind first so IDP_PORT=0 works: the default issuer needs the real port.
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, resolve);
  });
  const { port } = server.address();
  const issuer = config.issuer ?? `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  provider = createProvider(config, issuer);
  if (config.testHooks) testHooks = installTestHooks(provider);
  providerHandler = provider.callback();

  const close = () => new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
  return { server, provider, issuer, port, close };
}

async function main() {
  let config;
  try {
    config = readConfig();
  } catch (err) {
    console.error(`idp: configuration error: ${err.message}`);
    process.exit(2);
  }
  const idp = await start(config);
  console.log(`idp client ${config.clientId} (${config.tokenAuth}, ${config.signingAlg}) for ${config.origins.join(', ')}`);
  if (config.signingKey) console.log(`idp signing key ${config.signingKey.kid} (${config.signingKey.alg}) from IDP_SIGNING_KEY_FILE`);
  console.log(`idp access tokens: ${config.apiResources.length ? `JWT for ${config.apiResources.join(', ')}` : 'opaque'}, ${config.ttl.AccessToken} s; DPoP nonce ${config.dpopNonce ? 'required' : 'off'}; refresh tokens ${config.rotateRefreshToken ? 'rotate on every use' : 'rotate past 70 % of their lifetime'}`);
  if (config.testHooks) console.log('idp test hooks on at /__test/ (IDP_TEST_HOOKS=1): never in the demo');
  if (config.issuedTokensFile) console.log(`idp issued tokens appended to ${config.issuedTokensFile} (IDP_ISSUED_TOKENS_FILE)`);
  console.log(`idp listening on ${idp.issuer}`);
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, async () => {
      if (stopping) return;
      stopping = true;
      setTimeout(() => process.exit(0), 3000).unref(); // never hang on a stuck connection
      await idp.close();
      process.exit(0);
    });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err) => {
    console.error('idp: failed to start:', err);
    process.exit(1);
  });
}
