// Migration 0023_userstore_groups on a store that has user stores already: an `ad` one reads
// memberOf from then on, any other reads no groups; down takes the columns away again. On
// SQLite and on the real PostgreSQL.
import { describe, expect, it } from 'vitest';
import { migrateUpTo, openBareStore } from '../helpers/migration-steps.js';

const row = (identifier: string, preset: string) => ({
  identifier, preset, uris: '["ldap://x"]', base_dn: 'dc=x', bind_dn: 'cn=svc', bind_password: 'sealed', login_attribute: 'uid',
  search_filter: '(objectClass=*)', mobile_attribute: 'mobile', givenname_attribute: 'givenName', surname_attribute: 'sn',
  email_attribute: 'mail', created_at: 1, updated_at: 1,
});

describe.each(['sqlite', 'pg'] as const)('migration 0023_userstore_groups, %s', (kind) => {
  it('gives existing ad user stores memberOf and the others no groups; down removes the columns', async () => {
    const { knex, close } = await openBareStore(kind);
    try {
      const migration = await migrateUpTo(knex, '0023_userstore_groups');
      await knex('userstores').insert([row('dc', 'ad'), row('ldap', 'openldap'), row('own', '')]);
      await migration.up(knex);
      const rows = await knex('userstores').select('identifier', 'group_attribute', 'group_base', 'group_filter', 'nested_groups').orderBy('identifier');
      expect(rows.map((r) => ({ ...r, nested_groups: Boolean(r.nested_groups) }))).toEqual([
        { identifier: 'dc', group_attribute: 'memberOf', group_base: '', group_filter: '(&(objectClass=group)(member={dn}))', nested_groups: false },
        { identifier: 'ldap', group_attribute: '', group_base: '', group_filter: '(&(objectClass=groupOfNames)(member={dn}))', nested_groups: false },
        { identifier: 'own', group_attribute: '', group_base: '', group_filter: '(&(objectClass=groupOfNames)(member={dn}))', nested_groups: false },
      ]);
      await migration.down(knex);
      expect(await knex.schema.hasColumn('userstores', 'group_attribute')).toBe(false);
      expect(await knex('userstores').count({ n: '*' })).toEqual([{ n: kind === 'pg' ? '3' : 3 }]);
    } finally {
      await close();
    }
  });
});
