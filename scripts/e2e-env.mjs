// Starts a throw-away end-to-end environment: the demo IdP (demo/idp/server.mjs), optionally
// the sample API (demo/api/server.mjs), and the gatehouse binary with a generated config (one or
// more instances sharing one SQLite file), all on free loopback ports, in a fresh temp dir.
// Used by tests/integration, tests/browser and scripts/bench-http.mjs.
//
//   import { startEnvironment } from '../../scripts/e2e-env.mjs';
//   const env = await startEnvironment({ extraConfig: { session: { idle_timeout: '5m' } } });
//   ... env.gatehouseUrl, env.idpUrl ...
//   await env.stop();
//
//   const env = await startEnvironment({ api: true, gateways: 2, idpEnv: { IDP_TEST_HOOKS: '1' } });
//   ... env.apiUrl, env.gateways[1].url, await env.startGateway() ...
//
//   const env = await startEnvironment({ store: 'postgres', gateways: 2 });  // or 'redis'
//   ... await env.storeServer.kill(); await env.storeServer.start() ...
//
// Run directly (`node scripts/e2e-env.mjs [--api]`) it starts one environment (with the sample
// API), prints its URLs and waits for Ctrl-C. With GATEHOUSE_TEST_LOG_DIR set, every gateway's log
// and every secret it is given are also recorded there for the whole run (scripts/e2e-record.mjs).
import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { idpRecordingEnv, recordConfigSecrets, recordEnvSecrets, recordKeyRing, shareLog } from './e2e-record.mjs';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const DEFAULT_BIN = join(REPO_ROOT, 'build/apps/gatehouse/gatehouse');
export const CLIENT_ID = 'gatehouse-demo';
export const CLIENT_SECRET = 'dev-secret-change-me';
/** The sample API's resource indicator: the demo IdP's default resource and the API's audience. */
export const API_AUDIENCE = 'urn:gatehouse:demo-api';

const READY_TIMEOUT_MS = 20_000;
const IDP_START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5_000;

/** The gateway binary to test: $GATEHOUSE_BIN, else the default build output. */
export function gatehouseBinary() {
  return process.env.GATEHOUSE_BIN || DEFAULT_BIN;
}

/** A fresh private signing JWK (with `kid` and `alg`) for `startEnvironment({ idpSigningKey })`:
 *  the IdP signs with it and publishes its public half, so a test can sign tokens the gateway
 *  trusts (e.g. crafted back-channel logout tokens). */
export function generateSigningJwk(alg = 'RS256') {
  const pair = alg === 'ES256'
    ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
    : generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...pair.privateKey.export({ format: 'jwk' }), alg, kid: randomUUID() };
}

/** The first port of the kernel's ephemeral range (what listen(0) and outgoing connections
 *  get), 32768 when it cannot be read. */
function ephemeralLow() {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    return Number.isInteger(low) && low > 1024 ? low : 32768;
  } catch {
    return 32768;
  }
}
const handedOut = new Set(); // never the same port twice from one process

async function canListen(port, host) {
  const server = createServer();
  try {
    server.listen(port, host);
    await once(server, 'listening');
    return true;
  } catch {
    return false;
  } finally {
    await new Promise((r) => server.close(() => r()));
  }
}

/** A free loopback port for a process we start next. Picked at random below the ephemeral
 *  range: a port from listen(0) could be handed again by the kernel to the next listen(0) (the
 *  IdP, the sample API) before our process binds it, which made a gateway fail with "Address
 *  already in use". Another test file could still pick the same port in the same instant
 *  (1 in ~10,000); start-up then fails loudly. */
export async function freePort(host = '127.0.0.1') {
  const high = Math.min(ephemeralLow(), 65536) - 1;
  const low = Math.max(1025, Math.min(20000, high - 1000));
  for (let attempt = 0; attempt < 64; ++attempt) {
    const port = low + Math.floor(Math.random() * (high - low + 1));
    if (handedOut.has(port) || !(await canListen(port, host))) continue;
    handedOut.add(port);
    return port;
  }
  const server = createServer(); // a crowded range: fall back to the kernel's choice
  server.listen(0, host);
  await once(server, 'listening');
  const { port } = server.address();
  await new Promise((r) => server.close(r));
  return port;
}

/** True when something accepts connections on host:port (used by demo.sh-style checks). */
export async function portInUse(port, host = '127.0.0.1') {
  return !(await canListen(port, host));
}

// ---------------------------------------------------------------------------------------------
// Config

/** Deep-merges `extra` into `base`; a `null` value removes the key. An array (of tables, such
 *  as `api`) replaces the section as a whole. */
function merge(base, extra = {}) {
  const out = structuredClone(base);
  for (const [section, values] of Object.entries(extra)) {
    if (values === null) { delete out[section]; continue; }
    if (Array.isArray(values)) { out[section] = structuredClone(values); continue; }
    out[section] ??= {};
    for (const [key, value] of Object.entries(values)) {
      if (value === null) delete out[section][key];
      else out[section][key] = value;
    }
  }
  return out;
}

/** A TOML value: JSON syntax is valid TOML for strings, numbers, booleans and arrays (no \/
 *  escapes are produced by JSON.stringify); objects become inline tables. */
function tomlValue(v) {
  if (Array.isArray(v)) return `[${v.map(tomlValue).join(', ')}]`;
  if (v !== null && typeof v === 'object') return `{ ${Object.entries(v).map(([k, x]) => `${tomlKey(k)} = ${tomlValue(x)}`).join(', ')} }`;
  return JSON.stringify(v);
}

/** A bare key when TOML allows one, else a quoted one (e.g. a claim name like "bff:role"). */
const tomlKey = (k) => (/^[A-Za-z0-9_-]+$/.test(k) ? k : JSON.stringify(k));

/** TOML for a { section: { key: value } } object; a section holding an array of objects is an
 *  array of tables (`[[api]]`, one table per element). */
export function toToml(config) {
  const table = (header, values) => `${header}\n${Object.entries(values).map(([k, v]) => `${tomlKey(k)} = ${tomlValue(v)}`).join('\n')}\n`;
  return Object.entries(config).map(([section, values]) => (Array.isArray(values)
    ? values.map((v) => table(`[[${section}]]`, v)).join('\n')
    : table(`[${section}]`, values)),
  ).join('\n');
}

/**
 * The `[[api]]` routes for a sample API at `apiUrl`: `routes` as given (or made by a function of
 * { apiUrl }), an upstream starting with "/" taken relative to the API, none given meaning the
 * demo's one route: /api -> ${apiUrl}/api with the user's token for the API's audience.
 */
export function apiRoutesFor(apiUrl, routes) {
  const list = typeof routes === 'function' ? routes({ apiUrl }) : routes
    ?? [{ path: '/api', upstream: '/api', token: 'user', audience: API_AUDIENCE }];
  return list.map((r) => ({ ...r, upstream: (r.upstream ?? r.path).startsWith('/') ? `${apiUrl}${r.upstream ?? r.path}` : r.upstream }));
}

export function baseConfig({ port, idpUrl, tmpDir, repoRoot = REPO_ROOT }) {
  return {
    server: { listen: `127.0.0.1:${port}`, public_origin: `http://127.0.0.1:${port}` },
    oidc: {
      authority: idpUrl,
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
      scopes: ['openid', 'profile', 'email', 'offline_access'],
    },
    session: {
      store: 'sqlite',
      sqlite_path: join(tmpDir, 'sessions.db'),
      partition: 'gatehouse-e2e',
      idle_timeout: '30m',
      max_lifetime: '8h',
    },
    keys: { path: join(tmpDir, 'keys.json') },
    frontend: { static_dir: join(repoRoot, 'demo/spa') },
  };
}

// ---------------------------------------------------------------------------------------------
// Processes

/** Up to `bytes` bytes of a file from `position` ('end': its last bytes), as UTF-8 text. */
export function readPart(path, bytes, position = 0) {
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const start = position === 'end' ? Math.max(0, size - bytes) : position;
    const buffer = Buffer.alloc(Math.max(0, Math.min(bytes, size - start)));
    const n = readSync(fd, buffer, 0, buffer.length, start);
    return buffer.subarray(0, n).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** Calls `fn` with each line of a file, read in chunks (a gateway's log can exceed what one
 *  string may hold when every request has its line). */
export function forEachLine(path, fn) {
  const fd = openSync(path, 'r');
  try {
    const chunk = Buffer.alloc(4 << 20);
    let rest = '';
    for (let n; (n = readSync(fd, chunk, 0, chunk.length, null)) > 0;) {
      const lines = (rest + chunk.subarray(0, n).toString('utf8')).split('\n');
      rest = lines.pop();
      for (const line of lines) fn(line);
    }
    if (rest) fn(rest);
  } finally {
    closeSync(fd);
  }
}

/** Returns the last `lines` lines of a log file (or a note that it is missing). */
export function tailFile(path, lines = 60) {
  if (!existsSync(path)) return `(no ${path})`;
  const text = readPart(path, 256 * 1024, 'end').trimEnd().split('\n');
  return text.slice(-lines).join('\n');
}

/** Kills a child with SIGTERM, then SIGKILL after a bound; resolves to its exit code/signal. */
async function stopChild(child, timeoutMs = STOP_TIMEOUT_MS) {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode ?? child.signalCode;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = sleep(timeoutMs).then(() => 'timeout');
  if ((await Promise.race([exited, timer])) === 'timeout') {
    child.kill('SIGKILL');
    await exited;
    return 'SIGKILL (did not stop within 5 s of SIGTERM)';
  }
  return child.exitCode ?? child.signalCode;
}

// Children die with us even if the test runner exits without calling stop().
const live = new Set();
process.once('exit', () => { for (const c of live) c.kill('SIGKILL'); });

function track(child) {
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/** Starts the demo IdP; resolves to { url, child, stop } once it prints its ready line. */
export async function startIdp({ repoRoot = REPO_ROOT, gatehouseOrigins, port = 0, logFile, env = {} }) {
  const server = join(repoRoot, 'demo/idp/server.mjs');
  if (!existsSync(join(repoRoot, 'demo/idp/node_modules/oidc-provider'))) {
    throw new Error(`demo IdP dependencies missing: run (cd ${join(repoRoot, 'demo/idp')} && npm ci)`);
  }
  const log = openSync(logFile, 'a');
  const child = track(spawn(process.execPath, [server], {
    cwd: join(repoRoot, 'demo/idp'),
    env: { ...process.env, IDP_PORT: String(port), GATEHOUSE_ORIGIN: gatehouseOrigins.join(','), ...idpRecordingEnv(), ...env },
    stdio: ['ignore', log, log],
  }));
  closeSync(log);
  // The ready line goes to the log file (no pipe that could fill up): poll it.
  const deadline = Date.now() + IDP_START_TIMEOUT_MS;
  for (;;) {
    const m = /idp listening on (\S+)/.exec(existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
    if (m) return { url: m[1], child, stop: () => stopChild(child) };
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`idp exited (${child.exitCode ?? child.signalCode}) during start-up:\n${tailFile(logFile)}`);
    }
    if (Date.now() > deadline) {
      await stopChild(child);
      throw new Error(`idp did not print its ready line within ${IDP_START_TIMEOUT_MS} ms:\n${tailFile(logFile)}`);
    }
    await sleep(50);
  }
}

/** Starts the sample API for `issuer`; resolves to { url, child, stop } once it prints its ready
 *  line. `env`: extra API_* variables (API_AUDIENCE, API_DPOP_NONCE, API_ORIGIN...). */
export async function startApi({ repoRoot = REPO_ROOT, issuer, port = 0, logFile, env = {} }) {
  const server = join(repoRoot, 'demo/api/server.mjs');
  if (!existsSync(join(repoRoot, 'demo/api/node_modules/jose'))) {
    throw new Error(`sample API dependencies missing: run (cd ${join(repoRoot, 'demo/api')} && npm ci)`);
  }
  const log = openSync(logFile, 'a');
  const child = track(spawn(process.execPath, [server], {
    cwd: join(repoRoot, 'demo/api'),
    env: { ...process.env, API_PORT: String(port), API_ISSUER: issuer, ...env },
    stdio: ['ignore', log, log],
  }));
  closeSync(log);
  const deadline = Date.now() + IDP_START_TIMEOUT_MS;
  for (;;) {
    const m = /api listening on (\S+)/.exec(existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
    if (m) return { url: m[1], child, stop: () => stopChild(child) };
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`sample API exited (${child.exitCode ?? child.signalCode}) during start-up:\n${tailFile(logFile)}`);
    }
    if (Date.now() > deadline) {
      await stopChild(child);
      throw new Error(`sample API did not print its ready line within ${IDP_START_TIMEOUT_MS} ms:\n${tailFile(logFile)}`);
    }
    await sleep(50);
  }
}

/** A test hook of the demo IdP (needs idpEnv: { IDP_TEST_HOOKS: '1' }), e.g.
 *  idpTestHook(env.idpUrl, 'GET', '/__test/token-requests'); resolves to the JSON answer. */
export async function idpTestHook(idpUrl, method, path) {
  const res = await fetch(`${idpUrl}${path}`, { method, signal: AbortSignal.timeout(5000) });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${method} ${path} at the IdP answered ${res.status} (IDP_TEST_HOOKS=1 in idpEnv?): ${text.slice(0, 200)}`);
  return JSON.parse(text);
}

/** Polls `url` until it answers `status` (or the child dies / the bound passes). */
export async function waitForStatus(url, { status = 200, timeoutMs = READY_TIMEOUT_MS, child, logFile } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  for (;;) {
    if (child && (child.exitCode !== null || child.signalCode !== null)) {
      throw new Error(`gatehouse exited (${child.exitCode ?? child.signalCode}) before ${url} answered ${status}:\n${logFile ? tailFile(logFile) : ''}`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.status === status) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = err.cause?.code ?? err.message;
    }
    if (Date.now() > deadline) {
      throw new Error(`${url} did not answer ${status} within ${timeoutMs} ms (last: ${last})\n${logFile ? tailFile(logFile) : ''}`);
    }
    await sleep(100);
  }
}

/** Environment for the gateway: ours, minus any GATEHOUSE_* the caller's shell may carry
 *  (a stray GATEHOUSE_SESSION_... would silently override the generated file). */
function gatewayEnv(extra = {}) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GATEHOUSE_')));
  return { ...env, ...extra };
}

/** Starts `gatehouse serve --config configPath`; waits for `readyPath` to answer 200. */
export async function startGatehouse({ bin = gatehouseBinary(), configPath, url, cwd, logFile, env = {}, readyPath = '/readyz', readyStatus = 200 }) {
  if (!existsSync(bin)) throw new Error(`gatehouse binary not found at ${bin} (set GATEHOUSE_BIN or run make build)`);
  const log = openSync(logFile, 'a');
  const child = track(spawn(bin, ['serve', '--config', configPath], {
    cwd, env: gatewayEnv(env), stdio: ['ignore', log, log],
  }));
  closeSync(log);
  shareLog(logFile, child);
  try {
    await waitForStatus(`${url}${readyPath}`, { status: readyStatus, child, logFile });
  } catch (err) {
    await stopChild(child);
    throw err;
  }
  return { child, stop: () => stopChild(child) };
}

/**
 * Starts the IdP, optionally the sample API, and one or more gateways wired to them.
 *   gatehouseBin  the binary (default $GATEHOUSE_BIN or build/apps/gatehouse/gatehouse)
 *   repoRoot      the checkout (default: this script's repository)
 *   extraConfig   { section: { key: value } } merged over the generated config (null deletes;
 *                 an array, e.g. `api: [...]`, replaces that section)
 *   extraToml     TOML text appended to the generated file as it is (or a function of
 *                 { apiUrl, idpUrl, gatehouseUrl } returning it), e.g. hand-written [[api]] tables
 *   idpEnv        extra IDP_* variables (e.g. IDP_TEST_HOOKS: '1', IDP_ACCESS_TOKEN_TTL: '2',
 *                 IDP_DPOP_NONCE: '1')
 *   idpSigningKey a private JWK (see generateSigningJwk) the IdP signs with instead of a key of
 *                 its own; written to the temp dir and passed as IDP_SIGNING_KEY_FILE
 *   idpUrl        reuse a running IdP instead of starting one (it must know our origin)
 *   api           true, or an object of extra API_* variables: start the sample API (after the
 *                 IdP, before the gateway) for the IdP's issuer. Adds api.read and api.write to
 *                 [oidc] scopes (extraConfig can override) and, unless apiRoutes says otherwise,
 *                 the demo's route: [[api]] path "/api" -> ${apiUrl}/api, token "user", audience
 *                 urn:gatehouse:demo-api
 *   apiRoutes     the [[api]] tables: an array (or a function of { apiUrl } returning one); an
 *                 upstream starting with "/" (or none: the path) is relative to the API; [] = none
 *   gateways      how many gateway instances to start (default 1); the others listen on ports
 *                 of their own with the same config, SQLite file, key ring and public_origin,
 *                 like instances behind one load balancer (the IdP redirects to the first)
 *   port          the first gateway's port (default: a free one)
 *   adminPort     its admin listener's port, `[admin] listen` (default: a free one; it only
 *                 opens when a token is configured, e.g. GATEHOUSE_ADMIN_TOKEN in gatehouseEnv)
 *   gatehouseEnv  extra environment variables for the gateways (GATEHOUSE_* from the caller's
 *                 shell are never passed on)
 *   store         'sqlite' (default), 'memory', 'postgres' or 'redis': for the last two a server
 *                 of our own is started first (scripts/e2e-stores.mjs) and stopped last; it is
 *                 `storeServer` ({ url, port, kill(), start(), query(sql) for PostgreSQL })
 *   readyPath / readyStatus  what "started" means (default GET /readyz == 200)
 * Resolves to { gatehouseUrl, adminUrl, idpUrl, apiUrl, tmpDir, configPath, config, logs, port,
 * gatehouse, idp, api, gateways, startGateway(options), apiStats(), stop() } (plus idpSigningKey
 * when given); idpUrl is also the issuer, CLIENT_ID / CLIENT_SECRET the client. `gateways` lists
 * every instance as { url, port, adminUrl, configPath, logFile, keyRing, gatehouse, stop }, the first being
 * gatehouseUrl's; startGateway({ port, adminPort, gatehouseEnv, readyPath, readyStatus, config })
 * starts one more (config: merged over the shared one) and resolves to such an entry.
 * On a start-up failure every process is stopped and the error carries the logs.
 */
export async function startEnvironment({
  gatehouseBin = gatehouseBinary(), repoRoot = REPO_ROOT, extraConfig = {}, extraToml = '', idpEnv = {}, idpUrl, idpSigningKey,
  api = false, apiRoutes, gateways: gatewayCount = 1, store = 'sqlite',
  port, adminPort, gatehouseEnv = {}, readyPath, readyStatus, keepTmp = Boolean(process.env.E2E_KEEP_TMP),
} = {}) {
  repoRoot = resolve(repoRoot);
  const tmpDir = await mkdtemp(join(tmpdir(), 'gatehouse-e2e-'));
  const logs = { idp: join(tmpDir, 'idp.log'), gatehouse: join(tmpDir, 'gatehouse.log') };
  if (api) logs.api = join(tmpDir, 'api.log');
  port ??= await freePort();
  adminPort ??= await freePort();
  const gatehouseUrl = `http://127.0.0.1:${port}`;
  let idp;
  let apiServer;
  let apiUrl;
  let storeServer;
  const gateways = [];
  let config;
  let toml;
  // keep: leave the temp dir (config, logs, database) for a post-mortem.
  const stop = async ({ keep = keepTmp } = {}) => {
    const gatewayCodes = [];
    for (const g of [...gateways].reverse()) gatewayCodes.unshift(await g.stop());
    const codes = {
      gatehouse: gatewayCodes[0],
      ...(gateways.length > 1 ? { gateways: gatewayCodes } : {}),
      ...(apiServer ? { api: await apiServer.stop() } : {}),
      idp: idp ? await idp.stop() : undefined,
    };
    if (storeServer) await storeServer.stop({ keep });
    for (const g of gateways) recordKeyRing(g.keyRing); // as the test left it (rotated, say)
    if (!keep) await rm(tmpDir, { recursive: true, force: true });
    return codes;
  };
  const diagnostics = (lines = 60) => Object.entries(logs)
    .map(([name, path]) => `--- ${name} log (${path}) ---\n${tailFile(path, lines)}`).join('\n');

  /** One more gateway on the shared config: its own port, admin port, config file and log. */
  const startGateway = async ({ port: p, adminPort: ap, gatehouseEnv: extraEnv = {}, readyPath: rp = readyPath, readyStatus: rs = readyStatus, config: over = {} } = {}) => {
    const n = gateways.length + 1;
    p ??= await freePort();
    ap ??= await freePort();
    const name = n === 1 ? 'gatehouse' : `gatehouse-${n}`;
    const cfg = n === 1 ? config : merge(merge(config, { server: { listen: `127.0.0.1:${p}` }, admin: { listen: `127.0.0.1:${ap}` } }), over);
    const configPath = join(tmpDir, `${name}.toml`);
    const logFile = join(tmpDir, `${name}.log`);
    logs[name] = logFile;
    // 0600: the file holds the client secret and gatehouse warns about readable secrets.
    const text = `${toToml(cfg)}${toml}`;
    await writeFile(configPath, text, { mode: 0o600 });
    const keysPath = recordConfigSecrets(text);
    recordEnvSecrets({ ...gatehouseEnv, ...extraEnv });
    const url = `http://127.0.0.1:${p}`;
    const gatehouse = await startGatehouse({
      bin: gatehouseBin, configPath, url, cwd: tmpDir, logFile, env: { ...gatehouseEnv, ...extraEnv }, readyPath: rp, readyStatus: rs,
    });
    const keyRing = keysPath && resolve(tmpDir, keysPath);
    recordKeyRing(keyRing);
    const entry = { url, port: p, adminUrl: `http://127.0.0.1:${ap}`, configPath, logFile, keyRing, gatehouse, stop: gatehouse.stop };
    gateways.push(entry);
    return entry;
  };

  try {
    if (idpSigningKey && idpUrl) throw new Error('idpSigningKey needs an IdP of our own, not idpUrl');
    if (!Number.isInteger(gatewayCount) || gatewayCount < 1) throw new Error(`gateways must be an integer >= 1, got ${gatewayCount}`);
    if (idpSigningKey) {
      const keyFile = join(tmpDir, 'idp-signing-key.json');
      await writeFile(keyFile, JSON.stringify(idpSigningKey), { mode: 0o600 });
      idpEnv = { ...idpEnv, IDP_SIGNING_KEY_FILE: keyFile };
    }
    if (!idpUrl) {
      idp = await startIdp({ repoRoot, gatehouseOrigins: [gatehouseUrl], logFile: logs.idp, env: idpEnv });
      idpUrl = idp.url;
    }
    let storeSession = {};
    if (store === 'postgres' || store === 'redis') {
      const { startStore } = await import('./e2e-stores.mjs');
      ({ server: storeServer, session: storeSession } = await startStore(store, tmpDir));
      logs[store] = storeServer.logFile;
    } else if (store === 'memory') {
      storeSession = { store: 'memory' };
    } else if (store !== 'sqlite') {
      throw new Error(`store must be sqlite, memory, postgres or redis, got ${store}`);
    }
    if (api) {
      apiServer = await startApi({ repoRoot, issuer: idpUrl, logFile: logs.api, env: api === true ? {} : api });
      apiUrl = apiServer.url;
    }
    const admin = { admin: { listen: `127.0.0.1:${adminPort}` } };
    const base = merge(merge(baseConfig({ port, idpUrl, tmpDir, repoRoot }), admin), { session: storeSession });
    if (api) base.oidc.scopes = [...base.oidc.scopes, 'api.read', 'api.write'];
    const routes = api ? apiRoutesFor(apiUrl, apiRoutes) : [];
    config = merge(merge(base, routes.length ? { api: routes } : {}), extraConfig);
    toml = typeof extraToml === 'function' ? extraToml({ apiUrl, idpUrl, gatehouseUrl }) : extraToml;
    if (toml) toml = `\n${toml}\n`;
    await startGateway({ port, adminPort });
    while (gateways.length < gatewayCount) await startGateway();
    return {
      gatehouseUrl, adminUrl: `http://127.0.0.1:${adminPort}`, idpUrl, apiUrl, tmpDir, configPath: gateways[0].configPath, config, logs, port,
      gatehouse: gateways[0].gatehouse, idp, api: apiServer, gateways, startGateway, idpSigningKey, storeServer, stop,
      /** The sample API's counters (GET /api/stats). */
      apiStats: async () => {
        if (!apiUrl) throw new Error('no sample API in this environment (startEnvironment({ api: true }))');
        return (await fetch(`${apiUrl}/api/stats`, { signal: AbortSignal.timeout(5000) })).json();
      },
      /** Tails of every log, for failure messages. */
      diagnostics,
    };
  } catch (err) {
    const detail = diagnostics();
    await stop().catch(() => {});
    err.message += `\n${detail}`;
    throw err;
  }
}

async function main() {
  const withApi = process.argv.includes('--api');
  const env = await startEnvironment({ api: withApi });
  console.log(`gatehouse ${env.gatehouseUrl}\nidp       ${env.idpUrl}\n${withApi ? `api       ${env.apiUrl}\n` : ''}config    ${env.configPath}\nlogs      ${env.tmpDir}`);
  console.log('Ctrl-C stops everything.');
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, async () => {
      console.log(JSON.stringify(await env.stop()));
      process.exit(0);
    });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().catch((err) => { console.error(err.message); process.exit(1); });
}
