// The login hot path on PostgreSQL: its own pool, named prepared statements (parsed once per
// connection) for the reads, and the writes of many requests in one round trip and one
// commit: the units go as JSON to a PL/pgSQL function (migration 0005, its lock-guarded
// steps from 0017) that runs each in its own subtransaction.
import { randomBytes } from 'node:crypto';
import type pg from 'pg';
import type { Challenge, PendingEnrollment, Token } from '../../core/model.js';
import type { LoginKeys, PendingEnrollmentRow } from './login-keys.js';
import type { AuthStore, CountedLimit, LimitCheck, LimitVerdict, RateLimiter, SmsLimitName, WriteResult, WriteUnit } from '../../core/ports.js';
import type { TokenDecoder, TokenRow } from '../tokens.js';
import { challengesWithTokens } from './rows.js';
import { ReadBatcher } from './pg-read-batch.js';
import { postgresDriver } from '../connection.js';
import { PG_STATEMENTS, pgBatchDelete, type LiveCounts, type PgStatementName } from './statements.js';
import type { ExecResult } from './unit.js';
import type { AccountingEvent } from '../../core/accounting.js';
import { CLOSE_CLIENT_SESSIONS, RECORD_ACCOUNTING, accountingValues, numbered, pruneSessions } from './accounting.js';

export interface PgAuthStoreOptions {
  readonly url: string;
  readonly max: number;
  readonly onError: (err: Error) => void;
}

interface Queued {
  readonly unit: WriteUnit;
  readonly resolve: (result: WriteResult) => void;
  readonly reject: (err: unknown) => void;
}

export class PgAuthStore implements AuthStore, RateLimiter {
  private readonly pool: pg.Pool;
  private readonly queued: Queued[] = [];
  private flushing = false;
  private flushScheduled = false;
  private readonly openReads = new ReadBatcher(
    async (transactionIds, since) => (await this.query('openWithTokensOfMany', [transactionIds, since])).rows,
    'c_transaction_id',
    'c_expires_at',
  );

  constructor(
    options: PgAuthStoreOptions,
    private readonly decoder: TokenDecoder,
    private readonly keys: LoginKeys,
  ) {
    // Below a NAS's timeout: a store that does not answer fails the request while the NAS waits.
    this.pool = new (postgresDriver().Pool)({
      connectionString: options.url,
      max: options.max,
      connectionTimeoutMillis: 3000,
      statement_timeout: 5000,
      query_timeout: 6000,
    });
    // An idle connection that breaks (server restart) must not take the daemon down.
    this.pool.on('error', options.onError);
  }

  async byUser(username: string, realm: string): Promise<Token[]> {
    const rows = await this.query('tokensByUser', [username, realm]);
    return rows.rows.map((r) => this.decoder.decode(r as unknown as TokenRow));
  }

  async bySerial(serial: string): Promise<Token | undefined> {
    const row = (await this.query('tokenBySerial', [serial])).rows[0];
    return row && this.decoder.decode(row as unknown as TokenRow);
  }

  /** Read in a batch with the other States asked for meanwhile (src/store/auth/pg-read-batch.ts). */
  async openWithTokens(transactionId: string, now: number): Promise<{ challenges: Challenge[]; tokens: Token[] }> {
    return challengesWithTokens(await this.openReads.read(transactionId, now), this.decoder);
  }

  async pendingEnrollment(transactionId: string, now: number): Promise<PendingEnrollment | undefined> {
    const row = (await this.query('pendingEnrollment', [transactionId, now])).rows[0] as unknown as PendingEnrollmentRow | undefined;
    return row && this.keys.pendingEnrollment(row);
  }

  async configRevision(): Promise<string> {
    return String((await this.query('configRevision', [])).rows[0]?.value ?? '0');
  }

  /** Expired challenges, pending enrollments and SMS limit windows, up to 1 000 of each; the largest count (1 000: call again). */
  async purgeExpired(now: number): Promise<number> {
    const purged = await Promise.all([
      this.query('purgeExpired', [now]),
      this.query('purgeExpiredEnrollments', [now]),
      this.query('purgeExpiredLimits', [now]),
    ]);
    return Math.max(...purged.map((p) => p.changes));
  }

  /** The SMS limits' check and count: one call of sms_otp_consume_limits (migrations 0014, 0019), one transaction. */
  async consume(limits: readonly LimitCheck[], now: number): Promise<LimitVerdict> {
    const result = await this.pool.query({
      name: 'consumeLimits',
      text: 'SELECT sms_otp_consume_limits($1::jsonb, $2) AS verdict',
      values: [JSON.stringify(limits), now],
    });
    const v = result.rows[0].verdict as {
      allowed: boolean;
      name?: SmsLimitName;
      key?: string;
      retryAfterMs?: number;
      firstRefusal?: boolean;
      windows?: Record<string, number | string>;
    };
    // windows (0019): absent from 0014's function, then nothing can be refunded.
    if (v.allowed) return { allowed: true, counted: Object.entries(v.windows ?? {}).map(([key, end]) => ({ key, windowEndsAt: Number(end) })) };
    return { allowed: false, name: v.name!, key: v.key!, retryAfterMs: Number(v.retryAfterMs), firstRefusal: v.firstRefusal === true };
  }

  /** Takes back one count from each window (one statement each, each atomic on its own row). */
  async refund(counted: readonly CountedLimit[]): Promise<void> {
    for (const window of counted) await this.query('refundLimit', [window.key, window.windowEndsAt]);
  }

  /** Open challenges and locked tokens now (two indexed counts), for the metrics. */
  async liveCounts(now: number, clearTimeoutMinutes: number): Promise<LiveCounts> {
    const [open, locked] = await Promise.all([
      this.query('openChallenges', [now]),
      this.query('lockedTokens', [clearTimeoutMinutes, now - clearTimeoutMinutes * 60_000]),
    ]);
    return { openChallenges: Number(open.rows[0]?.n ?? 0), lockedTokens: Number(locked.rows[0]?.n ?? 0) };
  }

  /** Removes a bounded batch of audit rows older than `before` (rows another node is removing are skipped). */
  async pruneAudit(before: number): Promise<number> {
    return (await this.query('pruneAudit', [before])).changes;
  }

  /** Writes an accounting event; resolves once PostgreSQL has committed it. */
  async recordAccounting(event: AccountingEvent): Promise<void> {
    await this.pool.query({ name: 'recordAccounting', text: numbered(RECORD_ACCOUNTING), values: accountingValues(event) });
  }

  /** Accounting-On/Off: every open session of the client ends now. */
  async closeClientSessions(client: string, at: number, cause: string, status: string): Promise<number> {
    const result = await this.pool.query({ name: 'closeClientSessions', text: numbered(CLOSE_CLIENT_SESSIONS), values: [at, at, cause, status, client] });
    return result.rowCount ?? 0;
  }

  /** Removes a bounded batch of sessions not updated since `before` (rows another node is removing are skipped). */
  async pruneSessions(before: number): Promise<number> {
    return (await this.pool.query({ name: 'pruneSessions', text: numbered(pgBatchDelete(pruneSessions(true))), values: [before] })).rowCount ?? 0;
  }

  /**
   * A write that reaches the disk as a login's commit does (a few kB in store_meta, one
   * commit): the health check's way to notice that writes work again while no login writes
   * (src/store/write-health.ts).
   */
  async probeWrite(now: number): Promise<void> {
    await this.pool.query({
      name: 'probeWrite',
      text: "INSERT INTO store_meta (key, value) VALUES ('write_probe', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      values: [`${now}:${randomBytes(8192).toString('base64')}`],
    });
  }

  /**
   * Group commit: the units of one turn of the event loop go to PostgreSQL as one call, one
   * transaction, one WAL flush. One batch is in flight at a time (batches of one daemon
   * never wait for each other's row locks); units arriving meanwhile form the next batch.
   */
  commit(unit: WriteUnit): Promise<WriteResult> {
    return new Promise((resolve, reject) => {
      this.queued.push({ unit, resolve, reject });
      if (!this.flushing && !this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => void this.flush());
      }
    });
  }

  private async flush(): Promise<void> {
    this.flushScheduled = false;
    const batch = this.queued.splice(0);
    if (batch.length === 0) return;
    this.flushing = true;
    try {
      const result = await this.pool.query({
        name: 'applyUnits',
        text: 'SELECT sms_otp_apply_units($1::jsonb) AS results',
        values: [JSON.stringify(batch.map((b) => this.keys.sealUnit(b.unit)))],
      });
      const results = result.rows[0].results as Array<{ outcome: string; counters: Record<string, number>; locked?: string[] } | { error: string }>;
      batch.forEach((b, i) => {
        const r = results[i];
        if (!r) b.reject(new Error('the store returned fewer results than units'));
        else if ('error' in r) b.reject(new Error(r.error));
        else {
          const counters = new Map(Object.entries(r.counters).map(([serial, c]) => [serial, Number(c)]));
          b.resolve({ outcome: r.outcome, counters, locked: r.locked ?? [] });
        }
      });
    } catch (err) {
      for (const b of batch) b.reject(err);
    } finally {
      this.flushing = false;
      if (this.queued.length > 0) void this.flush();
    }
  }

  close(): Promise<void> {
    return this.pool.end();
  }

  private async query(name: PgStatementName, values: readonly unknown[]): Promise<ExecResult> {
    const result = await this.pool.query({ name, text: PG_STATEMENTS[name], values: values as unknown[] });
    return { changes: result.rowCount ?? 0, rows: result.rows as Array<Record<string, unknown>> };
  }
}
