// HTTP benchmark of a signed-in request against a static file, with many live sessions in the
// store. Run through scripts/bench-http.sh (`make bench-http`), which makes sure wrk exists.
//
// 1. starts the demo IdP + gatehouse (scripts/e2e-env.mjs), SQLite store in a temp dir;
// 2. seeds live sessions: `gatehouse sessions seed` when the binary offers it, otherwise real
//    logins in parallel (bounded concurrency) until BENCH_SESSIONS exist or BENCH_SEED_SECONDS pass;
// 3. wrk on GET /bff/user?slide=false (cookie + X-CSRF) and on GET /style.css;
// 4. prints requests/s and p99 of both and their ratio (target >= 0.6). Writes no files.
//
// Environment: BENCH_SESSIONS (10000), BENCH_SEED_SECONDS (120), BENCH_SEED_CONCURRENCY (32),
// BENCH_DURATION (15s), BENCH_CONNECTIONS (64), BENCH_TARGET_RATIO (0.6),
// BENCH_STRICT=1 (exit 3 below the target), BENCH_STORE=memory (the in-memory session store instead
// of SQLite, to see what the store costs), GATEHOUSE_BIN.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { gatehouseBinary, startEnvironment } from './e2e-env.mjs';
import { SESSION_COOKIE, ScriptedBrowser } from '../tests/integration/lib/scripted-browser.mjs';

const run = promisify(execFile);
const num = (name, fallback) => Number(process.env[name] ?? fallback);
const SESSIONS = num('BENCH_SESSIONS', 10_000);
const SEED_SECONDS = num('BENCH_SEED_SECONDS', 120);
const CONCURRENCY = num('BENCH_SEED_CONCURRENCY', 32);
const DURATION = process.env.BENCH_DURATION ?? '15s';
const CONNECTIONS = num('BENCH_CONNECTIONS', 64);
const TARGET = num('BENCH_TARGET_RATIO', 0.6);

/** Seeds through the binary when it has a `sessions seed` command; returns the count or null. */
async function seedWithBinary(bin, configPath, count) {
  const help = await run(bin, ['--help'], { timeout: 10_000 }).then((r) => r.stdout + r.stderr, (e) => `${e.stdout}${e.stderr}`);
  if (!/\bseed\b/.test(help)) return null;
  try {
    await run(bin, ['sessions', 'seed', '--config', configPath, '--count', String(count)], { timeout: SEED_SECONDS * 1000 });
    return count;
  } catch (err) {
    console.error(`bench: 'gatehouse sessions seed' failed, falling back to logins: ${err.stderr || err.message}`);
    return null;
  }
}

/**
 * Seeds by logging in for real, each login in a fresh jar through the IdP's form. A fresh IdP
 * session per login matters: gatehouse keeps one session per (sub, IdP sid), so logins that
 * reuse one IdP session (silent SSO) would replace each other instead of adding up.
 */
async function seedWithLogins(env, count) {
  let done = 0;
  let failures = 0;
  let lastError;
  const deadline = Date.now() + SEED_SECONDS * 1000;
  const worker = async (w) => {
    while (done < count && Date.now() < deadline && failures < 100) {
      const b = new ScriptedBrowser({ gatehouseUrl: env.gatehouseUrl, idpUrl: env.idpUrl });
      const user = w % 2 ? 'bob' : 'alice';
      try {
        await b.login({ user, password: user });
        done++;
      } catch (err) {
        failures++;
        lastError = err.message.split('\n')[0];
      }
    }
  };
  const progress = setInterval(() => console.error(`bench: ${done} sessions seeded...`), 10_000);
  try {
    await Promise.all(Array.from({ length: CONCURRENCY }, (_, w) => worker(w)));
  } finally {
    clearInterval(progress);
  }
  if (failures) console.error(`bench: ${failures} seeding logins failed; last: ${lastError}`);
  return done;
}

/** Rows in the store as the sqlite3 CLI sees them (best effort: 'unknown' without the CLI). */
async function storeRows(path) {
  try {
    const { stdout } = await run('sqlite3', ['-readonly', path, 'SELECT count(*) FROM user_sessions'], { timeout: 10_000 });
    return Number(stdout.trim());
  } catch {
    return 'unknown';
  }
}

const toMs = (value, unit) => Number(value) * { us: 0.001, ms: 1, s: 1000, m: 60_000 }[unit];

/** Runs wrk; returns { rps, p99Ms, non2xx, errors, raw }. */
async function wrk(url, headers) {
  const args = ['-t1', `-c${CONNECTIONS}`, `-d${DURATION}`, '--latency', '--timeout', '5s'];
  for (const h of headers) args.push('-H', h);
  args.push(url);
  const { stdout } = await run('wrk', args, { timeout: 120_000 });
  const p99 = /^\s*99%\s+([\d.]+)(us|ms|s|m)\s*$/m.exec(stdout);
  return {
    rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? NaN),
    p99Ms: p99 ? toMs(p99[1], p99[2]) : NaN,
    non2xx: Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(stdout)?.[1] ?? 0),
    errors: /Socket errors:.*/.exec(stdout)?.[0] ?? '',
    raw: stdout,
  };
}

async function main() {
  const started = Date.now();
  const bin = gatehouseBinary();
  const extraConfig = process.env.BENCH_STORE ? { session: { store: process.env.BENCH_STORE } } : {};
  const env = await startEnvironment({ gatehouseBin: bin, extraConfig });
  // timeout(1) or Ctrl-C: stop both servers rather than orphaning them.
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, async () => {
      console.error(`bench: ${signal}, stopping`);
      await env.stop();
      process.exit(130);
    });
  }
  try {
    console.error(`bench: gatehouse at ${env.gatehouseUrl}, IdP at ${env.idpUrl}, store ${env.config.session.sqlite_path}`);
    const b = new ScriptedBrowser({ gatehouseUrl: env.gatehouseUrl, idpUrl: env.idpUrl });
    const { cookie } = await b.login();
    const check = await b.user({ slide: false, cookie });
    if (check.status !== 200) throw new Error(`GET /bff/user?slide=false with the bench cookie answered ${check.status}`);

    const seedStart = Date.now();
    let seeded = await seedWithBinary(bin, env.configPath, SESSIONS - 1);
    const how = seeded === null ? 'logins' : 'gatehouse sessions seed';
    if (seeded === null) seeded = await seedWithLogins(env, SESSIONS - 1);
    seeded += 1; // the bench session itself
    const seedSeconds = (Date.now() - seedStart) / 1000;
    const rows = await storeRows(env.config.session.sqlite_path);
    console.error(`bench: ${seeded} sessions seeded (${how}, ${seedSeconds.toFixed(1)} s); rows in the store: ${rows}`);
    if (rows !== 'unknown') seeded = rows;

    const user = await wrk(`${env.gatehouseUrl}/bff/user?slide=false`, [`Cookie: ${SESSION_COOKIE}=${cookie}`, 'X-CSRF: 1']);
    const stat = await wrk(`${env.gatehouseUrl}/style.css`, []);
    const ratio = user.rps / stat.rps;
    const fmt = (r) => `${r.rps.toFixed(0).padStart(10)} req/s   p99 ${r.p99Ms.toFixed(2).padStart(8)} ms${r.non2xx ? `   NON-2xx: ${r.non2xx}` : ''}${r.errors ? `   ${r.errors}` : ''}`;
    console.log(`
gatehouse HTTP bench — wrk -t1 -c${CONNECTIONS} -d${DURATION}, ${seeded} sessions in ${process.env.BENCH_STORE ?? "sqlite"} (${how})
  GET /bff/user?slide=false  ${fmt(user)}
  GET /style.css             ${fmt(stat)}
  ratio (user / static req/s) ${ratio.toFixed(2)}   target >= ${TARGET}: ${ratio >= TARGET ? 'met' : 'NOT MET'}
  total ${((Date.now() - started) / 1000).toFixed(0)} s`);
    if (user.non2xx || stat.non2xx) {
      console.error('bench: some responses were not 2xx; the figures are not valid');
      console.error(user.raw, stat.raw);
      process.exitCode = 2;
    } else if (ratio < TARGET && process.env.BENCH_STRICT === '1') {
      process.exitCode = 3;
    }
  } catch (err) {
    console.error(`bench: ${err.message}\n${env.diagnostics(40)}`);
    process.exitCode = 1;
  } finally {
    await env.stop();
  }
}

main().catch((err) => { console.error(`bench: ${err.message}`); process.exit(1); });
