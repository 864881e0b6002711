// The sample API's access token check: a JWT access token (RFC 9068) signed with a key of the
// issuer's JWKS (found through its discovery document), for our audience, unexpired; and when
// it is DPoP-bound (`cnf.jkt`) or sent with the DPoP scheme, a DPoP proof (RFC 9449 4.3, 7.1)
// with a fresh `jti`, optionally carrying a server nonce (RFC 9449 9).
//
// `createTokenCheck(...)` returns `check(request)` resolving to either
//   { ok: true, claims, dpop, jkt, headers }            (headers: e.g. a new DPoP-Nonce)
//   { ok: false, status, error, description, headers }  (headers: WWW-Authenticate, DPoP-Nonce)
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { calculateJwkThumbprint, createRemoteJWKSet, EmbeddedJWK, errors, jwtVerify } from 'jose';

export const ACCESS_TOKEN_ALGS = ['RS256', 'PS256', 'ES256', 'EdDSA'];
export const DPOP_ALGS = ['ES256', 'PS256', 'RS256', 'EdDSA', 'Ed25519'];
export const PROOF_MAX_AGE_S = 60; // a proof's iat may be this far in the past or the future
const REALM = 'gatehouse-demo-api';
const MAX_CREDENTIAL_BYTES = 16 * 1024; // an access token or a proof; more is not a token of ours
const REPLAY_CACHE_MAX = 100_000;
const NONCE_PERIOD_MS = 60_000; // a nonce is good for this period and the next one

const sha256 = (text) => createHash('sha256').update(text).digest('base64url');

/** `Scheme k="v", ...`; quotes and backslashes never reach a header value. */
function challenge(scheme, params) {
  const list = Object.entries(params).filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}="${String(v).replace(/["\\\r\n]/g, '')}"`);
  return list.length ? `${scheme} ${list.join(', ')}` : scheme;
}

/** A refusal. `scheme` picks the challenge; without an error code both schemes are offered. */
function refuse({ scheme, status = 401, error, description, headers = {} }) {
  const dpop = challenge('DPoP', { realm: REALM, error, error_description: description, algs: DPOP_ALGS.join(' ') });
  const bearer = challenge('Bearer', { realm: REALM, error, error_description: description });
  const www = scheme === 'DPoP' ? [dpop] : scheme === 'Bearer' ? [bearer] : [bearer, dpop];
  return { ok: false, status, error, description, headers: { 'www-authenticate': www, ...headers } };
}

/** How many times `name` occurs in the raw request head (Node keeps only one Authorization). */
const occurrences = (rawHeaders, name) => rawHeaders.filter((h, i) => i % 2 === 0 && h.toLowerCase() === name).length;

/** Stateless nonces: the HMAC of a period number, accepted during that period and the next. */
function createNonces(now) {
  const secret = randomBytes(32);
  const period = () => Math.floor(now() / NONCE_PERIOD_MS);
  const make = (p) => `${p.toString(36)}.${createHmac('sha256', secret).update(String(p)).digest('base64url')}`;
  return {
    current: () => make(period()),
    accepts(nonce) {
      if (typeof nonce !== 'string') return false;
      const p = parseInt(nonce.split('.')[0], 36);
      if (p !== period() && p !== period() - 1) return false;
      const [a, b] = [Buffer.from(nonce), Buffer.from(make(p))];
      return a.length === b.length && timingSafeEqual(a, b);
    },
  };
}

/** Remembers proof ids until they could no longer pass the iat check. Fails closed when full. */
function createReplayCache(now) {
  const seen = new Map(); // key -> expiry (ms); insertion order is expiry order
  return {
    /** true: first use, recorded; false: seen before; undefined: cache full. */
    add(key) {
      const t = now();
      for (const [k, expiry] of seen) {
        if (expiry > t) break;
        seen.delete(k);
      }
      if (seen.has(key)) return false;
      if (seen.size >= REPLAY_CACHE_MAX) return undefined;
      seen.set(key, t + 2 * PROOF_MAX_AGE_S * 1000);
      return true;
    },
  };
}

/** The access token's keys: discovery, then its jwks_uri; retried on the next request after a failure. */
function issuerKeys(issuer) {
  let keys;
  const discover = async () => {
    const url = `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
    if (res.status !== 200) throw new Error(`discovery at ${url} answered HTTP ${res.status}`);
    const meta = await res.json();
    if (meta.issuer !== issuer) throw new Error(`discovery at ${url} names issuer ${meta.issuer}, expected ${issuer}`);
    if (typeof meta.jwks_uri !== 'string') throw new Error(`discovery at ${url} has no jwks_uri`);
    return createRemoteJWKSet(new URL(meta.jwks_uri), { timeoutDuration: 5000, cooldownDuration: 10_000 });
  };
  return () => {
    keys ??= discover().catch((err) => { keys = undefined; throw err; });
    return keys;
  };
}

function describeJwtError(err, what) {
  if (err instanceof errors.JWTExpired) return `${what} has expired`;
  if (err instanceof errors.JWTClaimValidationFailed) return `${what} has a bad "${err.claim}" claim (${err.reason})`;
  if (err instanceof errors.JWSSignatureVerificationFailed) return `${what} has a bad signature`;
  if (err instanceof errors.JWKSNoMatchingKey) return `no key of the issuer matches ${what}`;
  if (err instanceof errors.JOSEAlgNotAllowed) return `${what} uses an algorithm that is not allowed`;
  if (err instanceof errors.JWTInvalid || err instanceof errors.JWSInvalid) return `${what} is not a valid JWT (${err.message})`;
  return `${what} was refused (${err.code ?? err.message})`;
}

/**
 * The check for one API. `issuer` and `audience` are what tokens must name; `origin`, when set,
 * replaces the Host header as the origin of the URL a DPoP proof's htu must name; `dpopNonce`
 * demands server nonces in proofs; `now` (ms) is the clock.
 */
export function createTokenCheck({ issuer, audience, origin, dpopNonce = false, now = Date.now }) {
  const keys = issuerKeys(issuer);
  const nonces = dpopNonce ? createNonces(now) : undefined;
  const replays = createReplayCache(now);

  // request: { method, path, headers, rawHeaders, websocket }
  return async function check(request) {
    const { headers, rawHeaders } = request;
    const count = occurrences(rawHeaders, 'authorization');
    if (count === 0) return refuse({}); // no error code: nothing was presented (RFC 6750 3.1)
    if (count > 1) return refuse({ status: 400, error: 'invalid_request', description: 'more than one Authorization header' });
    const m = /^(Bearer|DPoP) +([A-Za-z0-9._~+/-]+=*)$/i.exec(headers.authorization);
    if (!m) return refuse({});
    const scheme = m[1].toLowerCase() === 'dpop' ? 'DPoP' : 'Bearer';
    const token = m[2];
    if (token.length > MAX_CREDENTIAL_BYTES) return refuse({ scheme, error: 'invalid_token', description: 'the access token is too large' });

    let claims;
    try {
      ({ payload: claims } = await jwtVerify(token, await keys(), {
        issuer, audience, algorithms: ACCESS_TOKEN_ALGS, typ: 'at+jwt', currentDate: new Date(now()),
        requiredClaims: ['exp', 'iat', 'jti', 'sub', 'client_id'],
      }));
    } catch (err) {
      if (!(err instanceof errors.JOSEError)) {
        console.error(`api: cannot check access tokens: ${err.message}`);
        return { ok: false, status: 503, error: 'temporarily_unavailable', description: 'the issuer\'s keys are unavailable', headers: { 'retry-after': '5' } };
      }
      return refuse({ scheme, error: 'invalid_token', description: describeJwtError(err, 'the access token') });
    }

    const jkt = claims.cnf?.jkt;
    if (scheme === 'Bearer' && jkt === undefined) return { ok: true, claims, dpop: false, headers: {} };
    if (scheme === 'Bearer') return refuse({ scheme: 'DPoP', error: 'invalid_token', description: 'a DPoP-bound access token needs the DPoP scheme and a proof' });
    if (typeof jkt !== 'string') return refuse({ scheme, error: 'invalid_token', description: 'the access token is not DPoP-bound (no cnf.jkt)' });

    const failure = await checkProof({ request, token, jkt });
    if (failure) return failure;
    // In nonce mode every DPoP answer carries the current nonce, so the client always has a fresh one.
    return { ok: true, claims, dpop: true, jkt, headers: nonces ? { 'dpop-nonce': nonces.current() } : {} };
  };

  async function checkProof({ request, token, jkt }) {
    const bad = (description) => refuse({ scheme: 'DPoP', error: 'invalid_dpop_proof', description });
    const count = occurrences(request.rawHeaders, 'dpop');
    if (count !== 1) return bad(count === 0 ? 'a DPoP header with a proof is required' : 'more than one DPoP header');
    const proof = request.headers.dpop;
    if (proof.length > MAX_CREDENTIAL_BYTES) return bad('the DPoP proof is too large');

    let header;
    let payload;
    try {
      // EmbeddedJWK: the key is the proof's own `jwk` header, which must be a public key.
      ({ protectedHeader: header, payload } = await jwtVerify(proof, EmbeddedJWK, {
        typ: 'dpop+jwt', algorithms: DPOP_ALGS, currentDate: new Date(now()),
      }));
    } catch (err) {
      return bad(describeJwtError(err, 'the DPoP proof'));
    }
    if (typeof payload.jti !== 'string' || payload.jti === '' || payload.jti.length > 256) return bad('the DPoP proof needs a jti');
    if (payload.htm !== request.method) return bad(`the DPoP proof's htm is not ${request.method}`);
    if (!htuMatches(payload.htu, request)) return bad(`the DPoP proof's htu does not name ${targetUri(request)}`);
    if (typeof payload.iat !== 'number' || Math.abs(now() / 1000 - payload.iat) > PROOF_MAX_AGE_S) {
      return bad(`the DPoP proof's iat is not within ${PROOF_MAX_AGE_S} s of now`);
    }
    if (payload.ath !== sha256(token)) return bad('the DPoP proof\'s ath is not the hash of the access token');
    if (await calculateJwkThumbprint(header.jwk) !== jkt) return bad('the DPoP proof\'s key is not the one the access token is bound to');
    if (nonces && !nonces.accepts(payload.nonce)) {
      return refuse({
        scheme: 'DPoP', error: 'use_dpop_nonce', description: 'the DPoP proof must carry the nonce of the DPoP-Nonce header',
        headers: { 'dpop-nonce': nonces.current() },
      });
    }
    const first = replays.add(`${jkt}:${payload.jti}`);
    if (first === false) return bad('the DPoP proof was used before (replayed jti)');
    if (first === undefined) {
      return { ok: false, status: 503, error: 'temporarily_unavailable', description: 'too many DPoP proofs to remember', headers: { 'retry-after': '60' } };
    }
    return undefined;
  }

  /** RFC 9110 7.1 target URI without query: `origin` or the Host header, then the path. */
  function targetUri(request) {
    const base = origin ?? `http://${request.headers.host ?? 'host.invalid'}`;
    return new URL(request.path, base).href;
  }

  function htuMatches(htu, request) {
    if (typeof htu !== 'string' || !URL.canParse(htu)) return false;
    const actual = new URL(htu);
    actual.search = '';
    actual.hash = '';
    // The handshake of a websocket is an http(s) request; accept a ws(s) spelling of it too.
    if (request.websocket && /^wss?:$/.test(actual.protocol)) actual.protocol = actual.protocol === 'wss:' ? 'https:' : 'http:';
    return actual.href === targetUri(request);
  }
}
