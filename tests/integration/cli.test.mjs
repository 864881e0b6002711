// The gatehouse command line: --help, check-config on good and bad files, serve refusing a
// bad file. No IdP needed. Run: cd tests/integration && npm test
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CLIENT_SECRET, REPO_ROOT, baseConfig, toToml } from '../../scripts/e2e-env.mjs';
import { gatehouse } from './lib/cli.mjs';
import { skipReason } from './lib/harness.mjs';

/** Runs the binary; resolves to { code, output } (stdout + stderr); killed after 10 s. */
const run = (args, { cwd } = {}) => gatehouse(args, { cwd, timeoutMs: 10_000 });

describe('gatehouse command line', { skip: skipReason(), timeout: 60_000 }, () => {
  let dir;
  // Nothing listens on port 1: check-config must not need the provider.
  let good;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-cli-'));
    good = baseConfig({ port: 18080, idpUrl: 'http://127.0.0.1:1', tmpDir: dir, repoRoot: REPO_ROOT });
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const write = async (name, config) => {
    const path = join(dir, name);
    await writeFile(path, typeof config === 'string' ? config : toToml(config), { mode: 0o600 });
    return path;
  };
  const variant = (section, key, value) => ({ ...good, [section]: { ...good[section], [key]: value } });

  test('--help exits 0 and names the commands', async () => {
    const { code, output } = await run(['--help']);
    assert.equal(code, 0, output);
    assert.match(output, /serve/, output);
    assert.match(output, /check-config/, output);
  });

  test('check-config accepts a good file, exit 0, and never prints the secret', async () => {
    const { code, output } = await run(['check-config', '--config', await write('good.toml', good)], { cwd: dir });
    assert.equal(code, 0, output);
    assert.ok(!output.includes(CLIENT_SECRET), `the client secret is printed:\n${output}`);
  });

  const BAD = [
    ['a number where host:port is expected', 'server.listen', () => variant('server', 'listen', 8080)],
    ['an unknown key', 'server.lisen', () => ({ ...good, server: { ...good.server, lisen: '127.0.0.1:1' } })],
    ['a bare number as a duration', 'session.idle_timeout', () => variant('session', 'idle_timeout', '10')],
    ['a public_origin with a trailing slash', 'server.public_origin', () => variant('server', 'public_origin', 'http://127.0.0.1:18080/')],
    ['scopes without openid', 'oidc.scopes', () => variant('oidc', 'scopes', ['profile'])],
    ['max_lifetime shorter than idle_timeout', 'session.max_lifetime', () => variant('session', 'max_lifetime', '1m')],
  ];
  for (const [what, setting, make] of BAD) {
    test(`check-config rejects ${what}, naming ${setting}`, async () => {
      const path = await write(`bad-${setting}.toml`, make());
      const { code, output } = await run(['check-config', '--config', path], { cwd: dir });
      assert.notEqual(code, 0, `exit code 0 for a bad file:\n${output}`);
      assert.ok(output.includes(setting), `output does not name ${setting}:\n${output}`);
    });
  }

  test('check-config on a file that is not TOML exits non-zero', async () => {
    const { code, output } = await run(['check-config', '--config', await write('broken.toml', '[server\nlisten = ')], { cwd: dir });
    assert.notEqual(code, 0, output);
  });

  test('check-config on a missing file exits non-zero', async () => {
    const { code, output } = await run(['check-config', '--config', join(dir, 'nope.toml')], { cwd: dir });
    assert.notEqual(code, 0, output);
  });

  // A FIFO with no writer used to hang both commands forever; each file problem gets its name.
  const FILE_PROBLEMS = [
    ['a FIFO', async () => { const p = join(dir, 'fifo.toml'); execFileSync('mkfifo', [p]); return p; },
      /config file is a FIFO, not a regular file/],
    ['a symlink loop', async () => {
      await symlink('loop-b.toml', join(dir, 'loop-a.toml'));
      await symlink('loop-a.toml', join(dir, 'loop-b.toml'));
      return join(dir, 'loop-a.toml');
    }, /too many levels of symbolic links/],
    ['a character device', async () => '/dev/null', /config file is a character device, not a regular file/],
  ];
  for (const [what, make, message, options = {}] of FILE_PROBLEMS) {
    test(`check-config and serve name the problem when --config is ${what}`, options, async () => {
      const path = await make();
      for (const command of ['check-config', 'serve']) {
        const { code, output } = await run([command, '--config', path], { cwd: dir });
        assert.notEqual(code, 0, `${command}: exit code 0:\n${output}`);
        assert.notEqual(code, 'killed after 10 s', `${command} hung on ${what}:\n${output}`);
        assert.match(output, message, `${command}:\n${output}`);
        assert.ok(output.includes(path), `${command} does not name ${path}:\n${output}`);
      }
    });
  }

  test('serve refuses a bad file quickly, naming the setting', async () => {
    const path = await write('bad-serve.toml', variant('server', 'listen', 8080));
    const { code, output } = await run(['serve', '--config', path], { cwd: dir });
    assert.notEqual(code, 0, output);
    assert.notEqual(code, 'killed after 10 s', `serve kept running with a bad config:\n${output}`);
    assert.ok(output.includes('server.listen'), `output does not name server.listen:\n${output}`);
  });
});
