// Operators end sessions from the command line: `gatehouse sessions list|revoke|cleanup` and
// `gatehouse keys rotate` against the store a running gateway uses (listing every session or a
// subject's). A revocation takes effect on the very next request. Run: cd tests/integration && npm test
import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe } from 'node:test';
import { gatehouse } from './lib/cli.mjs';
import { check, skipReason, useEnvironment } from './lib/harness.mjs';
import { assertStatus } from './lib/expect.mjs';
import { ScriptedBrowser } from './lib/scripted-browser.mjs';

/** Runs the CLI; resolves to { code, stdout, stderr }; killed after 20 s. */
const cli = (args, cwd) => gatehouse(args, { cwd });

describe('operator commands (end to end)', { skip: skipReason(), timeout: 120_000 }, () => {
  const holder = useEnvironment();
  const browser = (env, name, userAgent) => new ScriptedBrowser({ gatehouseUrl: env.gatehouseUrl, idpUrl: env.idpUrl, name, userAgent });

  check(holder, 'list shows a subject\'s sessions; revoke --sub ends them on the next request', async ({ env, track }) => {
    const alice = track(browser(env, 'alice', 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0'));
    const bob = track(browser(env, 'bob'));
    const a = await alice.login();
    const b = await bob.login({ user: 'bob', password: 'bob' });
    assertStatus((await alice.user({ cookie: a.cookie })).status, 200, 'alice before revocation');

    const list = await cli(['sessions', 'list', '--config', env.configPath, '--sub', 'alice', '--format', 'json'], env.tmpDir);
    assert.equal(list.code, 0, list.stderr);
    const sessions = JSON.parse(list.stdout);
    assert.equal(sessions.length, 1, list.stdout);
    assert.equal(sessions[0].subject, 'alice');
    assert.ok(sessions[0].sid, 'the provider session id is listed');
    assert.ok(!list.stdout.includes(a.cookie), 'the cookie handle is never printed');
    // The device and address recorded at login, opened from the sealed ticket with the key ring.
    assert.equal(sessions[0].device, 'Firefox 121 on Windows', list.stdout);
    assert.match(sessions[0].address, /^(127\.0\.0\.1|::1|::ffff:127\.0\.0\.1)$/, list.stdout);
    assert.equal(sessions[0].last_seen, sessions[0].renewed);

    const table = await cli(['sessions', 'list', '--config', env.configPath, '--sid', sessions[0].sid], env.tmpDir);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /alice/);
    assert.match(table.stdout, /^ID\s+SUBJECT\s+SID\s+CREATED\s+LAST SEEN\s+EXPIRES\s+DEVICE\s+ADDRESS\n/);
    assert.match(table.stdout, /Firefox 121 on Windows\s+(127\.0\.0\.1|::1|::ffff:127\.0\.0\.1)\n/);
    assert.match(table.stdout, /1 session\(s\)/);

    const revoke = await cli(['sessions', 'revoke', '--config', env.configPath, '--sub', 'alice'], env.tmpDir);
    assert.equal(revoke.code, 0, revoke.stderr);
    assert.match(revoke.stdout, /revoked 1 session/);
    assertStatus((await alice.user({ cookie: a.cookie })).status, 401, 'alice right after revocation');
    assertStatus((await bob.user({ cookie: b.cookie })).status, 200, 'bob is untouched');
  });

  check(holder, 'list without --sub/--sid shows every session of the partition; --limit cuts it', async ({ env, track }) => {
    const dave = track(browser(env, 'dave'));
    const erin = track(browser(env, 'erin'));
    await dave.login();
    await erin.login({ user: 'bob', password: 'bob' });
    const args = ['sessions', 'list', '--config', env.configPath];

    const json = await cli([...args, '--format', 'json'], env.tmpDir);
    assert.equal(json.code, 0, json.stderr);
    const all = JSON.parse(json.stdout); // one document, however many pages it was read in
    assert.ok(Array.isArray(all) && all.length >= 2, json.stdout);
    assert.equal(new Set(all.map((s) => s.id)).size, all.length, 'no session twice');
    assert.deepEqual(all.map((s) => s.id), all.map((s) => s.id).sort(), 'in a stable order');
    for (const subject of ['alice', 'bob']) {
      const filtered = JSON.parse((await cli([...args, '--sub', subject, '--format', 'json'], env.tmpDir)).stdout);
      assert.ok(filtered.length >= 1, `${subject} has a session`);
      for (const s of filtered) assert.ok(all.some((t) => t.id === s.id), `${subject}'s ${s.id} is in the full listing`);
    }

    const table = await cli(args, env.tmpDir);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^ID\s+SUBJECT\s+SID/);
    assert.match(table.stdout, new RegExp(`\\n${all.length} session\\(s\\)\\n$`));
    assert.equal(table.stderr, '', 'nothing was cut');

    const cut = await cli([...args, '--format', 'json', '--limit', '1'], env.tmpDir);
    assert.equal(cut.code, 0, cut.stderr);
    assert.deepEqual(JSON.parse(cut.stdout), all.slice(0, 1), 'the first session, as valid JSON');
    assert.match(cut.stderr, /output cut after 1 session\(s\)/);
    const exact = await cli([...args, '--limit', String(all.length)], env.tmpDir);
    assert.equal(exact.code, 0, exact.stderr);
    assert.equal(exact.stderr, '', 'a limit the listing fits in cuts nothing');
  });

  check(holder, 'cleanup and keys rotate run against the live store; sessions survive rotation', async ({ env, track }) => {
    const carol = track(browser(env, 'carol'));
    const c = await carol.login();
    const cleanup = await cli(['sessions', 'cleanup', '--config', env.configPath], env.tmpDir);
    assert.equal(cleanup.code, 0, cleanup.stderr);
    assert.match(cleanup.stdout, /removed \d+ expired session\(s\)/);
    const rotate = await cli(['keys', 'rotate', '--config', env.configPath], env.tmpDir);
    assert.equal(rotate.code, 0, rotate.stderr);
    assert.match(rotate.stdout, /2 key\(s\)/);
    assertStatus((await carol.user({ cookie: c.cookie })).status, 200, 'a live session after key rotation');
  });

  check(holder, 'export and import move live sessions to another store without logging anyone out', async ({ env, track }) => {
    const users = [track(browser(env, 'dave')), track(browser(env, 'erin'))];
    const cookies = [(await users[0].login()).cookie, (await users[1].login({ user: 'bob', password: 'bob' })).cookie];
    const file = join(env.tmpDir, 'sessions.jsonl');
    const exported = await cli(['sessions', 'export', '--config', env.configPath, '--out', file], env.tmpDir);
    assert.equal(exported.code, 0, exported.stderr);
    assert.match(exported.stderr, /exported \d+ session\(s\)/);
    const lines = (await readFile(file, 'utf8')).trim().split('\n');
    assert.equal(JSON.parse(lines[0]).format, 'gatehouse-sessions');
    const text = await readFile(file, 'utf8');
    for (const c of cookies) assert.ok(!text.includes(c), 'no cookie handle in the export');
    // A sealed ticket is base64url (no dots): a JWT (three dot-separated parts) or a token's JSON
    // name in the file would mean a ticket left unsealed. ("eyJ" alone turns up by chance in
    // ~5 % of exports: base64url of random bytes.)
    const jwt = /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/.exec(text);
    assert.equal(jwt, null, 'no JWT in the export: tickets stay sealed');
    assert.ok(!/"(access|refresh|id)_token"|refresh_token/.test(text), 'no token field in the export: tickets stay sealed');
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.notEqual((await cli(['sessions', 'export', '--config', env.configPath, '--out', file], env.tmpDir)).code, 0,
      'an existing file is never overwritten');

    // A second configuration on a fresh store with the same key ring: import, then serve from it.
    const moved = join(env.tmpDir, 'moved.toml');
    const config = (await readFile(env.configPath, 'utf8')).replace(/sqlite_path = "[^"]*"/, `sqlite_path = "${join(env.tmpDir, 'moved.db')}"`);
    await writeFile(moved, config, { mode: 0o600 });
    const imported = await cli(['sessions', 'import', '--config', moved, '--in', file], env.tmpDir);
    assert.equal(imported.code, 0, imported.stderr);
    assert.match(imported.stderr, new RegExp(`imported ${lines.length - 1} session\\(s\\), 0 already there, 0 failed`));
    const again = await cli(['sessions', 'import', '--config', moved, '--in', file], env.tmpDir);
    assert.match(again.stderr, new RegExp(`imported 0 session\\(s\\), ${lines.length - 1} already there`), 'a second import keeps what is there');
    const gateway = await env.startGateway({ config: { session: { sqlite_path: join(env.tmpDir, 'moved.db') } } });
    for (const [i, c] of cookies.entries()) {
      const r = await fetch(`${gateway.url}/bff/user`, { headers: { cookie: `__Host-gatehouse=${c}`, 'x-csrf': '1' } });
      assertStatus(r.status, 200, `user ${i} on the new store`, await r.text());
    }
    await writeFile(join(env.tmpDir, 'bad.jsonl'), `${lines[0]}\n{"key":"x"}\n`);
    const bad = await cli(['sessions', 'import', '--config', moved, '--in', join(env.tmpDir, 'bad.jsonl')], env.tmpDir);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /line 2: key, subject_id, ticket, created and renewed are required/);
  });

  check(holder, 'bad operator input gets a message and a non-zero exit', async ({ env }) => {
    const cases = [
      [['sessions', 'list', '--config', env.configPath, '--limit', '0'], /--limit: must be a whole number/],
      [['sessions', 'list', '--config', env.configPath, '--limit', 'all'], /--limit: must be a whole number/],
      [['sessions', 'revoke', '--config', env.configPath], /exactly one of/],
      [['sessions', 'revoke', '--config', env.configPath, '--sub', 'a', '--sid', 'b'], /excludes/],
      [['sessions', 'list', '--config', env.configPath, '--sub', 'a', '--format', 'xml'], /format/],
      [['sessions', 'list', '--config', '/no/such/file.toml', '--sub', 'a'], /no\/such\/file.toml: config file not found/],
      [['sessions'], /subcommand/i],
    ];
    for (const [args, message] of cases) {
      const r = await cli(args, env.tmpDir);
      assert.notEqual(r.code, 0, `${args.join(' ')} should fail`);
      assert.match(r.stdout + r.stderr, message, args.join(' '));
    }
  });
});
