// The whole run's log check (issue #12): no token, cookie, handle, client secret, admin token,
// webhook URL or key the test run used appears in any log line of any gateway or command it ran,
// at any level. `make test-node` runs tests/integration and tests/browser with
// GATEHOUSE_TEST_LOG_DIR set to a temp dir (filled by scripts/e2e-record.mjs and the dev IdP's
// IDP_ISSUED_TOKENS_FILE), then this:
//
//   node scripts/check-log-secrets.mjs <dir>
//
// Every recorded secret is looked for as it is, URL-encoded, and (for a JWT) as its payload and
// its signature. A hit fails the check naming the secret's kind, the log file and the line, never
// the secret. So does a run that recorded fewer logs or secrets than the suites are known to
// produce: a check that saw nothing proves nothing.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { forEachLine } from './e2e-env.mjs';
import { MIN_SECRET_LENGTH } from './e2e-record.mjs';

// What a full run of both suites records at the least, with some room: a run in December 2026
// recorded 49 gateway and 61 command logs (27,900 lines), 215-232 of each per-login kind, 66
// test-signed tokens, 38 key ring keys, 7 admin tokens, 5 logout tokens. Lower only with the suites.
const MIN_GATEWAY_LOGS = 40;
const MIN_COMMAND_LOGS = 50;
const MIN_LOG_LINES = 10_000;
const MIN_SECRETS = {
  'session cookie': 150,
  'flow cookie': 150,
  'authorization code': 150,
  'access token': 150,
  'refresh token': 150,
  'id token': 150,
  'client credentials token': 1,
  'logout token': 3,
  'test-signed token': 40,
  'client secret': 1,
  'admin token': 5,
  'webhook URL': 1,
  'webhook URL path': 1,
  'key ring key': 20,
  'DPoP key': 20,
};
const PREFIX = MIN_SECRET_LENGTH; // the index key: every needle is at least this long
const MAX_LINES_SHOWN = 5;

const JWT = /^eyJ[\w-]*\.([\w-]*)\.([\w-]*)$/;

/** The forms a secret may take in a log line: as it is, URL-encoded, a JWT's payload and
 *  signature (not its header: every token signed with one key shares it). */
function forms(value) {
  const out = [['as is', value]];
  const encoded = encodeURIComponent(value);
  if (encoded !== value) out.push(['URL-encoded', encoded]);
  const jwt = JWT.exec(value);
  if (jwt) {
    if (jwt[1].length >= 16) out.push(['JWT payload', jwt[1]]);
    if (jwt[2].length >= 16) out.push(['JWT signature', jwt[2]]);
  }
  return out;
}

function readSecrets(dir, problems) {
  const byKind = new Map();
  const needles = new Map(); // needle -> { kind, form, fingerprint }
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.jsonl')) : [];
  for (const file of files) {
    readFileSync(join(dir, file), 'utf8').split('\n').forEach((line, i) => {
      if (!line) return;
      let entry;
      try { entry = JSON.parse(line); } catch { entry = undefined; }
      if (typeof entry?.kind !== 'string' || typeof entry?.value !== 'string') {
        problems.push(`secrets/${file} line ${i + 1} is not a { kind, value } record`);
        return;
      }
      if (entry.value.length < MIN_SECRET_LENGTH) return;
      if (!byKind.has(entry.kind)) byKind.set(entry.kind, new Set());
      byKind.get(entry.kind).add(entry.value);
      const fingerprint = createHash('sha256').update(entry.value).digest('hex').slice(0, 12);
      for (const [form, needle] of forms(entry.value)) {
        if (!needles.has(needle)) needles.set(needle, { kind: entry.kind, form, fingerprint });
      }
    });
  }
  return { files: files.length, byKind, needles };
}

/** Every occurrence of any needle in the log files: [{ file, line, kind, form, fingerprint }]. */
function scanLogs(dir, needles) {
  const index = new Map(); // first PREFIX characters -> the needles starting so
  for (const [needle, what] of needles) {
    const key = needle.slice(0, PREFIX);
    if (!index.has(key)) index.set(key, []);
    index.get(key).push([needle, what]);
  }
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.log')).sort() : [];
  const hits = [];
  let lines = 0;
  for (const file of files) {
    let n = 0;
    forEachLine(join(dir, file), (line) => {
      n += 1;
      for (let i = 0; i + PREFIX <= line.length; i++) {
        const bucket = index.get(line.slice(i, i + PREFIX));
        if (!bucket) continue;
        for (const [needle, what] of bucket) if (line.startsWith(needle, i)) hits.push({ file, line: n, ...what });
      }
    });
    lines += n;
  }
  return { files, lines, hits };
}

function main() {
  const dir = process.argv[2] ?? process.env.GATEHOUSE_TEST_LOG_DIR;
  if (!dir) {
    console.error('usage: node scripts/check-log-secrets.mjs <GATEHOUSE_TEST_LOG_DIR of a whole test run>');
    process.exit(2);
  }
  const problems = [];
  const secrets = readSecrets(join(dir, 'secrets'), problems);
  const logs = scanLogs(join(dir, 'logs'), secrets.needles);

  const gatewayLogs = logs.files.filter((f) => /-gatehouse(-\d+)?\.log$/.test(f)).length;
  const commandLogs = logs.files.filter((f) => /-cli-\w+\.log$/.test(f)).length;
  const counts = [...secrets.byKind].map(([kind, values]) => `${kind} ${values.size}`).join(', ');
  console.log(`log check: ${logs.files.length} log files (${gatewayLogs} gateways, ${commandLogs} commands), ${logs.lines} lines; `
    + `${secrets.needles.size} forms of the secrets from ${secrets.files} files: ${counts || 'none'}`);

  if (gatewayLogs < MIN_GATEWAY_LOGS) problems.push(`only ${gatewayLogs} gateway logs (a full run has at least ${MIN_GATEWAY_LOGS})`);
  if (commandLogs < MIN_COMMAND_LOGS) problems.push(`only ${commandLogs} command logs (a full run has at least ${MIN_COMMAND_LOGS})`);
  if (logs.lines < MIN_LOG_LINES) problems.push(`only ${logs.lines} log lines (a full run has at least ${MIN_LOG_LINES})`);
  for (const [kind, min] of Object.entries(MIN_SECRETS)) {
    const n = secrets.byKind.get(kind)?.size ?? 0;
    if (n < min) problems.push(`only ${n} secrets of kind "${kind}" recorded (a full run records at least ${min})`);
  }

  const grouped = new Map(); // kind | form | file | fingerprint -> line numbers
  for (const h of logs.hits) {
    const key = `${h.kind} (${h.form}, sha256 ${h.fingerprint}) in logs/${h.file}`;
    if (!grouped.has(key)) grouped.set(key, new Set());
    grouped.get(key).add(h.line);
  }
  for (const [where, lines] of grouped) {
    const lineNumbers = [...lines];
    const shown = lineNumbers.slice(0, MAX_LINES_SHOWN).join(', ');
    const more = lineNumbers.length > MAX_LINES_SHOWN ? ` and ${lineNumbers.length - MAX_LINES_SHOWN} more` : '';
    problems.push(`a secret in a log: ${where}, line ${shown}${more}`);
  }

  if (problems.length) {
    console.error(`log check FAILED:\n  ${problems.join('\n  ')}`);
    process.exit(1);
  }
  console.log('log check: no recorded secret in any log line');
}

main();
