// Migration 0022: the policies (issue 21). One row per policy; its actions and conditions as
// JSON text (small, read whole by every daemon at each configuration revision, never queried
// by their content). The same SQL on SQLite and PostgreSQL.
import type { Migration } from './migration.js';

export const MIGRATIONS_0022: Migration[] = [
  {
    name: '0022_policies',
    async up(knex) {
      await knex.schema.createTable('policies', (t) => {
        t.string('name', 64).primary();
        t.string('scope', 16).notNullable(); // authentication | authorization
        t.text('actions').notNullable(); // JSON: [{"key":"otppin","value":"userstore"}, ...]
        t.text('conditions').notNullable(); // JSON: {"realm":["corp"],"client":["10.0.0.0/8"], ...}
        t.integer('priority').notNullable(); // lower wins
        t.boolean('active').notNullable().defaultTo(true);
        t.bigInteger('created_at').notNullable();
        t.bigInteger('updated_at').notNullable();
      });
    },
    async down(knex) {
      await knex.schema.dropTableIfExists('policies');
    },
  },
];
