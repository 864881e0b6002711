// Just enough JOSE to check an ID token the gateway hands to the IdP (id_token_hint) against
// the IdP's JWKS (the tests never see tokens otherwise), and to sign crafted tokens with a test
// key the IdP publishes (back-channel logout tests).
import { constants, createHmac, createPublicKey, sign, verify } from 'node:crypto';
import { recordSecret } from '../../../scripts/e2e-record.mjs';

/** Something that looks like a compact JWS: header "eyJ..." . payload . (signature). */
export const JWT_LIKE = /eyJ[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]*/g;

export function decodeJwt(jwt) {
  const [h, p] = jwt.split('.');
  return { header: JSON.parse(Buffer.from(h, 'base64url')), payload: JSON.parse(Buffer.from(p, 'base64url')) };
}

/** Verifies the signature with the issuer's JWKS; resolves to { header, payload } or throws. */
export async function verifyJwt(jwt, issuer) {
  const meta = await discovery(issuer);
  const jwks = await (await fetch(meta.jwks_uri, { signal: AbortSignal.timeout(5000) })).json();
  const { header, payload } = decodeJwt(jwt);
  const jwk = jwks.keys.find((k) => k.kid === header.kid);
  if (!jwk) throw new Error(`no key ${header.kid} in ${meta.jwks_uri}`);
  const key = createPublicKey({ key: jwk, format: 'jwk' });
  const opts = {
    RS256: { key },
    PS256: { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
    ES256: { key, dsaEncoding: 'ieee-p1363' },
  }[header.alg];
  const [h, p, s] = jwt.split('.');
  if (!opts || !verify('sha256', Buffer.from(`${h}.${p}`), opts, Buffer.from(s, 'base64url'))) {
    throw new Error(`bad ${header.alg} signature on ${jwt.slice(0, 40)}...`);
  }
  return { header, payload };
}

const part = (v) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

/**
 * A compact JWS over `header` and `payload` (objects, or strings taken as they are), signed as
 * header.alg says: RS256 / PS256 / ES256 with `key` (a private JWK), HS256 with `secret`, and
 * `none` with an empty signature. Anything else throws: a test must say what it means.
 */
export function signJwt(header, payload, { key, secret } = {}) {
  const input = `${part(header)}.${part(payload)}`;
  const alg = typeof header === 'string' ? JSON.parse(header).alg : header.alg;
  const data = Buffer.from(input);
  let signature;
  if (alg === 'none') signature = Buffer.alloc(0);
  else if (alg === 'HS256') signature = createHmac('sha256', secret).update(data).digest();
  else if (alg === 'RS256') signature = sign('sha256', data, { key, format: 'jwk' });
  else if (alg === 'PS256') {
    signature = sign('sha256', data, { key, format: 'jwk', padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
  } else if (alg === 'ES256') signature = sign('sha256', data, { key, format: 'jwk', dsaEncoding: 'ieee-p1363' });
  else throw new Error(`signJwt: no signer for alg ${alg}`);
  const jwt = `${input}.${signature.toString('base64url')}`;
  recordSecret('test-signed token', jwt);
  return jwt;
}

/** The provider's discovery document. */
export async function discovery(issuer) {
  const res = await fetch(`${issuer}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(5000) });
  if (res.status !== 200) throw new Error(`discovery at ${issuer}: HTTP ${res.status}`);
  return res.json();
}
