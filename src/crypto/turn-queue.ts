// Items waiting by key (a user name, a RADIUS client), served fairly: the next item comes from
// the key served least since it began waiting, ties in turn order (a key goes to the back
// after its turn). A key with a thousand items waiting gets no more turns than a key with one,
// and a key that arrives late, a user's one login in the middle of a flood of guesses for
// sixty-four others, is served next rather than after a turn of each of them. A key whose
// items are all taken is forgotten (memory stays bounded by what waits). For shedding, the
// key with the most waiting gives its oldest.

interface Waiting<T> {
  readonly items: T[];
  /** Items taken since the key began waiting. */
  served: number;
}

export class TurnQueue<T> {
  /** By key; the map's order is the turn order. */
  private readonly byKey = new Map<string, Waiting<T>>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  push(key: string, item: T): void {
    const waiting = this.byKey.get(key);
    if (waiting) waiting.items.push(item);
    else this.byKey.set(key, { items: [item], served: 0 });
    this.count++;
  }

  /** The oldest item of the key served least (the first in turn among equals). */
  takeTurn(): T | undefined {
    let chosen: [string, Waiting<T>] | undefined;
    for (const entry of this.byKey) {
      if (!chosen || entry[1].served < chosen[1].served) chosen = entry;
      if (chosen[1].served === 0) break; // nobody is served less
    }
    return chosen && this.takeFrom(chosen[0], chosen[1]);
  }

  /** The oldest item of the key with the most waiting: the one a flood sheds first. */
  takeLargest(): T | undefined {
    let chosen: [string, Waiting<T>] | undefined;
    for (const entry of this.byKey) if (!chosen || entry[1].items.length > chosen[1].items.length) chosen = entry;
    return chosen && this.takeFrom(chosen[0], chosen[1]);
  }

  /** Every item, emptied (a shutdown). */
  drain(): T[] {
    const all = [...this.byKey.values()].flatMap((w) => w.items);
    this.byKey.clear();
    this.count = 0;
    return all;
  }

  private takeFrom(key: string, waiting: Waiting<T>): T {
    const item = waiting.items.shift()!;
    this.count--;
    waiting.served++;
    this.byKey.delete(key);
    if (waiting.items.length > 0) this.byKey.set(key, waiting);
    return item;
  }
}
