// Migrations 0001-0008: the first schema, the PostgreSQL write function (0005), realms in lower
// case, the audit's context, user stores and realms. DDL and data moves here; the PL/pgSQL
// texts they run are frozen in ./pg-history.ts.
import { normaliseRealm } from '../../core/names.js';
import type { Migration } from './migration.js';
import { PG_HISTORY } from './pg-history.js';

export const MIGRATIONS_0001_0008: Migration[] = [
  {
    name: '0001_initial',
    async up(knex) {
      await knex.schema.createTable('tokens', (t) => {
        t.increments('id');
        t.string('serial', 40).notNullable().unique();
        t.string('tokentype', 16).notNullable().defaultTo('sms');
        t.string('username', 255).notNullable();
        t.string('realm', 255).notNullable().defaultTo('');
        t.string('phone', 255).notNullable();
        t.string('gateway', 64).nullable();
        t.text('otpkey').notNullable(); // sealed by the key file
        t.string('hashlib', 8).notNullable().defaultTo('sha1');
        t.integer('otplen').notNullable().defaultTo(6);
        t.integer('counter').notNullable().defaultTo(0);
        t.integer('count_window').notNullable().defaultTo(10);
        t.text('pin_hash').notNullable();
        t.boolean('active').notNullable().defaultTo(true);
        t.integer('failcount').notNullable().defaultTo(0);
        t.integer('maxfail').notNullable().defaultTo(10);
        t.bigInteger('last_fail_at').nullable();
        t.bigInteger('created_at').notNullable();
        t.bigInteger('updated_at').notNullable();
        t.index(['username', 'realm']);
      });
      await knex.schema.createTable('challenges', (t) => {
        t.increments('id');
        t.string('transaction_id', 64).notNullable();
        t.string('serial', 40).notNullable().references('serial').inTable('tokens').onDelete('CASCADE');
        t.integer('counter').notNullable(); // the HOTP counter whose OTP was sent
        t.string('username', 255).notNullable();
        t.string('realm', 255).notNullable().defaultTo('');
        t.string('client', 255).notNullable();
        t.integer('received_count').notNullable().defaultTo(0);
        t.bigInteger('created_at').notNullable();
        t.bigInteger('expires_at').notNullable();
        t.unique(['transaction_id', 'serial']);
        t.index(['expires_at']);
      });
      await knex.schema.createTable('sms_gateways', (t) => {
        t.increments('id');
        t.string('identifier', 64).notNullable().unique();
        t.text('description').notNullable().defaultTo('');
        t.string('module', 32).notNullable();
        t.bigInteger('created_at').notNullable();
        t.bigInteger('updated_at').notNullable();
      });
      await knex.schema.createTable('sms_gateway_options', (t) => {
        t.integer('gateway_id').notNullable().references('id').inTable('sms_gateways').onDelete('CASCADE');
        t.string('kind', 8).notNullable(); // 'option' | 'header'
        t.string('key', 255).notNullable();
        t.text('value').notNullable();
        t.boolean('sealed').notNullable().defaultTo(false);
        t.primary(['gateway_id', 'kind', 'key']);
      });
      await knex.schema.createTable('smtp_servers', (t) => {
        t.increments('id');
        t.string('identifier', 64).notNullable().unique();
        t.text('description').notNullable().defaultTo('');
        t.string('server', 255).notNullable();
        t.integer('port').notNullable().defaultTo(25);
        t.string('username', 255).nullable();
        t.text('password').nullable(); // sealed
        t.string('sender', 255).nullable();
        t.boolean('tls').notNullable().defaultTo(false);
        t.integer('timeout').notNullable().defaultTo(10);
        t.bigInteger('created_at').notNullable();
        t.bigInteger('updated_at').notNullable();
      });
      await knex.schema.createTable('settings', (t) => {
        t.string('key', 255).primary();
        t.text('value').notNullable();
        t.bigInteger('updated_at').notNullable();
      });
      await knex.schema.createTable('audit', (t) => {
        t.bigIncrements('id');
        t.bigInteger('at').notNullable();
        t.string('action', 16).notNullable(); // accept | challenge | reject
        t.string('username', 255).notNullable();
        t.string('realm', 255).notNullable().defaultTo('');
        t.string('client', 255).notNullable();
        t.string('client_address', 64).notNullable().defaultTo('');
        t.text('serials').notNullable().defaultTo('');
        t.text('reason').notNullable().defaultTo('');
        t.index(['at']);
        t.index(['username', 'at']);
      });
    },
    async down(knex) {
      for (const table of ['audit', 'settings', 'smtp_servers', 'sms_gateway_options', 'sms_gateways', 'challenges', 'tokens']) {
        await knex.schema.dropTableIfExists(table);
      }
    },
  },
  {
    // One sealed canary value per store: a node whose key file differs finds out at start.
    name: '0002_store_meta',
    async up(knex) {
      await knex.schema.createTable('store_meta', (t) => {
        t.string('key', 64).primary();
        t.text('value').notNullable();
      });
    },
    async down(knex) {
      await knex.schema.dropTableIfExists('store_meta');
    },
  },
  {
    // A private CA for SMTP servers whose certificate no public CA signed.
    name: '0003_smtp_ca_file',
    async up(knex) {
      await knex.schema.alterTable('smtp_servers', (t) => {
        t.text('ca_file').nullable();
      });
    },
    async down(knex) {
      await knex.schema.alterTable('smtp_servers', (t) => {
        t.dropColumn('ca_file');
      });
    },
  },
  {
    // lost-race detection (the OTP just accepted, sent again) and the configuration revision
    // that daemons poll to refresh what they keep in memory.
    name: '0004_engine',
    async up(knex) {
      await knex.schema.alterTable('tokens', (t) => {
        t.bigInteger('last_auth_at').nullable();
      });
      await knex('store_meta').insert({ key: 'config_revision', value: '0' }).onConflict('key').ignore();
    },
    async down(knex) {
      await knex.schema.alterTable('tokens', (t) => {
        t.dropColumn('last_auth_at');
      });
      await knex('store_meta').where({ key: 'config_revision' }).delete();
    },
  },
  {
    // PostgreSQL only: requests' writes in one round trip and one commit. The same steps as
    // src/store/auth/unit.ts (which SQLite runs in-process); the domain tests run on both.
    name: '0005_pg_apply_unit',
    async up(knex) {
      if (knex.client.config.client !== 'pg') return;
      await knex.raw(PG_HISTORY.apply_unit_0005);
    },
    async down(knex) {
      if (knex.client.config.client !== 'pg') return;
      await knex.raw('DROP FUNCTION IF EXISTS sms_otp_apply_units(jsonb)');
      await knex.raw('DROP FUNCTION IF EXISTS sms_otp_apply_unit(jsonb)');
    },
  },
  {
    // Realms compare without case from now on, kept in lower case (src/core/names.ts). The
    // new case is computed here, not by SQL lower(), which differs between SQLite (ASCII only)
    // and PostgreSQL (locale): the rows must match what the daemon looks up. Audit rows keep
    // what was recorded. Not reversible: the old case is gone (down does nothing).
    name: '0006_realm_lowercase',
    async up(knex) {
      for (const table of ['tokens', 'challenges']) {
        const realms: Array<{ realm: string }> = await knex(table).distinct('realm');
        for (const { realm } of realms) {
          const lower = normaliseRealm(realm);
          if (lower !== realm) await knex(table).where({ realm }).update({ realm: lower });
        }
      }
    },
    async down() {},
  },
  {
    // Who and what around a decision: the gateway and redacted number of the SMS, and what the
    // NAS said of the session. Text columns: a NAS decides their length, and several tokens
    // of one login list several gateways and numbers.
    name: '0007_audit_context',
    async up(knex) {
      await knex.schema.alterTable('audit', (t) => {
        t.text('gateway').notNullable().defaultTo('');
        t.text('phone').notNullable().defaultTo('');
        t.text('calling_station_id').notNullable().defaultTo('');
        t.text('nas_ip_address').notNullable().defaultTo('');
        t.text('nas_identifier').notNullable().defaultTo('');
      });
      if (knex.client.config.client !== 'pg') return;
      await knex.raw(PG_HISTORY.insert_audit_0007);
      await knex.raw(PG_HISTORY.apply_unit_0007);
    },
    async down(knex) {
      if (knex.client.config.client === 'pg') {
        await knex.raw(PG_HISTORY.apply_unit_0005);
        await knex.raw('DROP FUNCTION IF EXISTS sms_otp_insert_audit(jsonb)');
      }
      await knex.schema.alterTable('audit', (t) => {
        for (const column of ['gateway', 'phone', 'calling_station_id', 'nas_ip_address', 'nas_identifier']) t.dropColumn(column);
      });
    },
  },
  {
    // User stores (LDAP / Active Directory) and the realms that name them. A user store's
    // attribute names are kept resolved (its preset applied), so a later change of a preset
    // does not change a store that is in use; the bind password is sealed by the key file.
    name: '0008_userstores',
    async up(knex) {
      await knex.schema.createTable('userstores', (t) => {
        t.increments('id');
        t.string('identifier', 64).notNullable().unique();
        t.string('preset', 16).notNullable().defaultTo('');
        t.text('uris').notNullable(); // JSON array, tried in order
        t.text('base_dn').notNullable();
        t.text('bind_dn').notNullable();
        t.text('bind_password').notNullable(); // sealed
        t.text('login_attribute').notNullable();
        t.text('search_filter').notNullable();
        t.text('mobile_attribute').notNullable();
        t.text('givenname_attribute').notNullable();
        t.text('surname_attribute').notNullable();
        t.text('email_attribute').notNullable();
        t.text('upn_attribute').notNullable().defaultTo(''); // '' when logins by UPN are not looked up
        t.boolean('starttls').notNullable().defaultTo(false);
        t.text('ca_file').nullable();
        t.integer('timeout').notNullable().defaultTo(3);
        t.bigInteger('created_at').notNullable();
        t.bigInteger('updated_at').notNullable();
      });
      await knex.schema.createTable('realms', (t) => {
        t.string('name', 255).primary(); // lower case (src/core/names.ts)
        t.string('userstore', 64).notNullable().references('identifier').inTable('userstores');
        t.boolean('is_default').notNullable().defaultTo(false);
        t.bigInteger('created_at').notNullable();
        t.bigInteger('updated_at').notNullable();
      });
    },
    async down(knex) {
      await knex.schema.dropTableIfExists('realms');
      await knex.schema.dropTableIfExists('userstores');
    },
  },
];
