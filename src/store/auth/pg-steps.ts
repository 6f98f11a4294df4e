// The PostgreSQL form of the login's write steps: PL/pgSQL that runs a WriteUnit server-side
// in one round trip, as src/store/auth/unit.ts runs it in-process on SQLite. The LIVE form:
// read and change the steps here. Databases get these texts only through migrations, which run
// the frozen copies in src/store/migrations/pg-history.ts; test/unit/write-steps.test.ts checks
// that every step kind has a branch here and in applyUnit, and that these texts equal what the
// newest migration installs. To change a step: edit it here, copy the new text into
// pg-history.ts under a new key, and add a migration that runs it.
import type { SealedStep } from './login-keys.js';

/** One WHEN branch of sms_otp_apply_unit per write step kind, in the function's order. */
export const PG_STEP: Readonly<Record<SealedStep['kind'], string>> = {
  // The row lock (FOR UPDATE) of the tokens still below maxfail: an accept and everything after
  // it in the unit happen while no other node can count a failure; READ COMMITTED re-checks
  // `failcount < maxfail` on the newest row version after a wait.
  checkUnlocked: `
    WHEN 'checkUnlocked' THEN
      PERFORM 1 FROM tokens
        WHERE serial = ANY (ARRAY(SELECT jsonb_array_elements_text(step->'serials'))) AND failcount < maxfail
        ORDER BY serial FOR UPDATE;
      IF NOT FOUND THEN outcome := step->>'guard'; EXIT; END IF;`,
  // Nothing for a token at its maxfail (locked meanwhile): it sends nothing.
  advanceCounter: `
    WHEN 'advanceCounter' THEN
      next_counter := NULL;
      UPDATE tokens SET counter = counter + 1, updated_at = (step->>'at')::bigint
        WHERE serial = step->>'serial' AND failcount < maxfail RETURNING counter INTO next_counter;
      IF next_counter IS NOT NULL THEN
        counters := counters || jsonb_build_object(step->>'serial', next_counter);
      ELSIF NOT EXISTS (SELECT 1 FROM tokens WHERE serial = step->>'serial') THEN
        RAISE EXCEPTION 'token % vanished while sending an SMS', step->>'serial';
      END IF;`,
  insertChallenges: `
    WHEN 'insertChallenges' THEN
      INSERT INTO challenges (transaction_id, serial, counter, username, realm, client, received_count, created_at, expires_at)
        SELECT c->>'transactionId', c->>'serial', (c->>'counter')::integer, c->>'username', c->>'realm', c->>'client', 0,
               (c->>'createdAt')::bigint, (c->>'expiresAt')::bigint
        FROM jsonb_array_elements(step->'challenges') AS c;`,
  consumeTransaction: `
    WHEN 'consumeTransaction' THEN
      DELETE FROM challenges WHERE transaction_id = step->>'transactionId';
      GET DIAGNOSTICS changed = ROW_COUNT;
      IF changed = 0 AND step->>'guard' IS NOT NULL THEN outcome := step->>'guard'; EXIT; END IF;`,
  countReceived: `
    WHEN 'countReceived' THEN
      UPDATE challenges SET received_count = received_count + 1 WHERE transaction_id = step->>'transactionId';`,
  commitOtp: `
    WHEN 'commitOtp' THEN
      UPDATE tokens SET counter = GREATEST(counter, (step->>'counter')::integer + 1), failcount = 0, last_fail_at = NULL,
                        last_auth_at = (step->>'at')::bigint, updated_at = (step->>'at')::bigint
        WHERE serial = step->>'serial' AND failcount < maxfail
          AND ((step->>'allowOlder')::boolean OR counter <= (step->>'counter')::integer);
      GET DIAGNOSTICS changed = ROW_COUNT;
      IF changed = 0 AND step->>'guard' IS NOT NULL THEN outcome := step->>'guard'; EXIT; END IF;`,
  // Counts only below maxfail and reports the tokens it locked.
  recordFailure: `
    WHEN 'recordFailure' THEN
      WITH counted AS (
        UPDATE tokens SET failcount = failcount + 1, last_fail_at = (step->>'at')::bigint, updated_at = (step->>'at')::bigint
          WHERE serial = ANY (ARRAY(SELECT jsonb_array_elements_text(step->'serials'))) AND failcount < maxfail
          RETURNING serial, failcount, maxfail
      )
      SELECT count(*), COALESCE(jsonb_agg(serial) FILTER (WHERE failcount >= maxfail), '[]'::jsonb)
        INTO changed, reached FROM counted;
      locked := locked || reached;
      IF changed = 0 AND step->>'guard' IS NOT NULL THEN outcome := step->>'guard'; EXIT; END IF;`,
  // failcounter_clear_timeout: lifts only a lock whose last failure is old enough.
  clearFailures: `
    WHEN 'clearFailures' THEN
      UPDATE tokens SET failcount = 0, last_fail_at = NULL, updated_at = (step->>'at')::bigint
        WHERE serial = ANY (ARRAY(SELECT jsonb_array_elements_text(step->'serials'))) AND failcount >= maxfail
          -- A node not yet upgraded (rolling upgrade) sends no cut-off: it lifts the lock as before.
          AND last_fail_at IS NOT NULL AND last_fail_at <= COALESCE((step->>'failedBefore')::bigint, (step->>'at')::bigint);`,
  verifyToken: `
    WHEN 'verifyToken' THEN
      UPDATE tokens SET verified = TRUE, updated_at = (step->>'at')::bigint WHERE serial = step->>'serial';`,
  insertPendingEnrollment: `
    WHEN 'insertPendingEnrollment' THEN
      INSERT INTO pending_enrollments (transaction_id, username, realm, client, phone, phone_source, otpkey, counter,
                                       received_count, created_at, expires_at)
        VALUES (step->'enrollment'->>'transactionId', step->'enrollment'->>'username', step->'enrollment'->>'realm',
                step->'enrollment'->>'client', step->'enrollment'->>'phone', step->'enrollment'->>'phoneSource',
                step->'enrollment'->>'otpkey', (step->'enrollment'->>'counter')::integer, 0,
                (step->'enrollment'->>'createdAt')::bigint, (step->'enrollment'->>'expiresAt')::bigint);`,
  consumePendingEnrollment: `
    WHEN 'consumePendingEnrollment' THEN
      DELETE FROM pending_enrollments WHERE transaction_id = step->>'transactionId';
      GET DIAGNOSTICS changed = ROW_COUNT;
      IF changed = 0 AND step->>'guard' IS NOT NULL THEN outcome := step->>'guard'; EXIT; END IF;`,
  countPendingReceived: `
    WHEN 'countPendingReceived' THEN
      UPDATE pending_enrollments SET received_count = received_count + 1 WHERE transaction_id = step->>'transactionId';`,
  createToken: `
    WHEN 'createToken' THEN
      INSERT INTO tokens (serial, tokentype, username, realm, phone, dynamic_phone, gateway, otpkey, hashlib, otplen, counter,
                          count_window, pin_hash, active, verified, failcount, maxfail, last_fail_at, last_auth_at, created_at, updated_at)
        VALUES (step->'token'->>'serial', 'sms', step->'token'->>'username', step->'token'->>'realm', step->'token'->>'phone',
                (step->'token'->>'dynamicPhone')::boolean, NULL, step->'token'->>'otpkey', step->'token'->>'hashlib', (step->'token'->>'otplen')::integer,
                (step->'token'->>'counter')::integer, (step->'token'->>'countWindow')::integer, step->'token'->>'pinHash',
                TRUE, TRUE, 0, (step->'token'->>'maxfail')::integer, NULL, (step->'token'->>'at')::bigint,
                (step->'token'->>'at')::bigint, (step->'token'->>'at')::bigint);`,
};

/**
 * sms_otp_apply_unit: a WriteUnit (src/core/ports.ts) as JSON in, { outcome, counters, locked }
 * out. The lock is part of the atomic step (issue 18): see the branches of checkUnlocked,
 * advanceCounter, commitOtp, recordFailure and clearFailures.
 */
export const PG_APPLY_UNIT_FUNCTION = `
CREATE OR REPLACE FUNCTION sms_otp_apply_unit(unit jsonb) RETURNS jsonb AS $fn$
DECLARE
  step jsonb;
  outcome text := 'ok';
  changed integer;
  next_counter bigint;
  counters jsonb := '{}'::jsonb;
  locked jsonb := '[]'::jsonb;
  reached jsonb;
  entry jsonb;
BEGIN
  FOR step IN SELECT value FROM jsonb_array_elements(unit->'steps') LOOP
    CASE step->>'kind'` + Object.values(PG_STEP).join('') + `
    ELSE
      RAISE EXCEPTION 'unknown write step %', step->>'kind';
    END CASE;
  END LOOP;
  entry := unit->'audit'->outcome;
  IF entry IS NOT NULL THEN
    PERFORM sms_otp_insert_audit(entry);
  END IF;
  RETURN jsonb_build_object('outcome', outcome, 'counters', counters, 'locked', locked);
END
$fn$ LANGUAGE plpgsql`;

/**
 * sms_otp_apply_units: several units in one transaction, each in its own subtransaction, so
 * that the requests of one batch share one commit (one WAL flush).
 */
export const PG_APPLY_UNITS_FUNCTION = `CREATE OR REPLACE FUNCTION sms_otp_apply_units(units jsonb) RETURNS jsonb AS $fn$
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

/** The audit row of a unit's outcome: a function of its own, so that a change of the audit columns replaces only it. */
export const PG_INSERT_AUDIT_FUNCTION = `
CREATE OR REPLACE FUNCTION sms_otp_insert_audit(entry jsonb) RETURNS void AS $fn$
  INSERT INTO audit (at, action, username, realm, client, client_address, serials, reason,
                     gateway, phone, calling_station_id, nas_ip_address, nas_identifier)
  VALUES ((entry->>'at')::bigint, entry->>'action', entry->>'username', entry->>'realm', entry->>'client',
          entry->>'clientAddress', array_to_string(ARRAY(SELECT jsonb_array_elements_text(entry->'serials')), ','),
          entry->>'reason', entry->>'gateway', entry->>'phone', entry->'nas'->>'callingStationId',
          entry->'nas'->>'ipAddress', entry->'nas'->>'identifier')
$fn$ LANGUAGE sql`;

/**
 * The check-and-count of the SMS limits (src/core/ports.ts RateLimiter): one call, one
 * transaction. Each key's row is upserted (a window that ended starts again at zero) and stays
 * locked to the end, in key order so that two calls sharing keys never wait in a circle; only
 * when no limit is reached are all of them counted, and each window's end is told (for a
 * refund from that very window).
 */
export const PG_CONSUME_LIMITS_FUNCTION = `
CREATE OR REPLACE FUNCTION sms_otp_consume_limits(limits jsonb, now_ms bigint) RETURNS jsonb AS $fn$
DECLARE
  l jsonb;
  counted integer;
  ends_at bigint;
  refusals integer;
  worst jsonb := NULL;
  ends jsonb := '{}'::jsonb;
BEGIN
  FOR l IN SELECT value FROM jsonb_array_elements(limits) ORDER BY value->>'key' LOOP
    INSERT INTO sms_limits AS s (key, count, refused, expires_at)
      VALUES (l->>'key', 0, 0, now_ms + (l->>'windowMs')::bigint)
      ON CONFLICT (key) DO UPDATE SET
        count = CASE WHEN s.expires_at <= now_ms THEN 0 ELSE s.count END,
        refused = CASE WHEN s.expires_at <= now_ms THEN 0 ELSE s.refused END,
        expires_at = CASE WHEN s.expires_at <= now_ms THEN EXCLUDED.expires_at ELSE s.expires_at END
      RETURNING s.count, s.expires_at INTO counted, ends_at;
    ends := ends || jsonb_build_object(l->>'key', ends_at);
    IF counted >= (l->>'max')::integer AND (worst IS NULL OR ends_at - now_ms > (worst->>'retryAfterMs')::bigint) THEN
      worst := jsonb_build_object('name', l->>'name', 'key', l->>'key', 'retryAfterMs', ends_at - now_ms);
    END IF;
  END LOOP;
  IF worst IS NULL THEN
    UPDATE sms_limits SET count = count + 1 WHERE key IN (SELECT value->>'key' FROM jsonb_array_elements(limits));
    RETURN jsonb_build_object('allowed', true, 'windows', ends);
  END IF;
  UPDATE sms_limits SET refused = refused + 1 WHERE key = worst->>'key' RETURNING refused INTO refusals;
  RETURN worst || jsonb_build_object('allowed', false, 'firstRefusal', refusals = 1);
END
$fn$ LANGUAGE plpgsql`;
