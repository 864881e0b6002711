// The access tokens the IdP issues for the sample API (demo/api): JWTs (RFC 9068) whose
// audience is the API's resource indicator (RFC 8707), optionally DPoP-bound (RFC 9449).
import { errors } from 'oidc-provider';

// Scopes of the sample API's resource server: what a user's token may carry, and the narrower
// set a client-credentials (machine) token may.
export const API_SCOPES = ['api.read', 'api.write'];
export const CLIENT_CREDENTIALS_SCOPES = ['api.read'];
export const DPOP_ALGS = ['ES256', 'PS256', 'RS256', 'Ed25519', 'EdDSA'];

// JWT access tokens for the sample API. oidc-provider would otherwise give a login that names
// no `resource` an opaque, userinfo-only token: defaultResource puts the API's indicator into
// every authorization and client-credentials request, and useGrantedResource gives token and
// refresh requests without `resource` a token for the granted one (the first, when several).
export function resourceIndicators({ apiResources, signingAlg, ttl }) {
  if (apiResources.length === 0) return { enabled: true, getResourceServerInfo: () => { throw new errors.InvalidTarget(); } };
  return {
    enabled: true,
    async defaultResource(ctx, _client, oneOf) {
      if (oneOf) return apiResources.find((r) => oneOf.includes(r)) ?? oneOf[0];
      return ctx.oidc.route === 'token' || apiResources.length === 1 ? apiResources[0] : apiResources;
    },
    useGrantedResource: () => true,
    async getResourceServerInfo(ctx, indicator) {
      if (!apiResources.includes(indicator)) throw new errors.InvalidTarget(`unknown resource indicator ${indicator}`);
      const machine = ctx.oidc.params?.grant_type === 'client_credentials';
      return {
        scope: (machine ? CLIENT_CREDENTIALS_SCOPES : API_SCOPES).join(' '),
        audience: indicator,
        accessTokenTTL: ttl.AccessToken,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: signingAlg } },
      };
    },
  };
}
