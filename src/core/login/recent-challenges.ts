// The challenges this node issued lately, by who asked for them (user, realm, the caller and
// the tokens whose PIN matched), so that a NAS that gives up waiting and sends a new
// Access-Request with the same PIN gets the same challenge again (same State, same
// Reply-Message) instead of a second SMS: both while the first is still being sent (the
// request joins it) and while it is fresh (younger than sms.resend_interval). In memory: a
// NAS retries the server it asked; what reaches another node is bounded by the SMS limits.
//
// The caller is the RADIUS client, or over HTTP the caller's own address (AuthRequest's
// client.caller): two HTTP callers are two logins, never one shared single-use transaction.
// A challenge whose SMS failed after it was answered is forgotten (discard): it is never
// offered again, the next request tries the gateway again.
import type { AuthResult } from './request.js';

export type ChallengeResult = Extract<AuthResult, { outcome: 'challenge' }>;

interface Issued {
  readonly result: ChallengeResult;
  readonly at: number;
}

/** Entries kept at most; the oldest go first (a flood of distinct users must not grow it without bound). */
const MAX_ENTRIES = 50_000;

export class RecentChallenges {
  private readonly issued = new Map<string, Issued>();
  private readonly inFlight = new Map<string, Promise<AuthResult>>();
  /** Transactions whose SMS failed after the challenge was answered: never repeated. */
  private readonly failed = new Set<string>();

  static keyOf(user: { username: string; realm: string }, caller: string, serials: readonly string[]): string {
    return [user.username, user.realm, caller, [...serials].sort().join(',')].join('\0');
  }

  /** The challenge being issued for the same request right now, to wait for instead of sending again. */
  pending(key: string): Promise<AuthResult> | undefined {
    return this.inFlight.get(key);
  }

  /** The challenge issued for the same request less than `freshMs` ago, if any. */
  fresh(key: string, now: number, freshMs: number): ChallengeResult | undefined {
    const issued = this.issued.get(key);
    if (!issued) return undefined;
    if (now - issued.at < freshMs && !this.failed.has(issued.result.transactionId)) return issued.result;
    this.forget(key, issued);
    return undefined;
  }

  /** Whether the transaction's SMS failed after its challenge was answered. */
  hasFailed(transactionId: string): boolean {
    return this.failed.has(transactionId);
  }

  /**
   * The SMS of this transaction failed after its challenge was answered: it is not offered
   * again (a request joining the send, or finding it fresh, gets a new attempt instead).
   */
  discard(key: string, transactionId: string): void {
    const issued = this.issued.get(key);
    if (issued?.result.transactionId === transactionId) {
      this.forget(key, issued);
      return;
    }
    // Still settling (the late failure came first): remembered until the entry is replaced.
    this.failed.add(transactionId);
    if (this.failed.size > MAX_ENTRIES) this.failed.clear();
  }

  /** Follows the issuing of a challenge: joinable while under way, fresh once issued. */
  track(key: string, at: number, work: Promise<AuthResult>): void {
    this.inFlight.set(key, work);
    const settle = (result: AuthResult | undefined) => {
      if (this.inFlight.get(key) === work) this.inFlight.delete(key);
      if (result?.outcome !== 'challenge') return;
      const replaced = this.issued.get(key);
      if (replaced) this.forget(key, replaced);
      if (this.failed.has(result.transactionId)) {
        this.failed.delete(result.transactionId);
        return;
      }
      this.issued.set(key, { result, at }); // inserted last: insertion order stays age order
      while (this.issued.size > MAX_ENTRIES) {
        const oldest = this.issued.entries().next().value;
        if (oldest === undefined) break;
        this.forget(oldest[0], oldest[1]);
      }
    };
    work.then(settle, () => settle(undefined));
  }

  private forget(key: string, issued: Issued): void {
    this.issued.delete(key);
    this.failed.delete(issued.result.transactionId);
  }
}
