// `sms-otp-radiusd check` through the real CLI process: one line per check on stdout, exit 1
// when one failed, and nothing changed, neither on a fresh node (no store, no key file) nor on
// a used one (the SQLite file's bytes and mtime, the applied migrations).
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import knexFactory, { type Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDaemon, freeTcpPort, freeUdpPort, type TestDaemon } from '../helpers/daemon.js';
import { BIN, tempDir } from '../helpers/fs.js';
import { createTestDatabase } from '../helpers/pg.js';

const execFileAsync = promisify(execFile);

interface Check {
  check: string;
  status: 'ok' | 'note' | 'warn' | 'fail';
  message: string;
}

async function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, [BIN, ...args], { cwd: '/', timeout: 20_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** `check --json` of a config: its exit status and the checks. */
async function checkJson(config: string): Promise<{ code: number; checks: Check[]; stderr: string }> {
  const r = await run('check', '--json', '--config', config);
  return { code: r.code, checks: JSON.parse(r.stdout) as Check[], stderr: r.stderr };
}

const failed = (checks: Check[]) => checks.filter((c) => c.status === 'fail');
const find = (checks: Check[], check: string) => checks.filter((c) => c.check === check);

/** Every file under dir with its size, mode, mtime and content hash (directories by name only). */
function tree(dir: string, out: Record<string, string> = {}, root = dir): Record<string, string> {
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    const st = statSync(file);
    if (st.isDirectory()) {
      out[path.relative(root, file)] = 'dir';
      tree(file, out, root);
    } else {
      out[path.relative(root, file)] = `${st.size} ${st.mode.toString(8)} ${st.mtimeMs} ${createHash('sha256').update(readFileSync(file)).digest('hex')}`;
    }
  }
  return out;
}

function sqlite(file: string): Knex {
  return knexFactory({ client: 'better-sqlite3', connection: { filename: file }, useNullAsDefault: true });
}

describe('check on a fresh node', () => {
  it('passes with notes for what the first start creates, and creates nothing', async () => {
    const dir = tempDir('smsotp-check-');
    mkdirSync(path.join(dir, 'data'));
    const config = path.join(dir, 'sms-otp-radiusd.yaml');
    const port = await freeUdpPort();
    writeFileSync(
      config,
      [
        'database: { client: sqlite, filename: ./data/store.sqlite }',
        'secrets: { keyfile: ./data/encryption.key }',
        'radius:',
        `  listen: [ { host: 127.0.0.1, port: ${port} }, { host: "::1", port: 1812 } ]`,
        '  clients:',
        '    - { name: vpn, address: 127.0.0.1/32, secret: testing123 }',
        '    - { name: wifi, address: 10.0.0.0/8, secret: testing456, accept_attributes: [ { attribute: Filter-Id, value: "otp" } ] }',
        '    - { name: fw, address: "::1", secret: testing789 }',
        '  accept_attributes: [ { attribute: Class, value: "otp:{serial}" } ]',
        '',
      ].join('\n'),
    );
    const before = tree(dir);

    const text = await run('check', '--config', config);
    expect(text.code, text.stdout + text.stderr).toBe(0);
    expect(text.stderr).toBe('');
    const lines = text.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`ok    config ${config} (3 clients, listen 127.0.0.1:${port}, [::1]:1812)`);
    expect(lines).toContain('ok    accept attributes 1 for every NAS, 1 client with their own');
    expect(lines).toContain(`note  store ${path.join(dir, 'data', 'store.sqlite')} does not exist yet; serve (or migrate) creates it`);
    expect(lines).toContain(
      `note  key file ${path.join(dir, 'data', 'encryption.key')} does not exist yet; created at first start (mode 0600): back it up then`,
    );
    for (const line of lines) expect(line).toMatch(/^(ok|note|warn|FAIL) {1,4}\S/);

    const { code, checks } = await checkJson(config);
    expect(code).toBe(0);
    // testing123 and its like are under 16 characters: a warning per client (issue 18), not a failure.
    expect(checks.map((c) => c.check)).toEqual(['config', 'dictionaries', 'accept attributes', 'radius clients', 'radius clients', 'radius clients', 'listen', 'store', 'key file']);
    expect(checks.filter((c) => c.check === 'radius clients').map((c) => c.status)).toEqual(['warn', 'warn', 'warn']);
    expect(failed(checks)).toEqual([]);

    expect(tree(dir)).toEqual(before);
  });

  it('reports a configuration that cannot be loaded as a failed check, not a stack', async () => {
    const dir = tempDir('smsotp-check-');
    const config = path.join(dir, 'bad.yaml');
    writeFileSync(config, 'database: { client: sqlite, filename: ./s.sqlite }\nradius: { listen: [ { host: 127.0.0.1, port: 99999 } ], clients: [] }\nlisten: x\n');
    const r = await run('check', '--config', config);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`^FAIL  config ${config}: invalid configuration:\\n {6}  - `));
    expect(r.stdout).toMatch(/radius\.listen\.0\.port/);
    expect(r.stdout).toMatch(/listen: unknown key/);
    expect(r.stderr.trim()).toBe('sms-otp-radiusd: check: 1 of 1 checks failed');
    expect(r.stderr + r.stdout).not.toMatch(/\n\s+at /);
    expect(readdirSync(dir)).toEqual(['bad.yaml']);

    const missingDirs = path.join(dir, 'missing.yaml');
    writeFileSync(
      missingDirs,
      'database: { client: sqlite, filename: ./db/s.sqlite }\nsecrets: { keyfile: ./key/k }\nradius: { listen: [ { host: 192.0.2.77, port: 1812 } ], clients: [ { name: nas, address: 127.0.0.1, secret: s } ] }\n',
    );
    const { code, checks } = await checkJson(missingDirs);
    expect(code).toBe(1);
    expect(find(checks, 'listen')).toEqual([
      { check: 'listen', status: 'warn', message: '192.0.2.77 (radius.listen.0.host) is no address of this machine: serve cannot listen there until it is' },
    ]);
    expect(find(checks, 'store')[0]).toMatchObject({ status: 'fail', message: expect.stringMatching(/^database\.filename: the directory .*\/db does not exist/) });
    expect(find(checks, 'key file')[0]).toMatchObject({ status: 'fail', message: expect.stringMatching(/its directory .*\/key does not exist/) });
    expect(readdirSync(dir).sort()).toEqual(['bad.yaml', 'missing.yaml']);
  });
});

describe('check on a used SQLite store', () => {
  let daemon: TestDaemon;
  let store: string;

  beforeAll(async () => {
    daemon = await createDaemon();
    store = path.join(daemon.dir, 'store.sqlite');
    mkdirSync(path.join(daemon.dir, 'scripts'));
    writeFileSync(path.join(daemon.dir, 'scripts', 'sms.sh'), '#!/bin/sh\ncat >/dev/null\n');
    chmodSync(path.join(daemon.dir, 'scripts', 'sms.sh'), 0o755);
    await daemon.ok('gateway', 'set', 'sh', '--module', 'script', '--option', 'SCRIPT=sms.sh');
    await daemon.ok('smtpserver', 'set', 'relay', '--server', '127.0.0.1', '--password', 'relay-secret');
    await daemon.ok('gateway', 'set', 'mail', '--module', 'smtp', '--option', 'SMTPIDENTIFIER=relay', '--option', 'MAILTO={phone}@sms.example.com');
    await daemon.ok('setting', 'set', 'sms.identifier', 'sh');
    await daemon.ok('token', 'enroll', '--user', 'alice', '--phone', '+491701234567', '--pin', '1234', '--serial', 'ALICE');
  });

  it('passes, and leaves the store file, its migrations and the directory as they were', async () => {
    const knex = sqlite(store);
    const migrations = await knex('schema_migrations').select();
    await knex.destroy();
    const before = tree(daemon.dir);

    const r = await daemon.cli('check');
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        `ok    store ${store} (SQLite) answers`,
        'ok    migrations the schema is up to date',
        `ok    key file ${daemon.keyfile} (mode 0600)`,
        'ok    key check the key file is the one the store was set up with',
        'ok    settings 1 stored, every one valid',
        'ok    gateway mail (smtp)',
        'ok    gateway sh (script)',
        'ok    smtp server relay (127.0.0.1:25)',
        'ok    tokens 1 enrolled; every gateway they name exists',
        'ok    default gateway sh (sms.identifier)',
      ]),
    );
    expect(r.stdout).not.toContain('relay-secret');

    expect(tree(daemon.dir)).toEqual(before);
    const after = sqlite(store);
    expect(await after('schema_migrations').select()).toEqual(migrations);
    await after.destroy();
  });

  it('fails on definitions that could never work, naming each, and on a key file that is not the store’s', async () => {
    // What `gateway set` and `setting set` refuse, written behind their back.
    const knex = sqlite(store);
    const now = Date.now();
    const [id] = await knex('sms_gateways').insert({ identifier: 'broken', description: '', module: 'http', created_at: now, updated_at: now });
    await knex('sms_gateway_options').insert([
      { gateway_id: id, kind: 'option', key: 'URL', value: 'http://127.0.0.1:9/send', sealed: false },
      { gateway_id: id, kind: 'option', key: 'TIMEOUT', value: 'soon', sealed: false },
    ]);
    await knex('sms_gateway_options').where({ key: 'SMTPIDENTIFIER' }).update({ value: 'nowhere' });
    await knex('smtp_servers').where({ identifier: 'relay' }).update({ ca_file: path.join(daemon.dir, 'no-such-ca.pem') });
    await knex('settings').insert({ key: 'sms.providerTimeout', value: 'long', updated_at: now });
    await knex('settings').where({ key: 'sms.identifier' }).update({ value: 'gone' });
    await knex('tokens').where({ serial: 'ALICE' }).update({ gateway: 'vanished' });
    await knex.destroy();
    const before = tree(daemon.dir);

    const { code, checks, stderr } = await checkJson(daemon.config);
    expect(code).toBe(1);
    expect(failed(checks)).toEqual([
      { check: 'setting', status: 'fail', message: "setting 'sms.providerTimeout' takes a whole number, not 'long'; correct it with 'setting set sms.providerTimeout VALUE'" },
      { check: 'gateway', status: 'fail', message: "broken (http): option TIMEOUT must be a number of seconds, more than 0 and at most 3600, not 'soon'" },
      {
        check: 'gateway',
        status: 'fail',
        message: "mail (smtp): option SMTPIDENTIFIER names the SMTP server 'nowhere', which does not exist: 'smtpserver set nowhere --server HOST'",
      },
      { check: 'smtp server', status: 'fail', message: `relay: --ca-file ${path.join(daemon.dir, 'no-such-ca.pem')} cannot be read (ENOENT)` },
      { check: 'tokens', status: 'fail', message: expect.stringMatching(/^1 token names the gateway 'vanished', which does not exist: 'token set SERIAL --gateway OTHER'/) },
      { check: 'default gateway', status: 'fail', message: expect.stringMatching(/^sms\.identifier names the gateway 'gone', which does not exist/) },
    ]);
    expect(find(checks, 'gateway').find((c) => c.message.startsWith('sh '))?.status).toBe('ok');
    expect(stderr.trim()).toMatch(/^sms-otp-radiusd: check: 6 of \d+ checks failed$/);

    // Another node's key file: the store's secrets cannot be opened, so the gateways are not judged.
    const original = readFileSync(daemon.keyfile);
    try {
      writeFileSync(daemon.keyfile, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
      const wrong = await checkJson(daemon.config);
      expect(wrong.code).toBe(1);
      expect(find(wrong.checks, 'key check')).toEqual([
        {
          check: 'key check',
          status: 'fail',
          message: `secrets.keyfile ${daemon.keyfile} is not the key file this store was set up with; every daemon and CLI of a site must use a copy of the same key file`,
        },
      ]);
      expect(find(wrong.checks, 'gateways')[0]).toMatchObject({ status: 'note', message: "3 defined, not checked: their secrets need the store's key file" });

      writeFileSync(daemon.keyfile, 'not a key\n');
      const garbled = await checkJson(daemon.config);
      expect(find(garbled.checks, 'key file')[0]).toMatchObject({ status: 'fail', message: expect.stringMatching(/is not 64 hex digits; restore it from backup/) });

      unlinkSync(daemon.keyfile);
      const missing = await checkJson(daemon.config);
      expect(missing.code).toBe(1);
      expect(find(missing.checks, 'key file')[0]).toMatchObject({
        status: 'fail',
        message: expect.stringMatching(/encryption\.key does not exist, but the store .* already holds data sealed with a key: restore the key file/),
      });
      expect(readdirSync(daemon.dir)).not.toContain('encryption.key');

      // A key file others can read is a warning, not a failure.
      writeFileSync(daemon.keyfile, original, { mode: 0o644 });
      chmodSync(daemon.keyfile, 0o644);
      const loose = await checkJson(daemon.config);
      expect(find(loose.checks, 'key file')[0]).toEqual({
        check: 'key file',
        status: 'warn',
        message: `${daemon.keyfile} has mode 0644: group or others can read it; chmod 600 ${daemon.keyfile}`,
      });
    } finally {
      writeFileSync(daemon.keyfile, original);
      chmodSync(daemon.keyfile, 0o600);
    }
    // Everything but the key file this test rewrote is as it was.
    const after = tree(daemon.dir);
    delete before['encryption.key'];
    delete after['encryption.key'];
    expect(after).toEqual(before);
  });

  it('notes migrations to apply and fails on ones a newer version applied', async () => {
    const knex = sqlite(store);
    const last = await knex('schema_migrations').orderBy('id', 'desc').first();
    try {
      await knex('schema_migrations').where({ id: last.id }).delete();
      const older = await checkJson(daemon.config);
      expect(find(older.checks, 'migrations')).toEqual([{ check: 'migrations', status: 'note', message: `serve or migrate applies 1 migration (${last.name})` }]);
      expect(await knex('schema_migrations').where({ name: last.name }).first()).toBeUndefined();

      await knex('schema_migrations').insert(last);
      await knex('schema_migrations').insert({ name: '9999_from_the_future', batch: last.batch, migration_time: last.migration_time });
      const newer = await checkJson(daemon.config);
      expect(newer.code).toBe(1);
      expect(find(newer.checks, 'migrations')).toEqual([
        {
          check: 'migrations',
          status: 'fail',
          message: 'the store was upgraded by a newer sms-otp-radiusd (migrations 9999_from_the_future); upgrade this installation to that version',
        },
      ]);
    } finally {
      await knex('schema_migrations').where({ name: '9999_from_the_future' }).delete();
      await knex.destroy();
    }
  });
});

describe('check on PostgreSQL', () => {
  let dropDatabase: (() => Promise<void>) | undefined;
  afterAll(async () => dropDatabase?.());

  it('passes on a used database and names an unreachable one without its password', async () => {
    const db = await createTestDatabase();
    dropDatabase = db.drop;
    const daemon = await createDaemon({ database: { client: 'pg', url: db.url } });
    await daemon.ok('token', 'enroll', '--user', 'alice', '--phone', '+491701234567', '--pin', '1234');
    const good = await checkJson(daemon.config);
    expect(failed(good.checks), JSON.stringify(good.checks)).toEqual([]);
    expect(good.code).toBe(0);
    expect(find(good.checks, 'key check')[0]?.status).toBe('ok');
    expect(find(good.checks, 'default gateway')[0]?.status).toBe('warn');

    const port = await freeTcpPort();
    const config = path.join(daemon.dir, 'unreachable.yaml');
    writeFileSync(
      config,
      readFileSync(daemon.config, 'utf8').replace(/url: "[^"]*"/, `url: "postgres://radiusd:Pw-4-the-store@127.0.0.1:${port}/radiusd"`),
    );
    const r = await run('check', '--config', config);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`FAIL  store cannot use the store postgres://radiusd@127.0.0.1:${port}/radiusd (database.url): `);
    expect(r.stdout + r.stderr).not.toContain('Pw-4-the-store');
  });
});
