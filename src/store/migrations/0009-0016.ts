// Migrations 0009-0016: token verification, dynamic phones, enrollment by challenge, API
// keys, gateway health, SMS limits, notifications and the locked-tokens index.
import type { Migration } from './migration.js';
import { PG_HISTORY } from './pg-history.js';

export const MIGRATIONS_0009_0016: Migration[] = [
  {
    // verify_enrollment: a token enrolled by an administrator may wait for its owner to answer
    // one OTP before it counts. Tokens already in the store are in use: they stay verified.
    name: '0009_token_verification',
    async up(knex) {
      await knex.schema.alterTable('tokens', (t) => {
        t.boolean('verified').notNullable().defaultTo(true);
      });
      if (knex.client.config.client !== 'pg') return;
      await knex.raw(PG_HISTORY.apply_unit_0009);
    },
    async down(knex) {
      if (knex.client.config.client === 'pg') await knex.raw(PG_HISTORY.apply_unit_0007);
      await knex.schema.alterTable('tokens', (t) => {
        t.dropColumn('verified');
      });
    },
  },
  {
    // dynamic_phone: the token's number is read from the user store at every send. The login
    // path never writes the phone, so the PostgreSQL write function stays as it is.
    name: '0010_dynamic_phone',
    async up(knex) {
      await knex.schema.alterTable('tokens', (t) => {
        t.boolean('dynamic_phone').notNullable().defaultTo(false);
      });
    },
    async down(knex) {
      await knex.schema.alterTable('tokens', (t) => {
        t.dropColumn('dynamic_phone');
      });
    },
  },
  {
    // Enrollment by challenge (enroll_via_multichallenge): what a login that is enrolling
    // keeps between its rounds, tied to its transaction and expiring with it. No token row
    // exists until the OTP proved the phone, so an abandoned enrollment leaves none behind.
    name: '0011_pending_enrollment',
    async up(knex) {
      await knex.schema.createTable('pending_enrollments', (t) => {
        t.increments('id');
        t.string('transaction_id', 64).notNullable().unique();
        t.string('username', 255).notNullable();
        t.string('realm', 255).notNullable().defaultTo('');
        t.string('client', 255).notNullable();
        t.string('phone', 255).notNullable().defaultTo(''); // '' while the user is to type it
        t.string('phone_source', 16).notNullable(); // directory | typed
        t.text('otpkey').notNullable(); // sealed by the key file
        t.integer('counter').notNullable();
        t.integer('received_count').notNullable().defaultTo(0);
        t.bigInteger('created_at').notNullable();
        t.bigInteger('expires_at').notNullable();
        t.index(['expires_at']);
      });
      if (knex.client.config.client !== 'pg') return;
      await knex.raw(PG_HISTORY.apply_unit_0011);
    },
    async down(knex) {
      if (knex.client.config.client === 'pg') {
        await knex.raw(PG_HISTORY.apply_unit_0009);
      }
      await knex.schema.dropTableIfExists('pending_enrollments');
    },
  },
  {
    // API keys of the HTTP front: only a keyed hash of each key is kept (src/app/api-keys.ts).
    // The login path never writes them, so the PostgreSQL write function stays as it is.
    name: '0012_api_keys',
    async up(knex) {
      await knex.schema.createTable('api_keys', (t) => {
        t.increments('id');
        t.string('key_hash', 64).notNullable().unique(); // hex HMAC-SHA256
        t.string('role', 16).notNullable(); // admin | validate
        t.text('description').notNullable().defaultTo('');
        t.bigInteger('created_at').notNullable();
      });
    },
    async down(knex) {
      await knex.schema.dropTableIfExists('api_keys');
    },
  },
  {
    // Gateway health for failover gateways: a member that was unreachable is skipped until
    // blocked_until. In the store so that every node of a site skips it, not each finding out
    // on its own; a row exists only while a gateway has failed since its last success.
    name: '0013_gateway_health',
    async up(knex) {
      await knex.schema.createTable('gateway_health', (t) => {
        t.string('gateway', 64).primary();
        t.integer('failures').notNullable(); // consecutive unreachable failures
        t.bigInteger('blocked_until').notNullable();
        t.text('reason').notNullable().defaultTo(''); // the last failure, for gateway list
        t.bigInteger('updated_at').notNullable();
      });
    },
    async down(knex) {
      await knex.schema.dropTableIfExists('gateway_health');
    },
  },
  {
    // SMS flood and toll-fraud limits (sms.limit.*): one counter per limit and key (a number,
    // a user, a NAS, a country calling code) for the window it is in, shared by every node.
    // A row lives one window; the daemons purge ended ones in bounded batches.
    name: '0014_sms_limits',
    async up(knex) {
      await knex.schema.createTable('sms_limits', (t) => {
        t.string('key', 600).primary(); // 'phone:+49…', 'user:["name","realm"]', 'client:NAS', 'prefix:+49'
        t.integer('count').notNullable();
        t.integer('refused').notNullable(); // SMS refused in this window (the first one is told once)
        t.bigInteger('expires_at').notNullable(); // the end of the window
        t.index(['expires_at']);
      });
      if (knex.client.config.client !== 'pg') return;
      await knex.raw(PG_HISTORY.consume_limits_0014);
    },
    async down(knex) {
      if (knex.client.config.client === 'pg') await knex.raw('DROP FUNCTION IF EXISTS sms_otp_consume_limits(jsonb, bigint)');
      await knex.schema.dropTableIfExists('sms_limits');
    },
  },
  {
    // Notifications (privacyIDEA's UserNotification handler, for SMS): which event sends which
    // text through which gateway to whom; part of the site configuration (the revision moves).
    // And the clients each user has logged in from, for login_from_new_client.
    name: '0015_notifications',
    async up(knex) {
      await knex.schema.createTable('notifications', (t) => {
        t.string('identifier', 64).primary();
        t.string('event', 32).notNullable();
        t.string('gateway', 64).notNullable();
        t.string('recipient', 64).notNullable(); // 'owner' or a phone number
        t.text('text').notNullable();
        t.bigInteger('created_at').notNullable();
        t.bigInteger('updated_at').notNullable();
      });
      await knex.schema.createTable('notification_clients', (t) => {
        t.string('username', 255).notNullable();
        t.string('realm', 255).notNullable();
        t.string('client', 255).notNullable(); // Calling-Station-Id, else the RADIUS client's name
        t.bigInteger('first_seen_at').notNullable();
        t.bigInteger('last_seen_at').notNullable();
        t.primary(['username', 'realm', 'client']);
        t.index(['last_seen_at']);
      });
    },
    async down(knex) {
      await knex.schema.dropTableIfExists('notification_clients');
      await knex.schema.dropTableIfExists('notifications');
    },
  },
  {
    // The locked-tokens gauge of the metrics counts at every scrape: a partial index holding
    // only the tokens over their maxfail (few), so that count never scans the tokens table.
    // The same SQL on SQLite and PostgreSQL.
    name: '0016_locked_tokens_index',
    async up(knex) {
      await knex.raw('CREATE INDEX tokens_locked ON tokens (last_fail_at, active) WHERE failcount >= maxfail');
    },
    async down(knex) {
      await knex.raw('DROP INDEX IF EXISTS tokens_locked');
    },
  },
];
