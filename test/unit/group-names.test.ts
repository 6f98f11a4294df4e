// Group names from DNs (RFC 4514 escapes, RFC 2253 quotes, multi-valued RDNs), the group
// filter with the user's DN as an escaped value, and the group options a user store gets from
// what the operator gave and its preset.
import { describe, expect, it } from 'vitest';
import { groupNameOfDn } from '../../src/directory/dn.js';
import { groupFilter, NESTED_GROUP_FILTER, resolveGroups } from '../../src/directory/group-parameters.js';

describe('group name of a DN', () => {
  it.each([
    ['CN=vpn-admins,OU=Groups,DC=example,DC=com', 'vpn-admins'],
    ['cn=Sales\\, Berlin,ou=groups,dc=example,dc=com', 'Sales, Berlin'],
    ['CN=R\\26D,OU=Groups,DC=example,DC=com', 'R&D'],
    ['CN=M\\C3\\BCnchen,OU=Groups,DC=example,DC=com', 'München'],
    ['CN=München Team,OU=Groups,DC=example,DC=com', 'München Team'],
    ['CN=\\#hash\\+plus\\;semi\\"quote\\\\back,DC=x', '#hash+plus;semi"quote\\back'],
    ['CN=trailing\\ ,DC=x', 'trailing '],
    ['CN=spaces before the comma   , DC=x', 'spaces before the comma'],
    ['CN="Quoted, Name",DC=x', 'Quoted, Name'],
    ['ou=Staff+cn=Ops Team,dc=x', 'Ops Team'],
    ['uid=admins,ou=groups,dc=x', 'admins'],
    ['CN=emoji 😀 team,DC=x', 'emoji 😀 team'],
  ])('%s → %s', (dn, name) => {
    expect(groupNameOfDn(dn)).toBe(name);
  });

  it.each(['', 'no equals sign', '=value,dc=x', 'cn=,dc=x', 'cn=dangling\\', 'cn="unclosed,dc=x', 'c n=x,dc=y'])('%j does not parse', (dn) => {
    expect(groupNameOfDn(dn)).toBeUndefined();
  });
});

describe('group filter', () => {
  it('puts the DN in as a value: wildcards, parentheses and backslashes are matched literally', () => {
    const filter = groupFilter('(&(objectClass=groupOfNames)(member={dn}))', 'uid=*)(cn=x\\,y,dc=x');
    expect(filter.toString()).toBe('(&(objectClass=groupOfNames)(member=uid=\\2a\\29\\28cn=x\\5c,y,dc=x))');
    expect(JSON.parse(JSON.stringify(filter)).filters[1]).toMatchObject({ attribute: 'member', value: 'uid=*)(cn=x\\,y,dc=x' });
  });

  it('nested groups: an extensible match with AD’s in-chain rule on member', () => {
    expect(JSON.parse(JSON.stringify(groupFilter(NESTED_GROUP_FILTER, 'CN=Alice,DC=x')))).toMatchObject({
      rule: '1.2.840.113556.1.4.1941',
      matchType: 'member',
      value: 'CN=Alice,DC=x',
    });
  });
});

describe('group options of a user store', () => {
  const base = 'dc=example,dc=com';

  it('takes the preset’s source: ad reads memberOf, openldap reads none until a --group-base is given', () => {
    expect(resolveGroups({}, 'ad', base)).toEqual({ attribute: 'memberOf', base: '', filter: '(&(objectClass=group)(member={dn}))', nested: false });
    expect(resolveGroups({}, 'openldap', base)).toEqual({ attribute: '', base: '', filter: '(&(objectClass=groupOfNames)(member={dn}))', nested: false });
    expect(resolveGroups({ base: 'ou=groups,dc=example,dc=com' }, 'openldap', base).base).toBe('ou=groups,dc=example,dc=com');
    expect(resolveGroups({ attribute: '' }, 'ad', base).attribute).toBe('');
  });

  it('--nested-groups: the in-chain filter, under --group-base or else the base DN', () => {
    expect(resolveGroups({ nested: true }, 'ad', base)).toEqual({ attribute: 'memberOf', base, filter: NESTED_GROUP_FILTER, nested: true });
    expect(resolveGroups({ nested: true, base: 'OU=Groups,DC=x' }, 'ad', base).base).toBe('OU=Groups,DC=x');
  });

  it.each([
    [{ base: 'ou=g', filter: '(objectClass=groupOfNames)' }, /does not contain \{dn\}/],
    [{ base: 'ou=g', filter: '(member={dn}' }, /is not an LDAP filter/],
    [{ filter: '(member={dn})' }, /give --group-base DN too/],
    [{ nested: true, filter: '(member={dn})' }, /give --nested-groups or --group-filter, not both/],
    [{ attribute: 'member of' }, /is not an LDAP attribute name/],
  ])('refuses %j', (request, message) => {
    expect(() => resolveGroups(request, 'openldap', base)).toThrow(message);
  });
});
