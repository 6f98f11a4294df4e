// Schema migrations, kept in code so that the compiled daemon carries them with it.
// The same migrations run on SQLite and PostgreSQL; timestamps are epoch milliseconds.
import type { Knex } from 'knex';
import { SmsOtpError } from '../core/errors.js';
import { normaliseRealm } from '../core/names.js';
import { smsLimitRefundMigration } from './migration-sms-limit-refund.js';
import { guardedApplyUnitFunction } from './pg-guarded-unit.js';
import { ACCOUNTING_SESSIONS_0020 } from './migration-0020-accounting.js';

export interface Migration {
  name: string;
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

/** How 0005's function writes the audit entry of a unit's outcome (`entry`). */
const AUDIT_INSERT_0005 = `INSERT INTO audit (at, action, username, realm, client, client_address, serials, reason)
      VALUES ((entry->>'at')::bigint, entry->>'action', entry->>'username', entry->>'realm', entry->>'client',
              entry->>'clientAddress', array_to_string(ARRAY(SELECT jsonb_array_elements_text(entry->'serials')), ','),
              entry->>'reason');`;

/**
 * From 0007 on the audit row is written by a function of its own, so that a migration that
 * changes the audit columns replaces that small function, not the whole unit runner.
 */
const AUDIT_INSERT_FUNCTION_0007 = `
CREATE OR REPLACE FUNCTION sms_otp_insert_audit(entry jsonb) RETURNS void AS $fn$
  INSERT INTO audit (at, action, username, realm, client, client_address, serials, reason,
                     gateway, phone, calling_station_id, nas_ip_address, nas_identifier)
  VALUES ((entry->>'at')::bigint, entry->>'action', entry->>'username', entry->>'realm', entry->>'client',
          entry->>'clientAddress', array_to_string(ARRAY(SELECT jsonb_array_elements_text(entry->'serials')), ','),
          entry->>'reason', entry->>'gateway', entry->>'phone', entry->'nas'->>'callingStationId',
          entry->'nas'->>'ipAddress', entry->'nas'->>'identifier')
$fn$ LANGUAGE sql`;

/**
 * The write step 0009 adds: an unverified token (verify_enrollment) becomes verified. A
 * migration adding a step kind passes its branch, with those of the migrations before it,
 * to applyUnitFunction; the function of an older migration stays exactly as it was.
 */
const VERIFY_TOKEN_STEP_0009 = `
    WHEN 'verifyToken' THEN
      UPDATE tokens SET verified = TRUE, updated_at = (step->>'at')::bigint WHERE serial = step->>'serial';`;

/**
 * The write steps 0011 adds (enrollment by challenge): the pending enrollment of a
 * transaction, and the token its proved phone becomes. Keys arrive sealed (`otpkey`).
 */
const PENDING_ENROLLMENT_STEPS_0011 = `
    WHEN 'insertPendingEnrollment' THEN
      INSERT INTO pending_enrollments (transaction_id, username, realm, client, phone, phone_source, otpkey, counter,
                                       received_count, created_at, expires_at)
        VALUES (step->'enrollment'->>'transactionId', step->'enrollment'->>'username', step->'enrollment'->>'realm',
                step->'enrollment'->>'client', step->'enrollment'->>'phone', step->'enrollment'->>'phoneSource',
                step->'enrollment'->>'otpkey', (step->'enrollment'->>'counter')::integer, 0,
                (step->'enrollment'->>'createdAt')::bigint, (step->'enrollment'->>'expiresAt')::bigint);
    WHEN 'consumePendingEnrollment' THEN
      DELETE FROM pending_enrollments WHERE transaction_id = step->>'transactionId';
      GET DIAGNOSTICS changed = ROW_COUNT;
      IF changed = 0 AND step->>'guard' IS NOT NULL THEN outcome := step->>'guard'; EXIT; END IF;
    WHEN 'countPendingReceived' THEN
      UPDATE pending_enrollments SET received_count = received_count + 1 WHERE transaction_id = step->>'transactionId';
    WHEN 'createToken' THEN
      INSERT INTO tokens (serial, tokentype, username, realm, phone, dynamic_phone, gateway, otpkey, hashlib, otplen, counter,
                          count_window, pin_hash, active, verified, failcount, maxfail, last_fail_at, last_auth_at, created_at, updated_at)
        VALUES (step->'token'->>'serial', 'sms', step->'token'->>'username', step->'token'->>'realm', step->'token'->>'phone',
                (step->'token'->>'dynamicPhone')::boolean, NULL, step->'token'->>'otpkey', step->'token'->>'hashlib', (step->'token'->>'otplen')::integer,
                (step->'token'->>'counter')::integer, (step->'token'->>'countWindow')::integer, step->'token'->>'pinHash',
                TRUE, TRUE, 0, (step->'token'->>'maxfail')::integer, NULL, (step->'token'->>'at')::bigint,
                (step->'token'->>'at')::bigint, (step->'token'->>'at')::bigint);`;

/**
 * sms_otp_apply_unit: a WriteUnit (src/core/ports.ts) as JSON in, { outcome, counters } out.
 * sms_otp_apply_units: several in one transaction, each in its own subtransaction, so that
 * the requests of one batch share one commit (one WAL flush). `extraSteps`: WHEN branches
 * of step kinds added after 0005.
 */
const applyUnitFunction = (auditInsert: string, extraSteps: readonly string[] = []) => `
CREATE OR REPLACE FUNCTION sms_otp_apply_unit(unit jsonb) RETURNS jsonb AS $fn$
DECLARE
  step jsonb;
  outcome text := 'ok';
  changed integer;
  next_counter bigint;
  counters jsonb := '{}'::jsonb;
  entry jsonb;
BEGIN
  FOR step IN SELECT value FROM jsonb_array_elements(unit->'steps') LOOP
    CASE step->>'kind'
    WHEN 'advanceCounter' THEN
      UPDATE tokens SET counter = counter + 1, updated_at = (step->>'at')::bigint
        WHERE serial = step->>'serial' RETURNING counter INTO next_counter;
      IF next_counter IS NULL THEN
        RAISE EXCEPTION 'token % vanished while sending an SMS', step->>'serial';
      END IF;
      counters := counters || jsonb_build_object(step->>'serial', next_counter);
    WHEN 'insertChallenges' THEN
      INSERT INTO challenges (transaction_id, serial, counter, username, realm, client, received_count, created_at, expires_at)
        SELECT c->>'transactionId', c->>'serial', (c->>'counter')::integer, c->>'username', c->>'realm', c->>'client', 0,
               (c->>'createdAt')::bigint, (c->>'expiresAt')::bigint
        FROM jsonb_array_elements(step->'challenges') AS c;
    WHEN 'consumeTransaction' THEN
      DELETE FROM challenges WHERE transaction_id = step->>'transactionId';
      GET DIAGNOSTICS changed = ROW_COUNT;
      IF changed = 0 AND step->>'guard' IS NOT NULL THEN outcome := step->>'guard'; EXIT; END IF;
    WHEN 'countReceived' THEN
      UPDATE challenges SET received_count = received_count + 1 WHERE transaction_id = step->>'transactionId';
    WHEN 'commitOtp' THEN
      UPDATE tokens SET counter = GREATEST(counter, (step->>'counter')::integer + 1), failcount = 0, last_fail_at = NULL,
                        last_auth_at = (step->>'at')::bigint, updated_at = (step->>'at')::bigint
        WHERE serial = step->>'serial' AND ((step->>'allowOlder')::boolean OR counter <= (step->>'counter')::integer);
      GET DIAGNOSTICS changed = ROW_COUNT;
      IF changed = 0 AND step->>'guard' IS NOT NULL THEN outcome := step->>'guard'; EXIT; END IF;
    WHEN 'recordFailure' THEN
      UPDATE tokens SET failcount = failcount + 1, last_fail_at = (step->>'at')::bigint, updated_at = (step->>'at')::bigint
        WHERE serial IN (SELECT jsonb_array_elements_text(step->'serials'));
    WHEN 'clearFailures' THEN
      UPDATE tokens SET failcount = 0, last_fail_at = NULL, updated_at = (step->>'at')::bigint
        WHERE serial IN (SELECT jsonb_array_elements_text(step->'serials'));${extraSteps.join('')}
    ELSE
      RAISE EXCEPTION 'unknown write step %', step->>'kind';
    END CASE;
  END LOOP;
  entry := unit->'audit'->outcome;
  IF entry IS NOT NULL THEN
    ${auditInsert}
  END IF;
  RETURN jsonb_build_object('outcome', outcome, 'counters', counters);
END
$fn$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION sms_otp_apply_units(units jsonb) RETURNS jsonb AS $fn$
DECLARE
  unit jsonb;
  results jsonb := '[]'::jsonb;
BEGIN
  FOR unit IN SELECT value FROM jsonb_array_elements(units) LOOP
    BEGIN
      results := results || jsonb_build_array(sms_otp_apply_unit(unit));
    EXCEPTION WHEN OTHERS THEN
      -- This unit's writes are rolled back (a subtransaction); the others stand.
      results := results || jsonb_build_array(jsonb_build_object('error', SQLERRM));
    END;
  END LOOP;
  RETURN results;
END
$fn$ LANGUAGE plpgsql`;

/**
 * 0014's check-and-count of the SMS limits (src/core/ports.ts RateLimiter), PostgreSQL's half:
 * one call, one transaction. Each key's row is upserted (a window that ended starts again at
 * zero) and stays locked to the end, in key order so that two calls sharing keys never wait
 * in a circle; only when no limit is reached are all of them counted. `limits`: the core's
 * LimitCheck array.
 */
const CONSUME_LIMITS_FUNCTION_0014 = `
CREATE OR REPLACE FUNCTION sms_otp_consume_limits(limits jsonb, now_ms bigint) RETURNS jsonb AS $fn$
DECLARE
  l jsonb;
  counted integer;
  ends_at bigint;
  refusals integer;
  worst jsonb := NULL;
BEGIN
  FOR l IN SELECT value FROM jsonb_array_elements(limits) ORDER BY value->>'key' LOOP
    INSERT INTO sms_limits AS s (key, count, refused, expires_at)
      VALUES (l->>'key', 0, 0, now_ms + (l->>'windowMs')::bigint)
      ON CONFLICT (key) DO UPDATE SET
        count = CASE WHEN s.expires_at <= now_ms THEN 0 ELSE s.count END,
        refused = CASE WHEN s.expires_at <= now_ms THEN 0 ELSE s.refused END,
        expires_at = CASE WHEN s.expires_at <= now_ms THEN EXCLUDED.expires_at ELSE s.expires_at END
      RETURNING s.count, s.expires_at INTO counted, ends_at;
    IF counted >= (l->>'max')::integer AND (worst IS NULL OR ends_at - now_ms > (worst->>'retryAfterMs')::bigint) THEN
      worst := jsonb_build_object('name', l->>'name', 'key', l->>'key', 'retryAfterMs', ends_at - now_ms);
    END IF;
  END LOOP;
  IF worst IS NULL THEN
    UPDATE sms_limits SET count = count + 1 WHERE key IN (SELECT value->>'key' FROM jsonb_array_elements(limits));
    RETURN jsonb_build_object('allowed', true);
  END IF;
  UPDATE sms_limits SET refused = refused + 1 WHERE key = worst->>'key' RETURNING refused INTO refusals;
  RETURN worst || jsonb_build_object('allowed', false, 'firstRefusal', refusals = 1);
END
$fn$ LANGUAGE plpgsql`;

const migrations: Migration[] = [
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
      await knex.raw(applyUnitFunction(AUDIT_INSERT_0005));
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
      await knex.raw(AUDIT_INSERT_FUNCTION_0007);
      await knex.raw(applyUnitFunction('PERFORM sms_otp_insert_audit(entry);'));
    },
    async down(knex) {
      if (knex.client.config.client === 'pg') {
        await knex.raw(applyUnitFunction(AUDIT_INSERT_0005));
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
  {
    // verify_enrollment: a token enrolled by an administrator may wait for its owner to answer
    // one OTP before it counts. Tokens already in the store are in use: they stay verified.
    name: '0009_token_verification',
    async up(knex) {
      await knex.schema.alterTable('tokens', (t) => {
        t.boolean('verified').notNullable().defaultTo(true);
      });
      if (knex.client.config.client !== 'pg') return;
      await knex.raw(applyUnitFunction('PERFORM sms_otp_insert_audit(entry);', [VERIFY_TOKEN_STEP_0009]));
    },
    async down(knex) {
      if (knex.client.config.client === 'pg') await knex.raw(applyUnitFunction('PERFORM sms_otp_insert_audit(entry);'));
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
      await knex.raw(applyUnitFunction('PERFORM sms_otp_insert_audit(entry);', [VERIFY_TOKEN_STEP_0009, PENDING_ENROLLMENT_STEPS_0011]));
    },
    async down(knex) {
      if (knex.client.config.client === 'pg') {
        await knex.raw(applyUnitFunction('PERFORM sms_otp_insert_audit(entry);', [VERIFY_TOKEN_STEP_0009]));
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
      await knex.raw(CONSUME_LIMITS_FUNCTION_0014);
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
  {
    // The fail counter holds under concurrent guesses (issue 18): PostgreSQL's write function
    // checks failcount < maxfail in the same statement or row lock as each write of a login
    // (src/store/pg-guarded-unit.ts). SQLite's statements (src/store/auth/statements.ts) need
    // no schema change.
    name: '0017_guarded_failcount',
    async up(knex) {
      if (knex.client.config.client !== 'pg') return;
      await knex.raw(guardedApplyUnitFunction([VERIFY_TOKEN_STEP_0009, PENDING_ENROLLMENT_STEPS_0011]));
    },
    async down(knex) {
      if (knex.client.config.client !== 'pg') return;
      await knex.raw(applyUnitFunction('PERFORM sms_otp_insert_audit(entry);', [VERIFY_TOKEN_STEP_0009, PENDING_ENROLLMENT_STEPS_0011]));
    },
  },
  smsLimitRefundMigration,
  ACCOUNTING_SESSIONS_0020,
];

const source: Knex.MigrationSource<Migration> = {
  getMigrations: async () => migrations,
  getMigrationName: (m) => m.name,
  getMigration: async (m) => ({ up: m.up, down: m.down }),
};

export const migrationConfig: Knex.MigratorConfig = {
  migrationSource: source,
  tableName: 'schema_migrations',
};

/** The store's schema is newer than this installation knows: an old node must not touch it. */
export class StoreVersionError extends SmsOtpError {
  override name = 'StoreVersionError';
  readonly code = 'ERR_STORE_TOO_NEW';
}

/** Migrations recorded in the store that this installation does not have (a newer node ran them). */
export async function unknownMigrations(knex: Knex): Promise<string[]> {
  return (await migrationState(knex)).unknown;
}

export interface MigrationState {
  /** Known to this installation, not yet applied (serve or migrate applies them). */
  readonly pending: string[];
  /** Applied by a newer installation: this one must not touch the store. */
  readonly unknown: string[];
}

/**
 * Where the store's schema stands, read without writing (knex's own migrate.list creates its
 * bookkeeping tables first, which `check` must not).
 */
export async function migrationState(knex: Knex): Promise<MigrationState> {
  const names = migrations.map((m) => m.name);
  if (!(await knex.schema.hasTable(migrationConfig.tableName!))) return { pending: names, unknown: [] };
  const done = new Set(((await knex(migrationConfig.tableName!).select('name')) as Array<{ name: string }>).map((r) => r.name));
  const known = new Set(names);
  return { pending: names.filter((n) => !done.has(n)), unknown: [...done].filter((n) => !known.has(n)) };
}

/** Applies pending migrations; returns the names applied now. */
export async function migrateLatest(knex: Knex): Promise<string[]> {
  const newer = await unknownMigrations(knex);
  if (newer.length) {
    throw new StoreVersionError(
      `the store was upgraded by a newer sms-otp-radiusd (migrations ${newer.join(', ')}); upgrade this installation to that version`,
    );
  }
  const [, applied] = (await knex.migrate.latest(migrationConfig)) as [number, string[]];
  return applied;
}
