// `userstore` and `realm` through the real CLI against a real slapd: definitions kept in the
// store with the bind password sealed and censored, refusals, and `userstore test` output.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDaemon, freeTcpPort, type TestDaemon } from '../helpers/daemon.js';
import { BASE_DN, PEOPLE_DN, SERVICE_DN, SERVICE_PASSWORD, startSlapd, type Slapd } from '../helpers/slapd.js';

describe('userstore and realm CLI', () => {
  let slapd: Slapd;
  let daemon: TestDaemon;
  let passwordFile: string;

  beforeAll(async () => {
    slapd = await startSlapd([
      { uid: 'alice', password: 'alice-pw', givenName: 'Alice', sn: 'Liddell', mobile: ['+49 170 1234567', '+49 171 7654321'], mail: 'alice@example.com' },
      { uid: 'nomobile', password: 'x', sn: 'Nobody' },
    ]);
    daemon = await createDaemon();
    passwordFile = path.join(daemon.dir, 'bind.pw');
    writeFileSync(passwordFile, `${SERVICE_PASSWORD}\n`, { mode: 0o600 });
  });
  afterAll(async () => {
    await slapd?.stop();
  });

  it('sets a user store with a preset, seals the bind password, and shows it censored', async () => {
    const down = `ldap://127.0.0.1:${await freeTcpPort()}`;
    expect(
      await daemon.ok('userstore', 'set', 'corp', '--uri', down, '--uri', slapd.uri, '--base-dn', BASE_DN, '--bind-dn', SERVICE_DN,
        '--bind-password-file', passwordFile, '--preset', 'openldap', '--timeout', '2'),
    ).toBe(`userstore corp saved (${down}, ${slapd.uri}; login attribute uid; groups: none read)`);
    const shown = JSON.parse(await daemon.ok('userstore', 'show', 'corp'));
    expect(shown).toMatchObject({
      identifier: 'corp', preset: 'openldap', uris: [down, slapd.uri], bindPassword: '__CENSORED__', timeout: 2,
      attributes: { login: 'uid', mobile: 'mobile', givenname: 'givenName', surname: 'sn', upn: '' }, searchFilter: '(objectClass=inetOrgPerson)',
    });
    expect(await daemon.ok('userstore', 'list')).toMatch(/^ID\s+PRESET\s+URIS\s+BASE DN\s+REALMS\s+UPDATED\ncorp\s+openldap\s/);
    // Sealed at rest: the password is nowhere in the store file.
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(path.join(daemon.dir, 'store.sqlite')).includes(Buffer.from(SERVICE_PASSWORD))).toBe(false);
  });

  it('userstore test: every server, then the user as a login would see them', async () => {
    const r = await daemon.cli('userstore', 'test', 'corp', '--user', 'alice');
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^ldap:\/\/127\.0\.0\.1:\d+: FAILED: connection refused \(ECONNREFUSED\)/);
    expect(lines[1]).toBe(`${slapd.uri}: ok: bound as ${SERVICE_DN}, base DN ${BASE_DN} found`);
    expect(lines.slice(2)).toEqual([
      `dn:         uid=alice,${PEOPLE_DN}`,
      'username:   alice',
      'mobile:     +49 170 1234567',
      'givenname:  Alice',
      'surname:    Liddell',
      'email:      alice@example.com',
    ]);
    const none = await daemon.cli('userstore', 'test', 'corp', '--user', 'nomobile');
    expect(none.stdout).toContain('mobile:     (none)');
  });

  it('userstore test names the exact reason: unknown user, injection, wrong bind password, wrong base DN, nobody listening', async () => {
    const unknown = await daemon.cli('userstore', 'test', 'corp', '--user', 'bob');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr.trim()).toBe(
      `sms-otp-radiusd: user 'bob' not found in user store corp: no entry matches (objectClass=inetOrgPerson) and uid=bob under ${BASE_DN}`,
    );
    for (const attempt of ['*', 'al*', '*)(uid=*', 'alice)(|(uid=*', '\\2a']) {
      const r = await daemon.cli('userstore', 'test', 'corp', '--user', attempt);
      expect(r.code, attempt).toBe(1);
      expect(r.stderr, attempt).toContain('no entry matches');
    }

    writeFileSync(path.join(daemon.dir, 'wrong.pw'), 'wrong\n');
    await daemon.ok('userstore', 'set', 'bad', '--uri', slapd.uri, '--base-dn', BASE_DN, '--bind-dn', SERVICE_DN,
      '--bind-password-file', path.join(daemon.dir, 'wrong.pw'), '--preset', 'openldap');
    const badBind = await daemon.cli('userstore', 'test', 'bad');
    expect(badBind.code).toBe(1);
    expect(badBind.stdout).toContain(`${slapd.uri}: FAILED: `);
    expect(badBind.stdout).toContain(`the directory refused the service account ${SERVICE_DN}: invalid credentials`);
    expect(badBind.stderr).toContain('sms-otp-radiusd: user store bad cannot be used: no server answered');

    // A wrong base DN is named.
    await daemon.ok('userstore', 'set', 'bad', '--uri', slapd.uri, '--base-dn', 'dc=nowhere,dc=com', '--bind-dn', SERVICE_DN,
      '--bind-password-file', passwordFile, '--preset', 'openldap');
    const badBase = await daemon.cli('userstore', 'test', 'bad');
    expect(badBase.stdout).toContain('but the base DN dc=nowhere,dc=com does not exist (correct --base-dn)');
    expect(badBase.code).toBe(1);
    await daemon.ok('userstore', 'delete', 'bad');
  });

  it('refuses bad input with exit status 2 and a line naming the option', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--uri', 'http://x'], /--uri 'http:\/\/x': only ldap:\/\/ and ldaps:\/\/ are supported/],
      [['--uri', slapd.uri, '--preset', 'novell'], /--preset must be one of ad, openldap, not 'novell'/],
      [['--uri', slapd.uri], /give --preset ad or --preset openldap, or both --login-attribute and --search-filter/],
      [['--uri', slapd.uri, '--preset', 'ad', '--search-filter', '(objectClass=user'], /--search-filter '\(objectClass=user' is not an LDAP filter/],
      [['--uri', slapd.uri, '--preset', 'ad', '--timeout', '100'], /--timeout must be a whole number of seconds from 1 to 30/],
      [['--uri', 'ldaps://dc1', '--preset', 'ad', '--starttls'], /--starttls is for ldap:\/\/ URIs/],
      [['--uri', slapd.uri, '--preset', 'ad', '--ca-file', '/etc/ssl/certs/ca-certificates.crt'], /--ca-file is for TLS, but 'ldap:\/\/127\.0\.0\.1:\d+' is plain LDAP: add --starttls or use ldaps:\/\//],
    ];
    for (const [args, message] of cases) {
      const r = await daemon.cli('userstore', 'set', 'x', '--base-dn', BASE_DN, '--bind-dn', SERVICE_DN, '--bind-password-file', passwordFile, ...args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    const noPassword = await daemon.cli('userstore', 'set', 'new', '--uri', slapd.uri, '--base-dn', BASE_DN, '--bind-dn', SERVICE_DN, '--preset', 'ad');
    expect(noPassword.code).toBe(2);
    expect(noPassword.stderr).toContain('--bind-password-file is required for a new user store');
  });

  it('realms: set, default, list, case-insensitive names; a used user store is not deleted', async () => {
    expect(await daemon.ok('realm', 'set', 'Example.COM', '--userstore', 'corp', '--default')).toBe('realm example.com saved (userstore corp, default)');
    expect(await daemon.ok('realm', 'set', 'corp', '--userstore', 'corp', '--default')).toBe('realm corp saved (userstore corp, default)');
    expect(JSON.parse(await daemon.ok('realm', 'list', '--json'))).toEqual([
      { name: 'corp', userstore: 'corp', default: true },
      { name: 'example.com', userstore: 'corp', default: false },
    ]);
    const missing = await daemon.cli('realm', 'set', 'x', '--userstore', 'nope');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("no user store 'nope'");
    const used = await daemon.cli('userstore', 'delete', 'corp');
    expect(used.code).toBe(1);
    expect(used.stderr.trim()).toBe(
      "sms-otp-radiusd: user store corp not deleted: realms corp, example.com use it; first 'realm delete REALM' or 'realm set REALM --userstore OTHER' (see 'realm list')",
    );
    expect((await daemon.cli('userstore', 'delete', 'nope')).stderr).toContain("no user store 'nope'");
    expect(await daemon.ok('realm', 'delete', 'EXAMPLE.com')).toBe('realm example.com deleted');
    expect((await daemon.cli('realm', 'delete', 'example.com')).code).toBe(1);
    expect(JSON.parse(await daemon.ok('userstore', 'show', 'corp')).realms).toEqual(['corp']);
  });
});
