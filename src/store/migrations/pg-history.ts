// The PL/pgSQL texts that migrations have run, byte for byte. NEVER EDITED: a database that
// ran a migration holds that migration's text, and a fresh one must get the same (knex keys on
// the migration's name, not on what it did). test/unit/pg-history.test.ts pins each text's
// sha256. The live form of these functions is src/store/auth/pg-steps.ts; to change a step,
// edit it there, add its new text here under a new key, and a migration that installs it
// (test/unit/write-steps.test.ts fails until both agree).

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

// Migration 0017's PostgreSQL half: sms_otp_apply_unit (migration 0005) with the lock made
// part of the atomic step, as src/store/auth/unit.ts does it on SQLite. Under concurrent
// guesses the token row is the authority, read and written in the same transaction:
// - checkUnlocked takes the row lock (FOR UPDATE) of the tokens still below maxfail, so an
//   accept and everything after it in the unit happen while no other node can count a failure;
//   READ COMMITTED re-checks `failcount < maxfail` on the newest row version after a wait;
// - recordFailure counts only below maxfail and reports the tokens it locked;
// - commitOtp and advanceCounter do nothing for a token at its maxfail;
// - clearFailures (failcounter_clear_timeout) lifts only a lock whose last failure is old enough.
// `extraSteps`: the WHEN branches of the step kinds added by 0009 and 0011, passed in by the
// migration as they were written there.
const guardedApplyUnitFunction = (extraSteps: readonly string[]) => `
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
    CASE step->>'kind'
    WHEN 'checkUnlocked' THEN
      PERFORM 1 FROM tokens
        WHERE serial IN (SELECT jsonb_array_elements_text(step->'serials')) AND failcount < maxfail
        ORDER BY serial FOR UPDATE;
      IF NOT FOUND THEN outcome := step->>'guard'; EXIT; END IF;
    WHEN 'advanceCounter' THEN
      next_counter := NULL;
      UPDATE tokens SET counter = counter + 1, updated_at = (step->>'at')::bigint
        WHERE serial = step->>'serial' AND failcount < maxfail RETURNING counter INTO next_counter;
      IF next_counter IS NOT NULL THEN
        counters := counters || jsonb_build_object(step->>'serial', next_counter);
      ELSIF NOT EXISTS (SELECT 1 FROM tokens WHERE serial = step->>'serial') THEN
        RAISE EXCEPTION 'token % vanished while sending an SMS', step->>'serial';
      END IF;
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
        WHERE serial = step->>'serial' AND failcount < maxfail
          AND ((step->>'allowOlder')::boolean OR counter <= (step->>'counter')::integer);
      GET DIAGNOSTICS changed = ROW_COUNT;
      IF changed = 0 AND step->>'guard' IS NOT NULL THEN outcome := step->>'guard'; EXIT; END IF;
    WHEN 'recordFailure' THEN
      WITH counted AS (
        UPDATE tokens SET failcount = failcount + 1, last_fail_at = (step->>'at')::bigint, updated_at = (step->>'at')::bigint
          WHERE serial IN (SELECT jsonb_array_elements_text(step->'serials')) AND failcount < maxfail
          RETURNING serial, failcount, maxfail
      )
      SELECT count(*), COALESCE(jsonb_agg(serial) FILTER (WHERE failcount >= maxfail), '[]'::jsonb)
        INTO changed, reached FROM counted;
      locked := locked || reached;
      IF changed = 0 AND step->>'guard' IS NOT NULL THEN outcome := step->>'guard'; EXIT; END IF;
    WHEN 'clearFailures' THEN
      UPDATE tokens SET failcount = 0, last_fail_at = NULL, updated_at = (step->>'at')::bigint
        WHERE serial IN (SELECT jsonb_array_elements_text(step->'serials')) AND failcount >= maxfail
          -- A node not yet upgraded (rolling upgrade) sends no cut-off: it lifts the lock as before.
          AND last_fail_at IS NOT NULL AND last_fail_at <= COALESCE((step->>'failedBefore')::bigint, (step->>'at')::bigint);${extraSteps.join('')}
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

// Migration 0019_sms_limit_refund: an SMS that surely reached no gateway (refused, never
// connected) is not counted against the SMS limits, so the count is taken back after the
// send fails (RateLimiter.refund). To take it back from the very window it was counted in
// (not from a window that began since), the check-and-count now also says each window's end.
// PostgreSQL's function only: SQLite counts with statements in its batch transaction, and
// the refund itself is one UPDATE on both. The function is otherwise 0014's; `down` restores it.
const consumeLimits = (windows: boolean) => `
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
    RETURN ${windows ? "jsonb_build_object('allowed', true, 'windows', ends)" : "jsonb_build_object('allowed', true)"};
  END IF;
  UPDATE sms_limits SET refused = refused + 1 WHERE key = worst->>'key' RETURNING refused INTO refusals;
  RETURN worst || jsonb_build_object('allowed', false, 'firstRefusal', refusals = 1);
END
$fn$ LANGUAGE plpgsql`;

/** Each text a migration runs, by the function and the migration that installed it. */
export const PG_HISTORY = Object.freeze({
  apply_unit_0005: applyUnitFunction(AUDIT_INSERT_0005),
  insert_audit_0007: AUDIT_INSERT_FUNCTION_0007,
  apply_unit_0007: applyUnitFunction('PERFORM sms_otp_insert_audit(entry);'),
  apply_unit_0009: applyUnitFunction('PERFORM sms_otp_insert_audit(entry);', [VERIFY_TOKEN_STEP_0009]),
  apply_unit_0011: applyUnitFunction('PERFORM sms_otp_insert_audit(entry);', [VERIFY_TOKEN_STEP_0009, PENDING_ENROLLMENT_STEPS_0011]),
  consume_limits_0014: CONSUME_LIMITS_FUNCTION_0014,
  apply_unit_0017: guardedApplyUnitFunction([VERIFY_TOKEN_STEP_0009, PENDING_ENROLLMENT_STEPS_0011]),
  /** 0019's down: 0014's function with 0019's declarations (as 0019 wrote it). */
  consume_limits_0019_down: consumeLimits(false),
  consume_limits_0019: consumeLimits(true),
  /**
   * 0021: 0017's function with the token guards on the primary key index. `serial IN (SELECT
   * jsonb_array_elements_text(...))` planned as a hash semi join over a sequential scan of every
   * token (EXPLAIN on 5 000 tokens), once per step of every login.
   */
  apply_unit_0021: guardedApplyUnitFunction([VERIFY_TOKEN_STEP_0009, PENDING_ENROLLMENT_STEPS_0011]).replaceAll(
    "serial IN (SELECT jsonb_array_elements_text(step->'serials'))",
    "serial = ANY (ARRAY(SELECT jsonb_array_elements_text(step->'serials')))",
  ),
});
