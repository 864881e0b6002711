// `make bench-refresh`: a refresh storm. N sessions (default 500) sign in through the real dev
// provider, their access tokens go stale at the same moment, and every session then makes
// CALLS_PER_SESSION concurrent API calls spread over two gateway instances sharing one SQLite
// store. Reports the provider's token requests (target: exactly one refresh per session), the
// answers, and how long the storm took. Loopback only; stops by itself.
//
//   BENCH_SESSIONS=500 BENCH_CALLS_PER_SESSION=2 GATEHOUSE_BIN=... node scripts/bench-refresh-storm.mjs
import { startEnvironment } from './e2e-env.mjs';
import { ScriptedBrowser, SESSION_COOKIE } from '../tests/integration/lib/scripted-browser.mjs';

const sessions = Number(process.env.BENCH_SESSIONS ?? 500);
const perSession = Number(process.env.BENCH_CALLS_PER_SESSION ?? 2);
const hardStop = setTimeout(() => { console.error('bench-refresh: gave up after 10 minutes'); process.exit(1); }, 600_000);

const env = await startEnvironment({
  api: true,
  gateways: 2,
  // Tokens live 62 s and are refreshed 60 s before expiry: stale 2 s after they were issued.
  idpEnv: { IDP_TEST_HOOKS: '1', IDP_ACCESS_TOKEN_TTL: '62' },
  extraConfig: { oidc: { refresh_margin: '60s' } },
});
try {
  const tokenRequests = async () => (await fetch(`${env.idpUrl}/__test/token-requests`)).json();
  const call = (base, cookie) => fetch(`${base}/api/hello`, { headers: { cookie: `${SESSION_COOKIE}=${cookie}`, 'x-csrf': '1' } })
    .then(async (r) => ({ status: r.status, body: await r.text() }));

  console.log(`bench-refresh: signing in ${sessions} sessions ...`);
  const cookies = [];
  for (let start = 0; start < sessions; start += 20) {
    const batch = Array.from({ length: Math.min(20, sessions - start) }, (_, i) =>
      new ScriptedBrowser({ gatehouseUrl: env.gatehouseUrl, idpUrl: env.idpUrl, name: `s${start + i}` })
        .login({ user: (start + i) % 2 ? 'alice' : 'bob', password: (start + i) % 2 ? 'alice' : 'bob' }));
    for (const s of await Promise.all(batch)) cookies.push(s.cookie);
  }
  // Each session's first call fetches its token for the API's resource; then all go stale.
  const warm = await Promise.all(cookies.map((c) => call(env.gatehouseUrl, c)));
  const cold = warm.filter((a) => a.status !== 200);
  if (cold.length) console.log(`  warm-up: ${cold.length} calls failed, e.g. ${cold[0].status} ${cold[0].body}`);
  await new Promise((r) => setTimeout(r, 2500));

  const before = await tokenRequests();
  const started = performance.now();
  const bases = env.gateways.map((g) => g.url);
  const answers = await Promise.all(cookies.flatMap((c, i) =>
    Array.from({ length: perSession }, (_, k) => call(bases[(i + k) % bases.length], c))));
  const took = performance.now() - started;
  const after = await tokenRequests();

  const byStatus = {};
  for (const a of answers) byStatus[a.status] = (byStatus[a.status] ?? 0) + 1;
  const refreshes = after.refresh_token - before.refresh_token;
  console.log(`bench-refresh: ${sessions} sessions x ${perSession} concurrent calls over ${bases.length} gateways`);
  console.log(`  answers: ${JSON.stringify(byStatus)} in ${took.toFixed(0)} ms`);
  console.log(`  token requests at the provider: ${refreshes} refresh (${(refreshes / sessions).toFixed(2)} per session), ${after.failed?.refresh_token - (before.failed?.refresh_token ?? 0) || 0} failed`);
  if (refreshes !== sessions || byStatus[200] !== answers.length) {
    const failed = answers.find((a) => a.status !== 200);
    if (failed) console.log(`  e.g. ${failed.status} ${failed.body}`);
    console.log(env.diagnostics(15));
    process.exitCode = 1;
  }
} finally {
  await env.stop();
  clearTimeout(hardStop);
}
