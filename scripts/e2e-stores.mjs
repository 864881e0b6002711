// Real PostgreSQL and Redis servers for the end-to-end tests: started on free loopback ports in
// temporary directories, and stopped (or killed and restarted, for outage tests) by the tests.
// PostgreSQL refuses to run as root: then it runs as the `postgres` user Debian's package makes.
import { execFileSync, spawn } from 'node:child_process';
import { chownSync, closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from './e2e-env.mjs';

const PG_BIN = '/usr/lib/postgresql/15/bin';
const START_TIMEOUT_MS = 20_000;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The uid/gid to run PostgreSQL as: ourselves, or `postgres` when we are root. */
function postgresUser() {
  if (userInfo().uid !== 0) return undefined;
  const uid = Number(execFileSync('id', ['-u', 'postgres']).toString().trim());
  const gid = Number(execFileSync('id', ['-g', 'postgres']).toString().trim());
  return { uid, gid };
}

async function waitUntil(check, what, child) {
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (await check()) return;
    if (child && child.exitCode !== null) throw new Error(`${what} exited during start-up (${child.exitCode})`);
    if (Date.now() > deadline) throw new Error(`${what} did not start within ${START_TIMEOUT_MS} ms`);
    await sleep(100);
  }
}

function canConnect(port) {
  return new Promise((resolve) => {
    import('node:net').then(({ connect }) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('error', () => resolve(false));
    });
  });
}

// Servers die with us even if the test runner exits without stopping them.
const live = new Set();
process.once('exit', () => { for (const c of live) c.kill('SIGKILL'); });

/** Spawns `command` with its output appended to `logFile` (no pipe that could fill up). */
function spawnLogged(command, args, logFile, options = {}) {
  const log = openSync(logFile, 'a');
  const child = spawn(command, args, { ...options, stdio: ['ignore', log, log] });
  closeSync(log);
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

/**
 * A PostgreSQL server of our own. Returns { url, port, logFile, stop({ keep }), kill(), start(),
 * query(sql) }; `kill()` is a SIGKILL (a crash), `start()` brings it back on the same port and
 * data. Its files live in a directory of its own (PostgreSQL's user must own it); `logDir`
 * (default: that directory) receives postgres.log.
 */
export async function startPostgres(logDir) {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-pg-'));
  const logFile = join(logDir ?? dir, 'postgres.log');
  const owner = postgresUser();
  if (owner) chownSync(dir, owner.uid, owner.gid);
  const data = join(dir, 'data');
  const run = (args) => execFileSync(`${PG_BIN}/${args[0]}`, args.slice(1), { ...(owner ?? {}), stdio: 'pipe' });
  run(['initdb', '-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
  writeFileSync(join(data, 'postgresql.conf'), '\nfsync = on\nlisten_addresses = \'127.0.0.1\'\nmax_connections = 200\n', { flag: 'a' });
  if (owner) chownSync(join(data, 'postgresql.conf'), owner.uid, owner.gid);
  const port = await freePort();
  let child;
  const start = async () => {
    child = spawnLogged(`${PG_BIN}/postgres`, ['-D', data, '-p', String(port), '-k', dir], logFile, owner ?? {});
    await waitUntil(() => canConnect(port), 'postgres', child);
    // Accepting TCP is not yet accepting queries: wait for a real one.
    await waitUntil(async () => {
      try { run(['psql', '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-Atc', 'SELECT 1']); return true; } catch { return false; }
    }, 'postgres (queries)', child);
  };
  const exited = () => new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', r)));
  await start();
  run(['psql', '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-c', 'CREATE DATABASE gatehouse']);
  return {
    port,
    logFile,
    url: `postgresql://postgres@127.0.0.1:${port}/gatehouse`,
    start,
    query: (sql) => run(['psql', '-h', '127.0.0.1', '-p', String(port), '-U', 'postgres', '-d', 'gatehouse', '-Atc', sql]).toString().trim(),
    kill: async () => { child.kill('SIGKILL'); await exited(); await sleep(200); },
    stop: async ({ keep = false } = {}) => {
      if (child && child.exitCode === null && child.signalCode === null) { child.kill('SIGINT'); await exited(); }
      if (!keep) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A redis-server of our own with every write fsynced (appendfsync always), so acknowledged
 * writes survive a kill -9. Returns { url, port, logFile, stop({ keep }), kill(), start() }.
 */
export async function startRedis(logDir) {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-redis-'));
  const logFile = join(logDir ?? dir, 'redis.log');
  const port = await freePort();
  const conf = join(dir, 'redis.conf');
  writeFileSync(conf, [
    `port ${port}`, 'bind 127.0.0.1', `dir ${dir}`, 'appendonly yes', 'appendfsync always',
    'save ""', 'daemonize no', 'protected-mode no', `logfile ${logFile}`,
  ].join('\n'));
  let child;
  const start = async () => {
    child = spawnLogged('redis-server', [conf], logFile);
    await waitUntil(() => canConnect(port), 'redis-server', child);
  };
  const exited = () => new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r() : child.once('exit', r)));
  await start();
  return {
    port,
    logFile,
    url: `redis://127.0.0.1:${port}/0`,
    start,
    kill: async () => { child.kill('SIGKILL'); await exited(); },
    stop: async ({ keep = false } = {}) => {
      if (child && child.exitCode === null && child.signalCode === null) { child.kill('SIGTERM'); await exited(); }
      if (!keep) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The server for `store` ('postgres' | 'redis') and the [session] settings that use it. */
export async function startStore(store, logDir) {
  if (store === 'postgres') {
    const server = await startPostgres(logDir);
    return { server, session: { store: 'postgres', postgres_url: server.url, postgres_timeout: '2s' } };
  }
  if (store === 'redis') {
    const server = await startRedis(logDir);
    return { server, session: { store: 'redis', redis_url: server.url, redis_timeout: '2s' } };
  }
  throw new Error(`unknown store ${store}`);
}
