// Migration 0020 in a file of its own (migrations.ts is long enough): the accounting sessions.
import type { Migration } from './migrations.js';

// Accounting (RFC 2866): one row per session of a NAS (client name, Acct-Session-Id),
// written by Start, Interim-Update and Stop on the login store's connections (answered
// once durable), listed by `session list` and GET /session/, removed with the audit's
// retention by updated_at. The same SQL on SQLite and PostgreSQL.
export const ACCOUNTING_SESSIONS_0020: Migration = {
  name: '0020_accounting_sessions',
  async up(knex) {
    await knex.schema.createTable('accounting_sessions', (t) => {
      t.increments('id');
      t.string('client', 255).notNullable(); // the RADIUS client's name in the configuration
      t.text('session_id').notNullable(); // Acct-Session-Id (text: a NAS's bytes that are not UTF-8 are kept as hex)
      t.text('username').notNullable().defaultTo('');
      t.string('nas_ip_address', 45).notNullable().defaultTo('');
      t.text('nas_identifier').notNullable().defaultTo('');
      t.string('framed_ip_address', 45).notNullable().defaultTo('');
      t.text('calling_station_id').notNullable().defaultTo('');
      t.string('status', 8).notNullable(); // the last event: start | interim | stop | on | off
      t.bigInteger('started_at').nullable();
      t.bigInteger('updated_at').notNullable();
      t.bigInteger('stopped_at').nullable(); // NULL while the session is open
      t.bigInteger('session_time').nullable(); // seconds
      t.bigInteger('input_octets').nullable(); // with Acct-Input-Gigawords folded in
      t.bigInteger('output_octets').nullable();
      t.string('terminate_cause', 32).notNullable().defaultTo('');
      t.unique(['client', 'session_id']);
      t.index(['updated_at']);
      t.index(['username']);
    });
  },
  async down(knex) {
    await knex.schema.dropTableIfExists('accounting_sessions');
  },
};
