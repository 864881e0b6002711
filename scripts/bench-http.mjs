// HTTP benchmark of the gateway's request path (issues #10 and #11): one table of requests/s,
// p99 and ratios. Run through scripts/bench-http.sh (`make bench-http`), which makes sure wrk
// exists and bounds the run in time.
//
// 1. starts the demo IdP + gatehouse (scripts/e2e-env.mjs; SQLite store in a temp dir,
//    [session] renew_after = "1m", [frontend] static_dir = a temp copy of demo/spa), signs one
//    bench session in for real and measures its GET /bff/user?slide=false answer; writes a
//    static file of exactly that size into the static dir (bench-body.json);
// 2. seeds the store to BENCH_SESSIONS live sessions: BENCH_SEED_LOGINS real logins, `gatehouse
//    sessions export`, the rest synthesised from a real line (fresh key, subject, sid),
//    `gatehouse sessions import`; the rows are counted afterwards (bench-lib/seed-sessions.mjs);
// 3. starts the floor (bench/bare_upstream, one io thread, a body of the /bff/user answer's size)
//    and two more gateways on the same store for P4 (threads = 1 and threads = 2, wrk pinned to
//    the last cpu, the gateways to the other(s); see P4 below);
// 4. runs every case once per round, BENCH_ROUNDS rounds, the order rotating each round so that
//    machine noise hits every case alike (wrk -t1, BENCH_CONNECTIONS connections, keep-alive,
//    BENCH_SECONDS each, after a 1 s warm-up per case); medians reported;
// 5. holds BENCH_IDLE_CONNECTIONS idle keep-alive connections to the first gateway and reports
//    its RSS, its open-files limit and how many connections it accepted;
// 6. checks that every gateway is still running and counts warning/error lines in their logs;
// 7. prints the table (stdout); progress and diagnostics go to stderr. Writes only in temp dirs.
//
// The cases: floor = bare_upstream; static = GET /bench-body.json (same size as the /bff/user
// body); P1 = GET /bff/user?slide=false (cookie + X-CSRF: 1) / floor, target >= 0.5, and its p99
// <= 2x the floor's; P2 = P1 / static, target >= 0.8; P3 = GET /bff/user (sliding renewal on) /
// P1, target >= 0.9; "P1 N sess." = P1's request rotating over the N real sessions (a wrk Lua
// script; reported: one cookie on every request is the friendliest case for any cache);
// P4 = threads=2 / threads=1, both gateways pinned to the cpus wrk does not use (on 2 cpus:
// both on cpu 0, so it shows the cost of a second thread, not scaling) and, beside it, threads=2
// allowed on every cpu (sharing wrk's), reported; "floor pinned" = the floor on P4's cpu(s) with
// wrk on its own, and "P1 pinned" / "P1 p99 pinned" = P4 t=1 against it (both one io thread on
// the same cpu: P1 without the scheduler's share of wrk and two io threads on 2 cpus). A figure
// with any non-2xx answer is INVALID (exit 2).
//
// Environment (all optional):
//   BENCH_SESSIONS=10000       live sessions in the store(s)
//   BENCH_ROUNDS=3             rounds; BENCH_SECONDS=10 seconds per wrk run (BENCH_DURATION="10s"
//                              is still read when BENCH_SECONDS is unset)
//   BENCH_CONNECTIONS=64       wrk connections per case
//   BENCH_STORE=sqlite         the store of the main gateway (P1-P4): sqlite|memory|postgres|redis
//   BENCH_THREADS              [server] threads of the main gateway (default: unset, i.e. 0 = one
//                              per core); P4's gateways set their own
//   BENCH_LOG_LEVEL            [log] level of the main gateway (default: unset, i.e. "info": one
//                              access-log line per request); "warn" measures without them
//   BENCH_SEED_LOGINS=64       real logins (incl. the bench one) before the export (the rest is
//                              imported); their cookies make the "P1 N sess." case
//   BENCH_SEED_SECONDS=180     bound on login seeding (the in-memory store seeds by logins only)
//   BENCH_SEED_CONCURRENCY=32  logins in flight while seeding by logins
//   BENCH_IDLE_CONNECTIONS=10000  idle connections for the memory figure; 0 skips it
//   BENCH_P4=1                 0 skips P4 (skipped anyway on fewer than 2 cpus)
//   BENCH_STORES=              e.g. "sqlite,postgres,redis": P1's request once per store, each
//                              store in an environment of its own, seeded the same way (off by
//                              default; postgres/redis start their own servers on loopback)
//   BENCH_TWO_INSTANCES=1      for the main store and each of BENCH_STORES: a second gateway on
//                              the same store, two wrk at once (BENCH_CONNECTIONS/2 each, one per
//                              instance) beside that store's one instance with BENCH_CONNECTIONS
//   BENCH_TARGET_P1=0.5, BENCH_TARGET_P1_P99=2, BENCH_TARGET_P2=0.8 (BENCH_TARGET_RATIO, the old
//                              name, still sets it), BENCH_TARGET_P3=0.9
//   BENCH_STRICT=1             exit 3 when a target is missed
//   GATEHOUSE_BIN, BARE_UPSTREAM_BIN  the binaries (default: build/...); E2E_KEEP_TMP=1 keeps the
//                              temp dir (config, logs, database) for a post-mortem
// Exit codes: 0 figures printed, 1 the run failed, 2 a figure is invalid, 3 strict and a miss.
import { randomBytes } from 'node:crypto';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, forEachLine, freePort, gatehouseBinary, readPart, startEnvironment } from './e2e-env.mjs';
import { SESSION_COOKIE, ScriptedBrowser } from '../tests/integration/lib/scripted-browser.mjs';
import { describeIdleConnections, measureIdleConnections } from './bench-lib/idle-connections.mjs';
import { pin, startBareUpstream, threadCount } from './bench-lib/processes.mjs';
import { seedSessions } from './bench-lib/seed-sessions.mjs';
import { summarise, wrk, wrkTogether, writeRotatingScript } from './bench-lib/wrk.mjs';

const num = (name, fallback) => Number(process.env[name] || fallback);
const SESSIONS = num('BENCH_SESSIONS', 10_000);
const ROUNDS = num('BENCH_ROUNDS', 3);
const SECONDS = num('BENCH_SECONDS', Number.parseFloat(process.env.BENCH_DURATION ?? '') || 10);
const CONNECTIONS = num('BENCH_CONNECTIONS', 64);
const MAIN_STORE = process.env.BENCH_STORE || 'sqlite';
const THREADS = process.env.BENCH_THREADS;
const LOG_LEVEL = process.env.BENCH_LOG_LEVEL;
const IDLE = num('BENCH_IDLE_CONNECTIONS', 10_000);
const EXTRA_STORES = (process.env.BENCH_STORES ?? '').split(',').map((s) => s.trim()).filter(Boolean);
const TWO_INSTANCES = process.env.BENCH_TWO_INSTANCES === '1';
const WITH_P4 = process.env.BENCH_P4 !== '0';
const TARGET = {
  p1: num('BENCH_TARGET_P1', 0.5), p1p99: num('BENCH_TARGET_P1_P99', 2),
  p2: num('BENCH_TARGET_P2', process.env.BENCH_TARGET_RATIO || 0.8), p3: num('BENCH_TARGET_P3', 0.9),
};
const SEED = { realLogins: num('BENCH_SEED_LOGINS', 64), loginSeconds: num('BENCH_SEED_SECONDS', 180), concurrency: num('BENCH_SEED_CONCURRENCY', 32) };
const WARMUP_SECONDS = 1;
const STATIC_FILE = 'bench-body.json';

const log = (msg) => console.error(`bench: ${msg}`);
const started = Date.now();
const elapsed = () => `${((Date.now() - started) / 1000).toFixed(0)} s`;
const adminToken = randomBytes(24).toString('base64url');
const stops = []; // run in reverse at the end or on a signal
const envs = []; // for their logs when something fails
const gateways = []; // { name, pid, child, logFile } of every gateway started, checked at the end

/** An environment for `store` with a real bench session and `SESSIONS` sessions in all. */
async function benchEnvironment(bin, store, staticDir) {
  const extraConfig = {
    session: { renew_after: '1m' },
    frontend: { static_dir: staticDir },
    ...(THREADS !== undefined ? { server: { threads: Number(THREADS) } } : {}),
    ...(LOG_LEVEL ? { log: { level: LOG_LEVEL } } : {}),
  };
  const env = await startEnvironment({ gatehouseBin: bin, store, extraConfig, gatehouseEnv: { GATEHOUSE_ADMIN_TOKEN: adminToken } });
  stops.push(() => env.stop());
  envs.push(env);
  gateways.push({ name: `${store} main`, child: env.gatehouse.child, logFile: env.logs.gatehouse });
  log(`${store}: gatehouse at ${env.gatehouseUrl}, IdP at ${env.idpUrl}, temp dir ${env.tmpDir}`);
  const browser = new ScriptedBrowser({ gatehouseUrl: env.gatehouseUrl, idpUrl: env.idpUrl });
  const { cookie } = await browser.login();
  const check = await browser.user({ slide: false, cookie });
  if (check.status !== 200) throw new Error(`${store}: GET /bff/user?slide=false with the bench cookie answered ${check.status}`);
  const seed = await seedSessions({ bin, env, total: SESSIONS, adminToken, ...SEED, log: (m) => log(`${store}: ${m}`) });
  log(`${store}: ${seed.rows} sessions in the store (${seed.how}, ${seed.seconds.toFixed(1)} s)`);
  if (seed.rows < SESSIONS) log(`${store}: WARNING fewer sessions than BENCH_SESSIONS=${SESSIONS}`);
  const again = await browser.user({ slide: false, cookie });
  if (again.status !== 200) throw new Error(`${store}: the bench session answered ${again.status} after seeding`);
  const headersFor = (c) => [`Cookie: ${SESSION_COOKIE}=${c}`, 'X-CSRF: 1'];
  return { env, cookie, seed, userBytes: Buffer.byteLength(check.text), headers: headersFor(cookie), headerSets: [cookie, ...seed.cookies].map(headersFor) };
}

/** The io thread count a gateway's log announces ("... 2 io threads)"). */
const ioThreads = (logFile) => /(\d+) io threads?\)/.exec(readPart(logFile, 64 * 1024))?.[1] ?? '?';

/** Warning/error/critical lines of a gateway log (spdlog: "<time> <level> <message>"). */
function logProblems(logFile) {
  const bad = [];
  try {
    forEachLine(logFile, (l) => { if (/^\S+ (warning|error|critical) /.test(l)) bad.push(l); });
  } catch { return { count: 0, samples: [] }; }
  const samples = [...new Set(bad.map((l) => l.replace(/^\S+ /, '').replace(/\d+/g, 'N')))].slice(0, 3);
  return { count: bad.length, samples };
}

async function get(url, headers = {}) {
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(5000) });
  const body = Buffer.from(await res.arrayBuffer());
  return { status: res.status, bytes: body.length, type: res.headers.get('content-type') };
}

function formatRow(cells, widths) {
  return cells.map((c, i) => (i === 0 || i === 1 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('  ');
}

/** A JSON body of exactly `bytes` bytes (bytes >= 16). */
const jsonOfSize = (bytes) => `{"padding":"${'x'.repeat(Math.max(0, bytes - 15))}"}\n`;

async function main() {
  const bin = gatehouseBinary();
  const upstreamBin = process.env.BARE_UPSTREAM_BIN || join(REPO_ROOT, 'build/bench/bare_upstream');
  const cpus = availableParallelism();
  const load = () => loadavg().map((l) => l.toFixed(2)).join(' ');
  const loadStart = load();
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, async () => {
      log(`${signal}, stopping`);
      for (const stop of stops.reverse()) await stop().catch(() => {});
      process.exit(130);
    });
  }
  const notes = [];
  // The SPA's files plus, once the /bff/user body's size is known, a file of that size.
  const staticDir = mkdtempSync(join(tmpdir(), 'gatehouse-bench-static-'));
  stops.push(async () => rmSync(staticDir, { recursive: true, force: true }));
  cpSync(join(REPO_ROOT, 'demo/spa'), staticDir, { recursive: true });

  const main = await benchEnvironment(bin, MAIN_STORE, staticDir);
  const { env } = main;
  const userUrl = (base, slide = false) => `${base}/bff/user${slide ? '' : '?slide=false'}`;
  writeFileSync(join(staticDir, STATIC_FILE), jsonOfSize(main.userBytes));
  const staticCheck = await get(`${env.gatehouseUrl}/${STATIC_FILE}`);
  if (staticCheck.status !== 200) throw new Error(`GET /${STATIC_FILE} answered ${staticCheck.status}`);

  const upstream = await startBareUpstream(upstreamBin, await freePort(), main.userBytes);
  stops.push(() => upstream.stop());
  const floorCheck = await get(`${upstream.url}/user`);
  log(`floor: bare_upstream at ${upstream.url}, body ${floorCheck.bytes} bytes; /${STATIC_FILE} ${staticCheck.bytes} bytes (${staticCheck.type}); GET /bff/user?slide=false answers ${main.userBytes}`);

  const cases = [
    { id: 'floor', name: 'floor', label: `bare_upstream, ${floorCheck.bytes}-byte body, 1 io thread`, run: { url: `${upstream.url}/user` } },
    { id: 'static', name: 'static', label: `GET /${STATIC_FILE} (${staticCheck.bytes} bytes, a static file)`, run: { url: `${env.gatehouseUrl}/${STATIC_FILE}` } },
    { id: 'p1', name: 'P1', label: `GET /bff/user?slide=false (${main.userBytes} bytes), 1 session`, run: { url: userUrl(env.gatehouseUrl), headers: main.headers } },
    { id: 'p3', name: 'P3', label: 'GET /bff/user (sliding, renew_after 1m)', run: { url: userUrl(env.gatehouseUrl, true), headers: main.headers } },
  ];
  if (main.headerSets.length > 1) {
    const script = writeRotatingScript(join(env.tmpDir, 'rotate-sessions.lua'), '/bff/user?slide=false', main.headerSets);
    cases.push({ id: 'p1many', name: `P1 ${main.headerSets.length} sess.`, label: `P1's request over ${main.headerSets.length} sessions in turn (wrk Lua)`, run: { url: env.gatehouseUrl, script } });
  }

  const byIdEarly = Object.fromEntries(cases.map((c) => [c.id, c]));
  let pinning = 'none (every case unpinned but P4)';
  if (WITH_P4 && cpus >= 2) {
    const wrkCpu = String(cpus - 1);
    const gwCpus = cpus === 2 ? '0' : `0-${cpus - 2}`;
    const allCpus = `0-${cpus - 1}`;
    const started4 = {};
    for (const threads of [1, 2]) {
      const g = await env.startGateway({ config: { server: { threads } } });
      const pid = g.gatehouse.child.pid;
      gateways.push({ name: `P4 threads=${threads}`, child: g.gatehouse.child, logFile: g.logFile });
      await pin(pid, gwCpus);
      started4[threads] = { g, pid };
      log(`P4: gateway threads=${threads} at ${g.url} (log says ${ioThreads(g.logFile)} io thread(s), ${threadCount(pid)} threads in all)`);
    }
    // Pinned before each run (taskset -a: every thread; threads made later inherit it).
    const p4case = (id, name, threads, cpuList) => ({
      id, name, label: `/bff/user?slide=false, threads=${threads}, gateway cpu ${cpuList}, wrk cpu ${wrkCpu}`,
      before: async () => {
        const allowed = await pin(started4[threads].pid, cpuList);
        if (allowed.join(' / ') !== cpuList) log(`P4: ${id}: asked for cpus ${cpuList}, its threads allow ${allowed.join(' / ')}`);
      },
      run: { url: userUrl(started4[threads].g.url), headers: main.headers, cpus: wrkCpu },
    });
    cases.push(p4case('p4t1', 'P4 t=1', 1, gwCpus), p4case('p4t2', 'P4 t=2', 2, gwCpus), p4case('p4t2all', 'P4 t=2 all', 2, allCpus));
    // The floor pinned as P4 t=1 is: one io thread on the gateways' cpu(s), wrk on its own. Its
    // ratio with P4 t=1 is P1 without the scheduler's share (wrk and two io threads on 2 cpus).
    byIdEarly.floor.before = async () => { await pin(upstream.pid, allCpus); };
    cases.push({
      id: 'floorpin', name: 'floor pinned', label: `bare_upstream, 1 io thread, cpu ${gwCpus}, wrk cpu ${wrkCpu}`,
      before: async () => { await pin(upstream.pid, gwCpus); },
      run: { url: `${upstream.url}/user`, cpus: wrkCpu },
    });
    pinning = `P4 and "floor pinned" only: wrk on cpu ${wrkCpu}; gateways and the floor on cpu ${gwCpus} (t=1, t=2) and on cpus ${allCpus} (t=2 all, sharing wrk's cpu)`;
  } else if (WITH_P4) {
    notes.push(`P4 skipped: ${cpus} cpu(s), it needs 2 (wrk on one, the gateway on the other)`);
  }

  // One entry per store: its one-instance case, and (BENCH_TWO_INSTANCES) two instances on it.
  const storeRows = [{ store: MAIN_STORE, caseId: 'p1', bench: main }];
  for (const store of EXTRA_STORES) {
    if (store === MAIN_STORE) continue;
    try {
      const other = await benchEnvironment(bin, store, staticDir);
      storeRows.push({ store, caseId: `store-${store}`, bench: other });
      cases.push({ id: `store-${store}`, name: `P1 ${store}`, label: `P1's request, store ${store}`, run: { url: userUrl(other.env.gatehouseUrl), headers: other.headers } });
    } catch (err) {
      log(`store ${store}: could not be set up: ${err.message}`);
      storeRows.push({ store, error: err.message.split('\n')[0] });
    }
  }
  const listStores = EXTRA_STORES.length > 0;

  if (TWO_INSTANCES) {
    const half = Math.floor(CONNECTIONS / 2);
    for (const sr of storeRows) {
      if (sr.error) continue;
      const e = sr.bench.env;
      const second = await e.startGateway();
      gateways.push({ name: `${sr.store} second`, child: second.gatehouse.child, logFile: second.logFile });
      // The second instance must see the session the first one holds: the store is shared.
      const seen = await get(userUrl(second.url), Object.fromEntries(sr.bench.headers.map((h) => [h.slice(0, h.indexOf(':')), h.slice(h.indexOf(':') + 1).trim()])));
      if (seen.status !== 200) throw new Error(`${sr.store}: the second instance answered ${seen.status} for the bench session`);
      sr.twoId = `two-${sr.store}`;
      cases.push({
        id: sr.twoId, name: `2 inst. ${sr.store}`, label: `P1's request on 2 instances (store ${sr.store}), ${half}+${half} conn.`,
        runs: [{ url: userUrl(e.gatehouseUrl), headers: sr.bench.headers, connections: half }, { url: userUrl(second.url), headers: sr.bench.headers, connections: half }],
      });
    }
  }

  const measure = async (c, seconds) => {
    if (c.before) await c.before();
    return c.runs
      ? wrkTogether(c.runs.map((r) => ({ ...r, seconds })))
      : wrk({ connections: CONNECTIONS, ...c.run, seconds });
  };
  log(`warm-up: ${WARMUP_SECONDS} s per case (${cases.length} cases), then ${ROUNDS} x ${cases.length} x ${SECONDS} s`);
  for (const c of cases) await measure(c, WARMUP_SECONDS);
  const results = Object.fromEntries(cases.map((c) => [c.id, []]));
  for (let round = 0; round < ROUNDS; round++) {
    const order = cases.map((_, i) => cases[(i + round) % cases.length]);
    for (const c of order) {
      const r = await measure(c, SECONDS);
      results[c.id].push(r);
      const flags = `${r.non2xx ? `  NON-2xx ${r.non2xx}` : ''}${r.socketErrors ? `  ${r.socketErrorText}` : ''}`;
      log(`round ${round + 1}/${ROUNDS} ${c.id.padEnd(14)} ${r.rps.toFixed(0).padStart(8)} req/s  p99 ${r.p99Ms.toFixed(2)} ms${flags}  (${elapsed()})`);
      if (r.non2xx) log(`wrk output:\n${r.raw}`);
    }
  }
  const s = Object.fromEntries(cases.map((c) => [c.id, summarise(results[c.id])]));

  let idle;
  if (IDLE > 0) {
    log(`idle connections: opening ${IDLE} to ${env.gatehouseUrl}`);
    try {
      idle = await measureIdleConnections({ port: env.port, pid: env.gatehouse.child.pid, logFile: env.logs.gatehouse, count: IDLE, log });
    } catch (err) {
      notes.push(`idle connections: the measurement failed: ${err.message}`);
    }
  }

  // Did every gateway survive, and what did they complain about?
  for (const g of gateways) {
    const dead = g.child.exitCode !== null || g.child.signalCode !== null;
    if (dead) notes.push(`GATEWAY DIED: ${g.name} exited (${g.child.exitCode ?? g.child.signalCode}) during the run; log ${g.logFile}`);
    const p = logProblems(g.logFile);
    if (p.count) notes.push(`gateway ${g.name}: ${p.count} warning/error line(s) in its log, e.g. ${p.samples.join(' | ')}`);
  }
  const socketErrors = cases.filter((c) => s[c.id].socketErrors > 0).map((c) => `${c.id} ${s[c.id].socketErrors}`);
  const non2xx = cases.filter((c) => s[c.id].non2xx > 0).map((c) => `${c.id} ${s[c.id].non2xx}`);
  notes.push(socketErrors.length ? `wrk socket errors (all rounds): ${socketErrors.join(', ')}` : 'wrk: no socket errors in any case');
  notes.push(non2xx.length ? `wrk non-2xx answers (all rounds; the wrk output is on stderr): ${non2xx.join(', ')}` : 'wrk: no non-2xx answer in any case');

  // The table.
  let missed = false;
  let invalid = false;
  const rows = [];
  const fmtRps = (x) => (x.valid ? Math.round(x.rps).toLocaleString('en-US') : `INVALID`);
  const verdict = (ok, ...inputs) => {
    if (inputs.some((x) => !x.valid)) { invalid = true; return 'INVALID (non-2xx)'; }
    if (ok === null) return 'reported';
    if (!ok) missed = true;
    return ok ? 'met' : 'NOT MET';
  };
  const row = (c, ratio, target, result) => {
    const x = s[c.id];
    const rps = x.rounds.map((y) => y.rps);
    const spread = rps.length > 1 ? `±${((50 * (Math.max(...rps) - Math.min(...rps))) / x.rps).toFixed(0)}%` : '';
    rows.push([c.name, c.label, fmtRps(x), spread, Number.isFinite(x.p99Ms) ? `${x.p99Ms.toFixed(2)} ms` : '–', ratio, target, result]);
  };
  const byId = Object.fromEntries(cases.map((c) => [c.id, c]));
  const { floor, static: stat, p1, p3 } = s;
  const r = (a, b) => a.rps / b.rps;
  row(byId.floor, '', '', verdict(null, floor));
  row(byId.static, `${r(stat, floor).toFixed(2)} of floor`, '', verdict(null, stat));
  row(byId.p1, `${r(p1, floor).toFixed(2)} of floor`, `>= ${TARGET.p1}`, verdict(r(p1, floor) >= TARGET.p1, p1, floor));
  rows.push(['P1 p99', 'P1\'s p99 / the floor\'s', '', '', `${p1.p99Ms.toFixed(2)} ms`, `${(p1.p99Ms / floor.p99Ms).toFixed(2)}x floor`, `<= ${TARGET.p1p99}x`, verdict(p1.p99Ms <= TARGET.p1p99 * floor.p99Ms, p1, floor)]);
  rows.push(['P2', 'P1 req/s / static req/s', '', '', '', `${r(p1, stat).toFixed(2)} of static`, `>= ${TARGET.p2}`, verdict(r(p1, stat) >= TARGET.p2, p1, stat)]);
  row(byId.p3, `${r(p3, p1).toFixed(2)} of P1`, `>= ${TARGET.p3}`, verdict(r(p3, p1) >= TARGET.p3, p3, p1));
  if (s.p1many) row(byId.p1many, `${r(s.p1many, p1).toFixed(2)} of P1`, '–', verdict(null, s.p1many, p1));
  if (s.p4t1 && s.p4t2) {
    row(byId.p4t1, '', '', verdict(null, s.p4t1));
    row(byId.p4t2, `${r(s.p4t2, s.p4t1).toFixed(2)} of t=1`, '–', verdict(null, s.p4t2, s.p4t1));
    row(byId.p4t2all, `${r(s.p4t2all, s.p4t1).toFixed(2)} of t=1`, '–', verdict(null, s.p4t2all, s.p4t1));
  }
  if (s.p4t1 && s.floorpin) {
    const fp = s.floorpin;
    row(byId.floorpin, '', '', verdict(null, fp));
    rows.push(['P1 pinned', 'P4 t=1 / floor pinned (1 io thread each, same cpu)', '', '', '', `${r(s.p4t1, fp).toFixed(2)} of floor`, `>= ${TARGET.p1}`, verdict(r(s.p4t1, fp) >= TARGET.p1, s.p4t1, fp)]);
    rows.push(['P1 p99 pinned', 'P4 t=1\'s p99 / floor pinned\'s', '', '', `${s.p4t1.p99Ms.toFixed(2)} ms`, `${(s.p4t1.p99Ms / fp.p99Ms).toFixed(2)}x floor`, `<= ${TARGET.p1p99}x`, verdict(s.p4t1.p99Ms <= TARGET.p1p99 * fp.p99Ms, s.p4t1, fp)]);
  }
  for (const sr of storeRows) {
    if (sr.error) { rows.push([`P1 ${sr.store}`, `P1's request, store ${sr.store}`, 'not run', '', '', '', '', sr.error.slice(0, 60)]); continue; }
    if (sr.caseId === 'p1') {
      if (listStores) rows.push([`P1 ${sr.store}`, `P1's request, store ${sr.store} (= P1)`, fmtRps(p1), '', `${p1.p99Ms.toFixed(2)} ms`, '1.00 of P1', '–', verdict(null, p1)]);
    } else {
      row(byId[sr.caseId], `${r(s[sr.caseId], p1).toFixed(2)} of P1`, '–', verdict(null, s[sr.caseId], p1));
    }
    if (sr.twoId) row(byId[sr.twoId], `${r(s[sr.twoId], s[sr.caseId]).toFixed(2)} of 1 inst.`, '–', verdict(null, s[sr.twoId], s[sr.caseId]));
    if (sr.caseId !== 'p1') notes.push(`store ${sr.store}: ${sr.bench.seed.rows} sessions (${sr.bench.seed.how})`);
  }

  const header = ['case', 'what', 'req/s', 'spread', 'p99', 'ratio', 'target', 'result'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((x) => String(x[i]).length)));
  const lines = [
    '',
    `gatehouse HTTP bench (issues #10, #11) — wrk -t1 -c${CONNECTIONS} keep-alive, ${ROUNDS} round(s) of ${SECONDS} s per case, alternating; medians`,
    `store ${MAIN_STORE}: ${main.seed.rows} sessions (${main.seed.how}); main gateway ${ioThreads(env.logs.gatehouse)} io thread(s) ([server] threads ${THREADS ?? 'unset = one per core'}), renew_after 1m`,
    `machine: ${cpus} cpus, load average ${loadStart} at the start, ${load()} at the end; pinning: ${pinning}`,
    'spread: half the range of the rounds\' req/s over the median (other work on the machine shows up here)',
    '',
    formatRow(header, widths),
    formatRow(widths.map((w) => '-'.repeat(w)), widths),
    ...rows.map((x) => formatRow(x, widths)),
    '',
    ...(idle ? describeIdleConnections(idle) : IDLE > 0 ? [] : ['idle connections: skipped (BENCH_IDLE_CONNECTIONS=0)']),
    ...notes,
    ...(invalid ? ['INVALID figures: some answers were not 2xx (wrk output on stderr); their ratios mean nothing'] : []),
    `rounds (req/s): ${cases.map((c) => `${c.id} ${s[c.id].rounds.map((x) => Math.round(x.rps)).join('/')}`).join(', ')}`,
    `total ${elapsed()}`,
  ];
  console.log(lines.join('\n'));
  if (invalid) process.exitCode = 2;
  else if (missed && process.env.BENCH_STRICT === '1') process.exitCode = 3;
}

main()
  .catch((err) => {
    console.error(`bench: ${err.stack ?? err.message}`);
    for (const e of envs) console.error(e.diagnostics(30));
    process.exitCode = 1;
  })
  .finally(async () => {
    for (const stop of stops.reverse()) await stop().catch((e) => log(`stop: ${e.message}`));
  });
