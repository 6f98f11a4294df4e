// The fixture a real privacyIDEA 3.13.3 made (test/fixtures/privacyidea-3.13): where it is, and
// the people of its LDAP resolver corpldap (ldap.ldif) as our slapd takes them.
import path from 'node:path';
import type { LdapPerson } from './slapd.js';

export const PI_FIXTURE = path.resolve(import.meta.dirname, '../fixtures/privacyidea-3.13');

/** The people of the fixture's ldap.ldif (privacyIDEA's LDAP resolver corpldap), for our slapd. */
export function peopleOf(ldif: string): LdapPerson[] {
  return ldif.split(/\n\s*\n/).flatMap((entry) => {
    const values = (name: string) => [...entry.matchAll(new RegExp(`^${name}: (.*)$`, 'gm'))].map((m) => m[1]!);
    const uid = values('uid')[0];
    if (!uid) return [];
    return [{ uid, sn: values('sn')[0] ?? uid, givenName: values('givenName')[0], mail: values('mail')[0], password: values('userPassword')[0], mobile: values('mobile') }];
  });
}
