// What a directory said about a name, kept for a short while (setting userstore.cache_seconds)
// so that a login does not search the directory at every step, and a flood of logins does
// not become a flood of searches. "Nobody of that name" is kept too; a failure is not.
// Requests for a key whose search is still under way share that search.
// Bounded: past `maxEntries` the oldest entries go first.

export class UserCache<V> {
  private readonly entries = new Map<string, { value: Promise<V>; expiresAt: number }>();

  constructor(
    private readonly ttlMs: () => number,
    private readonly now: () => number = Date.now,
    private readonly maxEntries = 10_000,
  ) {}

  /** The cached value, or `load`'s (cached when the TTL is above 0). */
  get(key: string, load: () => Promise<V>): Promise<V> {
    const ttl = this.ttlMs();
    const now = this.now();
    const hit = this.entries.get(key);
    if (hit && hit.expiresAt > now && ttl > 0) return hit.value;
    if (hit) this.entries.delete(key);
    const value = load();
    if (ttl > 0) {
      const entry = { value, expiresAt: now + ttl };
      this.entries.set(key, entry);
      value.catch(() => {
        if (this.entries.get(key) === entry) this.entries.delete(key);
      });
      for (const oldest of this.entries.keys()) {
        if (this.entries.size <= this.maxEntries) break;
        this.entries.delete(oldest);
      }
    }
    return value;
  }

  clear(): void {
    this.entries.clear();
  }
}
