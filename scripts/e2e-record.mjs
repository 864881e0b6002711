// What a whole test run leaves for scripts/check-log-secrets.mjs. With GATEHOUSE_TEST_LOG_DIR set
// (make test-node sets it for tests/integration and tests/browser), every gateway and every
// command-line run leaves its output in <dir>/logs/ (one file per process), and every secret the
// run used or was handed one JSON line { kind, value } in <dir>/secrets/ (one file per test
// process; the dev IdPs add theirs through IDP_ISSUED_TOKENS_FILE). Unset: all of it is a no-op.
import { randomUUID } from 'node:crypto';
import { appendFileSync, copyFileSync, linkSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';

const RUN_DIR = process.env.GATEHOUSE_TEST_LOG_DIR || undefined;
/** Shorter values could match anything; no secret of the run is that short. */
export const MIN_SECRET_LENGTH = 8;

// The test file (node --test runs each in a process of its own), naming this process's files.
const who = basename(process.argv[1] ?? 'node').replace(/\.m?js$/, '');
let logs = 0;
const recorded = new Set();

function folder(name) {
  const dir = join(RUN_DIR, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

const logPath = (name) => join(folder('logs'), `${who}-${process.pid}-${++logs}-${name}.log`);

/** Records one secret (values too short to be one are ignored). */
export function recordSecret(kind, value) {
  if (!RUN_DIR || typeof value !== 'string' || value.length < MIN_SECRET_LENGTH) return;
  const key = `${kind}\n${value}`;
  if (recorded.has(key)) return;
  recorded.add(key);
  appendFileSync(join(folder('secrets'), `${who}-${process.pid}.jsonl`), `${JSON.stringify({ kind, value })}\n`);
}

/** The environment for a dev IdP of this run: test hooks on, its issued tokens to a file. */
export function idpRecordingEnv() {
  if (!RUN_DIR) return {};
  return { IDP_TEST_HOOKS: '1', IDP_ISSUED_TOKENS_FILE: join(folder('secrets'), `idp-${who}-${randomUUID()}.jsonl`) };
}

/** A gateway's log file also in the run's logs: a hard link (nothing lost if the process or the
 *  test dies, or the test removes its temp dir), or a copy once `child` exits when the two are
 *  on different file systems. */
export function shareLog(logFile, child) {
  if (!RUN_DIR) return;
  const target = logPath(basename(logFile, '.log'));
  try {
    linkSync(logFile, target);
  } catch (err) {
    if (err.code !== 'EXDEV') throw err;
    child.once('exit', () => copyFileSync(logFile, target));
  }
}

/** A finished command's output in the run's logs. */
export function writeLog(name, text) {
  if (RUN_DIR) writeFileSync(logPath(name), text);
}

// The settings holding secrets: [section] key, its environment variable, what to call it.
const SECRET_SETTINGS = [
  ['oidc', 'client_secret', 'GATEHOUSE_OIDC_CLIENT_SECRET', 'client secret'],
  ['admin', 'token', 'GATEHOUSE_ADMIN_TOKEN', 'admin token'],
  ['audit', 'webhook', 'GATEHOUSE_AUDIT_WEBHOOK', 'webhook URL'],
  ['session', 'postgres_url', 'GATEHOUSE_SESSION_POSTGRES_URL', 'store URL'],
  ['session', 'redis_url', 'GATEHOUSE_SESSION_REDIS_URL', 'store URL'],
];

function recordSetting(kind, value) {
  if (kind === 'store URL') {
    // Only a URL with a password is a secret (the run's own servers have none).
    const password = URL.canParse(value) ? decodeURIComponent(new URL(value).password) : '';
    if (!password) return;
    recordSecret('store password', password);
  }
  recordSecret(kind, value);
  if (kind === 'webhook URL' && URL.canParse(value)) {
    const { pathname, search } = new URL(value);
    recordSecret('webhook URL path', `${pathname}${search}`); // the credential such URLs carry
  }
}

/** TOML basic or literal string -> its value (tests write JSON-style strings). */
function tomlString(text) {
  if (text.startsWith("'")) return text.slice(1, text.lastIndexOf("'"));
  try { return JSON.parse(text.slice(0, text.lastIndexOf('"') + 1)); } catch { return undefined; }
}

/** Records the secrets a config file's text sets; returns its [keys] path (or undefined). */
export function recordConfigSecrets(toml) {
  if (!RUN_DIR) return undefined;
  let section = '';
  let keysPath;
  for (const line of toml.split('\n')) {
    const header = /^\s*\[\[?\s*([\w.-]+)\s*\]\]?/.exec(line);
    if (header) { section = header[1]; continue; }
    const m = /^\s*"?([\w-]+)"?\s*=\s*(["'].*)$/.exec(line);
    const value = m ? tomlString(m[2].trim()) : undefined;
    if (value === undefined) continue;
    if (section === 'keys' && m[1] === 'path') keysPath = value;
    const setting = SECRET_SETTINGS.find(([s, k]) => s === section && k === m[1]);
    if (setting) recordSetting(setting[3], value);
  }
  return keysPath;
}

/** Records the secrets an environment hands a gateway or a command. */
export function recordEnvSecrets(env = {}) {
  for (const [, , variable, kind] of SECRET_SETTINGS) if (env[variable]) recordSetting(kind, env[variable]);
}

/** Records the keys of a key ring file (tickets' keys and the DPoP key), when it is one. */
export function recordKeyRing(path) {
  if (!RUN_DIR || !path) return;
  let ring;
  try {
    if (!statSync(path).isFile()) return; // a test's FIFO or folder: never block on it
    ring = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return; // missing, or a broken file a test wrote on purpose
  }
  for (const k of Array.isArray(ring?.keys) ? ring.keys : []) recordSecret('key ring key', k?.key);
  recordSecret('DPoP key', ring?.dpop?.key);
}

/** A command's secrets: its --config file's settings and key ring, and its environment. Read
 *  after the command, so a ring it created or rotated is there. */
export function recordCommandSecrets(args, { cwd = process.cwd(), env } = {}) {
  if (!RUN_DIR) return;
  recordEnvSecrets(env);
  const i = args.indexOf('--config');
  if (i < 0 || !args[i + 1]) return;
  const config = resolve(cwd, args[i + 1]);
  let text;
  try {
    const st = statSync(config);
    if (!st.isFile() || st.size > 1 << 20) return;
    text = readFileSync(config, 'utf8');
  } catch {
    return; // the tests of a missing or unreadable file
  }
  recordKeyRing(resolve(cwd, recordConfigSecrets(text) ?? 'gatehouse-keys.json'));
}
