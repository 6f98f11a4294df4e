// Slots against the fail counter, taken before a PIN is checked. A token at failcount f of
// maxfail m can take at most m - f more failures; a PIN check under way may become one. So at
// most m - f checks of a token run at once on this node: a wave of wrong PINs sent at the same
// instant cannot all be checked (and all cost a KDF) before the first failures are stored.
// The others wait until a check ends, then read the token anew: locked by then, they are
// refused without a PIN check. The store stays the authority (its failure and accept steps
// check failcount < maxfail in the same transaction, src/core/ports.ts); the slots only keep
// this node from starting work the lock will refuse, and across nodes the store guard holds.

export interface SlotToken {
  readonly serial: string;
  readonly failcount: number;
  readonly maxfail: number;
}

export class FailSlots {
  /** PIN checks under way, by token serial (absent: none). */
  private readonly pending = new Map<string, number>();
  private readonly waiters = new Map<string, Set<() => void>>();

  /**
   * One slot on each token, when every one of them has one free (all or none, so that two
   * logins never hold half of each other's); the function gives them back. Undefined when a
   * token has none free: wait for released() and read the tokens again.
   */
  tryTake(tokens: readonly SlotToken[]): (() => void) | undefined {
    for (const t of tokens) {
      if ((this.pending.get(t.serial) ?? 0) >= t.maxfail - t.failcount) return undefined;
    }
    const serials = tokens.map((t) => t.serial);
    for (const serial of serials) this.pending.set(serial, (this.pending.get(serial) ?? 0) + 1);
    let given = false;
    return () => {
      if (given) return;
      given = true;
      for (const serial of serials) {
        const left = (this.pending.get(serial) ?? 1) - 1;
        if (left > 0) this.pending.set(serial, left);
        else this.pending.delete(serial);
        this.wake(serial);
      }
    };
  }

  /** Resolves when a slot of one of these tokens is given back, or after `ms` at the latest. */
  released(serials: readonly string[], ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        for (const serial of serials) {
          const set = this.waiters.get(serial);
          if (!set) continue;
          set.delete(done);
          if (set.size === 0) this.waiters.delete(serial);
        }
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      for (const serial of serials) {
        let set = this.waiters.get(serial);
        if (!set) this.waiters.set(serial, (set = new Set()));
        set.add(done);
      }
    });
  }

  /**
   * @internal Checks under way and checks waiting on this node, over all tokens (nothing kept
   * when both are 0); the tests check that nothing is left behind.
   */
  get size(): { inUse: number; waiting: number; keys: number } {
    let inUse = 0;
    for (const v of this.pending.values()) inUse += v;
    let waiting = 0;
    for (const set of this.waiters.values()) waiting += set.size;
    return { inUse, waiting, keys: this.pending.size + this.waiters.size };
  }

  private wake(serial: string): void {
    const set = this.waiters.get(serial);
    if (!set) return;
    this.waiters.delete(serial);
    for (const done of set) done();
  }
}
