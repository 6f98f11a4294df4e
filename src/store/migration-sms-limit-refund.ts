// Migration 0019_sms_limit_refund: an SMS that surely reached no gateway (refused, never
// connected) is not counted against the SMS limits, so the count is taken back after the
// send fails (RateLimiter.refund). To take it back from the very window it was counted in
// (not from a window that began since), the check-and-count now also says each window's end.
// PostgreSQL's function only: SQLite counts with statements in its batch transaction, and
// the refund itself is one UPDATE on both. The function is otherwise 0014's; `down` restores it.
import type { Knex } from 'knex';

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

export const smsLimitRefundMigration = {
  name: '0019_sms_limit_refund',
  async up(knex: Knex): Promise<void> {
    if (knex.client.config.client === 'pg') await knex.raw(consumeLimits(true));
  },
  async down(knex: Knex): Promise<void> {
    if (knex.client.config.client === 'pg') await knex.raw(consumeLimits(false));
  },
};
