// The login hot path on the embedded SQLite store: its own connection with statements
// prepared once; every write runs in the batched, group-committed transactions of
// ./sqlite-batch.ts (a base class, so a request pays no extra call for the split).
import { randomBytes } from 'node:crypto';
import type { Challenge, PendingEnrollment, Token } from '../../core/model.js';
import type { LoginKeys, PendingEnrollmentRow, SealedUnit } from './login-keys.js';
import type { AuthStore, CountedLimit, LimitCheck, LimitVerdict, RateLimiter, WriteResult, WriteUnit } from '../../core/ports.js';
import { challengesWithTokens } from './rows.js';
import { SQLITE_STATEMENTS, type LiveCounts, type StatementName } from './statements.js';
import { applyUnit, type ExecResult } from './unit.js';
import type { AccountingEvent } from '../../core/accounting.js';
import { CLOSE_CLIENT_SESSIONS, RECORD_ACCOUNTING, accountingValues, pruneSessions } from './accounting.js';
import { SqliteBatchedWrites } from './sqlite-batch.js';
import type Database from 'better-sqlite3';
import type { TokenDecoder, TokenRow } from '../tokens.js';

export class SqliteAuthStore extends SqliteBatchedWrites implements AuthStore, RateLimiter {
  private readonly statements: Record<StatementName, Database.Statement>;
  private readonly accountingStatements = new Map<string, Database.Statement>();
  private probeStatement: Database.Statement | undefined;

  constructor(
    filename: string,
    private readonly decoder: TokenDecoder,
    private readonly keys: LoginKeys,
    now: () => number = Date.now,
  ) {
    super(filename, now);
    this.statements = Object.fromEntries(
      Object.entries(SQLITE_STATEMENTS).map(([name, sql]) => [name, this.db.prepare(sql)]),
    ) as Record<StatementName, Database.Statement>;
  }

  byUser(username: string, realm: string): Promise<Token[]> {
    return this.read(() => (this.statements.tokensByUser.all(username, realm) as TokenRow[]).map((r) => this.decoder.decode(r)));
  }

  bySerial(serial: string): Promise<Token | undefined> {
    return this.read(() => {
      const row = this.statements.tokenBySerial.get(serial) as TokenRow | undefined;
      return row && this.decoder.decode(row);
    });
  }

  openWithTokens(transactionId: string, now: number): Promise<{ challenges: Challenge[]; tokens: Token[] }> {
    return this.read(() =>
      challengesWithTokens(this.statements.openWithTokens.all(transactionId, now) as Array<Record<string, unknown>>, this.decoder),
    );
  }

  pendingEnrollment(transactionId: string, now: number): Promise<PendingEnrollment | undefined> {
    return this.read(() => {
      const row = this.statements.pendingEnrollment.get(transactionId, now) as PendingEnrollmentRow | undefined;
      return row && this.keys.pendingEnrollment(row);
    });
  }

  configRevision(): Promise<string> {
    return this.read(() => String((this.statements.configRevision.get() as { value: string } | undefined)?.value ?? '0'));
  }

  /** Open challenges and locked tokens now (two indexed counts), for the metrics. */
  liveCounts(now: number, clearTimeoutMinutes: number): Promise<LiveCounts> {
    return this.read(() => ({
      openChallenges: Number((this.statements.openChallenges.get(now) as { n: number }).n),
      lockedTokens: Number((this.statements.lockedTokens.get(clearTimeoutMinutes, now - clearTimeoutMinutes * 60_000) as { n: number }).n),
    }));
  }

  /**
   * Removes up to 1 000 each of expired challenges, pending enrollments and ended SMS limit
   * windows, in the batch like any write; returns the largest count (1 000: call again).
   */
  async purgeExpired(now: number): Promise<number> {
    let removed = 0;
    await this.enqueue(() => {
      removed = Math.max(
        this.statements.purgeExpired.run(now).changes,
        this.statements.purgeExpiredEnrollments.run(now).changes,
        this.statements.purgeExpiredLimits.run(now).changes,
      );
      return { outcome: 'ok', counters: new Map(), locked: [] };
    });
    return removed;
  }

  /**
   * The SMS limits' check and count, inside the batch transaction like any write (SQLite's
   * write lock serialises it with every other process on the file); durable before the SMS goes.
   */
  async consume(limits: readonly LimitCheck[], now: number): Promise<LimitVerdict> {
    let verdict: LimitVerdict = { allowed: true };
    await this.enqueue(() => {
      let worst: { check: LimitCheck; retryAfterMs: number } | undefined;
      const counted: CountedLimit[] = [];
      for (const check of limits) {
        const row = this.statements.openLimitWindow.get(check.key, now + check.windowMs, now, now, now) as { count: number; expires_at: number };
        const retryAfterMs = Number(row.expires_at) - now;
        counted.push({ key: check.key, windowEndsAt: Number(row.expires_at) });
        if (Number(row.count) >= check.max && (!worst || retryAfterMs > worst.retryAfterMs)) worst = { check, retryAfterMs };
      }
      if (!worst) {
        for (const check of limits) this.statements.countLimit.run(check.key);
        verdict = { allowed: true, counted };
      } else {
        const { refused } = this.statements.refuseLimit.get(worst.check.key) as { refused: number };
        verdict = { allowed: false, name: worst.check.name, key: worst.check.key, retryAfterMs: worst.retryAfterMs, firstRefusal: Number(refused) === 1 };
      }
      return { outcome: 'ok', counters: new Map(), locked: [] };
    });
    return verdict;
  }

  /** Takes back one count from each window, in the batch like any write. */
  async refund(counted: readonly CountedLimit[]): Promise<void> {
    if (counted.length === 0) return;
    await this.enqueue(() => {
      for (const window of counted) this.statements.refundLimit.run(window.key, window.windowEndsAt);
      return { outcome: 'ok', counters: new Map(), locked: [] };
    });
  }

  /** Removes a bounded batch of audit rows older than `before`, in the batch like any write. */
  async pruneAudit(before: number): Promise<number> {
    let removed = 0;
    await this.enqueue(() => {
      removed = this.statements.pruneAudit.run(before).changes;
      return { outcome: 'ok', counters: new Map(), locked: [] };
    });
    return removed;
  }

  /** Writes an accounting event; resolves once it is on disk (the batch's WAL sync). */
  async recordAccounting(event: AccountingEvent): Promise<void> {
    const statement = this.accountingStatement('record', RECORD_ACCOUNTING);
    await this.enqueue(() => {
      statement.run(...accountingValues(event));
      return { outcome: 'ok', counters: new Map(), locked: [] };
    });
  }

  /** Accounting-On/Off: every open session of the client ends now. */
  async closeClientSessions(client: string, at: number, cause: string, status: string): Promise<number> {
    const statement = this.accountingStatement('close', CLOSE_CLIENT_SESSIONS);
    let closed = 0;
    await this.enqueue(() => {
      closed = statement.run(at, at, cause, status, client).changes;
      return { outcome: 'ok', counters: new Map(), locked: [] };
    });
    return closed;
  }

  /** Removes a bounded batch of sessions not updated since `before` (the audit's retention). */
  async pruneSessions(before: number): Promise<number> {
    const statement = this.accountingStatement('prune', pruneSessions(false));
    let removed = 0;
    await this.enqueue(() => {
      removed = statement.run(before).changes;
      return { outcome: 'ok', counters: new Map(), locked: [] };
    });
    return removed;
  }

  /** Prepared on first use: the table exists only once migration 0020 ran. */
  private accountingStatement(name: string, sql: string): Database.Statement {
    let statement = this.accountingStatements.get(name);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.accountingStatements.set(name, statement);
    }
    return statement;
  }

  /**
   * A write that reaches the disk as a login's commit does (a few pages of random bytes in
   * store_meta, synced with the batch): the health check's way to notice that writes work
   * again while no login writes (src/store/write-health.ts).
   */
  async probeWrite(now: number): Promise<void> {
    const value = `${now}:${randomBytes(8192).toString('base64')}`;
    this.probeStatement ??= this.db.prepare(
      "INSERT INTO store_meta (key, value) VALUES ('write_probe', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
    );
    const statement = this.probeStatement;
    await this.enqueue(() => {
      statement.run(value);
      return { outcome: 'ok', counters: new Map(), locked: [] };
    });
  }

  commit(unit: WriteUnit): Promise<WriteResult> {
    const sealed = this.keys.sealUnit(unit);
    return this.enqueue(() => this.drive(sealed), unit.deadline);
  }

  private drive(unit: SealedUnit): WriteResult {
    return applyUnit(unit, (statement, params): ExecResult => {
      const prepared = this.statements[statement];
      if (!prepared.reader) return { changes: prepared.run(...params).changes, rows: [] };
      const rows = prepared.all(...params) as Array<Record<string, unknown>>;
      return { changes: rows.length, rows };
    });
  }
}
