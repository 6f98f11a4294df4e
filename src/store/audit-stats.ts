// The audit trail counted into time buckets by the database (GROUP BY on SQLite and
// PostgreSQL alike), for the admin dashboard's charts: one scan of the window through the
// `at` index, answered with at most buckets × actions × gateways rows, never the rows themselves.
import type { Knex } from 'knex';

/** The actions the dashboard counts: login decisions and the SMS sent after them. */
const COUNTED = ['accept', 'reject', 'challenge', 'autosend', 'sms-late'] as const;

/**
 * The rows that record an SMS that did not go out (src/core/login/challenges.ts, autosend.ts):
 * a reject that names a gateway (only "no SMS could be sent" names one), an autosend or a late
 * SMS whose reason says not sent. The action is tested first: the LIKEs run on few rows.
 */
const NOT_SENT_SQL =
  "CASE WHEN action = 'reject' AND gateway <> '' THEN 1 " +
  "WHEN action IN ('autosend', 'sms-late') AND (reason LIKE 'next OTP not sent%' OR reason LIKE 'SMS not sent%') THEN 1 ELSE 0 END";

/** A bound on the rows a window may answer with, should gateways be many (the chart keeps the busiest). */
const MAX_ROWS = 20_000;

export interface AuditBucketCount {
  /** The bucket's index from the window's start (0 .. buckets-1). */
  readonly bucket: number;
  readonly action: string;
  /** The gateway(s) of the row, as the audit names them ('' when no SMS was tried). */
  readonly gateway: string;
  /** The row says an SMS was not sent (failed, held back by a limit, late and then failed). */
  readonly smsFailed: boolean;
  readonly count: number;
}

export class AuditStatsRepository {
  constructor(private readonly knex: Knex) {}

  /**
   * Rows of [start, start + buckets × size) counted per bucket, action, gateway and whether
   * the SMS failed. The window's numbers are integers put into the SQL itself: both databases
   * then divide integers (a bound parameter may arrive as a float on SQLite).
   */
  async buckets(start: number, size: number, buckets: number): Promise<AuditBucketCount[]> {
    for (const n of [start, size, buckets]) if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`audit buckets: ${n} is no whole number`);
    const end = start + size * buckets;
    const rows: Array<Record<string, unknown>> = await this.knex('audit')
      .select(this.knex.raw(`(at - ${start}) / ${size} AS bucket`), 'action', 'gateway')
      .select(this.knex.raw(`${NOT_SENT_SQL} AS failed`))
      .count({ n: '*' })
      .where('at', '>=', start)
      .andWhere('at', '<', end)
      .whereIn('action', [...COUNTED])
      .groupByRaw('1, 2, 3, 4')
      .limit(MAX_ROWS);
    return rows.map((r) => ({
      bucket: Number(r.bucket),
      action: String(r.action),
      gateway: String(r.gateway ?? ''),
      smsFailed: Number(r.failed) === 1,
      count: Number(r.n),
    }));
  }
}
