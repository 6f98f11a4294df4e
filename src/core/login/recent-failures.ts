// Login names that recently failed, kept in memory (per node) so that under overload the
// PIN checks of names nobody is guessing go first. Bounded: the oldest names are forgotten.

const DEFAULT_MEMORY_MS = 10 * 60_000;
const DEFAULT_MAX_NAMES = 100_000;

export class RecentFailures {
  // Insertion order is time order: a name is re-inserted at each failure.
  private readonly lastFailure = new Map<string, number>();

  constructor(
    private readonly memoryMs = DEFAULT_MEMORY_MS,
    private readonly maxNames = DEFAULT_MAX_NAMES,
  ) {}

  record(name: string, now: number): void {
    this.lastFailure.delete(name);
    this.lastFailure.set(name, now);
    this.evict(now);
  }

  /** A success clears the name: the person behind it knows the PIN. */
  clear(name: string): void {
    this.lastFailure.delete(name);
  }

  isSuspect(name: string, now: number): boolean {
    const at = this.lastFailure.get(name);
    return at !== undefined && now - at < this.memoryMs;
  }

  private evict(now: number): void {
    for (const [name, at] of this.lastFailure) {
      if (now - at < this.memoryMs && this.lastFailure.size <= this.maxNames) break;
      this.lastFailure.delete(name);
    }
  }
}
