// `migrate privacyidea` from an LDAP resolver that names its users by objectGUID, as
// privacyIDEA's Active Directory resolvers do: the fixture of the real privacyIDEA 3.13.3 with
// resolver corpldap switched to UIDTYPE objectGUID and its owners' ids rewritten as privacyIDEA
// writes them (the GUID as UUID text, from the directory's octets in Microsoft's byte order,
// LDAPIdResolver._get_uid). Our slapd carries AD's objectGUID attribute; each owner is found
// again by its GUID, and one whose GUID nobody has is named in the report, not guessed.
import { chmodSync, cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes, randomUUID } from 'node:crypto';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDaemon, type TestDaemon } from '../helpers/daemon.js';
import { tempDir } from '../helpers/fs.js';
import { PI_FIXTURE, peopleOf } from '../helpers/pi-fixture.js';
import { BASE_DN, SERVICE_DN, SERVICE_PASSWORD, startSlapd, type Slapd } from '../helpers/slapd.js';

/** privacyIDEA's text for objectGUID octets: Python's str(uuid.UUID(bytes_le=octets)). */
function guidText(octets: Buffer): string {
  const reversed = (from: number, to: number) => Buffer.from(octets.subarray(from, to)).reverse(); // a copy: reverse() works in place
  const hex = Buffer.concat([reversed(0, 4), reversed(4, 6), reversed(6, 8), octets.subarray(8)]).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

describe('migrate privacyidea: an LDAP resolver with UIDTYPE objectGUID (Active Directory)', () => {
  let dir: string;
  let daemon: TestDaemon;
  let slapd: Slapd;
  const guids = new Map<string, string>();
  const stranger = randomUUID(); // vera's id in privacyIDEA: a GUID our directory does not have
  const args = () => ['migrate', 'privacyidea', '--db', `sqlite:///${path.join(dir, 'pi.sqlite')}`, '--encfile', path.join(dir, 'enckey'), '--pepper-file', path.join(dir, 'pi.cfg')];

  beforeAll(async () => {
    dir = tempDir('smsotp-pi-guid-');
    cpSync(PI_FIXTURE, dir, { recursive: true });
    for (const f of readdirSync(dir)) chmodSync(path.join(dir, f), 0o600);
    const people = peopleOf(readFileSync(path.join(dir, 'ldap.ldif'), 'utf8')).map((p) => ({ ...p, objectGUID: randomBytes(16) }));
    for (const p of people) guids.set(p.uid, guidText(p.objectGUID));
    const db = new Database(path.join(dir, 'pi.sqlite'));
    try {
      db.prepare(`UPDATE resolverconfig SET "Value" = 'objectGUID' WHERE "Key" = 'UIDTYPE' AND resolver_id = (SELECT id FROM resolver WHERE name = 'corpldap')`).run();
      const owners = db.prepare(`SELECT id, user_id FROM tokenowner WHERE resolver = 'corpldap'`).all() as Array<{ id: number; user_id: string }>;
      expect(owners.length).toBeGreaterThan(3);
      for (const o of owners) {
        const uid = /^uid=([^,]+),/.exec(o.user_id)![1]!;
        db.prepare('UPDATE tokenowner SET user_id = ? WHERE id = ?').run(uid === 'vera' ? stranger : guids.get(uid)!, o.id);
      }
    } finally {
      db.close();
    }
    slapd = await startSlapd(people, { objectGUID: true });
    daemon = await createDaemon();
    await daemon.ok('setting', 'set', 'sms.default_country_code', '49');
    const pw = path.join(daemon.dir, 'bind.pw');
    writeFileSync(pw, `${SERVICE_PASSWORD}\n`);
    await daemon.ok('userstore', 'set', 'corp', '--uri', slapd.uri, '--base-dn', BASE_DN, '--bind-dn', SERVICE_DN, '--bind-password-file', pw, '--preset', 'openldap');
    await daemon.ok('realm', 'set', 'corp', '--userstore', 'corp');
  }, 60_000);

  afterAll(async () => {
    await daemon?.stop();
    await slapd?.stop();
  });

  it('a dry run finds each owner by their GUID, and names the one nobody here has', async () => {
    const out = await daemon.ok(...args(), '--dry-run');
    expect(out).toMatch(/create token PISM00180EB1: tom@corp: /);
    expect(out).toMatch(/create token PISM0017EAFB: anna@corp: /);
    expect(out).toContain(`token PISM00208BD3 (sms, user ${stranger} of corpldap): nobody with objectGUID ${stranger} is in our user store of realm corp`);
  });

  it('imports the tokens under the login names the directory gives those GUIDs', async () => {
    await daemon.ok(...args());
    const owners = (JSON.parse(await daemon.ok('token', 'list', '--json')) as Array<{ serial: string; username: string; realm: string }>)
      .filter((t) => ['PISM00180EB1', 'PISM0017EAFB', 'PISM00191701', 'PISM00208BD3'].includes(t.serial))
      .map((t) => [t.serial, `${t.username}@${t.realm}`])
      .sort();
    expect(owners).toEqual([['PISM0017EAFB', 'anna@corp'], ['PISM00180EB1', 'tom@corp'], ['PISM00191701', 'uwe@corp']]);
  });
});
