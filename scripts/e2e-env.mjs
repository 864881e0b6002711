// Starts a throw-away end-to-end environment: the demo IdP (demo/idp/server.mjs) and the
// gatehouse binary with a generated config, both on free loopback ports, in a fresh temp dir.
// Used by tests/integration, tests/browser and scripts/bench-http.mjs.
//
//   import { startEnvironment } from '../../scripts/e2e-env.mjs';
//   const env = await startEnvironment({ extraConfig: { session: { idle_timeout: '5m' } } });
//   ... env.gatehouseUrl, env.idpUrl ...
//   await env.stop();
//
// Run directly (`node scripts/e2e-env.mjs`) it starts one environment, prints its URLs and
// waits for Ctrl-C.
import { spawn } from 'node:child_process';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
export const DEFAULT_BIN = join(REPO_ROOT, 'build/apps/gatehouse/gatehouse');
export const CLIENT_ID = 'gatehouse-demo';
export const CLIENT_SECRET = 'dev-secret-change-me';

const READY_TIMEOUT_MS = 20_000;
const IDP_START_TIMEOUT_MS = 15_000;
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

/** Asks the kernel for a free loopback port. Another process could grab it before we bind it
 *  again; acceptable for tests, and start-up fails loudly if it happens. */
export async function freePort(host = '127.0.0.1') {
  const server = createServer();
  server.listen(0, host);
  await once(server, 'listening');
  const { port } = server.address();
  await new Promise((r) => server.close(r));
  return port;
}

/** True when something accepts connections on host:port (used by demo.sh-style checks). */
export async function portInUse(port, host = '127.0.0.1') {
  const server = createServer();
  try {
    server.listen(port, host);
    await once(server, 'listening');
    return false;
  } catch {
    return true;
  } finally {
    server.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Config

/** Deep-merges `extra` into `base`; a `null` value removes the key. */
function merge(base, extra = {}) {
  const out = structuredClone(base);
  for (const [section, values] of Object.entries(extra)) {
    if (values === null) { delete out[section]; continue; }
    out[section] ??= {};
    for (const [key, value] of Object.entries(values)) {
      if (value === null) delete out[section][key];
      else out[section][key] = value;
    }
  }
  return out;
}

/** TOML for a two-level { section: { key: value } } object. JSON string/array syntax is valid
 *  TOML for the plain values we use (no \/ escapes are produced by JSON.stringify). */
export function toToml(config) {
  return Object.entries(config).map(([section, values]) =>
    `[${section}]\n${Object.entries(values).map(([k, v]) => `${k} = ${JSON.stringify(v)}`).join('\n')}\n`,
  ).join('\n');
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

/** Returns the last `lines` lines of a log file (or a note that it is missing). */
export function tailFile(path, lines = 60) {
  if (!existsSync(path)) return `(no ${path})`;
  const text = readFileSync(path, 'utf8').trimEnd().split('\n');
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
    env: { ...process.env, IDP_PORT: String(port), GATEHOUSE_ORIGIN: gatehouseOrigins.join(','), ...env },
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
  try {
    await waitForStatus(`${url}${readyPath}`, { status: readyStatus, child, logFile });
  } catch (err) {
    await stopChild(child);
    throw err;
  }
  return { child, stop: () => stopChild(child) };
}

/**
 * Starts the IdP and a gateway wired to each other.
 *   gatehouseBin  the binary (default $GATEHOUSE_BIN or build/apps/gatehouse/gatehouse)
 *   repoRoot      the checkout (default: this script's repository)
 *   extraConfig   { section: { key: value } } merged over the generated config (null deletes)
 *   idpEnv        extra IDP_* variables
 *   idpSigningKey a private JWK (see generateSigningJwk) the IdP signs with instead of a key of
 *                 its own; written to the temp dir and passed as IDP_SIGNING_KEY_FILE
 *   idpUrl        reuse a running IdP instead of starting one (it must know our origin)
 *   port          the gateway's port (default: a free one)
 *   adminPort     the admin listener's port, `[admin] listen` (default: a free one; it only
 *                 opens when a token is configured, e.g. GATEHOUSE_ADMIN_TOKEN in gatehouseEnv)
 *   gatehouseEnv  extra environment variables for the gateway (GATEHOUSE_* from the caller's
 *                 shell are never passed on)
 *   readyPath / readyStatus  what "started" means (default GET /readyz == 200)
 * Resolves to { gatehouseUrl, adminUrl, idpUrl, tmpDir, configPath, config, logs, port, gatehouse, idp, stop() }
 * (plus idpSigningKey when given); idpUrl is also the issuer, CLIENT_ID / CLIENT_SECRET the client.
 * On a start-up failure both processes are stopped and the error carries both logs.
 */
export async function startEnvironment({
  gatehouseBin = gatehouseBinary(), repoRoot = REPO_ROOT, extraConfig = {}, idpEnv = {}, idpUrl, idpSigningKey,
  port, adminPort, gatehouseEnv = {}, readyPath, readyStatus, keepTmp = Boolean(process.env.E2E_KEEP_TMP),
} = {}) {
  repoRoot = resolve(repoRoot);
  const tmpDir = await mkdtemp(join(tmpdir(), 'gatehouse-e2e-'));
  const logs = { idp: join(tmpDir, 'idp.log'), gatehouse: join(tmpDir, 'gatehouse.log') };
  port ??= await freePort();
  adminPort ??= await freePort();
  const gatehouseUrl = `http://127.0.0.1:${port}`;
  let idp;
  let gatehouse;
  // keep: leave the temp dir (config, logs, database) for a post-mortem.
  const stop = async ({ keep = keepTmp } = {}) => {
    const codes = {
      gatehouse: gatehouse ? await gatehouse.stop() : undefined,
      idp: idp ? await idp.stop() : undefined,
    };
    if (!keep) await rm(tmpDir, { recursive: true, force: true });
    return codes;
  };
  try {
    if (idpSigningKey && idpUrl) throw new Error('idpSigningKey needs an IdP of our own, not idpUrl');
    if (idpSigningKey) {
      const keyFile = join(tmpDir, 'idp-signing-key.json');
      await writeFile(keyFile, JSON.stringify(idpSigningKey), { mode: 0o600 });
      idpEnv = { ...idpEnv, IDP_SIGNING_KEY_FILE: keyFile };
    }
    if (!idpUrl) {
      idp = await startIdp({ repoRoot, gatehouseOrigins: [gatehouseUrl], logFile: logs.idp, env: idpEnv });
      idpUrl = idp.url;
    }
    const admin = { admin: { listen: `127.0.0.1:${adminPort}` } };
    const config = merge(merge(baseConfig({ port, idpUrl, tmpDir, repoRoot }), admin), extraConfig);
    const configPath = join(tmpDir, 'gatehouse.toml');
    // 0600: the file holds the client secret and gatehouse warns about readable secrets.
    await writeFile(configPath, toToml(config), { mode: 0o600 });
    gatehouse = await startGatehouse({
      bin: gatehouseBin, configPath, url: gatehouseUrl, cwd: tmpDir, logFile: logs.gatehouse, env: gatehouseEnv,
      readyPath, readyStatus,
    });
    return {
      gatehouseUrl, adminUrl: `http://127.0.0.1:${adminPort}`, idpUrl, tmpDir, configPath, config, logs, port, gatehouse, idp, idpSigningKey, stop,
      /** Tails of both logs, for failure messages. */
      diagnostics: (lines = 60) =>
        `--- gatehouse log (${logs.gatehouse}) ---\n${tailFile(logs.gatehouse, lines)}\n--- idp log (${logs.idp}) ---\n${tailFile(logs.idp, lines)}`,
    };
  } catch (err) {
    const detail = `--- gatehouse log ---\n${tailFile(logs.gatehouse)}\n--- idp log ---\n${tailFile(logs.idp)}`;
    await stop().catch(() => {});
    err.message += `\n${detail}`;
    throw err;
  }
}

async function main() {
  const env = await startEnvironment();
  console.log(`gatehouse ${env.gatehouseUrl}\nidp       ${env.idpUrl}\nconfig    ${env.configPath}\nlogs      ${env.tmpDir}`);
  console.log('Ctrl-C stops both.');
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
