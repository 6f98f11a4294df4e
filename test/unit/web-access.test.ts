// The web UI's grant (src/app/web-access.ts) against a real slapd: roles from admin policies by
// directory group, realm and user; a helpdesk's realms; self-service enroll; a directory that
// is down or silent gives self-service only and says why, never throws; local web accounts
// (realm webadmin) are decided without the directory.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebAccess } from '../../src/app/web-access.js';
import { LOCAL_WEB_REALM } from '../../src/app/web-accounts.js';
import { CompiledPolicies } from '../../src/core/policies/compiled.js';
import { validatePolicy, type PolicyInput } from '../../src/core/policies/policy.js';
import type { UserStoreDefinition } from '../../src/directory/definition.js';
import { LdapDirectory } from '../../src/directory/directory.js';
import { PRESET_VALUES } from '../../src/directory/presets.js';
import { RealmNameDirectory } from '../../src/directory/realm-names.js';
import { BASE_DN, GROUPS_DN, personDn, SERVICE_DN, SERVICE_PASSWORD, startSlapd, type Slapd } from '../helpers/slapd.js';

const CLIENT = { name: 'webui', address: '192.0.2.7' };

const admin = (input: Partial<PolicyInput> & { name: string }) => validatePolicy({ scope: 'admin', actions: [['role', 'helpdesk']], ...input });

const POLICIES = CompiledPolicies.compile([
  admin({ name: 'it-admins', actions: [['role', 'admin']], conditions: { group: ['it-admins'] }, priority: 0 }),
  admin({ name: 'support', actions: [['role', 'helpdesk'], ['adminrealm', 'Sales.example, corp']], conditions: { group: ['support'] } }),
  admin({ name: 'enroll-corp', actions: [['selfservice_enroll', 'true']], conditions: { realm: ['corp'] }, priority: 9 }),
  admin({ name: 'webadmin-ops', actions: [['role', 'admin']], conditions: { user: ['ops'], realm: [LOCAL_WEB_REALM] } }),
]);

describe('web access from admin policies and directory groups (slapd)', () => {
  let slapd: Slapd;
  let silent: net.Server;
  let silentPort = 0;
  const held: net.Socket[] = [];
  const directories: LdapDirectory[] = [];

  /** The site's directory: user store `corp` on `uri`, realm corp, groups by a group search. */
  const directoryOn = (uri: string): LdapDirectory => {
    const corp: UserStoreDefinition = {
      identifier: 'corp',
      preset: 'openldap',
      uris: [uri],
      baseDn: BASE_DN,
      bindDn: SERVICE_DN,
      bindPassword: SERVICE_PASSWORD,
      attributes: PRESET_VALUES.openldap.attributes,
      searchFilter: PRESET_VALUES.openldap.searchFilter,
      starttls: false,
      caFile: null,
      timeout: 2,
      groups: { attribute: '', base: GROUPS_DN, filter: PRESET_VALUES.openldap.groups.filter, nested: false },
    };
    const snapshot = { revision: '1', userstores: [corp], realms: [{ name: 'corp', userstore: 'corp', isDefault: true }] };
    const directory = new LdapDirectory({ snapshot: () => snapshot, fallback: new RealmNameDirectory(), cacheMs: () => 0 });
    directories.push(directory);
    return directory;
  };

  beforeAll(async () => {
    slapd = await startSlapd(
      [
        { uid: 'alice', password: 'alice-pw', sn: 'Admin' },
        { uid: 'bob', password: 'bob-pw', sn: 'Support' },
        { uid: 'carol', password: 'carol-pw', sn: 'Both' },
        { uid: 'dave', password: 'dave-pw', sn: 'Nobody' },
      ],
      {
        groups: [
          { cn: 'it-admins', members: [personDn('alice'), personDn('carol')] },
          { cn: 'support', members: [personDn('bob'), personDn('carol')] },
        ],
      },
    );
    // A directory that takes the connection and never answers.
    silent = net.createServer((socket) => void held.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    silentPort = (silent.address() as net.AddressInfo).port;
  }, 60_000);
  afterAll(async () => {
    for (const socket of held) socket.destroy();
    await Promise.all(directories.map((d) => d.close()));
    await new Promise((resolve) => silent?.close(resolve));
    await slapd?.stop();
  });

  it('an admin by group sees every realm; a helpdesk by group its realms; others self-service, enroll where a policy allows', async () => {
    const access = new WebAccess({ directory: directoryOn(slapd.uri), policies: () => POLICIES });
    const alice = await access.of({ username: 'alice', realm: 'corp' }, CLIENT);
    expect(alice).toEqual({ role: 'admin', realms: 'all', selfServiceEnroll: true, groups: ['it-admins'], decidedBy: ['it-admins', 'enroll-corp'] });
    const bob = await access.of({ username: 'bob', realm: 'CORP' }, CLIENT);
    expect(bob).toEqual({ role: 'helpdesk', realms: ['corp', 'sales.example'], selfServiceEnroll: true, groups: ['support'], decidedBy: ['support', 'enroll-corp'] });
    // In both groups: the admin policy has the better priority.
    expect((await access.of({ username: 'carol', realm: 'corp' }, CLIENT)).role).toBe('admin');
    const dave = await access.of({ username: 'dave', realm: 'corp' }, CLIENT);
    expect(dave).toEqual({ role: 'user', realms: [], selfServiceEnroll: true, groups: [], decidedBy: ['enroll-corp'] });
    // Someone the directory does not know: no group, no role.
    expect(await access.of({ username: 'mallory', realm: 'corp' }, CLIENT)).toMatchObject({ role: 'user', groups: [] });

    expect(access.mayAct(alice, 'anywhere.example')).toBe(true);
    expect(access.mayAct(bob, 'Sales.Example')).toBe(true);
    expect(access.mayAct(bob, 'corp')).toBe(true);
    expect(access.mayAct(bob, 'hq.example')).toBe(false);
    expect(access.mayAct(dave, 'corp')).toBe(false);
    expect(access.mayAct({ role: 'helpdesk', realms: 'all' }, 'hq.example')).toBe(true);
  });

  it('a directory that is down: self-service only, the reason told, no exception; a local web account still gets its role', async () => {
    await slapd.stop();
    try {
      const access = new WebAccess({ directory: directoryOn(slapd.uri), policies: () => POLICIES });
      const alice = await access.of({ username: 'alice', realm: 'corp' }, CLIENT);
      expect(alice).toMatchObject({ role: 'user', realms: [], selfServiceEnroll: false, groups: [], decidedBy: [] });
      expect(alice.directoryError).toMatch(/\S/);
      const ops = await access.of({ username: 'ops', realm: LOCAL_WEB_REALM }, CLIENT);
      expect(ops).toEqual({ role: 'admin', realms: 'all', selfServiceEnroll: false, groups: [], decidedBy: ['webadmin-ops'] });
    } finally {
      await slapd.start();
    }
  });

  it('a directory that never answers: the grant comes within the lookup time, self-service only', async () => {
    const access = new WebAccess({ directory: directoryOn(`ldap://127.0.0.1:${silentPort}`), policies: () => POLICIES, lookupMs: 500 });
    const started = Date.now();
    const bob = await access.of({ username: 'bob', realm: 'corp' }, CLIENT);
    const took = Date.now() - started;
    expect(bob).toMatchObject({ role: 'user', groups: [], decidedBy: [] });
    expect(bob.directoryError).toBeDefined();
    expect(took).toBeLessThan(1_500);
  });
});
