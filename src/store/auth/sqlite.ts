// The login hot path on the embedded SQLite store: its own connection, statements prepared
// once, and group commit. better-sqlite3 is synchronous, so a unit's statements run at once,
// in order, inside one IMMEDIATE transaction (a SAVEPOINT each); the WAL is synced to disk on
// the thread pool, and only then are the units' promises resolved, so no reply reports what
// is not on disk. While one sync runs, the units that arrive meanwhile wait, and the moment
// the sync ends they are applied and committed in one transaction: one commit per sync, not
// one per turn of the event loop. A commit writes every page it changed to the WAL once, and the pages
// that every request touches (the audit table's last page, the upper levels of each index)
// are shared by all the units of a commit, so fewer, larger commits write fewer pages.
// With no sync running the transaction commits at the end of the turn.
//
// This connection never waits for a lock inside SQLite (busy_timeout 0): a lock held by
// another process (the CLI, a backup, an sqlite3 shell) makes BEGIN fail at once, and the
// units wait, without blocking the event loop, until it is free or their deadline passes.
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { closeSync, fdatasync, fstatSync, openSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { StoreUnavailable } from '../../core/errors.js';
import type { Challenge, PendingEnrollment, Token } from '../../core/model.js';
import type { LoginKeys, PendingEnrollmentRow, SealedUnit } from './login-keys.js';
import type { AuthStore, CountedLimit, LimitCheck, LimitVerdict, RateLimiter, WriteResult, WriteUnit } from '../../core/ports.js';
import { challengesWithTokens } from './rows.js';
import { SQLITE_STATEMENTS, type LiveCounts, type StatementName } from './statements.js';
import { applyUnit, type ExecResult } from './unit.js';
import type { AccountingEvent } from '../../core/accounting.js';
import { CLOSE_CLIENT_SESSIONS, RECORD_ACCOUNTING, accountingValues, pruneSessions } from './accounting.js';
import { WAL_LIMIT_BYTES } from '../connection.js';
import type { TokenDecoder, TokenRow } from '../tokens.js';

const RETRY_MS = 5;
/** How long a unit without a deadline (CLI, maintenance) waits for another process's lock. */
const DEFAULT_WAIT_MS = 5_000;
/** How often the WAL's size is looked at (one fstat); past WAL_LIMIT_BYTES it is checkpointed and truncated. */
const CHECKPOINT_MS = 1_000;

interface Batch {
  readonly resolve: Array<() => void>;
  readonly reject: Array<(err: unknown) => void>;
}

interface Waiting {
  /** The unit's statements; run synchronously inside the batch transaction. */
  readonly run: () => WriteResult;
  readonly deadline: number;
  readonly resolve: (result: WriteResult) => void;
  readonly reject: (err: unknown) => void;
}

export function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}

export class SqliteAuthStore implements AuthStore, RateLimiter {
  private readonly db: Database.Database;
  private readonly statements: Record<StatementName, Database.Statement>;
  /** Transaction control, prepared like the rest: exec() would parse the SQL every time. */
  private readonly control: Record<'begin' | 'savepoint' | 'release' | 'rollbackTo' | 'commit' | 'rollback', Database.Statement>;
  private readonly waiting: Waiting[] = [];
  private batch: Array<() => void> = [];
  private batchFailures: Array<(err: unknown) => void> = [];
  private inTransaction = false;
  private syncing = false;
  private commitScheduled = false;
  private walFd: number | undefined;
  private retry: NodeJS.Timeout | undefined;
  private readonly checkpoints: NodeJS.Timeout;
  private closed = false;
  private readonly accountingStatements = new Map<string, Database.Statement>();
  private probeStatement: Database.Statement | undefined;

  constructor(
    private readonly filename: string,
    private readonly decoder: TokenDecoder,
    private readonly keys: LoginKeys,
    private readonly now: () => number = Date.now,
  ) {
    this.db = new Database(filename);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 0');
    // Commits write the WAL without an fsync on this thread; durable() syncs it off the
    // event loop before any reply of the batch leaves (checkpoints sync as under NORMAL).
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('foreign_keys = ON');
    // Page cache of at most 8 MiB (better-sqlite3 builds SQLite with 16 MiB, SQLite's own
    // default is 2): a miss is a read from the OS page cache, and the hot pages (indexes,
    // tokens in use, recent challenges) fit.
    this.db.pragma('cache_size = -8192');
    this.db.pragma(`journal_size_limit = ${WAL_LIMIT_BYTES}`);
    this.checkpoints = setInterval(() => this.checkpointIfLarge(), CHECKPOINT_MS);
    this.checkpoints.unref();
    this.statements = Object.fromEntries(
      Object.entries(SQLITE_STATEMENTS).map(([name, sql]) => [name, this.db.prepare(sql)]),
    ) as Record<StatementName, Database.Statement>;
    this.control = {
      begin: this.db.prepare('BEGIN IMMEDIATE'),
      savepoint: this.db.prepare('SAVEPOINT unit'),
      release: this.db.prepare('RELEASE unit'),
      rollbackTo: this.db.prepare('ROLLBACK TO unit'),
      commit: this.db.prepare('COMMIT'),
      rollback: this.db.prepare('ROLLBACK'),
    };
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

  /**
   * Checkpoints and truncates the WAL when it has grown past WAL_LIMIT_BYTES, between batches
   * (never inside the open transaction or while it syncs). It does not wait: when another
   * process reads an older snapshot, SQLite copies what it can and the next second tries again.
   */
  private checkpointIfLarge(): void {
    if (this.closed || this.inTransaction || this.syncing || this.walFd === undefined) return;
    try {
      if (fstatSync(this.walFd).size <= WAL_LIMIT_BYTES) return;
      this.db.pragma('wal_checkpoint(TRUNCATE)');
    } catch {
      /* busy or a full disk: the writes report the store's health, the next tick tries again */
    }
  }

  commit(unit: WriteUnit): Promise<WriteResult> {
    const sealed = this.keys.sealUnit(unit);
    return this.enqueue(() => this.drive(sealed), unit.deadline);
  }

  private enqueue(run: () => WriteResult, deadline?: number): Promise<WriteResult> {
    if (this.closed) return Promise.reject(new StoreUnavailable('the store is closed'));
    return new Promise((resolve, reject) => {
      this.waiting.push({ run, deadline: deadline ?? this.now() + DEFAULT_WAIT_MS, resolve, reject });
      this.pump();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    // Let the open batch commit and reach the disk, and fail what still waits for a lock.
    while (this.inTransaction || this.syncing) await sleep(1);
    clearTimeout(this.retry);
    clearInterval(this.checkpoints);
    for (const w of this.waiting.splice(0)) w.reject(new StoreUnavailable('the store is closing'));
    this.db.close();
    if (this.walFd !== undefined) closeSync(this.walFd);
  }

  /** Runs what waits inside the turn's transaction, opening it when needed. */
  private pump(): void {
    if (this.waiting.length === 0) return;
    // During a sync the units wait here, and the sync's end applies and commits them in one
    // transaction within one callback: the write lock is never held across turns of the event
    // loop, where this process's own knex connection (the admin API, gateway health, known
    // clients) would wait for it synchronously, blocking the very loop that would release it.
    if (this.syncing) return;
    if (!this.inTransaction) {
      try {
        this.control.begin.run();
      } catch (err) {
        if (!isBusy(err)) {
          for (const w of this.waiting.splice(0)) w.reject(err);
          return;
        }
        this.waitForLock();
        return;
      }
      this.inTransaction = true;
      this.scheduleCommit();
    }
    for (const w of this.waiting.splice(0)) this.apply(w);
  }

  private apply(w: Waiting): void {
    this.control.savepoint.run();
    let result: WriteResult;
    try {
      result = w.run();
      this.control.release.run();
    } catch (err) {
      this.control.rollbackTo.run();
      this.control.release.run();
      w.reject(err);
      return;
    }
    this.batch.push(() => w.resolve(result));
    this.batchFailures.push(w.reject);
  }

  private drive(unit: SealedUnit): WriteResult {
    return applyUnit(unit, (statement, params): ExecResult => {
      const prepared = this.statements[statement];
      if (!prepared.reader) return { changes: prepared.run(...params).changes, rows: [] };
      const rows = prepared.all(...params) as Array<Record<string, unknown>>;
      return { changes: rows.length, rows };
    });
  }

  private scheduleCommit(): void {
    if (this.commitScheduled) return;
    this.commitScheduled = true;
    setImmediate(() => {
      this.commitScheduled = false;
      if (this.inTransaction) this.commitBatch();
    });
  }

  private commitBatch(): void {
    const batch: Batch = { resolve: this.batch, reject: this.batchFailures };
    this.batch = [];
    this.batchFailures = [];
    try {
      this.control.commit.run();
    } catch (err) {
      try {
        this.control.rollback.run();
      } catch {
        /* the transaction is gone already */
      }
      this.inTransaction = false;
      for (const fail of batch.reject) fail(err);
      this.pump();
      return;
    }
    this.inTransaction = false;
    this.durable(batch);
    this.pump();
  }

  /**
   * Group commit: the batch's replies leave once its WAL frames are on disk. One fdatasync
   * runs at a time, on libuv's thread pool: a batch commits only while none runs (its turn's
   * end) or as one ends (here), so each sync has exactly one batch, and what waited during
   * it is applied and committed as it ends and shares the next one.
   */
  private durable(batch: Batch): void {
    this.syncing = true;
    fdatasync(this.walDescriptor(), (err) => {
      this.syncing = false;
      for (const settle of err ? batch.reject : batch.resolve) (settle as (e?: unknown) => void)(err);
      // What gathered during the sync is applied and committed now, and starts the next sync.
      this.pump();
      if (this.inTransaction) this.commitBatch();
    });
  }

  private walDescriptor(): number {
    // The WAL exists from the first commit on and is never removed while this connection is open.
    this.walFd ??= openSync(`${this.filename}-wal`, 'r');
    return this.walFd;
  }

  /** Another process holds the write lock: fail what is past its deadline, try again shortly. */
  private waitForLock(): void {
    const now = this.now();
    for (let i = this.waiting.length - 1; i >= 0; i--) {
      const w = this.waiting[i]!;
      if (w.deadline <= now) {
        this.waiting.splice(i, 1);
        w.reject(new StoreUnavailable('the SQLite store stayed locked by another process until the request expired'));
      }
    }
    if (this.waiting.length > 0 && this.retry === undefined) {
      this.retry = setTimeout(() => {
        this.retry = undefined;
        this.pump();
      }, RETRY_MS);
    }
  }

  /** Reads never wait inside SQLite either; in WAL mode they are almost never refused. */
  private async read<T>(query: () => T): Promise<T> {
    const deadline = this.now() + DEFAULT_WAIT_MS;
    for (;;) {
      try {
        return query();
      } catch (err) {
        if (!isBusy(err) || this.now() >= deadline) throw err;
        await sleep(RETRY_MS);
      }
    }
  }
}
