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
export const guardedApplyUnitFunction = (extraSteps: readonly string[]) => `
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
