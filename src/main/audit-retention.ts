// Audit retention: every daemon of a site removes rows older than audit.retention_days, in
// the background, a bounded batch at a time through the `at` index, with a pause between
// batches so that logins keep their turn. On PostgreSQL every node does it; concurrent
// passes skip each other's rows (src/store/auth/statements.ts), so nothing is done twice or waited for.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';

const DAY_MS = 86_400_000;
/** A pass every ten minutes: one indexed query when there is nothing to remove. */
const INTERVAL_MS = 600_000;
/**
 * Between two batches. A SQLite batch runs on the event loop inside the logins' group commit
 * (about 10 ms); the pause bounds the share of the loop and of the WAL the pruning takes.
 * 1 000 rows per 60 ms still removes over a million rows a minute.
 */
const PAUSE_MS = 50;

export interface AuditRetentionOptions {
  /** Removes a bounded batch of rows older than `before`; how many it removed (0: none left). */
  readonly prune: (before: number) => Promise<number>;
  readonly retentionDays: () => number;
  readonly log: Logger;
  readonly now?: () => number;
}

export class AuditRetention {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private readonly now: () => number;

  constructor(private readonly options: AuditRetentionOptions) {
    this.now = options.now ?? Date.now;
  }

  /** A first pass now, then one every ten minutes. */
  start(): void {
    this.kick();
    this.timer = setInterval(() => this.kick(), INTERVAL_MS);
    this.timer.unref();
  }

  /** Runs a pass soon (after a settings change: a lowered retention applies at once). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.pass().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    });
  }

  /** Stops after the batch in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.running;
  }

  private async pass(): Promise<void> {
    const before = this.now() - this.options.retentionDays() * DAY_MS;
    let total = 0;
    try {
      for (;;) {
        const removed = await this.options.prune(before);
        total += removed;
        if (removed === 0 || this.stopped) break;
        await sleep(PAUSE_MS);
      }
    } catch (err) {
      if (this.stopped) return; // the store closed under the batch at shutdown
      this.options.log.warn({ reason: (err as Error).message, removed: total }, 'pruning the audit trail failed; the next pass tries again');
      return;
    }
    if (total > 0) this.options.log.info({ removed: total, before: new Date(before).toISOString() }, 'audit rows past audit.retention_days removed');
  }
}
