// Whether the store takes writes. The revision probe (site-config.ts) only reads, and a store
// whose disk is full, or that was remounted read-only, or whose PostgreSQL server fell back to a
// standby, still answers reads: every login then fails on its commit while the probe says all
// is well. So every write the daemon makes reports here: a write that fails for a reason of the
// store itself (no space, read-only, I/O, the connection gone) marks the store unwritable until
// a write that started after it succeeds. While it is unwritable and no login writes (the
// NASes have failed over, as they should), a small probe write every half second finds out
// when space has returned.
import type { AuthStore } from '../core/ports.js';

/** SQLite result codes (extended ones start with these) that say the store cannot write. */
const SQLITE_STORE_FAULTS = ['SQLITE_FULL', 'SQLITE_IOERR', 'SQLITE_READONLY', 'SQLITE_CANTOPEN', 'SQLITE_CORRUPT', 'SQLITE_NOTADB', 'SQLITE_PROTOCOL'];
/** errno codes from syncing the WAL (fdatasync) or opening its file. */
const ERRNO_STORE_FAULTS: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EIO: 'an I/O error',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
};
/** PostgreSQL connection failures (the driver's, no SQLSTATE). */
const CONNECTION_FAULTS = ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH'];
/**
 * What a PostgreSQL unit reports from inside its subtransaction (only the message survives
 * sms_otp_apply_units): the server's wording for the same faults.
 */
const PG_MESSAGE_FAULTS: Array<[RegExp, string]> = [
  [/no space left on device/i, 'no space left on the device'],
  [/read-only transaction/i, 'the database is read-only (a standby?)'],
  [/could not (write|extend|fsync)|i\/o error/i, 'an I/O error'],
  [/connection terminated|terminating connection|the database system is (shutting down|starting up|in recovery mode)/i, 'the connection to the store was lost'],
];

/**
 * Why a failed write means the store cannot take writes, or undefined when the failure was the
 * write's own (a lock held past its deadline, a closing daemon, a bug): those say nothing
 * about the store's health.
 */
export function storeWriteFault(err: unknown): string | undefined {
  const e = err as { code?: unknown; message?: unknown } | undefined;
  const code = typeof e?.code === 'string' ? e.code : '';
  const message = typeof e?.message === 'string' ? e.message : '';
  if (SQLITE_STORE_FAULTS.some((c) => code.startsWith(c))) return sqliteReason(code);
  if (code in ERRNO_STORE_FAULTS) return `${ERRNO_STORE_FAULTS[code]} (${code})`;
  if (CONNECTION_FAULTS.includes(code)) return `the connection to the store failed (${code})`;
  // SQLSTATE classes: 53 insufficient resources (53100 disk full), 58 system error (58030 I/O),
  // 57P admin shutdown and friends, XX001/XX002 corruption; 25006 a read-only transaction.
  if (/^(53|58|57P|XX00[12])/.test(code)) return `PostgreSQL SQLSTATE ${code}${message ? `: ${oneLine(message)}` : ''}`;
  if (code === '25006') return 'the database is read-only (a standby?) (SQLSTATE 25006)';
  for (const [re, reason] of PG_MESSAGE_FAULTS) if (re.test(message)) return reason;
  return undefined;
}

function sqliteReason(code: string): string {
  if (code.startsWith('SQLITE_FULL')) return `the disk under the store is full (${code})`;
  if (code.startsWith('SQLITE_READONLY')) return `the store file is read-only (${code})`;
  if (code.startsWith('SQLITE_IOERR')) return `an I/O error on the store file (${code})`;
  return `the store file cannot be written (${code})`;
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').slice(0, 200);
}

export interface StoreWriteHealthOptions {
  /** A small write that touches the disk as a login's commit does; called only while unwritable. */
  readonly probeWrite: () => Promise<void>;
  /** Told once per outage, with the reason. */
  readonly onUnwritable: (reason: string) => void;
  /** Told when a write succeeds again. */
  readonly onWritable: () => void;
  readonly probeIntervalMs?: number;
}

const PROBE_MS = 500;

export class StoreWriteHealth {
  /** Writes are numbered as they start: a success clears a fault only when it started after it. */
  private started = 0;
  private fault: { reason: string; afterWrite: number } | undefined;
  private probe: NodeJS.Timeout | undefined;
  private probing = false;
  private stopped = false;

  constructor(private readonly options: StoreWriteHealthOptions) {}

  /** Undefined while writes succeed, else why they do not. */
  unwritable(): string | undefined {
    return this.fault?.reason;
  }

  /** Follows one write: the promise is returned unchanged. */
  track<T>(write: () => Promise<T>): Promise<T> {
    const n = ++this.started;
    let call: Promise<T>;
    try {
      call = write();
    } catch (err) {
      this.failed(n, err);
      throw err;
    }
    return call.then(
      (value) => {
        this.succeeded(n);
        return value;
      },
      (err: unknown) => {
        this.failed(n, err);
        throw err;
      },
    );
  }

  /** The login core's store port, with its writes followed (the reads are the probe's job). */
  watching(store: AuthStore): AuthStore {
    return {
      byUser: (username, realm) => store.byUser(username, realm),
      bySerial: (serial) => store.bySerial(serial),
      openWithTokens: (transactionId, now) => store.openWithTokens(transactionId, now),
      pendingEnrollment: (transactionId, now) => store.pendingEnrollment(transactionId, now),
      commit: (unit) => this.track(() => store.commit(unit)),
    };
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.probe);
    this.probe = undefined;
  }

  private failed(n: number, err: unknown): void {
    const reason = storeWriteFault(err);
    if (reason === undefined) return;
    if (this.fault) {
      this.fault = { reason, afterWrite: Math.max(this.fault.afterWrite, n) };
      return;
    }
    this.fault = { reason, afterWrite: n };
    this.options.onUnwritable(reason);
    this.startProbing();
  }

  private succeeded(n: number): void {
    if (!this.fault || n <= this.fault.afterWrite) return;
    // Writes numbered after the fault: anything in flight when it happened is already past it.
    this.fault = undefined;
    clearInterval(this.probe);
    this.probe = undefined;
    this.options.onWritable();
  }

  private startProbing(): void {
    if (this.probe || this.stopped) return;
    this.probe = setInterval(() => void this.probeOnce(), this.options.probeIntervalMs ?? PROBE_MS);
    this.probe.unref();
  }

  private async probeOnce(): Promise<void> {
    if (this.probing) return; // a probe that hangs is not stacked up
    this.probing = true;
    try {
      await this.track(() => this.options.probeWrite());
    } catch {
      /* still unwritable: failed() kept the fault */
    } finally {
      this.probing = false;
    }
  }
}
