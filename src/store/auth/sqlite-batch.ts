// The SQLite hot path's writes: its own connection and group commit. better-sqlite3 is
// synchronous, so a unit's statements run at once, in order, inside one IMMEDIATE transaction
// (a SAVEPOINT each); the WAL is synced to disk on the thread pool, and only then are the
// units' promises resolved, so no reply reports what is not on disk. While one sync runs, the
// units that arrive meanwhile wait, and the moment the sync ends they are applied and committed
// in one transaction: one commit per sync, not one per turn of the event loop. A commit writes
// every page it changed to the WAL once, and the pages that every request touches (the audit
// table's last page, the upper levels of each index) are shared by all the units of a commit,
// so fewer, larger commits write fewer pages. With no sync running the units commit at once, in
// the callback that brought them (and start the sync the next ones gather behind).
//
// This connection never waits for a lock inside SQLite (busy_timeout 0): a lock held by
// another process (the CLI, a backup, an sqlite3 shell) makes BEGIN fail at once, and the
// units wait, without blocking the event loop, until it is free or their deadline passes.
// src/store/auth/sqlite.ts builds the login's reads and writes on this class.
import Database from 'better-sqlite3';
import { closeSync, fdatasync, fstatSync, openSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { StoreUnavailable } from '../../core/errors.js';
import type { WriteResult } from '../../core/ports.js';
import { WAL_LIMIT_BYTES } from '../connection.js';

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

function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}

export abstract class SqliteBatchedWrites {
  protected readonly db: Database.Database;
  /** Transaction control, prepared like the rest: exec() would parse the SQL every time. */
  private readonly control: Record<'begin' | 'savepoint' | 'release' | 'rollbackTo' | 'commit' | 'rollback', Database.Statement>;
  private readonly waiting: Waiting[] = [];
  private batch: Array<() => void> = [];
  private batchFailures: Array<(err: unknown) => void> = [];
  private inTransaction = false;
  private syncing = false;
  private walFd: number | undefined;
  private retry: NodeJS.Timeout | undefined;
  private readonly checkpoints: NodeJS.Timeout;
  private closed = false;

  constructor(
    private readonly filename: string,
    protected readonly now: () => number,
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
    this.control = {
      begin: this.db.prepare('BEGIN IMMEDIATE'),
      savepoint: this.db.prepare('SAVEPOINT unit'),
      release: this.db.prepare('RELEASE unit'),
      rollbackTo: this.db.prepare('ROLLBACK TO unit'),
      commit: this.db.prepare('COMMIT'),
      rollback: this.db.prepare('ROLLBACK'),
    };
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

  protected enqueue(run: () => WriteResult, deadline?: number): Promise<WriteResult> {
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

  /** Applies what waits in one transaction and commits it, unless a sync runs (then its end does). */
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
    }
    for (const w of this.waiting.splice(0)) this.apply(w);
    // Committed in this same callback, not at the turn's end: between a callback and the
    // check phase other I/O callbacks run (an HTTP request's knex write, a web session saved),
    // and such a statement would wait for this lock synchronously (busy_timeout), blocking the
    // loop that would release it, for 5 s. Units arriving during the sync still share a commit.
    this.commitBatch();
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
  protected async read<T>(query: () => T): Promise<T> {
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
