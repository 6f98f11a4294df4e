// The purges on PostgreSQL under a backlog (issue 25, found by the bench's scale rows): with
// half of 20 000 challenges expired, a batch of 1 000 is deleted by primary key, not by a join
// that reads the whole table (the `IN (SELECT … LIMIT)` form did: 35 ms a batch at 100 000).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenAdmin } from '../../src/app/token-admin.js';
import { PG_STATEMENTS } from '../../src/store/auth/statements.js';
import { RFC4226_KEY } from '../helpers/fs.js';
import { openTestStore, type TestStore } from '../helpers/store.js';

describe('batched purges on PostgreSQL with an expired backlog', () => {
  let t: TestStore;
  const now = Date.UTC(2026, 10, 22, 12, 0, 0);

  beforeAll(async () => {
    t = await openTestStore('pg');
    const knex = t.store.knex;
    const { serial } = await new TokenAdmin(t.store, t.pins).enroll({ username: 'alice', phone: '+49 171 2345678', pin: '1234', otpKeyHex: RFC4226_KEY });
    await knex.raw(
      `INSERT INTO challenges (transaction_id, serial, counter, username, realm, client, received_count, created_at, expires_at)
       SELECT 'tx' || g, ?, 1, 'u' || g, '', 'nas', 0, ?::bigint, CASE WHEN g % 2 = 0 THEN ?::bigint ELSE ?::bigint END FROM generate_series(1, 20000) g`,
      [serial, now - 600_000, now - 1000, now + 3_600_000],
    );
    await knex.raw('ANALYZE challenges');
  });
  afterAll(async () => {
    await t?.close();
  });

  const plan = async (sql: string, value: number) => {
    const rows = (await t.store.knex.raw(`EXPLAIN ${sql.replace('$1', String(value))}`)).rows as Array<{ 'QUERY PLAN': string }>;
    return rows.map((r) => r['QUERY PLAN']).join('\n');
  };

  it('deletes expired challenges by primary key, the table not read in full', async () => {
    const text = await plan(PG_STATEMENTS.purgeExpired, now);
    expect(text).toMatch(/Index Scan using challenges_pkey on challenges/);
    expect(text).not.toMatch(/Join/);
    const deleted = (await t.store.knex.raw(PG_STATEMENTS.purgeExpired.replace('$1', '?'), [now])).rowCount;
    expect(deleted).toBe(1000);
  });

  it('the other batched deletes take the same form', () => {
    for (const name of ['purgeExpiredEnrollments', 'pruneAudit', 'purgeExpiredLimits'] as const) {
      expect(PG_STATEMENTS[name], name).toMatch(/ = ANY \(ARRAY\(SELECT .* LIMIT 1000.*\)\)$/);
    }
  });
});
