// Every token, code and logout token the development IdP issues, appended to the file that
// IDP_ISSUED_TOKENS_FILE names (only with IDP_TEST_HOOKS=1, never in the demo): one JSON line
// { kind, value } each, so a test run can look for each of them in the gateway's logs
// (scripts/check-log-secrets.mjs).
import { appendFileSync } from 'node:fs';

/** A function (kind, value) appending one line to `file`; creates the file at once, so an
 *  unwritable path stops the IdP at start-up rather than failing a token request later. */
export function issuedTokenRecorder(file) {
  appendFileSync(file, '', { mode: 0o600 });
  return (kind, value) => {
    if (typeof value === 'string' && value !== '') appendFileSync(file, `${JSON.stringify({ kind, value })}\n`);
  };
}

// Opaque models are stored under their value (the jti), so their `saved` events carry it.
const SAVED = {
  'authorization_code.saved': 'authorization code',
  'refresh_token.saved': 'refresh token',
  'access_token.saved': 'access token',
  'client_credentials.saved': 'client credentials token',
};

/** Records what `provider` issues: opaque codes and tokens as they are saved, and everything the
 *  token endpoint answers with (JWT access tokens and ID tokens are never stored, and
 *  `access_token.issued` carries the model, not the JWT). */
export function recordIssuedTokens(provider, record) {
  for (const [event, kind] of Object.entries(SAVED)) provider.on(event, (token) => record(kind, token.jti));
  provider.use(async (ctx, next) => {
    await next();
    if (ctx.oidc?.route !== 'token' || ctx.status !== 200 || typeof ctx.body !== 'object' || ctx.body === null) return;
    const machine = ctx.oidc.params?.grant_type === 'client_credentials';
    record(machine ? 'client credentials token' : 'access token', ctx.body.access_token);
    record('refresh token', ctx.body.refresh_token);
    record('id token', ctx.body.id_token);
  });
}

/** oidc-provider's `fetch` option wrapped: records the logout token of every back-channel logout
 *  the IdP sends. */
export function recordingLogoutTokens(fetchFn, record) {
  return (url, options) => {
    if (options?.body instanceof URLSearchParams) record('logout token', options.body.get('logout_token') ?? undefined);
    return fetchFn(url, options);
  };
}
