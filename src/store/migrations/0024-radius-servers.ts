// Migration 0024: the RADIUS servers logins without a token may be forwarded to
// (passthru=radius:NAME, for a migration from an old OTP server). The secret is sealed
// with the key file like every other secret (context radius_server:NAME:secret).
import type { Migration } from './migration.js';

export const MIGRATIONS_0024: Migration[] = [
  {
    name: '0024_radius_servers',
    async up(knex) {
      await knex.schema.createTable('radius_servers', (t) => {
        t.increments('id');
        t.string('identifier', 64).notNullable().unique();
        t.text('description').notNullable().defaultTo('');
        t.string('host', 255).notNullable();
        t.integer('port').notNullable();
        t.text('secret').notNullable(); // sealed
        t.integer('timeout_ms').notNullable();
        t.boolean('require_message_authenticator').notNullable().defaultTo(true);
        t.bigInteger('created_at').notNullable();
        t.bigInteger('updated_at').notNullable();
      });
    },
    async down(knex) {
      await knex.schema.dropTable('radius_servers');
    },
  },
];
