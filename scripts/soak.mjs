// Soak: the real gateway (temp SQLite store) and the dev IdP on loopback, under a steady mix for
// DURATION: scripted logins, GET /bff/user, RP-initiated logouts (the IdP then also sends its
// back-channel logout), crafted back-channel logouts signed with the IdP's key, sessions left to
// expire and removed by a short cleanup_interval. Every 10 s one table row: the gateway's RSS,
// open fds and threads (/proc/PID), the p50/p99 of /bff/user and the counts of that window. At
// the end: RSS and fds after warm-up must stay flat (the last third's mean within the tolerance
// of the first third's) and nothing may fail (any 5xx, unexpected status, crash, exit on SIGTERM
// other than 0). Bounded in time and rate, loopback only, stops by itself.
//
//   node scripts/soak.mjs 60s          (scripts/soak.sh wraps it; `make soak-short` is 60 s)
//
// Knobs (environment): SOAK_LOGINS_PER_S (default 4), SOAK_POLLERS (long-lived sessions polling
// /bff/user, default 8), SOAK_POLL_MS (each poller's pause, default 100), SOAK_WARMUP (default
// 30s, at most a third of DURATION), SOAK_RSS_TOLERANCE (percent, default 10), SOAK_FD_SLACK
// (fds, default 16), SOAK_ENDINGS (the journeys' endings in turn, default
// logout,backchannel,abandon,abandon), SOAK_MARKDOWN=FILE (also write the table as Markdown),
// GATEHOUSE_BIN.
import { randomUUID } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLIENT_ID, generateSigningJwk, startEnvironment } from './e2e-env.mjs';
import { signJwt } from '../tests/integration/lib/jwt.mjs';
import { ScriptedBrowser, claimMap } from '../tests/integration/lib/scripted-browser.mjs';

const EVENT = 'http://schemas.openid.net/event/backchannel-logout';
const ROW_MS = 10_000;
const SAMPLE_MS = 2_000;
const USERS = ['alice', 'bob'];

function seconds(text) {
  const m = /^(\d+(?:\.\d+)?)(s|m|h)?$/.exec(String(text ?? '').trim());
  if (!m) throw new Error(`DURATION must be like 60, 60s, 20m or 1h, got ${JSON.stringify(text)}`);
  return Number(m[1]) * { s: 1, m: 60, h: 3600 }[m[2] ?? 's'];
}

function numberEnv(name, fallback, { min = 0, max = Infinity } = {}) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v) || v < min || v > max) throw new Error(`${name} must be a number from ${min} to ${max}, got ${raw}`);
  return v;
}

const durationS = seconds(process.argv[2] ?? '60s');
if (durationS < 30 || durationS > 6 * 3600) throw new Error(`DURATION must be from 30s to 6h, got ${durationS}s`);
const loginsPerS = numberEnv('SOAK_LOGINS_PER_S', 4, { min: 0.1, max: 50 });
const pollers = numberEnv('SOAK_POLLERS', 8, { min: 1, max: 100 });
const pollMs = numberEnv('SOAK_POLL_MS', 100, { min: 10, max: 10_000 });
const warmupS = Math.min(seconds(process.env.SOAK_WARMUP ?? '30s'), durationS / 3);
const rssTolerance = numberEnv('SOAK_RSS_TOLERANCE', 10, { min: 0, max: 1000 }) / 100;
const fdSlack = numberEnv('SOAK_FD_SLACK', 16, { min: 0, max: 100_000 });
const endings = (process.env.SOAK_ENDINGS || 'logout,backchannel,abandon,abandon').split(',').map((e) => e.trim());
for (const e of endings) if (!['logout', 'backchannel', 'abandon'].includes(e)) throw new Error(`SOAK_ENDINGS: unknown ending ${JSON.stringify(e)} (logout, backchannel, abandon)`);
const MAX_IN_FLIGHT = 32; // journeys at once: a slow gateway is seen as latency, not as a pile-up

// ---------------------------------------------------------------------------------------------
// Counters of the current window and of the whole run.
const newCounts = () => ({ logins: 0, user: 0, logouts: 0, backchannel: 0, abandoned: 0, errors: 0 });
let window = newCounts();
const total = newCounts();
let latencies = []; // ms of each /bff/user in the window
const errors = []; // the first few, for the report
function count(what, n = 1) { window[what] += n; total[what] += n; }
function error(message) {
  count('errors');
  if (errors.length < 20) errors.push(`${new Date().toISOString()} ${message}`);
}

function percentile(sorted, p) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

// ---------------------------------------------------------------------------------------------
// The workload.

async function userCall(env, browser, cookie, expect, what) {
  const t0 = performance.now();
  const res = await browser.user({ cookie });
  latencies.push(performance.now() - t0);
  count('user');
  if (res.status !== expect) {
    error(`${what}: GET /bff/user answered ${res.status}, expected ${expect}: ${res.text.slice(0, 120)}`);
    return undefined;
  }
  return res;
}

async function login(env, user) {
  const browser = new ScriptedBrowser({ gatehouseUrl: env.gatehouseUrl, idpUrl: env.idpUrl, name: user });
  const { cookie } = await browser.login({ user, password: user });
  count('logins');
  return { browser, cookie };
}

/** RP-initiated logout: /bff/logout?sid=... -> the IdP's end-session page -> back. */
async function logout(env, s, claims) {
  const out = await s.browser.request(`${env.gatehouseUrl}${claims.get('bff:logout_url')}`);
  await out.arrayBuffer();
  if (out.status !== 302) return error(`GET /bff/logout answered ${out.status}`);
  const back = await s.browser.confirmIdpLogout(new URL(out.headers.get('location'), env.gatehouseUrl));
  const done = await s.browser.callback(back);
  if (done.res.status !== 302) return error(`GET ${back.pathname} answered ${done.res.status}`);
  count('logouts');
  return userCall(env, s.browser, s.cookie, 401, 'after logout');
}

/** A back-channel logout token for the session's sub and sid, signed with the IdP's key. */
async function backchannel(env, s, claims) {
  const now = Math.floor(Date.now() / 1000);
  const token = signJwt(
    { alg: env.idpSigningKey.alg, kid: env.idpSigningKey.kid, typ: 'logout+jwt' },
    { iss: env.idpUrl, aud: CLIENT_ID, iat: now, jti: randomUUID(), events: { [EVENT]: {} }, sub: claims.get('sub'), sid: claims.get('sid') },
    { key: env.idpSigningKey },
  );
  const res = await fetch(`${env.gatehouseUrl}/bff/backchannel`, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ logout_token: token }).toString(), signal: AbortSignal.timeout(5000),
  });
  await res.arrayBuffer();
  if (res.status !== 200) return error(`POST /bff/backchannel answered ${res.status}`);
  count('backchannel');
  // The gateway ends the session before it answers.
  return userCall(env, s.browser, s.cookie, 401, 'after back-channel logout');
}

/** One user's visit: login, a few /bff/user, then the next of `endings`. */
async function journey(env, n) {
  const s = await login(env, USERS[n % USERS.length]);
  let me;
  for (let i = 0; i < 3; i++) me = await userCall(env, s.browser, s.cookie, 200, 'after login');
  if (!me) return;
  const claims = claimMap(me.json);
  switch (endings[n % endings.length]) {
    case 'logout': return logout(env, s, claims);
    case 'backchannel': return backchannel(env, s, claims);
    default: count('abandoned'); return undefined; // left to expire; the cleanup removes it
  }
}

/** A long-lived session polling /bff/user (its renewal keeps it alive). */
async function poller(env, i, until) {
  const s = await login(env, USERS[i % USERS.length]);
  while (Date.now() < until) {
    await userCall(env, s.browser, s.cookie, 200, `poller ${i}`);
    await sleep(pollMs);
  }
}

// ---------------------------------------------------------------------------------------------
// The gateway's process.

function procSample(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
  return { rssKb: kb('VmRSS'), threads: kb('Threads'), fds: readdirSync(`/proc/${pid}/fd`).length };
}

const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const mib = (kb) => (kb / 1024).toFixed(1);

async function main() {
  const env = await startEnvironment({
    idpSigningKey: generateSigningJwk(),
    extraConfig: {
      server: { threads: 2 },
      // Abandoned sessions expire after 20 s and a cleanup runs every 5 s: the store's size
      // levels off within the warm-up.
      session: { idle_timeout: '20s', renew_after: '5s', cleanup_interval: '5s', cleanup_batch: 500 },
    },
  });
  const pid = env.gatehouse.child.pid;
  const start = Date.now();
  const until = start + durationS * 1000;
  console.log(`soak: ${durationS} s, ${loginsPerS} logins/s, ${pollers} pollers every ${pollMs} ms, warm-up ${warmupS} s; gateway pid ${pid} at ${env.gatehouseUrl} (logs ${env.tmpDir})`);

  const samples = []; // { t, rssKb, fds, threads }
  const rows = [];
  const header = '|   t (s) | RSS (MiB) | fds | threads | /bff/user p50 (ms) | p99 (ms) | logins | /bff/user | logouts | back-channel | abandoned | errors |';
  console.log(header);
  console.log('|--------:|----------:|----:|--------:|-------------------:|---------:|-------:|----------:|--------:|-------------:|----------:|-------:|');
  let crashed;
  let stopping = false;
  env.gatehouse.child.once('exit', (code, signal) => {
    if (!stopping) crashed = `gateway exited (${code ?? signal}) during the soak`;
  });

  /** One table row: the latest /proc sample and the window's latencies and counts. */
  function printRow(now) {
    const sorted = latencies.sort((a, b) => a - b);
    const last = samples.at(-1) ?? {};
    const row = { ...last, t: Math.round((now - start) / 1000), p50: percentile(sorted, 50), p99: percentile(sorted, 99), ...window };
    const line = `| ${String(row.t).padStart(7)} | ${mib(row.rssKb).padStart(9)} | ${String(row.fds).padStart(3)} | ${String(row.threads).padStart(7)} | ${row.p50.toFixed(1).padStart(18)} | ${row.p99.toFixed(1).padStart(8)} | ${String(row.logins).padStart(6)} | ${String(row.user).padStart(9)} | ${String(row.logouts).padStart(7)} | ${String(row.backchannel).padStart(12)} | ${String(row.abandoned).padStart(9)} | ${String(row.errors).padStart(6)} |`;
    console.log(line);
    rows.push({ ...row, line });
    window = newCounts();
    latencies = [];
  }

  const inFlight = new Set();
  const run = (p) => {
    const tracked = p.catch((err) => error(err.message.split('\n')[0])).finally(() => inFlight.delete(tracked));
    inFlight.add(tracked);
  };
  for (let i = 0; i < pollers; i++) run(poller(env, i, until));

  let n = 0;
  let nextRow = start + ROW_MS;
  let nextSample = start + SAMPLE_MS;
  const intervalMs = 1000 / loginsPerS;
  let nextLogin = start;
  while (Date.now() < until && !crashed) {
    const now = Date.now();
    if (now >= nextLogin) {
      nextLogin += intervalMs;
      if (inFlight.size < MAX_IN_FLIGHT + pollers) run(journey(env, n++));
      else error('journeys pile up: the gateway or the IdP cannot keep the rate');
    }
    if (now >= nextSample) {
      nextSample += SAMPLE_MS;
      try { samples.push({ t: (now - start) / 1000, ...procSample(pid) }); } catch (err) { crashed = `cannot read /proc/${pid}: ${err.message}`; }
    }
    if (now >= nextRow) {
      nextRow += ROW_MS;
      printRow(now);
    }
    await sleep(Math.max(1, Math.min(nextLogin, nextSample, nextRow, until) - Date.now()));
  }
  // Let the journeys under way finish (bounded), then stop everything.
  await Promise.race([Promise.allSettled([...inFlight]), sleep(15_000)]);
  const leftover = inFlight.size;
  if (!crashed) {
    try { samples.push({ t: (Date.now() - start) / 1000, ...procSample(pid) }); } catch { /* exited: crashed says so */ }
    printRow(Date.now()); // the last window, with the journeys that were still under way
  }
  // The cleanup's own log lines: what it removed, and whether a round failed.
  const log = readFileSync(env.logs.gatehouse, 'utf8');
  const cleaned = [...log.matchAll(/session cleanup removed (\d+) expired/g)].reduce((a, m) => a + Number(m[1]), 0);
  const cleanupFailures = (log.match(/session cleanup of .* failed/g) ?? []).length;
  stopping = true;
  const keep = Boolean(crashed) || total.errors > 0 || cleanupFailures > 0;
  const codes = await env.stop({ keep });

  // Verdict.
  const problems = [];
  if (crashed) problems.push(crashed);
  if (leftover) problems.push(`${leftover} journeys still under way 15 s after the end`);
  if (codes.gatehouse !== 0) problems.push(`gateway exit on SIGTERM: ${codes.gatehouse} (expected 0)`);
  if (total.errors) problems.push(`${total.errors} failed requests or journeys`);
  if (!total.logins) problems.push('the mix did not run: no login');
  for (const [ending, done] of [['logout', total.logouts], ['backchannel', total.backchannel], ['abandon', total.abandoned]]) {
    if (endings.includes(ending) && !done) problems.push(`the mix did not run: no ${ending} ending`);
  }
  if (!cleaned && endings.includes('abandon')) problems.push('the cleanup removed no expired session');
  if (cleanupFailures) problems.push(`${cleanupFailures} cleanup rounds failed`);
  const steady = samples.filter((s) => s.t >= warmupS);
  let flat = '';
  if (steady.length < 6) {
    problems.push(`only ${steady.length} samples after the warm-up: run longer`);
  } else {
    const third = Math.floor(steady.length / 3);
    const first = steady.slice(0, third);
    const lastThird = steady.slice(-third);
    const rss0 = mean(first.map((s) => s.rssKb));
    const rss1 = mean(lastThird.map((s) => s.rssKb));
    const fd0 = mean(first.map((s) => s.fds));
    const fd1 = mean(lastThird.map((s) => s.fds));
    const growth = (rss1 - rss0) / rss0;
    // A bounded cache that is still filling grows ever slower; a leak keeps its pace.
    const slope = (xs) => (xs.at(-1).rssKb - xs[0].rssKb) / 1024 / ((xs.at(-1).t - xs[0].t) / 60 || 1);
    flat = `RSS ${mib(rss0)} -> ${mib(rss1)} MiB (${(growth * 100).toFixed(1)} %, tolerance ${(rssTolerance * 100).toFixed(0)} %; ${slope(first).toFixed(2)} then ${slope(lastThird).toFixed(2)} MiB/min), fds ${fd0.toFixed(1)} -> ${fd1.toFixed(1)} (slack ${fdSlack}), first vs last third after ${warmupS} s warm-up`;
    if (growth > rssTolerance) problems.push(`RSS grew: ${flat}`);
    if (fd1 > fd0 + fdSlack) problems.push(`fds grew: ${flat}`);
  }
  console.log(`soak: totals: ${total.logins} logins, ${total.user} /bff/user, ${total.logouts} logouts, ${total.backchannel} back-channel logouts, ${total.abandoned} sessions left to expire, ${cleaned} expired sessions removed by the cleanup, ${total.errors} errors`);
  if (flat) console.log(`soak: ${flat}`);
  for (const e of errors) console.log(`soak: error: ${e}`);
  if (process.env.SOAK_MARKDOWN) {
    const md = [header, '|--------:|----------:|----:|--------:|-------------------:|---------:|-------:|----------:|--------:|-------------:|----------:|-------:|', ...rows.map((r) => r.line)].join('\n');
    writeFileSync(process.env.SOAK_MARKDOWN, `${md}\n\n${flat}\n`);
  }
  if (problems.length) {
    for (const p of problems) console.log(`soak: FAIL: ${p}`);
    if (keep) console.log(`soak: logs kept in ${env.tmpDir}`);
    process.exitCode = 1;
  } else {
    console.log('soak: OK: no errors, RSS and fds flat');
  }
}

main().catch((err) => { console.error(`soak: ${err.stack ?? err.message}`); process.exit(1); });
