// Migrations 0017-0021: the guarded fail counter, the SMS limit refund (there is no 0018),
// the accounting sessions, and the guarded fail counter on the tokens' index.
import type { Migration } from './migration.js';
import { PG_HISTORY } from './pg-history.js';

export const MIGRATIONS_0017_0020: Migration[] = [
  {
    // The fail counter holds under concurrent guesses (issue 18): PostgreSQL's write function
    // checks failcount < maxfail in the same statement or row lock as each write of a login
    // (its text: ./pg-history.ts; the live form: src/store/auth/pg-steps.ts). SQLite's statements (src/store/auth/statements.ts) need
    // no schema change.
    name: '0017_guarded_failcount',
    async up(knex) {
      if (knex.client.config.client !== 'pg') return;
      await knex.raw(PG_HISTORY.apply_unit_0017);
    },
    async down(knex) {
      if (knex.client.config.client !== 'pg') return;
      await knex.raw(PG_HISTORY.apply_unit_0011);
    },
  },
  {
    // An SMS that surely reached no gateway (refused, never
    // connected) is not counted against the SMS limits, so the count is taken back after the
    // send fails (RateLimiter.refund). To take it back from the very window it was counted in
    // (not from a window that began since), the check-and-count now also says each window's end.
    // PostgreSQL's function only: SQLite counts with statements in its batch transaction, and
    // the refund itself is one UPDATE on both. The function is otherwise 0014's; `down` restores it.
    name: '0019_sms_limit_refund',
    async up(knex) {
      if (knex.client.config.client === 'pg') await knex.raw(PG_HISTORY.consume_limits_0019);
    },
    async down(knex) {
      if (knex.client.config.client === 'pg') await knex.raw(PG_HISTORY.consume_limits_0019_down);
    },
  },
  {
    // Accounting (RFC 2866): one row per session of a NAS (client name, Acct-Session-Id),
    // written by Start, Interim-Update and Stop on the login store's connections (answered
    // once durable), listed by `session list` and GET /session/, removed with the audit's
    // retention by updated_at. The same SQL on SQLite and PostgreSQL.
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
  },
  {
    // The token guards of 0017 (checkUnlocked, recordFailure, the locked list) looked the
    // tokens up by a semi join that PostgreSQL planned as a sequential scan of the whole tokens
    // table per step: round 2 cost 1.1 ms of database CPU at 5 000 tokens. `= ANY (ARRAY(...))`
    // uses the primary key. The live text: src/store/auth/pg-steps.ts.
    name: '0021_indexed_token_guards',
    async up(knex) {
      if (knex.client.config.client === 'pg') await knex.raw(PG_HISTORY.apply_unit_0021);
    },
    async down(knex) {
      if (knex.client.config.client === 'pg') await knex.raw(PG_HISTORY.apply_unit_0017);
    },
  },
];
