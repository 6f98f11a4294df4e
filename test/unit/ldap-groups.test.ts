// Directory groups against a real slapd, in process: the group search (groupOfNames, member =
// the user's DN escaped per RFC 4515), memberOf read with the user (slapd's memberof overlay
// standing in for Active Directory), nested groups (AD's in-chain rule, which slapd does not
// know), the cache (one group search per login), a group base that does not exist, and the
// login's deadline.
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DirectoryUnavailable, RequestShed } from '../../src/core/errors.js';
import type { UserStoreDefinition, UserStoreGroups } from '../../src/directory/definition.js';
import { LdapDirectory } from '../../src/directory/directory.js';
import { NESTED_GROUP_FILTER } from '../../src/directory/group-parameters.js';
import { PRESET_VALUES } from '../../src/directory/presets.js';
import { RealmNameDirectory } from '../../src/directory/realm-names.js';
import { BASE_DN, GROUPS_DN, groupDn, personDn, SERVICE_DN, SERVICE_PASSWORD, startSlapd, type Slapd } from '../helpers/slapd.js';

const SEARCH: UserStoreGroups = { attribute: '', base: GROUPS_DN, filter: PRESET_VALUES.openldap.groups.filter, nested: false };

describe('directory groups on slapd', () => {
  let slapd: Slapd;
  let now = 1_000_000;
  let cacheMs = 60_000;
  const directories: LdapDirectory[] = [];

  /** A directory whose one user store `corp` (default realm example) reads groups as `groups` says. */
  const directoryWith = (groups: UserStoreGroups, uri = slapd.uri): LdapDirectory => {
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
      groups,
    };
    const snapshot = { revision: '1', userstores: [corp], realms: [{ name: 'example', userstore: 'corp', isDefault: true }] };
    const directory = new LdapDirectory({ snapshot: () => snapshot, fallback: new RealmNameDirectory(), cacheMs: () => cacheMs, now: () => now });
    directories.push(directory);
    return directory;
  };
  /** The group searches slapd logged since `from` (stats: one SRCH line per search, with its filter). */
  const groupSearches = (from: number) =>
    slapd
      .output()
      .slice(from)
      .split('\n')
      .filter((l) => / SRCH base="ou=groups,dc=example,dc=com"/.test(l));

  /**
   * The group searches slapd has logged since `from`, once `expected` are there (slapd writes
   * its log a moment after it answers) and a little longer, so that one too many shows.
   */
  const searchesLogged = async (from: number, expected: number) => {
    for (let waited = 0; groupSearches(from).length < expected && waited < 5_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 200));
    return groupSearches(from);
  };

  beforeAll(async () => {
    slapd = await startSlapd(
      [
        { uid: 'alice', password: 'alice-pw', sn: 'Liddell' },
        { uid: 'bob', password: 'bob-pw', sn: 'Builder' },
        { uid: '*', password: 'star-pw', sn: 'Star' },
        { uid: 'carol', password: 'carol-pw', sn: 'Nogroups' },
      ],
      {
        memberOf: true,
        stats: true,
        groups: [
          { cn: 'vpn-admins', members: [personDn('alice')] },
          { cn: 'Sales, Berlin', members: [personDn('alice'), personDn('bob')] },
          { cn: 'staff', members: [groupDn('vpn-admins'), personDn('bob')] },
          { cn: 'stars', members: [personDn('*')] },
        ],
      },
    );
  });
  afterAll(async () => {
    await Promise.all(directories.map((d) => d.close()));
    await slapd?.stop();
  });

  it('group search: the cn of every groupOfNames naming the user; none for a user in no group', async () => {
    const directory = directoryWith(SEARCH);
    expect((await directory.lookup('alice', 'example'))?.groups).toEqual(['Sales, Berlin', 'vpn-admins']);
    expect((await directory.lookup('bob', 'example'))?.groups).toEqual(['Sales, Berlin', 'staff']);
    expect((await directory.lookup('carol', 'example'))?.groups).toEqual([]);
    expect(await directory.lookup('nobody', 'example')).toBeUndefined();
  });

  it('the DN goes into the filter as a value: uid=* finds only the group that names uid=*, not every group with a member', async () => {
    const from = slapd.output().length;
    expect((await directoryWith(SEARCH).lookup('*', 'example'))?.groups).toEqual(['stars']);
    expect((await searchesLogged(from, 1)).join('\n')).toContain('filter="(&(objectClass=groupOfNames)(member=uid=\\2A,ou=people,dc=example,dc=com))"');
  });

  it('memberOf read with the user (memberof overlay): each group DN’s cn, escaped commas included, and no search of its own', async () => {
    const from = slapd.output().length;
    const directory = directoryWith({ ...SEARCH, attribute: 'memberOf', base: '' });
    expect((await directory.lookup('alice', 'example'))?.groups).toEqual(['Sales, Berlin', 'vpn-admins']);
    expect((await directory.lookup('bob', 'example'))?.groups).toEqual(['Sales, Berlin', 'staff']);
    expect((await directory.lookup('carol', 'example'))?.groups).toEqual([]);
    expect(await searchesLogged(from, 0)).toEqual([]);
  });

  it('a user store that reads no groups gives none: groups absent, not empty', async () => {
    const user = await directoryWith({ ...SEARCH, base: '' }).lookup('alice', 'example');
    expect(user?.username).toBe('alice');
    expect(user).not.toHaveProperty('groups');
  });

  it('cached with the user: one group search for every step of a login; after cache_seconds, one more', async () => {
    const directory = directoryWith(SEARCH);
    const from = slapd.output().length;
    for (let step = 0; step < 3; step++) expect((await directory.lookup('alice', 'example'))?.groups).toContain('vpn-admins');
    expect(await searchesLogged(from, 1)).toHaveLength(1);
    // Two requests at once (a retransmission, two nodes' worth of traffic) share the search under way.
    now += 61_000;
    await Promise.all([directory.lookup('bob', 'example'), directory.lookup('bob', 'example'), directory.lookup('alice', 'example')]);
    expect(await searchesLogged(from, 3)).toHaveLength(3);
  });

  it('nested groups: the in-chain filter goes out under the group base, the DN as its value; slapd, which lacks the rule, finds none', async () => {
    // What the client sends, byte for byte: slapd logs an extensible filter it does not know as "(?=undefined)".
    const sent: Buffer[] = [];
    const proxy = net.createServer((client) => {
      const server = net.connect(slapd.port, '127.0.0.1');
      client.on('data', (chunk: Buffer) => sent.push(chunk));
      client.pipe(server).pipe(client);
      for (const s of [client, server]) s.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const port = (proxy.address() as net.AddressInfo).port;
      const directory = directoryWith({ attribute: '', base: GROUPS_DN, filter: NESTED_GROUP_FILTER, nested: true }, `ldap://127.0.0.1:${port}`);
      const from = slapd.output().length;
      // slapd evaluates an unknown matching rule as Undefined: no group matches, an answer, not an error.
      expect((await directory.lookup('alice', 'example'))?.groups).toEqual([]);
      await directory.close();
      const dn = personDn('alice');
      // RFC 4511 MatchingRuleAssertion: [1] matchingRule, [2] type, [3] matchValue (the DN, raw).
      const assertion = Buffer.concat([
        Buffer.from([0x81, 23]), Buffer.from('1.2.840.113556.1.4.1941'),
        Buffer.from([0x82, 6]), Buffer.from('member'),
        Buffer.from([0x83, dn.length]), Buffer.from(dn),
      ]);
      expect(Buffer.concat(sent).includes(Buffer.concat([Buffer.from([0xa9, assertion.length]), assertion]))).toBe(true);
      expect((await searchesLogged(from, 1)).join('\n')).toMatch(/SRCH base="ou=groups,dc=example,dc=com" scope=2 .*filter="\(\?=undefined\)"/);
    } finally {
      await new Promise((resolve) => proxy.close(resolve));
    }
  });

  it('a group base that does not exist fails the lookup closed, naming the group search and the options to correct', async () => {
    const directory = directoryWith({ ...SEARCH, base: `ou=nogroups,${BASE_DN}` });
    const failure = await directory.lookup('alice', 'example').catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(DirectoryUnavailable);
    expect((failure as Error).message).toBe(
      `user store corp: the group search under ou=nogroups,${BASE_DN} for ${personDn('alice')} failed: ` +
        "the group base does not exist (LDAP result 32, no such object); correct --group-base with 'userstore set corp ...'",
    );
    // A failure is not cached: once the base exists... (here: the same user store, asked again, asks again).
    const again = await directory.lookup('alice', 'example').catch((err: unknown) => err);
    expect(again).toBeInstanceOf(DirectoryUnavailable);
  });

  it("past the login's deadline no group search starts: the request is shed, as nobody waits for it", async () => {
    const from = slapd.output().length;
    cacheMs = 0;
    try {
      const failure = await directoryWith(SEARCH).lookup('alice', 'example', { deadline: now - 1 }).catch((err: unknown) => err);
      expect(failure).toBeInstanceOf(RequestShed);
      expect(await searchesLogged(from, 0)).toEqual([]);
    } finally {
      cacheMs = 60_000;
    }
  });
});
