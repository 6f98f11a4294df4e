// `migrate privacyidea` from LDAP resolvers that name their users by an attribute instead of
// the DN: the fixture of the real privacyIDEA 3.13.3 with resolver corpldap switched to another
// UIDTYPE and its owners' ids rewritten as privacyIDEA writes them.
// - objectGUID (Active Directory): the GUID as UUID text, from the directory's octets in
//   Microsoft's byte order (LDAPIdResolver._get_uid); our slapd carries AD's objectGUID.
// - entryUUID (OpenLDAP): the value as slapd gives it.
// Each owner is found again by that attribute; one whose id nobody has is named in the report.
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { createDaemon, type TestDaemon } from '../helpers/daemon.js';
import { tempDir } from '../helpers/fs.js';
import { PI_FIXTURE, peopleOf } from '../helpers/pi-fixture.js';
import { BASE_DN, SERVICE_DN, SERVICE_PASSWORD, startSlapd, type LdapPerson, type Slapd } from '../helpers/slapd.js';

/** privacyIDEA's text for objectGUID octets: Python's str(uuid.UUID(bytes_le=octets)). */
function guidText(octets: Buffer): string {
  const reversed = (from: number, to: number) => Buffer.from(octets.subarray(from, to)).reverse(); // a copy: reverse() works in place
  const hex = Buffer.concat([reversed(0, 4), reversed(4, 6), reversed(6, 8), octets.subarray(8)]).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The entryUUID slapd gave each person, by uid. */
function entryUuids(slapd: Slapd): Map<string, string> {
  const out = execFileSync('ldapsearch', ['-LLL', '-x', '-H', slapd.uri, '-D', SERVICE_DN, '-w', SERVICE_PASSWORD, '-b', BASE_DN, '(uid=*)', 'uid', 'entryUUID']).toString();
  return new Map(out.split(/\n\s*\n/).flatMap((entry) => {
    const uid = /^uid: (.+)$/m.exec(entry)?.[1];
    const uuid = /^entryUUID: (.+)$/m.exec(entry)?.[1];
    return uid && uuid ? [[uid, uuid] as const] : [];
  }));
}

/** Owners' ids of resolver corpldap rewritten by `idOf` (uid → id), its UIDTYPE set to `uidType`. */
function rewriteOwners(piDb: string, uidType: string, idOf: (uid: string) => string): void {
  const db = new Database(piDb);
  try {
    db.prepare(`UPDATE resolverconfig SET "Value" = ? WHERE "Key" = 'UIDTYPE' AND resolver_id = (SELECT id FROM resolver WHERE name = 'corpldap')`).run(uidType);
    const owners = db.prepare(`SELECT id, user_id FROM tokenowner WHERE resolver = 'corpldap'`).all() as Array<{ id: number; user_id: string }>;
    expect(owners.length).toBeGreaterThan(3);
    for (const o of owners) db.prepare('UPDATE tokenowner SET user_id = ? WHERE id = ?').run(idOf(/^uid=([^,]+),/.exec(o.user_id)![1]!), o.id);
  } finally {
    db.close();
  }
}

describe.each([
  { uidType: 'objectGUID', objectGUID: true },
  { uidType: 'entryUUID', objectGUID: false },
])('migrate privacyidea: an LDAP resolver with UIDTYPE $uidType', ({ uidType, objectGUID }) => {
  let dir: string;
  let daemon: TestDaemon;
  let slapd: Slapd;
  const stranger = randomUUID(); // vera's id in privacyIDEA: one our directory does not have
  const args = () => ['migrate', 'privacyidea', '--db', `sqlite:///${path.join(dir, 'pi.sqlite')}`, '--encfile', path.join(dir, 'enckey'), '--pepper-file', path.join(dir, 'pi.cfg')];

  afterAll(async () => {
    await daemon?.stop();
    await slapd?.stop();
  });

  it('a dry run finds each owner by that attribute, and names the one nobody here has', async () => {
    dir = tempDir('smsotp-pi-uidtype-');
    cpSync(PI_FIXTURE, dir, { recursive: true });
    for (const f of readdirSync(dir)) chmodSync(path.join(dir, f), 0o600);
    const people: LdapPerson[] = peopleOf(readFileSync(path.join(dir, 'ldap.ldif'), 'utf8')).map((p) => (objectGUID ? { ...p, objectGUID: randomBytes(16) } : p));
    slapd = await startSlapd(people, { objectGUID });
    const ids = objectGUID ? new Map(people.map((p) => [p.uid, guidText(p.objectGUID!)])) : entryUuids(slapd);
    rewriteOwners(path.join(dir, 'pi.sqlite'), uidType, (uid) => (uid === 'vera' ? stranger : ids.get(uid)!));
    daemon = await createDaemon();
    await daemon.ok('setting', 'set', 'sms.default_country_code', '49');
    const pw = path.join(daemon.dir, 'bind.pw');
    writeFileSync(pw, `${SERVICE_PASSWORD}\n`);
    await daemon.ok('userstore', 'set', 'corp', '--uri', slapd.uri, '--base-dn', BASE_DN, '--bind-dn', SERVICE_DN, '--bind-password-file', pw, '--preset', 'openldap');
    await daemon.ok('realm', 'set', 'corp', '--userstore', 'corp');

    const out = await daemon.ok(...args(), '--dry-run');
    expect(out).toMatch(/create token PISM00180EB1: tom@corp: /);
    expect(out).toMatch(/create token PISM0017EAFB: anna@corp: /);
    expect(out).toContain(`token PISM00208BD3 (sms, user ${stranger} of corpldap): nobody with ${uidType} ${stranger} is in our user store of realm corp`);
  }, 60_000);

  it('imports the tokens under the login names the directory gives those ids', async () => {
    await daemon.ok(...args());
    const owners = (JSON.parse(await daemon.ok('token', 'list', '--json')) as Array<{ serial: string; username: string; realm: string }>)
      .filter((t) => ['PISM00180EB1', 'PISM0017EAFB', 'PISM00191701', 'PISM00208BD3'].includes(t.serial))
      .map((t) => [t.serial, `${t.username}@${t.realm}`])
      .sort();
    expect(owners).toEqual([['PISM0017EAFB', 'anna@corp'], ['PISM00180EB1', 'tom@corp'], ['PISM00191701', 'uwe@corp']]);
  });
});
