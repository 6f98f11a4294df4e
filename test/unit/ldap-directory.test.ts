// The LDAP adapter against a real slapd, in process: name forms and realms, escaping, the
// empty password, the cache, failover and rebuilt connections.
import { Client } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DirectoryUnavailable } from '../../src/core/errors.js';
import { LdapDirectory, type DirectorySnapshot } from '../../src/directory/directory.js';
import { PRESET_VALUES } from '../../src/directory/presets.js';
import { RealmNameDirectory } from '../../src/directory/realm-names.js';
import type { UserStoreDefinition } from '../../src/store/userstores.js';
import { freeTcpPort } from '../helpers/daemon.js';
import { BASE_DN, PEOPLE_DN, SERVICE_DN, SERVICE_PASSWORD, startSlapd, type Slapd } from '../helpers/slapd.js';

describe('LDAP user directory on slapd', () => {
  let slapd: Slapd;
  let down: string;
  let now = 1_000_000;
  let cacheMs = 60_000;
  let snapshot: DirectorySnapshot;
  let directory: LdapDirectory;

  const corp = (uris: string[]): UserStoreDefinition => ({
    identifier: 'corp',
    preset: 'openldap',
    uris,
    baseDn: BASE_DN,
    bindDn: SERVICE_DN,
    bindPassword: SERVICE_PASSWORD,
    // mail stands in for AD's userPrincipalName: alice.l@example.org finds alice.
    attributes: { ...PRESET_VALUES.openldap.attributes, upn: 'mail' },
    searchFilter: PRESET_VALUES.openldap.searchFilter,
    starttls: false,
    caFile: null,
    timeout: 2,
    groups: { attribute: '', base: '', filter: PRESET_VALUES.openldap.groups.filter, nested: false },
  });

  beforeAll(async () => {
    slapd = await startSlapd([
      { uid: 'alice', password: 'alice-pw', givenName: 'Alice', sn: 'Liddell', mobile: ['+4917011111', '+4917022222'], mail: 'alice.l@example.org' },
      { uid: 'bob', password: 'bob-pw', sn: 'Builder' },
      { uid: '*', password: 'star-pw', sn: 'Star' },
    ]);
    down = `ldap://127.0.0.1:${await freeTcpPort()}`;
    snapshot = {
      revision: '1',
      userstores: [corp([down, slapd.uri])],
      realms: [
        { name: 'example', userstore: 'corp', isDefault: true },
        { name: 'example.com', userstore: 'corp', isDefault: false },
      ],
    };
    directory = new LdapDirectory({ snapshot: () => snapshot, fallback: new RealmNameDirectory(), cacheMs: () => cacheMs, now: () => now });
  });
  afterAll(async () => {
    await directory?.close();
    await slapd?.stop();
  });

  it('maps user, USER, REALM\\user, user@realm and a UPN to the directory’s name in a realm; the first URI down costs nothing', async () => {
    expect((await directory.candidates('alice'))[0]).toEqual({ username: 'alice', realm: 'example' });
    expect((await directory.candidates('ALICE'))[0]).toEqual({ username: 'alice', realm: 'example' });
    expect((await directory.candidates('EXAMPLE\\Alice'))[0]).toEqual({ username: 'alice', realm: 'example' });
    expect((await directory.candidates('alice@Example.COM'))[0]).toEqual({ username: 'alice', realm: 'example.com' });
    expect((await directory.candidates('alice.l@example.org'))[0]).toEqual({ username: 'alice', realm: 'example' });
    // Unknown domain prefix: nobody of ours; the legacy whole-name candidate stays last.
    expect(await directory.candidates('OTHER\\alice')).toEqual([{ username: 'OTHER\\alice', realm: '' }]);
    expect(await directory.lookup('alice', 'example')).toEqual({
      username: 'alice', realm: 'example', dn: `uid=alice,${PEOPLE_DN}`, givenname: 'Alice', surname: 'Liddell', email: 'alice.l@example.org', mobile: '+4917011111',
    });
  });

  it('takes a user name as a value only: *, )(uid=*, \\2a find nobody (the entry named "*" only by its own name)', async () => {
    for (const name of ['al*', '*)(uid=*', 'alice)(|(uid=*', '\\2a', 'a\\2a', '(uid=alice)']) {
      expect(await directory.lookup(name, 'example'), name).toBeUndefined();
      expect(await directory.checkPassword(name, 'example', 'alice-pw'), name).toBe(false);
    }
    expect((await directory.lookup('*', 'example'))?.surname).toBe('Star');
  });

  it('never sends an empty password, which the server would take for an anonymous bind', async () => {
    const anonymous = new Client({ url: slapd.uri });
    await anonymous.bind(`uid=alice,${PEOPLE_DN}`, ''); // what a naive check would call success
    await anonymous.unbind();
    expect(await directory.checkPassword('alice', 'example', '')).toBe(false);
    expect(await directory.checkPassword('alice', 'example', 'wrong')).toBe(false);
    expect(await directory.checkPassword('alice', 'example', 'alice-pw')).toBe(true);
    expect(await directory.checkPassword('nobody', 'example', 'alice-pw')).toBe(false);
  });

  it('sees a changed attribute once the cache time has passed, not before; 0 turns the cache off', async () => {
    expect((await directory.lookup('bob', 'example'))?.mobile).toBeUndefined();
    await slapd.modify('bob', { mobile: '+4930123' });
    expect((await directory.lookup('bob', 'example'))?.mobile).toBeUndefined();
    now += cacheMs + 1;
    expect((await directory.lookup('bob', 'example'))?.mobile).toBe('+4930123');
    cacheMs = 0;
    await slapd.modify('bob', { mobile: '+4930999' });
    expect((await directory.lookup('bob', 'example'))?.mobile).toBe('+4930999');
  });

  it('both servers down: DirectoryUnavailable naming each; back up: the connection is rebuilt', async () => {
    await slapd.stop();
    const err = await directory.lookup('carol', 'example').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DirectoryUnavailable);
    expect((err as Error).message).toMatch(/^user store corp: no directory server answered: ldap:\/\/127\.0\.0\.1:\d+: connection refused \(ECONNREFUSED\).*; ldap:\/\/127\.0\.0\.1:\d+: /);
    await expect(directory.checkPassword('alice', 'example', 'alice-pw')).rejects.toThrow(DirectoryUnavailable);
    await slapd.start();
    expect((await directory.lookup('alice', 'example'))?.givenname).toBe('Alice');
    expect(await directory.checkPassword('alice', 'example', 'alice-pw')).toBe(true);
  });

  it('a server that accepts but never answers costs the user store timeout, then the next one answers', async () => {
    const net = await import('node:net');
    const silent = net.createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as import('node:net').AddressInfo).port;
    snapshot = { ...snapshot, revision: '2', userstores: [corp([`ldap://127.0.0.1:${port}`, slapd.uri])] };
    const started = Date.now();
    expect((await directory.lookup('alice', 'example'))?.username).toBe('alice');
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(1900);
    expect(took).toBeLessThan(4000);
    silent.close();
  });
});
