// TurnQueue: keys take turns (a key with many items gets no more turns than one with one),
// the key served least first, each key's items in arrival order; shedding takes the oldest of
// the key with the most.
import { describe, expect, it } from 'vitest';
import { TurnQueue } from '../../src/crypto/turn-queue.js';

describe('TurnQueue', () => {
  it('serves keys in turns, each in arrival order, a key going to the back after its turn', () => {
    const q = new TurnQueue<string>();
    for (const item of ['m1', 'm2', 'm3']) q.push('mallory', item);
    q.push('alice', 'a1');
    q.push('bob', 'b1');
    q.push('alice', 'a2');
    const served: string[] = [];
    while (q.size > 0) served.push(q.takeTurn()!);
    expect(served).toEqual(['m1', 'a1', 'b1', 'm2', 'a2', 'm3']);
    expect(q.takeTurn()).toBeUndefined();
  });

  it('serves a key that arrives late before those already served: one login among sixty-four flooding names', () => {
    const q = new TurnQueue<string>();
    for (let n = 0; n < 64; n++) for (let i = 0; i < 3; i++) q.push(`flood${n}`, `f${n}.${i}`);
    for (let i = 0; i < 60; i++) q.takeTurn();
    q.push('alice', 'a1');
    // Four flooding names have not had a turn yet, alice neither: she is among the next five.
    const next = Array.from({ length: 5 }, () => q.takeTurn());
    expect(next).toContain('a1');
    expect(next.filter((x) => x !== 'a1')).toEqual(['f60.0', 'f61.0', 'f62.0', 'f63.0']);
  });

  it('sheds the oldest item of the key with the most waiting, and drains everything', () => {
    const q = new TurnQueue<string>();
    q.push('alice', 'a1');
    for (const item of ['m1', 'm2']) q.push('mallory', item);
    expect(q.takeLargest()).toBe('m1');
    expect(q.size).toBe(2);
    expect(q.drain().sort()).toEqual(['a1', 'm2']);
    expect(q.size).toBe(0);
    expect(q.takeLargest()).toBeUndefined();
  });
});
