// Assertions shared by the integration tests: cookie attributes and the /bff/user shape.
import assert from 'node:assert/strict';
import { FLOW_COOKIE_PREFIX, SESSION_COOKIE, isDeletion } from './scripted-browser.mjs';

export const HANDLE = /^[A-Za-z0-9_-]{43}$/; // 256 random bits, base64url without padding

/** `__Host-` rules (RFC 6265bis 4.1.3.2): browsers drop the cookie, or ignore its deletion,
 *  unless it is Secure, Path=/ and has no Domain. */
export function assertHostPrefixRules(c) {
  assert.ok(c.attrs.has('secure'), `${c.name}: Secure missing in "${c.line}"`);
  assert.equal(c.attrs.get('path'), '/', `${c.name}: Path must be / in "${c.line}"`);
  assert.ok(!c.attrs.has('domain'), `${c.name}: no Domain allowed in "${c.line}"`);
}

export function assertSessionCookie(c) {
  assert.equal(c.name, SESSION_COOKIE);
  assert.match(c.value, HANDLE, `session cookie value is a 43-char base64url handle: "${c.line}"`);
  assertHostPrefixRules(c);
  assert.ok(c.attrs.has('httponly'), `HttpOnly missing in "${c.line}"`);
  assert.equal(String(c.attrs.get('samesite')).toLowerCase(), 'lax', `SameSite=Lax in "${c.line}"`);
}

export function assertFlowCookie(c) {
  assert.ok(c.name.startsWith(FLOW_COOKIE_PREFIX), c.name);
  assertHostPrefixRules(c);
  assert.ok(c.attrs.has('httponly'), `HttpOnly missing in "${c.line}"`);
  // The callback is a top-level navigation from the IdP: SameSite=Strict would not be sent on
  // a cross-site IdP (here the IdP is same-site, so only this check can catch it).
  assert.notEqual(String(c.attrs.get('samesite')).toLowerCase(), 'strict', `flow cookie must not be SameSite=Strict: "${c.line}"`);
  const maxAge = c.attrs.get('max-age');
  const expires = c.attrs.get('expires');
  assert.ok(maxAge !== undefined || expires !== undefined, `flow cookie must be short-lived (Max-Age/Expires): "${c.line}"`);
  const lifetime = maxAge !== undefined ? Number(maxAge) : (Date.parse(expires) - Date.now()) / 1000;
  assert.ok(lifetime > 0 && lifetime <= 3600, `flow cookie lifetime ${lifetime} s should be (0, 1 h]: "${c.line}"`);
}

/** The response deletes cookie `name`, in a form browsers honour for a __Host- cookie. */
export function assertDeletes(cookies, name) {
  const del = cookies.find((c) => c.name === name);
  assert.ok(del, `expected a Set-Cookie deleting ${name}; got ${JSON.stringify(cookies.map((c) => c.line))}`);
  assert.ok(isDeletion(del), `expected ${name} to be deleted (Max-Age=0): "${del.line}"`);
  assertHostPrefixRules(del);
}

/** No Set-Cookie of a live session cookie in these cookies. */
export function assertNoSession(cookies, context) {
  const live = cookies.filter((c) => c.name === SESSION_COOKIE && !isDeletion(c));
  assert.deepEqual(live.map((c) => c.line), [], `${context}: no session cookie may be issued`);
}

/** Status with the body in the message (gateway error pages explain themselves). */
export function assertStatus(actual, expected, what, body = '') {
  assert.equal(actual, expected, `${what}: expected HTTP ${expected}, got ${actual}${body ? ` — body: ${String(body).slice(0, 300)}` : ''}`);
}
