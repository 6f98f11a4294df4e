// Migration 0025: the web UI's sessions (@fastify/session's store), kept in the store so that
// every node of a site knows a session signed in on another, and a restart signs nobody out.
// The id is the HMAC-SHA256 of the session id (src/app/web-sessions.ts), never the id itself:
// a dump of the store takes over no session.
import type { Migration } from './migration.js';

export const MIGRATIONS_0025: Migration[] = [
  {
    name: '0025_web_sessions',
    async up(knex) {
      await knex.schema.createTable('web_sessions', (t) => {
        t.string('id', 64).primary(); // hex HMAC-SHA256 of the session id
        t.bigInteger('expires_at').notNullable().index('web_sessions_expires_at');
        t.text('data').notNullable(); // the session as JSON
      });
    },
    async down(knex) {
      await knex.schema.dropTable('web_sessions');
    },
  },
];
