// A scripted "browser" for gatehouse end-to-end tests: fetch with manual redirects plus a
// cookie jar, and the demo IdP's login and logout pages driven by regular expressions
// (the same techniques as tests/idp/idp.test.mjs).
import { connect } from 'node:net';
import { recordSecret } from '../../../scripts/e2e-record.mjs';

export const SESSION_COOKIE = '__Host-gatehouse';
export const FLOW_COOKIE_PREFIX = '__Host-gatehouse-flow-';
const REQUEST_TIMEOUT_MS = 5000;

/** Parses one Set-Cookie line: { name, value, attrs: Map(lower-case name -> value|true), line }. */
export function parseSetCookie(line) {
  const [pair, ...rest] = line.split(';');
  const eq = pair.indexOf('=');
  const attrs = new Map();
  for (const a of rest) {
    const i = a.indexOf('=');
    const key = (i < 0 ? a : a.slice(0, i)).trim().toLowerCase();
    if (key) attrs.set(key, i < 0 ? true : a.slice(i + 1).trim());
  }
  return { name: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim(), attrs, line };
}

/** Records a gateway cookie a browser was given (for the whole run's log check). */
export function recordCookie({ name, value }) {
  if (name === SESSION_COOKIE) recordSecret('session cookie', value);
  else if (name.startsWith(FLOW_COOKIE_PREFIX)) recordSecret('flow cookie', value);
}

/** Set-Cookie lines of a response, parsed. */
export const setCookies = (res) => res.headers.getSetCookie().map(parseSetCookie);

/** True when a parsed Set-Cookie removes the cookie (Max-Age <= 0 or Expires in the past). */
export function isDeletion(c) {
  const maxAge = c.attrs.get('max-age');
  if (maxAge !== undefined) return Number(maxAge) <= 0;
  const expires = c.attrs.get('expires');
  return expires !== undefined && Date.parse(expires) <= Date.now();
}

/**
 * One-host cookie jar (everything here is on 127.0.0.1, and cookies ignore ports, exactly as
 * in a browser: the IdP's idp_* cookies and gatehouse's share it). Honours Path, Max-Age,
 * Expires and deletion; stores Secure cookies even over http, as browsers do for loopback.
 */
export class CookieJar {
  #cookies = new Map(); // `${name};${path}` -> { name, value, path, expiresAt }

  store(res, requestUrl) {
    for (const c of setCookies(res)) {
      const path = typeof c.attrs.get('path') === 'string' && c.attrs.get('path').startsWith('/')
        ? c.attrs.get('path') : defaultPath(requestUrl);
      const key = `${c.name};${path}`;
      if (isDeletion(c)) { this.#cookies.delete(key); continue; }
      recordCookie(c);
      const maxAge = c.attrs.get('max-age');
      const expires = c.attrs.get('expires');
      const expiresAt = maxAge !== undefined ? Date.now() + Number(maxAge) * 1000
        : expires !== undefined ? Date.parse(expires) : Infinity;
      this.#cookies.set(key, { name: c.name, value: c.value, path, expiresAt });
    }
  }

  set(name, value, path = '/') { this.#cookies.set(`${name};${path}`, { name, value, path, expiresAt: Infinity }); }

  delete(name) { for (const [k, c] of this.#cookies) if (c.name === name) this.#cookies.delete(k); }

  get(name) { return this.#live().find((c) => c.name === name)?.value; }

  names() { return this.#live().map((c) => c.name); }

  header(url) {
    const { pathname } = new URL(url);
    return this.#live()
      .filter((c) => pathname === c.path || pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`))
      .map((c) => `${c.name}=${c.value}`).join('; ');
  }

  #live() {
    const now = Date.now();
    for (const [k, c] of this.#cookies) if (c.expiresAt <= now) this.#cookies.delete(k);
    return [...this.#cookies.values()];
  }
}

// RFC 6265 5.1.4 default-path.
function defaultPath(url) {
  const { pathname } = new URL(url);
  const slash = pathname.lastIndexOf('/');
  return slash <= 0 ? '/' : pathname.slice(0, slash);
}

/** The browser: a jar, a trace of every hop (for failure messages) and the demo's flows. */
export class ScriptedBrowser {
  /** `userAgent`: the User-Agent header of every request (fetch's own when not given);
   *  `headers`: more headers sent with every request (e.g. what a proxy in front would add). */
  constructor({ gatehouseUrl, idpUrl, name = 'browser', userAgent, headers = {} }) {
    this.gatehouseUrl = gatehouseUrl;
    this.idpUrl = idpUrl;
    this.name = name;
    this.userAgent = userAgent;
    this.headers = headers;
    this.jar = new CookieJar();
    this.trace = [];
  }

  /** A browser-like request; `cookie` replaces the jar's Cookie header when given. */
  async request(url, { method = 'GET', headers = {}, form, cookie } = {}) {
    const h = { ...this.headers, ...headers, cookie: cookie ?? this.jar.header(url) };
    if (!h.cookie) delete h.cookie;
    if (this.userAgent && !h['user-agent']) h['user-agent'] = this.userAgent;
    let body;
    if (form) {
      h['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(form).toString();
    }
    const res = await fetch(url, { method, headers: h, body, redirect: 'manual', signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    this.jar.store(res, url);
    this.trace.push(`${method} ${url} [cookie: ${h.cookie ?? ''}] -> ${res.status} ${res.headers.get('location') ?? ''} ${res.headers.getSetCookie().map((l) => `\n    set-cookie: ${l}`).join('')}`);
    return res;
  }

  traceText(last = 30) { return `--- ${this.name} hops ---\n${this.trace.slice(-last).join('\n')}`; }

  /** GET /bff/login + query; returns { res, location, flowCookies }. Does not follow. */
  async startLogin(query = '?returnUrl=/') {
    const res = await this.request(`${this.gatehouseUrl}/bff/login${query}`);
    await res.arrayBuffer();
    const location = res.headers.get('location') ? new URL(res.headers.get('location'), res.url) : undefined;
    const flowCookies = setCookies(res).filter((c) => c.name.startsWith(FLOW_COOKIE_PREFIX));
    return { res, location, flowCookies };
  }

  /**
   * Follows the authorization request through the IdP (logging in with the form when it is
   * shown) until a redirect leaves the IdP; returns that URL (normally /signin-oidc?...).
   */
  async authenticate(authUrl, { user = 'alice', password = 'alice' } = {}) {
    let res = await this.request(authUrl.href ?? authUrl);
    let submitted = false;
    for (let hops = 0; hops < 15; hops++) {
      if ([302, 303].includes(res.status)) {
        const next = new URL(res.headers.get('location'), res.url);
        await res.arrayBuffer();
        if (next.origin !== new URL(this.idpUrl).origin) return next;
        res = await this.request(next.href);
        continue;
      }
      const html = await res.text();
      const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
      if (res.status !== 200 || !action || submitted) {
        throw new Error(`IdP did not lead back to the gateway: HTTP ${res.status} at ${res.url}\n${html.slice(0, 2000)}\n${this.traceText()}`);
      }
      submitted = true;
      res = await this.request(new URL(action, this.idpUrl).href, { method: 'POST', form: { login: user, password } });
    }
    throw new Error(`too many redirects\n${this.traceText()}`);
  }

  /** GET the callback URL at the gateway (from authenticate()). */
  async callback(callbackUrl, options) {
    const res = await this.request(callbackUrl.href ?? callbackUrl, options);
    const body = await res.text();
    return { res, body, location: res.headers.get('location'), cookies: setCookies(res) };
  }

  /**
   * The whole login: /bff/login -> IdP -> /signin-oidc. Throws with the trace unless the
   * callback answers 302 and sets the session cookie. Returns what the tests look at.
   */
  async login({ user, password, query = '?returnUrl=/' } = {}) {
    const start = await this.startLogin(query);
    if (start.res.status !== 302 || !start.location) {
      throw new Error(`/bff/login${query} answered ${start.res.status}, expected 302\n${this.traceText()}`);
    }
    const callbackUrl = await this.authenticate(start.location, { user, password });
    const cb = await this.callback(callbackUrl);
    const session = cb.cookies.find((c) => c.name === SESSION_COOKIE && !isDeletion(c));
    if (cb.res.status !== 302 || !session) {
      throw new Error(`callback answered ${cb.res.status} (location ${cb.location}) without a session cookie\n${cb.body.slice(0, 500)}\n${this.traceText()}`);
    }
    return { start, callbackUrl, callback: cb, session, cookie: session.value };
  }

  /** GET /bff/user; returns { status, headers, json, text }. */
  async user({ csrf = '1', slide, cookie, query } = {}) {
    const q = query ?? (slide === false ? '?slide=false' : '');
    const headers = csrf === null ? {} : { 'x-csrf': csrf };
    const res = await this.request(`${this.gatehouseUrl}/bff/user${q}`, {
      headers, cookie: cookie === undefined ? undefined : `${SESSION_COOKIE}=${cookie}`,
    });
    const text = await res.text();
    let json;
    try { json = text ? JSON.parse(text) : undefined; } catch { /* not JSON: asserted by callers */ }
    return { status: res.status, headers: res.headers, json, text };
  }

  /** RP-initiated logout at the demo IdP from its end-session URL, confirming like its
   *  auto-submitting page; returns the redirect back to the gateway. */
  async confirmIdpLogout(endSessionUrl) {
    const page = await this.request(endSessionUrl.href ?? endSessionUrl);
    const html = await page.text();
    const action = /<form id="op.logoutForm" method="post" action="([^"]+)"/.exec(html)?.[1];
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(html)?.[1];
    if (page.status !== 200 || !action || !xsrf) {
      throw new Error(`no logout form at the IdP (HTTP ${page.status}):\n${html.slice(0, 2000)}\n${this.traceText()}`);
    }
    const res = await this.request(new URL(action, this.idpUrl).href, { method: 'POST', form: { xsrf, logout: 'yes' } });
    await res.arrayBuffer();
    if (![302, 303].includes(res.status)) throw new Error(`IdP logout answered ${res.status}\n${this.traceText()}`);
    return new URL(res.headers.get('location'), res.url);
  }
}

/** Claims array -> Map(type -> value) (first value wins; the tests look at single-valued ones). */
export function claimMap(claims) {
  const m = new Map();
  for (const c of claims ?? []) if (!m.has(c.type)) m.set(c.type, c.value);
  return m;
}

/**
 * Sends raw bytes on a fresh connection (fetch normalises paths and refuses bad framing, so
 * traversal and framing probes need this). Resolves to { status, head, body, raw } once the
 * server closes or `timeoutMs` passes.
 */
export function rawRequest(port, text, { host = '127.0.0.1', timeoutMs = 5000 } = {}) {
  return new Promise((resolve, reject) => {
    const socket = connect(port, host);
    const chunks = [];
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(parseResponse(Buffer.concat(chunks).toString('latin1')));
    };
    const timer = setTimeout(finish, timeoutMs);
    socket.on('data', (d) => {
      chunks.push(d);
      // A kept-alive connection never ends: stop once the first response is complete.
      if (parseResponse(Buffer.concat(chunks).toString('latin1')).complete) finish();
    });
    socket.on('end', finish);
    socket.on('error', (err) => (chunks.length ? finish() : (clearTimeout(timer), reject(err))));
    socket.write(text);
  });
}

/** Splits a raw HTTP/1.1 response (latin1 text) into status, head and de-chunked body. */
function parseResponse(raw) {
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(raw)?.[1] ?? 0);
  const split = raw.indexOf('\r\n\r\n');
  if (split < 0) return { status, head: raw, body: '', raw, complete: false };
  const head = raw.slice(0, split);
  let rest = raw.slice(split + 4);
  if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
    let body = '';
    for (;;) {
      const eol = rest.indexOf('\r\n');
      if (eol < 0) return { status, head, body, raw, complete: false };
      const size = parseInt(rest.slice(0, eol), 16);
      if (Number.isNaN(size)) return { status, head, body, raw, complete: true };
      if (size === 0) return { status, head, body, raw, complete: true };
      if (rest.length < eol + 2 + size + 2) return { status, head, body, raw, complete: false };
      body += rest.slice(eol + 2, eol + 2 + size);
      rest = rest.slice(eol + 2 + size + 2);
    }
  }
  const length = /\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1];
  return { status, head, body: rest, raw, complete: length !== undefined && rest.length >= Number(length) };
}
