// The daemon's background upkeep besides audit retention (src/main/audit-retention.ts): every
// few seconds, expired challenges and pending enrollments go, and so do clients of
// login_from_new_client unseen for the audit's retention.
import type { Logger } from 'pino';

const PURGE_INTERVAL_MS = 5_000;

export interface PurgeParts {
  /** Removes a bounded batch of expired rows; how many it removed. */
  readonly purgeExpired: (now: number) => Promise<number>;
  /** Whether some notification is about new clients (else none are remembered to forget). */
  readonly remembersClients: () => boolean;
  readonly retentionDays: () => number;
  /** Forgets a bounded batch of clients last seen before `before`; how many. */
  readonly forgetClients: (before: number) => Promise<number>;
  /** Told when a pass fails (the store metrics count it). */
  readonly failed: () => void;
  readonly log: Logger;
}

/** Starts the purge timer; the function returned stops it. */
export function startPurge(p: PurgeParts): () => void {
  let purging = false;
  async function purgeExpired(): Promise<void> {
    if (purging) return;
    purging = true;
    try {
      // Bounded batches through the expires_at index, until none is left.
      while ((await p.purgeExpired(Date.now())) >= 1000);
      // Clients of login_from_new_client unseen for the audit's retention count as new again.
      if (p.remembersClients()) {
        const before = Date.now() - p.retentionDays() * 86_400_000;
        while ((await p.forgetClients(before)) >= 1000);
      }
    } catch (err) {
      p.failed();
      p.log.warn({ reason: (err as Error).message }, 'purging expired challenges failed');
    } finally {
      purging = false;
    }
  }
  const timer = setInterval(() => void purgeExpired(), PURGE_INTERVAL_MS);
  timer.unref();
  return () => clearInterval(timer);
}
