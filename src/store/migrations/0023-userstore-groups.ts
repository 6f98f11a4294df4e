// Migration 0023: where a user store reads group membership (src/directory/definition.ts,
// UserStoreGroups). Existing user stores get their preset's source, frozen here as it was
// when this migration was written: Active Directory's memberOf comes with the user's entry
// (no extra search); OpenLDAP's group search is off until a --group-base is given.
import type { Migration } from './migration.js';

const COLUMNS = ['group_attribute', 'group_base', 'group_filter', 'nested_groups'];

export const MIGRATIONS_0023: Migration[] = [
  {
    name: '0023_userstore_groups',
    async up(knex) {
      await knex.schema.alterTable('userstores', (t) => {
        t.text('group_attribute').notNullable().defaultTo(''); // '' reads none
        t.text('group_base').notNullable().defaultTo(''); // '' searches none
        t.text('group_filter').notNullable().defaultTo('(&(objectClass=groupOfNames)(member={dn}))');
        t.boolean('nested_groups').notNullable().defaultTo(false);
      });
      await knex('userstores').where({ preset: 'ad' }).update({ group_attribute: 'memberOf', group_filter: '(&(objectClass=group)(member={dn}))' });
    },
    async down(knex) {
      await knex.schema.alterTable('userstores', (t) => {
        for (const column of COLUMNS) t.dropColumn(column);
      });
    },
  },
];
