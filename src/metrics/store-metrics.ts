// The store as the metrics see it: errors by operation, whether the daemon's probe reaches
// it, and two counts read at scrape time (open challenges, locked tokens). The counts are
// cached briefly and bounded in time, so that frequent or parallel scrapes cost the store
// one pair of indexed counts per period, and a store that hangs cannot hang a scrape.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { AuthStore } from '../core/ports.js';
import type { LiveCounts } from '../store/auth/statements.js';

export type StoreOperation = 'read' | 'write' | 'probe' | 'purge' | 'count';

export interface StoreMetricsOptions {
  /** The two counts, from the daemon's own store connection (liveCounts of the auth store). */
  readonly liveCounts: () => Promise<LiveCounts>;
  readonly reachable: () => boolean;
  /** How long one reading of the counts serves scrapes (default 5 s). */
  readonly maxAgeMs?: number;
  /** A reading that takes longer counts as a failed one (default 2 s). */
  readonly timeoutMs?: number;
  readonly now?: () => number;
}

export class StoreMetrics {
  private readonly errors: Counter<'operation'>;
  private readonly counts: CachedReading<LiveCounts>;

  constructor(registry: Registry, options: StoreMetricsOptions) {
    const registers = [registry];
    this.errors = new Counter({
      name: 'sms_otp_store_errors_total',
      help: 'Store calls that failed: read/write (logins), probe (the health check), purge (expired challenges), count (these gauges)',
      labelNames: ['operation'],
      registers,
    });
    this.counts = new CachedReading(options.liveCounts, options.maxAgeMs ?? 5_000, options.timeoutMs ?? 2_000, options.now ?? Date.now, () =>
      this.failed('count'),
    );
    new Gauge({
      name: 'sms_otp_store_reachable',
      help: '1 while the store answers the daemon\'s probe (every 0.5 s) and takes writes, else 0',
      registers,
      collect() {
        this.set(options.reachable() ? 1 : 0);
      },
    });
    const counts = this.counts;
    // No sample when the store cannot be counted: a missing series, not a stale number.
    const gauge = (name: string, help: string, pick: (c: LiveCounts) => number) =>
      new Gauge({
        name,
        help,
        registers,
        async collect() {
          this.reset();
          const reading = await counts.get();
          if (reading) this.set(pick(reading));
        },
      });
    gauge('sms_otp_open_challenges', 'Challenges not yet answered or expired (one per token an SMS went to)', (c) => c.openChallenges);
    gauge('sms_otp_locked_tokens', 'Active tokens their fail counter locks now', (c) => c.lockedTokens);
  }

  failed(operation: StoreOperation): void {
    this.errors.inc({ operation });
  }

  /** The login core's store port, counting the calls that fail (the errors go on to the caller). */
  counting(store: AuthStore): AuthStore {
    const counted = <T>(operation: StoreOperation, call: Promise<T>): Promise<T> =>
      call.catch((err: unknown) => {
        this.failed(operation);
        throw err;
      });
    return {
      byUser: (username, realm) => counted('read', store.byUser(username, realm)),
      bySerial: (serial) => counted('read', store.bySerial(serial)),
      openWithTokens: (transactionId, now) => counted('read', store.openWithTokens(transactionId, now)),
      pendingEnrollment: (transactionId, now) => counted('read', store.pendingEnrollment(transactionId, now)),
      commit: (unit) => counted('write', store.commit(unit)),
    };
  }
}

/** One reading shared by everyone who asks within maxAgeMs; undefined when it failed or timed out. */
class CachedReading<T> {
  private last: { at: number; value: Promise<T | undefined> } | undefined;

  constructor(
    private readonly read: () => Promise<T>,
    private readonly maxAgeMs: number,
    private readonly timeoutMs: number,
    private readonly now: () => number,
    private readonly onFailure: () => void,
  ) {}

  get(): Promise<T | undefined> {
    const now = this.now();
    if (!this.last || now - this.last.at >= this.maxAgeMs) this.last = { at: now, value: this.attempt() };
    return this.last.value;
  }

  private async attempt(): Promise<T | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.timeoutMs);
    });
    try {
      const value = await Promise.race([this.read(), timeout]);
      if (value !== 'timeout') return value;
    } catch {
      /* counted below */
    } finally {
      clearTimeout(timer);
    }
    this.onFailure();
    return undefined;
  }
}
