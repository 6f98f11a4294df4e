// Migration 0026: a token's description, the operator's free text about it (privacyIDEA's
// token.description, which `migrate privacyidea` carries over). Not null with '' as the
// default, as every description column here: a token enrolled by a node that does not know
// the column yet (or by the login's enrollment, which does not name it) gets ''.
// The login's reads (src/store/auth/statements.ts) do not select it.
import type { Migration } from './migration.js';

export const MIGRATIONS_0026: Migration[] = [
  {
    name: '0026_token_description',
    async up(knex) {
      await knex.schema.alterTable('tokens', (t) => {
        t.text('description').notNullable().defaultTo('');
      });
    },
    async down(knex) {
      await knex.schema.alterTable('tokens', (t) => {
        t.dropColumn('description');
      });
    },
  },
];
