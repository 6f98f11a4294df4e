// Retransmission handling (RFC 5080 §2.2.2). A request is a duplicate when the same client
// address and port send the same Identifier and Request Authenticator again. While the
// first is still being worked on, the duplicate is dropped; afterwards it gets the cached
// reply byte for byte, so a NAS that retransmits never triggers a second SMS.

type Entry = { state: 'pending'; expires: number } | { state: 'done'; reply: Buffer | undefined; expires: number };

export type DuplicateCheck = { kind: 'new' } | { kind: 'in_progress' } | { kind: 'answered'; reply: Buffer | undefined };

const MAX_ENTRIES = 100_000;

export class DuplicateCache {
  // Insertion order is expiry order (one lifetime for all), so expired entries sit at the front.
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly lifetimeMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  static key(address: string, port: number, identifier: number, authenticator: Buffer): string {
    return `${address}|${port}|${identifier}|${authenticator.toString('hex')}`;
  }

  /** Looks the request up; a new one is recorded as pending. */
  check(key: string): DuplicateCheck {
    this.evict();
    const entry = this.entries.get(key);
    if (entry) return entry.state === 'pending' ? { kind: 'in_progress' } : { kind: 'answered', reply: entry.reply };
    this.entries.set(key, { state: 'pending', expires: this.now() + this.lifetimeMs });
    return { kind: 'new' };
  }

  /** Records the reply sent (undefined: the request was deliberately left unanswered). */
  complete(key: string, reply: Buffer | undefined): void {
    this.entries.delete(key);
    this.entries.set(key, { state: 'done', reply, expires: this.now() + this.lifetimeMs });
  }

  /** Forgets a request whose processing failed before any reply, so a retransmission is tried again. */
  forget(key: string): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }

  private evict(): void {
    const now = this.now();
    for (const [key, entry] of this.entries) {
      if (entry.expires > now && this.entries.size < MAX_ENTRIES) break;
      // A pending entry past its lifetime belongs to a request that is stuck; let a retry in.
      this.entries.delete(key);
    }
  }
}
