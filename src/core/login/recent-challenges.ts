// The challenges this node issued lately, by who asked for them (user, realm, NAS and the
// tokens whose PIN matched), so that a NAS that gives up waiting and sends a new
// Access-Request with the same PIN gets the same challenge again (same State, same
// Reply-Message) instead of a second SMS: both while the first is still being sent (the
// request joins it) and while it is fresh (younger than sms.resend_interval). In memory: a
// NAS retries the server it asked; what reaches another node is bounded by the SMS limits.
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

  static keyOf(user: { username: string; realm: string }, client: string, serials: readonly string[]): string {
    return [user.username, user.realm, client, [...serials].sort().join(',')].join('\0');
  }

  /** The challenge being issued for the same request right now, to wait for instead of sending again. */
  pending(key: string): Promise<AuthResult> | undefined {
    return this.inFlight.get(key);
  }

  /** The challenge issued for the same request less than `freshMs` ago, if any. */
  fresh(key: string, now: number, freshMs: number): ChallengeResult | undefined {
    const issued = this.issued.get(key);
    if (!issued) return undefined;
    if (now - issued.at < freshMs) return issued.result;
    this.issued.delete(key);
    return undefined;
  }

  /** Follows the issuing of a challenge: joinable while under way, fresh once issued. */
  track(key: string, at: number, work: Promise<AuthResult>): void {
    this.inFlight.set(key, work);
    const settle = (result: AuthResult | undefined) => {
      if (this.inFlight.get(key) === work) this.inFlight.delete(key);
      if (result?.outcome !== 'challenge') return;
      this.issued.delete(key); // re-inserted last: insertion order stays age order
      this.issued.set(key, { result, at });
      while (this.issued.size > MAX_ENTRIES) {
        const oldest = this.issued.keys().next().value;
        if (oldest === undefined) break;
        this.issued.delete(oldest);
      }
    };
    work.then(settle, () => settle(undefined));
  }
}
