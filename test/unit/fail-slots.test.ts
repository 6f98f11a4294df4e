// Slots against the fail counter (src/core/login/fail-slots.ts): at most maxfail - failcount
// checks of a token at once, all of a login's tokens or none, and a waiter woken when one ends.
import { describe, expect, it } from 'vitest';
import { FailSlots } from '../../src/core/login/fail-slots.js';

const token = (serial: string, failcount: number, maxfail = 10) => ({ serial, failcount, maxfail });

describe('FailSlots', () => {
  it('gives a token maxfail - failcount slots, and one back per release (twice is once)', () => {
    const slots = new FailSlots();
    const taken = Array.from({ length: 3 }, () => slots.tryTake([token('A', 7)]));
    expect(taken.every((r) => typeof r === 'function')).toBe(true);
    expect(slots.tryTake([token('A', 7)])).toBeUndefined();
    taken[0]!();
    taken[0]!();
    expect(slots.size.inUse).toBe(2);
    expect(slots.tryTake([token('A', 7)])).toBeTypeOf('function');
    expect(slots.tryTake([token('A', 7)])).toBeUndefined();
    // A fresher read (failures stored meanwhile) leaves fewer.
    expect(slots.tryTake([token('A', 9)])).toBeUndefined();
    expect(slots.tryTake([token('A', 10)])).toBeUndefined();
  });

  it('takes a slot on every token of a login or on none', () => {
    const slots = new FailSlots();
    const full = slots.tryTake([token('B', 9)]);
    expect(full).toBeTypeOf('function');
    expect(slots.tryTake([token('A', 0), token('B', 9)])).toBeUndefined();
    expect(slots.size).toMatchObject({ inUse: 1 });
    full!();
    const both = slots.tryTake([token('A', 0), token('B', 9)]);
    expect(both).toBeTypeOf('function');
    both!();
    expect(slots.size).toEqual({ inUse: 0, waiting: 0, keys: 0 });
  });

  it('wakes a waiter when a slot of one of its tokens is given back, else after its time; keeps nothing after', async () => {
    const slots = new FailSlots();
    const release = slots.tryTake([token('A', 9)])!;
    const started = Date.now();
    const woken = slots.released(['A', 'B'], 5_000);
    expect(slots.size.waiting).toBe(2);
    setTimeout(release, 20);
    await woken;
    expect(Date.now() - started).toBeLessThan(1_000);
    const timedOut = Date.now();
    await slots.released(['C'], 30);
    expect(Date.now() - timedOut).toBeGreaterThanOrEqual(25);
    expect(slots.size).toEqual({ inUse: 0, waiting: 0, keys: 0 });
  });
});
