// "At most once per key in this long": for log warnings and notifications that a flood must
// not turn into a flood of their own. The map of keys is bounded: past MAX_KEYS, the keys
// whose window has ended are dropped before a new one is added.

const MAX_KEYS = 10_000;

export class OncePerWindow {
  private readonly lastAt = new Map<string, number>();

  constructor(private readonly windowMs: number) {}

  /** True the first time for `key` in the window (and the window starts now); false within it. */
  first(key: string, now: number): boolean {
    const last = this.lastAt.get(key);
    if (last !== undefined && now - last < this.windowMs) return false;
    if (this.lastAt.size >= MAX_KEYS) {
      for (const [k, at] of this.lastAt) if (now - at >= this.windowMs) this.lastAt.delete(k);
    }
    this.lastAt.set(key, now);
    return true;
  }
}
