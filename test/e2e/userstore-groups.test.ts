// Directory groups through the real CLI and the real daemon against a real slapd with
// groupOfNames groups and the memberof overlay: `userstore set` with the group options,
// refusals of what could never work, `userstore show` and `userstore test --user` with the
// groups, `check`, and a RADIUS login whose group search the directory cannot answer
// (failed closed, like a directory that is down, with the reason in the log).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDaemon, type TestDaemon } from '../helpers/daemon.js';
import { docsExample } from '../helpers/docs-blocks.js';
import { RFC4226_KEY } from '../helpers/fs.js';
import { radclient } from '../helpers/radius-clients.js';
import { startSmsGateway, type SmsGateway } from '../helpers/sms-gateway.js';
import { BASE_DN, GROUPS_DN, personDn, groupDn, SERVICE_DN, SERVICE_PASSWORD, startSlapd, type Slapd } from '../helpers/slapd.js';

// Every step is a CLI process: on a loaded machine each takes seconds.
describe('user store groups through the CLI and a login', { timeout: 120_000 }, () => {
  let slapd: Slapd;
  let daemon: TestDaemon;
  let passwordFile: string;
  let gw: SmsGateway;
  const set = (id: string, ...options: string[]) =>
    daemon.cli('userstore', 'set', id, '--uri', slapd.uri, '--base-dn', BASE_DN, '--bind-dn', SERVICE_DN, '--bind-password-file', passwordFile, ...options);

  beforeAll(async () => {
    slapd = await startSlapd(
      [
        { uid: 'alice', password: 'alice-pw', givenName: 'Alice', sn: 'Liddell', mobile: '+4917011111' },
        { uid: 'bob', password: 'bob-pw', sn: 'Builder' },
      ],
      {
        memberOf: true,
        groups: [
          { cn: 'vpn-admins', members: [personDn('alice')] },
          { cn: 'Sales, Berlin', members: [personDn('alice'), personDn('bob')] },
          { cn: 'staff', members: [groupDn('vpn-admins')] },
        ],
      },
    );
    gw = await startSmsGateway();
    daemon = await createDaemon({ radius: { reject_delay: '0' } });
    passwordFile = path.join(daemon.dir, 'bind.pw');
    writeFileSync(passwordFile, `${SERVICE_PASSWORD}\n`, { mode: 0o600 });
  });
  afterAll(async () => {
    await daemon?.stop();
    await gw?.close();
    await slapd?.stop();
  });

  it('a group search (openldap preset): saved, shown, and `userstore test --user` lists the groups', async () => {
    const saved = await set('corp', '--preset', 'openldap', '--group-base', GROUPS_DN, '--timeout', '2');
    expect(saved.code, saved.stderr).toBe(0);
    expect(saved.stdout.trim()).toBe(
      `userstore corp saved (${slapd.uri}; login attribute uid; groups: search under ${GROUPS_DN} for (&(objectClass=groupOfNames)(member={dn})))`,
    );
    expect(JSON.parse(await daemon.ok('userstore', 'show', 'corp')).groups).toEqual({
      attribute: '',
      base: GROUPS_DN,
      filter: '(&(objectClass=groupOfNames)(member={dn}))',
      nested: false,
    });
    const test = await daemon.cli('userstore', 'test', 'corp', '--user', 'alice');
    expect(test.code, test.stderr).toBe(0);
    expect(test.stdout).toContain(`${slapd.uri}: ok: bound as ${SERVICE_DN}, base DN ${BASE_DN} found, group base ${GROUPS_DN} found`);
    expect(test.stdout).toContain('groups:     Sales, Berlin, vpn-admins');
    expect((await daemon.cli('userstore', 'test', 'corp', '--user', 'bob')).stdout).toContain('groups:     Sales, Berlin');
  });

  it('memberOf (the ad preset’s source; here slapd’s memberof overlay): read with the user', async () => {
    // The ad preset's attribute names are AD's; this one reads memberOf with OpenLDAP's names.
    const saved = await set('mo', '--preset', 'openldap', '--group-attribute', 'memberOf');
    expect(saved.stdout.trim()).toContain('groups: attribute memberOf)');
    const test = await daemon.cli('userstore', 'test', 'mo', '--user', 'alice');
    expect(test.stdout).toContain('groups:     Sales, Berlin, vpn-admins');
    // The ad preset reads memberOf unless told otherwise, and searches nothing.
    await set('ad', '--preset', 'ad');
    expect(JSON.parse(await daemon.ok('userstore', 'show', 'ad')).groups).toMatchObject({ attribute: 'memberOf', base: '', nested: false });
    await set('ad', '--preset', 'ad', '--group-attribute', '');
    expect(JSON.parse(await daemon.ok('userstore', 'show', 'ad')).groups.attribute).toBe('');
    // Without a group source, no groups line: the user store reads none.
    await set('plain', '--preset', 'openldap');
    expect((await daemon.cli('userstore', 'test', 'plain', '--user', 'alice')).stdout).not.toContain('groups:');
    for (const id of ['mo', 'ad', 'plain']) await daemon.ok('userstore', 'delete', id);
  });

  it('refuses group options that could never work, with exit status 2 and the option named', async () => {
    const cases: Array<[string[], string]> = [
      [['--group-base', GROUPS_DN, '--group-filter', '(member={dn}'], "--group-filter '(member={dn}' is not an LDAP filter"],
      [['--group-base', GROUPS_DN, '--group-filter', '(objectClass=groupOfNames)'], "--group-filter '(objectClass=groupOfNames)' does not contain {dn}: every user would get the same groups"],
      [['--group-filter', '(member={dn})'], '--group-filter is the filter of the group search: give --group-base DN too'],
      [['--nested-groups', '--group-filter', '(member={dn})'], '--nested-groups sets the group filter to (member:1.2.840.113556.1.4.1941:={dn}): give --nested-groups or --group-filter, not both'],
      [['--group-attribute', 'member of'], "--group-attribute 'member of' is not an LDAP attribute name"],
    ];
    for (const [options, message] of cases) {
      const r = await set('x', '--preset', 'openldap', ...options);
      expect(r.code, options.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n'), options.join(' ')).toHaveLength(1);
      expect(r.stderr).toContain(message);
    }
    expect(JSON.parse(await daemon.ok('userstore', 'list', '--json')).map((u: { identifier: string }) => u.identifier)).toEqual(['corp']);
  });

  it('a group base that does not exist, and nested groups on a server that is not AD: `userstore test` and `check` say so', async () => {
    await set('nobase', '--preset', 'openldap', '--group-base', `ou=nogroups,${BASE_DN}`);
    const noBase = await daemon.cli('userstore', 'test', 'nobase');
    expect(noBase.code).toBe(1);
    expect(noBase.stdout).toContain(`${slapd.uri}: FAILED: bound as ${SERVICE_DN}, but the group base ou=nogroups,${BASE_DN} does not exist (correct --group-base)`);
    const check = await daemon.cli('check');
    expect(check.stdout + check.stderr).toContain(`nobase: no server can be used: ${slapd.uri}: bound as ${SERVICE_DN}, but the group base ou=nogroups,${BASE_DN} does not exist`);

    const nested = await set('nested', '--preset', 'openldap', '--nested-groups');
    expect(nested.stdout.trim()).toContain(`groups: search under ${BASE_DN} for (member:1.2.840.113556.1.4.1941:={dn}))`);
    const notAd = await daemon.cli('userstore', 'test', 'nested');
    expect(notAd.code).toBe(1);
    expect(notAd.stdout).toContain('but this server is not Active Directory (its root DSE names no AD capability): it does not know the in-chain rule of --nested-groups and would find no groups');
    for (const id of ['nobase', 'nested']) await daemon.ok('userstore', 'delete', id);
  });

  it('a login whose group search the directory refuses fails closed, as with a directory that is down; corrected, it works', async () => {
    await daemon.ok('realm', 'set', 'example', '--userstore', 'corp', '--default');
    await daemon.ok('token', 'enroll', '--user', 'alice', '--realm', 'example', '--phone', '+4917011111', '--pin', 'token-pin', '--otpkey', RFC4226_KEY);
    await daemon.ok('setting', 'set', 'passOnNoUser', 'true');
    await daemon.ok('gateway', 'set', 'gw1', '--module', 'http', '--option', `URL=${gw.url}`, '--option', 'to={phone}', '--option', 'text={otp}');
    await daemon.ok('setting', 'set', 'sms.identifier', 'gw1');
    await set('corp', '--preset', 'openldap', '--group-base', `ou=nogroups,${BASE_DN}`, '--timeout', '2');
    await daemon.start();
    const refused = await radclient(daemon, { 'User-Name': '"alice"', 'User-Password': '"token-pin"' });
    expect(refused.code).toBe('Access-Reject');
    expect(refused.attributes['Reply-Message']).toEqual(['The authentication service is unavailable, try again later']);
    expect(daemon.logs()).toContain(`the group search under ou=nogroups,${BASE_DN} for ${personDn('alice')} failed: the group base does not exist`);
    // docs/directory-groups.md shows the message as the log has it (the page breaks it in two lines).
    expect(daemon.logs()).toContain(docsExample('group-search-failed').replace(/\s*\n\s*/g, ' ').trim());
    expect(daemon.logs()).not.toContain('token-pin');

    await daemon.configure('userstore', 'set', 'corp', '--uri', slapd.uri, '--base-dn', BASE_DN, '--bind-dn', SERVICE_DN, '--preset', 'openldap', '--group-base', GROUPS_DN);
    const challenged = await radclient(daemon, { 'User-Name': '"alice"', 'User-Password': '"token-pin"' });
    expect(challenged.code, daemon.logs()).toBe('Access-Challenge');
    expect((await gw.next()).query.get('to')).toBe('+4917011111');
  });
});
