// gatehouse end to end, plain HTTP: health and readiness, the static SPA and its fallback,
// path traversal and request framing (raw sockets: fetch would normalise or refuse them).
// Run: cd tests/integration && npm test
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe } from 'node:test';
import { REPO_ROOT, freePort, startEnvironment, startIdp, waitForStatus } from '../../scripts/e2e-env.mjs';
import { check, skipReason, useEnvironment } from './lib/harness.mjs';
import { assertStatus } from './lib/expect.mjs';
import { rawRequest } from './lib/scripted-browser.mjs';

const SPA = join(REPO_ROOT, 'demo/spa');
const get = async (url) => {
  const res = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(5000) });
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() };
};

describe('gatehouse HTTP surface', { skip: skipReason(), timeout: 120_000 }, () => {
  const holder = useEnvironment();

  check(holder, 'GET /healthz and /readyz answer 200', async ({ env }) => {
    for (const path of ['/healthz', '/readyz']) {
      const res = await get(`${env.gatehouseUrl}${path}`);
      assertStatus(res.status, 200, `GET ${path}`, res.body);
    }
  });

  check(holder, 'serves the SPA: /, its assets, and index.html for client routes', async ({ env }) => {
    const index = await readFile(join(SPA, 'index.html'), 'utf8');
    const root = await get(`${env.gatehouseUrl}/`);
    assertStatus(root.status, 200, 'GET /');
    assert.match(root.type, /^text\/html/);
    assert.equal(root.body, index, 'GET / is demo/spa/index.html');

    const css = await get(`${env.gatehouseUrl}/style.css`);
    assertStatus(css.status, 200, 'GET /style.css');
    assert.match(css.type, /^text\/css/);
    assert.equal(css.body, await readFile(join(SPA, 'style.css'), 'utf8'));
    const js = await get(`${env.gatehouseUrl}/app.js`);
    assertStatus(js.status, 200, 'GET /app.js');
    assert.match(js.type, /javascript/);

    for (const route of ['/some/client/route', '/settings']) {
      const res = await get(`${env.gatehouseUrl}${route}`);
      assertStatus(res.status, 200, `GET ${route} (SPA fallback)`);
      assert.equal(res.body, index, `GET ${route} serves index.html`);
    }
    const missing = await get(`${env.gatehouseUrl}/missing-image.png`);
    assertStatus(missing.status, 404, 'GET /missing-image.png (a file path, no fallback)');
  });

  // demo/README.md sits right above static_dir (demo/spa): the nearest file to escape to.
  const TRAVERSALS = [
    '/../README.md', '/..%2fREADME.md', '/%2e%2e/README.md', '/%2e%2e%2fREADME.md', '/..%5cREADME.md',
    '/..\\README.md', '/./../README.md', '/x/../../README.md', '/%2E%2E/%2E%2E/%2E%2E/%2E%2E/etc/passwd',
    '/../../../../../../../../etc/passwd', '/..%252fREADME.md', '/%c0%ae%c0%ae/README.md', '//etc/passwd',
  ];
  check(holder, 'path traversal never leaves static_dir', async ({ env }) => {
    const index = await readFile(join(SPA, 'index.html'), 'latin1');
    const readme = 'The parts of the gatehouse demo that are not C++';
    for (const path of TRAVERSALS) {
      const res = await rawRequest(env.port, `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
      assert.ok(!res.body.includes(readme) && !res.body.includes('root:x:0:0'), `GET ${path} escaped static_dir:\n${res.head}`);
      const fine = [400, 403, 404].includes(res.status) || (res.status === 200 && res.body === index);
      assert.ok(fine, `GET ${path}: expected 400/403/404 or the SPA's index.html, got ${res.status}\n${res.head}`);
    }
  });

  // Each must be refused with 400 (request smuggling shapes; see ARCHITECTURE.md on Beast 1.81).
  const FRAMING = [
    ['Transfer-Encoding and Content-Length together',
      'POST /bff/user HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\nConnection: close\r\n\r\n0\r\n\r\n'],
    ['Transfer-Encoding other than chunked',
      'POST /bff/user HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\nConnection: close\r\n\r\n0\r\n\r\n'],
    ['Transfer-Encoding: identity',
      'POST /bff/user HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: identity\r\nConnection: close\r\n\r\n'],
    ['Transfer-Encoding on HTTP/1.0',
      'POST /bff/user HTTP/1.0\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
    ['two different Content-Length values',
      'POST /bff/user HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\nConnection: close\r\n\r\nab'],
    ['a non-numeric Content-Length',
      'POST /bff/user HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\nConnection: close\r\n\r\n'],
    ['whitespace before the header colon',
      'POST /bff/user HTTP/1.1\r\nHost: x\r\nContent-Length : 0\r\nConnection: close\r\n\r\n'],
    ['a garbage request line', 'GARBAGE\r\n\r\n'],
    // A front proxy that does not unfold sees a Content-Length (and a second request in the
    // body) that an unfolding server would ignore.
    ['a folded header line (obs-fold)',
      'POST /bff/user HTTP/1.1\r\nHost: x\r\n Content-Length: 33\r\n\r\nGET /bff/user HTTP/1.1\r\nHost: x\r\n\r\n', 'obsolete line folding'],
    ['a Host with a path', 'GET /healthz HTTP/1.1\r\nHost: evil.example /x\r\nConnection: close\r\n\r\n', 'invalid Host'],
    ['a Host with userinfo', 'GET /healthz HTTP/1.1\r\nHost: user@127.0.0.1\r\nConnection: close\r\n\r\n', 'invalid Host'],
    ['two Host headers', 'GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n', 'duplicate Host'],
    ['no Host on HTTP/1.1', 'GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n', 'missing Host'],
    ['an absolute-form target that is not http(s)', 'GET ftp://127.0.0.1/healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'],
    ['an absolute-form target with userinfo', 'GET http://u@127.0.0.1/healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'],
    ['an authority-form target on GET', 'GET 127.0.0.1:443 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'],
    ['CONNECT', 'CONNECT 127.0.0.1:443 HTTP/1.1\r\nHost: 127.0.0.1:443\r\nConnection: close\r\n\r\n'],
    ['* on GET', 'GET * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'],
  ];
  for (const [what, request, reason] of FRAMING) {
    check(holder, `bad framing is refused with 400: ${what}`, async ({ env }) => {
      const res = await rawRequest(env.port, request);
      assertStatus(res.status, 400, `${JSON.stringify(request.split('\r\n\r\n')[0])}`, res.head);
      assert.match(res.head, /\r\nconnection: close/i, res.head);
      if (reason) assert.ok(res.body.includes(reason), `expected "${reason}" in the answer:\n${res.raw}`);
    });
  }

  // RFC 9112 3.2.2: a server must accept absolute-form; it is then answered like origin-form.
  check(holder, 'an absolute-form target for the gateway itself is served like origin-form', async ({ env }) => {
    const origin = `127.0.0.1:${env.port}`;
    const health = await rawRequest(env.port, `GET http://${origin}/healthz HTTP/1.1\r\nHost: ${origin}\r\nConnection: close\r\n\r\n`);
    assertStatus(health.status, 200, `GET http://${origin}/healthz`, health.head);
    for (const path of ['/bff/user', '/settings']) {
      const plain = await rawRequest(env.port, `GET ${path} HTTP/1.1\r\nHost: ${origin}\r\nConnection: close\r\n\r\n`);
      const absolute = await rawRequest(env.port, `GET http://${origin}${path} HTTP/1.1\r\nHost: ${origin}\r\nConnection: close\r\n\r\n`);
      assert.notEqual(plain.status, 400, `GET ${path}: ${plain.head}`);
      assertStatus(absolute.status, plain.status, `GET http://${origin}${path} (as GET ${path})`, absolute.head);
      assert.equal(absolute.body, plain.body, `GET http://${origin}${path} answers as GET ${path}`);
    }
  });

  check(holder, 'a well-formed chunked request is still served (control)', async ({ env }) => {
    const res = await rawRequest(env.port, 'GET /healthz HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\n');
    assertStatus(res.status, 200, 'chunked GET /healthz', res.head);
  });
});

describe('gatehouse readiness follows the provider', { skip: skipReason(), timeout: 90_000 }, () => {
  const holder = { env: undefined, failed: false };
  check(holder, '/readyz is 503 while the provider is down, 200 once it is up; /healthz stays 200', async () => {
    const idpPort = await freePort();
    const idpUrl = `http://127.0.0.1:${idpPort}`;
    // Started against a provider that is not there yet: alive (healthz) but not ready.
    const env = await startEnvironment({ idpUrl, readyPath: '/healthz' });
    holder.env = env;
    let idp;
    let ok = false;
    try {
      const down = await get(`${env.gatehouseUrl}/readyz`);
      assertStatus(down.status, 503, 'GET /readyz with the provider down', down.body);
      idp = await startIdp({ gatehouseOrigins: [env.gatehouseUrl], port: idpPort, logFile: env.logs.idp });
      await waitForStatus(`${env.gatehouseUrl}/readyz`, { status: 200, timeoutMs: 20_000, child: env.gatehouse.child, logFile: env.logs.gatehouse });
      assertStatus((await get(`${env.gatehouseUrl}/healthz`)).status, 200, 'GET /healthz');
      ok = true;
    } finally {
      await idp?.stop();
      await env.stop({ keep: !ok }); // kept so the failure message can include the logs
    }
  });
});
