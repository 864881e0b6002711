// Sample API for the gatehouse demo and tests: the upstream of the gateway's `[[api]]` routes.
// Every endpoint under /api but /api/stats wants an access token of the demo IdP (auth.mjs).
// Development only: plain http on loopback, in-memory counters.
//
//   node server.mjs      (API_PORT, API_HOST, API_ISSUER, API_AUDIENCE, API_DPOP_NONCE,
//                         API_ORIGIN: see ../README.md)
//
// It prints `api listening on http://HOST:PORT` once it accepts connections.
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { pathToFileURL } from 'node:url';
import { WebSocketServer } from 'ws';
import { createTokenCheck } from './auth.mjs';

const MAX_DOWNLOAD = 2 * 1024 ** 3; // 2 GiB
const MAX_UPLOAD = 4 * 1024 ** 3;
const MAX_SLOW_MS = 10 * 60 * 1000;
const MAX_WS_MESSAGE = 1024 * 1024;
// Download bytes: byte i of a body is i mod 256, so a test can recompute any body.
const BLOCK = Buffer.from(Array.from({ length: 64 * 1024 }, (_, i) => i % 256));

/** Reads and validates the configuration; throws with a message naming the variable. */
export function readConfig(env = process.env) {
  const port = env.API_PORT === undefined || env.API_PORT === '' ? 9001 : Number(env.API_PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`API_PORT must be a port number (0 = any free one), got "${env.API_PORT}"`);
  const issuer = env.API_ISSUER || 'http://127.0.0.1:9090';
  if (!URL.canParse(issuer)) throw new Error(`API_ISSUER must be the IdP's issuer URL, got "${issuer}"`);
  const audience = env.API_AUDIENCE || 'urn:gatehouse:demo-api';
  const origin = env.API_ORIGIN ? env.API_ORIGIN.replace(/\/+$/, '') : undefined;
  if (origin !== undefined && (!URL.canParse(origin) || new URL(origin).origin !== origin)) {
    throw new Error(`API_ORIGIN must be a bare origin like http://127.0.0.1:9001, got "${env.API_ORIGIN}"`);
  }
  if (![undefined, '', '0', '1'].includes(env.API_DPOP_NONCE)) throw new Error(`API_DPOP_NONCE must be 0 or 1, got "${env.API_DPOP_NONCE}"`);
  return { host: env.API_HOST || '127.0.0.1', port, issuer, audience, origin, dpopNonce: env.API_DPOP_NONCE === '1' };
}

// ---------------------------------------------------------------------------------------------
// Endpoints: (req, res, ctx) with ctx = { url, auth }; auth is undefined only for /api/stats.

function sendJson(res, status, body, headers = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store', ...headers });
  res.end(text);
}

/** An integer query parameter within [min, max], or undefined. */
function intParam(url, name, min, max) {
  const v = url.searchParams.get(name);
  if (v === null || !/^\d+$/.test(v)) return undefined;
  const n = Number(v);
  return n >= min && n <= max ? n : undefined;
}

const iso = (seconds) => (typeof seconds === 'number' ? new Date(seconds * 1000).toISOString() : undefined);

function hello(_req, res, { auth }) {
  const c = auth.claims;
  sendJson(res, 200, {
    sub: c.sub,
    // A client-credentials token has no user: oidc-provider puts the client id into sub.
    caller: c.sub === c.client_id ? 'client' : 'user',
    scope: c.scope ?? '',
    client_id: c.client_id,
    aud: c.aud,
    iss: c.iss,
    dpop: auth.dpop,
    token_id: c.jti, // tells two tokens apart (e.g. before and after a refresh) without showing one
    token_issued_at: iso(c.iat),
    token_expires_at: iso(c.exp),
  });
}

// The access token never goes back out in a body: the gateway would hand it to the browser.
function redact(name, value) {
  if (name.toLowerCase() !== 'authorization') return value;
  const [scheme, credential = ''] = value.split(/ +/, 2);
  return `${scheme} [redacted: ${credential.length} chars, sha256 ${createHash('sha256').update(credential).digest('hex').slice(0, 16)}]`;
}

function headers(req, res) {
  const merged = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v : redact(k, v)]));
  const raw = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) raw.push([req.rawHeaders[i], redact(req.rawHeaders[i], req.rawHeaders[i + 1])]);
  sendJson(res, 200, { method: req.method, url: req.url, http_version: req.httpVersion, headers: merged, raw });
}

// Streams the body through the hash: never more than a socket buffer in memory.
async function upload(req, res, { stats }) {
  const hash = createHash('sha256');
  let bytes = 0;
  try {
    for await (const chunk of req) {
      bytes += chunk.length;
      if (bytes > MAX_UPLOAD) return sendJson(res, 413, { error: `uploads are limited to ${MAX_UPLOAD} bytes` }, { connection: 'close' });
      hash.update(chunk);
    }
  } catch {
    stats.upload_aborted += 1; // the client went away mid-body
    return undefined;
  }
  return sendJson(res, 200, { bytes, sha256: hash.digest('hex') });
}

function waitForDrain(res) {
  return new Promise((resolve) => {
    const done = () => { res.off('drain', done); res.off('close', done); resolve(); };
    res.on('drain', done);
    res.on('close', done);
  });
}

async function download(_req, res, { url }) {
  const n = intParam(url, 'bytes', 0, MAX_DOWNLOAD);
  if (n === undefined) return sendJson(res, 400, { error: `bytes must be an integer in [0, ${MAX_DOWNLOAD}]` });
  const chunked = url.searchParams.get('chunked') === '1';
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'cache-control': 'no-store', ...(chunked ? {} : { 'content-length': n }) });
  for (let left = n; left > 0;) {
    if (res.destroyed) return undefined;
    const chunk = left >= BLOCK.length ? BLOCK : BLOCK.subarray(0, left);
    left -= chunk.length;
    if (!res.write(chunk)) await waitForDrain(res);
  }
  res.end();
  return undefined;
}

function slow(_req, res, { url, stats }) {
  const ms = intParam(url, 'ms', 0, MAX_SLOW_MS);
  if (ms === undefined) return sendJson(res, 400, { error: `ms must be an integer in [0, ${MAX_SLOW_MS}]` });
  return new Promise((resolve) => {
    const timer = setTimeout(() => { sendJson(res, 200, { slept_ms: ms }); resolve(); }, ms);
    res.once('close', () => {
      if (res.writableFinished) return;
      clearTimeout(timer); // the client gave up: so do we
      stats.slow_aborted += 1;
      resolve();
    });
  });
}

function status(_req, res, { url }) {
  const code = intParam(url, 'code', 200, 599);
  if (code === undefined) return sendJson(res, 400, { error: 'code must be an integer in [200, 599]' });
  if (code === 204 || code === 304) return res.writeHead(code, { 'cache-control': 'no-store' }).end();
  return sendJson(res, code, { status: code });
}

function setCookie(_req, res) {
  sendJson(res, 200, { set_cookie: 'api_cookie' }, { 'set-cookie': 'api_cookie=from-the-upstream; Path=/; HttpOnly; SameSite=Lax' });
}

function statsEndpoint(_req, res, { stats }) {
  sendJson(res, 200, stats);
}

// [method, path, handler, token required]
const ROUTES = [
  ['GET', '/api/hello', hello, true],
  ['GET', '/api/headers', headers, true],
  ['POST', '/api/upload', upload, true],
  ['GET', '/api/download', download, true],
  ['GET', '/api/slow', slow, true],
  ['GET', '/api/status', status, true],
  ['GET', '/api/set-cookie', setCookie, true],
  ['GET', '/api/stats', statsEndpoint, false], // for tests; the only endpoint without a token
];

function newStats() {
  return {
    requests: 0, // every request but GET /api/stats, websocket handshakes included
    in_flight: 0,
    unauthorized: 0, // refused by the token check (401/400/503)
    aborted: 0, // the client disconnected before the response was complete
    slow_aborted: 0, // ... of which /api/slow requests still waiting
    upload_aborted: 0,
    websockets: 0, // accepted websocket connections
    by_route: {}, // "GET /api/hello": n, for routes that passed the token check
  };
}

// ---------------------------------------------------------------------------------------------
// Server

/** Starts the API; resolves once listening. Returns { server, url, port, stats, close }. */
export async function start(config = readConfig()) {
  const check = createTokenCheck(config);
  const stats = newStats();
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_WS_MESSAGE });

  const authenticate = (req, url, websocket = false) => check({
    method: req.method, path: url.pathname, headers: req.headers, rawHeaders: req.rawHeaders, websocket,
  });

  const server = createServer(async (req, res) => {
    const url = new URL(req.url, 'http://api.invalid');
    const route = ROUTES.find(([, path]) => path === url.pathname);
    const counted = route?.[2] !== statsEndpoint; // polling the counters must not change them
    if (counted) {
      stats.requests += 1;
      stats.in_flight += 1;
      res.once('close', () => {
        stats.in_flight -= 1;
        if (!res.writableFinished) stats.aborted += 1;
      });
    }
    try {
      if (!route) return sendJson(res, 404, { error: `no endpoint ${url.pathname}` });
      const [method, path, handler, needsToken] = route;
      let auth;
      if (needsToken) {
        auth = await authenticate(req, url);
        if (!auth.ok) {
          stats.unauthorized += 1;
          console.log(`api: ${req.method} ${url.pathname} refused ${auth.status} ${auth.error ?? ''} ${auth.description ?? ''}`.trimEnd());
          return sendJson(res, auth.status, { error: auth.error ?? 'unauthorized', error_description: auth.description }, auth.headers);
        }
        for (const [k, v] of Object.entries(auth.headers)) res.setHeader(k, v);
      }
      if (req.method !== method) return sendJson(res, 405, { error: `${path} takes ${method}` }, { allow: method });
      const key = `${method} ${path}`;
      if (counted) stats.by_route[key] = (stats.by_route[key] ?? 0) + 1;
      if (auth) console.log(`api: ${key} for ${auth.claims.sub}${auth.dpop ? ' (DPoP)' : ''}`);
      return await handler(req, res, { url, auth, stats });
    } catch (err) {
      console.error('api: internal error', err);
      if (!res.headersSent) sendJson(res, 500, { error: 'internal error' });
      else res.destroy();
      return undefined;
    }
  });

  // GET /api/ws: the same token check on the handshake, then an echo of every message.
  server.on('upgrade', async (req, socket, head) => {
    socket.on('error', () => {});
    const url = new URL(req.url, 'http://api.invalid');
    stats.requests += 1;
    const reject = (status, reason, hdrs = {}) => {
      const lines = Object.entries({ 'content-length': 0, connection: 'close', ...hdrs })
        .flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((x) => `${k}: ${x}`));
      socket.end(`HTTP/1.1 ${status} ${reason}\r\n${lines.join('\r\n')}\r\n\r\n`);
    };
    if (url.pathname !== '/api/ws') return reject(404, 'Not Found');
    let auth;
    try {
      auth = await authenticate(req, url, true);
    } catch (err) {
      console.error('api: internal error', err);
      return reject(500, 'Internal Server Error');
    }
    if (!auth.ok) {
      stats.unauthorized += 1;
      console.log(`api: websocket refused ${auth.status} ${auth.error ?? ''} ${auth.description ?? ''}`.trimEnd());
      return reject(auth.status, auth.status === 401 ? 'Unauthorized' : 'Refused', auth.headers);
    }
    return wss.handleUpgrade(req, socket, head, (ws) => {
      stats.websockets += 1;
      stats.by_route['GET /api/ws'] = (stats.by_route['GET /api/ws'] ?? 0) + 1;
      console.log(`api: websocket for ${auth.claims.sub}${auth.dpop ? ' (DPoP)' : ''}`);
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
      ws.on('error', () => ws.terminate());
    });
  });

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, resolve);
  });
  const { port } = server.address();
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  const close = () => new Promise((resolve) => {
    for (const ws of wss.clients) ws.terminate();
    server.close(() => resolve());
    server.closeAllConnections();
  });
  return { server, url, port, stats, close };
}

async function main() {
  let config;
  try {
    config = readConfig();
  } catch (err) {
    console.error(`api: configuration error: ${err.message}`);
    process.exit(2);
  }
  const api = await start(config);
  console.log(`api accepts JWT access tokens of ${config.issuer} for ${config.audience}; DPoP nonce ${config.dpopNonce ? 'required' : 'off'}`);
  console.log(`api listening on ${api.url}`);
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.on(signal, async () => {
      if (stopping) return;
      stopping = true;
      setTimeout(() => process.exit(0), 3000).unref();
      await api.close();
      process.exit(0);
    });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err) => {
    console.error('api: failed to start:', err);
    process.exit(1);
  });
}
