// Test hooks of the development IdP, mounted only with IDP_TEST_HOOKS=1 (never in the demo):
// what the gateway's tests must provoke or observe at the token endpoint but cannot from outside.
//
//   GET  /__test/token-requests               counts of token endpoint requests by grant type
//   POST /__test/token-endpoint?mode=fail|ok  fail: every token request answers 503 until ok
//   POST /__test/revoke-grants?sub=alice      ends every grant of that account, so its refresh
//                                             tokens get invalid_grant (JWT access tokens stay
//                                             valid until they expire: resource servers check
//                                             them offline)
//
// Each action also prints one `idp: test hook: ...` line, like the IdP's other test log lines.

const TOKEN_PATH = '/token'; // oidc-provider's default route; server.mjs does not change it
const GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials'];

function counters() {
  return Object.fromEntries([...GRANT_TYPES, 'other'].map((g) => [g, 0]));
}

async function readGrantType(req, limit = 64 * 1024) {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > limit) return undefined;
  }
  return new URLSearchParams(body).get('grant_type') ?? undefined;
}

function json(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

/**
 * Installs the token endpoint middleware on `provider` and returns `handle(req, res)`, which
 * answers /__test/* requests and returns false for any other URL.
 */
export function installTestHooks(provider) {
  const received = counters(); // every request that reached the token endpoint
  const failed = counters(); // ... of which answered with anything but 200 (the 503s included)
  let failing = false;
  const count = (grantType, status) => {
    const key = GRANT_TYPES.includes(grantType) ? grantType : 'other';
    received[key] += 1;
    if (status !== 200) failed[key] += 1;
  };

  provider.use(async (ctx, next) => {
    if (ctx.path !== TOKEN_PATH || ctx.method !== 'POST') return next();
    if (failing) {
      const grantType = await readGrantType(ctx.req);
      ctx.status = 503;
      ctx.set('cache-control', 'no-store');
      ctx.set('retry-after', '1');
      ctx.body = { error: 'temporarily_unavailable', error_description: 'the token endpoint is failing on purpose (test hook)' };
      count(grantType, 503);
      return undefined;
    }
    await next();
    count(ctx.oidc?.params?.grant_type, ctx.status);
    return undefined;
  });

  // Which grants belong to whom: oidc-provider's memory adapter cannot search by account.
  const grantsOf = new Map(); // accountId -> Set(grantId)
  provider.on('grant.saved', (grant) => {
    if (!grantsOf.has(grant.accountId)) grantsOf.set(grant.accountId, new Set());
    grantsOf.get(grant.accountId).add(grant.jti);
  });
  provider.on('grant.destroyed', (grant) => grantsOf.get(grant.accountId)?.delete(grant.jti));

  async function revokeGrants(sub) {
    const ids = [...(grantsOf.get(sub) ?? [])];
    for (const id of ids) {
      const grant = await provider.Grant.find(id);
      await grant?.destroy();
      for (const model of [provider.RefreshToken, provider.AccessToken, provider.AuthorizationCode]) {
        await model.adapter.revokeByGrantId(id);
      }
    }
    grantsOf.delete(sub);
    return ids.length;
  }

  return async function handle(req, res) {
    const url = new URL(req.url, 'http://idp.invalid');
    if (!url.pathname.startsWith('/__test/')) return false;
    const route = `${req.method} ${url.pathname}`;
    if (route === 'GET /__test/token-requests') {
      json(res, 200, { ...received, failed, mode: failing ? 'fail' : 'ok' });
    } else if (route === 'POST /__test/token-endpoint') {
      const mode = url.searchParams.get('mode');
      if (mode === 'fail' || mode === 'ok') {
        failing = mode === 'fail';
        console.log(`idp: test hook: token endpoint ${failing ? 'answers 503 to every request' : 'works again'}`);
        json(res, 200, { mode });
      } else json(res, 400, { error: 'mode must be fail or ok' });
    } else if (route === 'POST /__test/revoke-grants') {
      const sub = url.searchParams.get('sub');
      if (sub) {
        const grants = await revokeGrants(sub);
        console.log(`idp: test hook: revoked ${grants} grant(s) of sub ${sub}`);
        json(res, 200, { sub, grants });
      } else json(res, 400, { error: 'sub is required' });
    } else {
      json(res, 404, { error: `no test hook ${route}` });
    }
    return true;
  };
}
