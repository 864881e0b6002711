// Live sessions for the HTTP benchmark, fast: a few real logins, then `gatehouse sessions
// export`, the rest synthesised as copies of a real line under fresh keys, subjects and provider
// session ids, and `gatehouse sessions import` (every persistent store). The copies' tickets are
// sealed for the original key, so they never open: they fill the store, they are never served.
// The in-memory store cannot be reached from another process: there, real logins only.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ScriptedBrowser } from '../../tests/integration/lib/scripted-browser.mjs';

const run = promisify(execFile);

/** The caller's environment minus GATEHOUSE_* (as e2e-env does for the gateway): the CLI must
 *  read the same settings as the gateway, from the file only. */
const cliEnv = () => Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GATEHOUSE_')));

const cli = (bin, args, timeoutMs) => run(bin, args, { timeout: timeoutMs, env: cliEnv(), maxBuffer: 256 << 20 });

/**
 * Logs in for real, each login in a fresh jar through the IdP's form, until `count` succeeded or
 * `seconds` passed. A fresh IdP session per login matters: gatehouse keeps one session per
 * (sub, IdP sid), so logins reusing one IdP session would replace each other.
 */
export async function loginMany(env, count, { seconds = 120, concurrency = 32, log = () => {} } = {}) {
  let done = 0;
  let inFlight = 0;
  let failures = 0;
  let lastError;
  const cookies = [];
  const deadline = Date.now() + seconds * 1000;
  const worker = async (w) => {
    while (done + inFlight < count && Date.now() < deadline && failures < 100) {
      const b = new ScriptedBrowser({ gatehouseUrl: env.gatehouseUrl, idpUrl: env.idpUrl });
      const user = w % 2 ? 'bob' : 'alice';
      inFlight++;
      try {
        const { cookie } = await b.login({ user, password: user });
        cookies.push(cookie);
        done++;
      } catch (err) {
        failures++;
        lastError = err.message.split('\n')[0];
      } finally {
        inFlight--;
      }
    }
  };
  const progress = setInterval(() => log(`${done} sessions signed in...`), 10_000);
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(count, 1)) }, (_, w) => worker(w)));
  } finally {
    clearInterval(progress);
  }
  if (failures) log(`${failures} logins failed; last: ${lastError}`);
  return { done, failures, cookies, timedOut: done < count && Date.now() >= deadline };
}

/** Sessions in the store: `gatehouse sessions list --format json` for a persistent store, the
 *  admin API's listing (paged) for the in-memory one (needs the admin token). */
export async function countSessions({ bin, env, adminToken }) {
  if (env.config.session.store !== 'memory') {
    const { stdout } = await cli(bin, ['sessions', 'list', '--config', env.configPath, '--format', 'json'], 60_000);
    return JSON.parse(stdout).length;
  }
  let count = 0;
  let after;
  for (let page = 0; page < 1000; page++) {
    const q = new URLSearchParams({ limit: '1000', ...(after ? { after } : {}) });
    const res = await fetch(`${env.adminUrl}/admin/sessions?${q}`, {
      headers: { authorization: `Bearer ${adminToken}` }, signal: AbortSignal.timeout(10_000),
    });
    if (res.status !== 200) throw new Error(`GET /admin/sessions answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
    const body = await res.json();
    count += body.sessions.length;
    if (!body.next) return count;
    after = body.next;
  }
  throw new Error('GET /admin/sessions: more than 1000 pages');
}

/** Lines for `gatehouse sessions import`: `count` copies of `template` (an exported session),
 *  each under a fresh key, subject and provider session id. */
export function synthesiseLines(template, count) {
  const lines = [];
  for (let i = 0; i < count; i++) {
    lines.push(JSON.stringify({
      ...template,
      key: randomBytes(32).toString('base64url'),
      subject_id: `bench-subject-${i}`,
      session_id: randomBytes(32).toString('base64url'),
    }));
  }
  return lines;
}

/**
 * Brings the store of `env` to `total` sessions, one of which the caller has already signed in.
 * Returns { rows, how, seconds, logins, imported, cookies }; rows is counted from the store
 * afterwards; cookies are the session cookie values of the real logins made here (usable).
 */
export async function seedSessions({ bin, env, total, adminToken, realLogins = 4, loginSeconds = 120, concurrency = 32, log = () => {} }) {
  const started = Date.now();
  const seconds = () => (Date.now() - started) / 1000;
  if (env.config.session.store === 'memory') {
    const { done, cookies } = await loginMany(env, total - 1, { seconds: loginSeconds, concurrency, log });
    return { rows: await countSessions({ bin, env, adminToken }), how: `${done + 1} real logins (the in-memory store takes no import)`, seconds: seconds(), logins: done + 1, imported: 0, cookies };
  }
  const logins = Math.max(0, Math.min(realLogins, total) - 1);
  const { done, cookies } = await loginMany(env, logins, { seconds: loginSeconds, concurrency: Math.min(concurrency, 4), log });
  const exportFile = join(env.tmpDir, 'bench-export.jsonl');
  await cli(bin, ['sessions', 'export', '--config', env.configPath, '--out', exportFile], 60_000);
  const [header, ...exported] = (await readFile(exportFile, 'utf8')).split('\n').filter(Boolean);
  if (!exported.length) throw new Error('gatehouse sessions export wrote no session');
  const missing = Math.max(0, total - exported.length);
  const importFile = join(env.tmpDir, 'bench-import.jsonl');
  await writeFile(importFile, `${[header, ...synthesiseLines(JSON.parse(exported[0]), missing)].join('\n')}\n`, { mode: 0o600 });
  const importStart = Date.now();
  const { stderr } = await cli(bin, ['sessions', 'import', '--config', env.configPath, '--in', importFile], 300_000);
  log(`import of ${missing} synthesised sessions: ${stderr.trim().split('\n').pop()} (${((Date.now() - importStart) / 1000).toFixed(1)} s wall)`);
  const rows = await countSessions({ bin, env, adminToken });
  return {
    rows, how: `${exported.length} from real logins + ${missing} synthesised and imported`, seconds: seconds(), logins: done + 1, imported: missing, cookies,
  };
}
