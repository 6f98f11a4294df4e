// The read batcher of PostgreSQL's hot path: reads asked for in one turn go out as one fetch,
// each caller gets its own key's rows still open at its own time, a failure fails the batch
// it hit, and reads that arrive while a fetch travels form the next batch.
import { describe, expect, it } from 'vitest';
import { ReadBatcher } from '../../src/store/auth/pg-read-batch.js';

type Row = Record<string, unknown>;

function batcherOver(rows: Row[]) {
  const calls: Array<{ keys: string[]; since: number }> = [];
  let release: (() => void) | undefined;
  let hold = false;
  const batcher = new ReadBatcher(
    async (keys, since) => {
      calls.push({ keys, since });
      if (hold) await new Promise<void>((r) => (release = r));
      return rows.filter((r) => keys.includes(String(r.k)) && Number(r.exp) > since);
    },
    'k',
    'exp',
  );
  return { batcher, calls, holdNext: () => (hold = true), release: () => { hold = false; release?.(); } };
}

describe('ReadBatcher', () => {
  it('one fetch for the reads of one turn, each key asked once; every caller gets its own rows in order', async () => {
    const { batcher, calls } = batcherOver([
      { k: 'a', n: 1, exp: 100 },
      { k: 'a', n: 2, exp: 100 },
      { k: 'b', n: 1, exp: 100 },
    ]);
    const [a, b, a2, none] = await Promise.all([batcher.read('a', 10), batcher.read('b', 10), batcher.read('a', 10), batcher.read('zz', 10)]);
    expect(calls).toEqual([{ keys: ['a', 'b', 'zz'], since: 10 }]);
    expect(a!.map((r) => r.n)).toEqual([1, 2]);
    expect(a2!.map((r) => r.n)).toEqual([1, 2]);
    expect(b!.map((r) => r.n)).toEqual([1]);
    expect(none).toEqual([]);
  });

  it('fetches from the earliest time of the batch and cuts each caller to its own: a row expired for a later caller is not its', async () => {
    const { batcher, calls } = batcherOver([{ k: 'a', exp: 50 }]);
    const [early, late] = await Promise.all([batcher.read('a', 40), batcher.read('a', 60)]);
    expect(calls[0]!.since).toBe(40);
    expect(early).toHaveLength(1);
    expect(late).toEqual([]);
  });

  it('reads that arrive while a fetch travels wait and go out together as the next one', async () => {
    const b = batcherOver([{ k: 'a', exp: 100 }, { k: 'b', exp: 100 }, { k: 'c', exp: 100 }]);
    b.holdNext();
    const first = b.batcher.read('a', 1);
    await new Promise((r) => setImmediate(r));
    expect(b.calls).toHaveLength(1);
    const later = [b.batcher.read('b', 1), b.batcher.read('c', 1)];
    await new Promise((r) => setImmediate(r));
    expect(b.calls).toHaveLength(1); // nothing else goes out while the first travels
    b.release();
    expect(await first).toHaveLength(1);
    expect((await Promise.all(later)).map((rows) => rows.length)).toEqual([1, 1]);
    expect(b.calls.map((c) => c.keys)).toEqual([['a'], ['b', 'c']]);
  });

  it('a failed fetch fails the reads of its batch only', async () => {
    let fail = true;
    const batcher = new ReadBatcher(
      async () => {
        if (fail) throw new Error('connection lost');
        return [{ k: 'a', exp: 9 }];
      },
      'k',
      'exp',
    );
    const results = await Promise.allSettled([batcher.read('a', 1), batcher.read('b', 1)]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    expect(await batcher.read('a', 1)).toHaveLength(1);
  });

  it('at most 256 keys per fetch: a larger turn is split', async () => {
    const { batcher, calls } = batcherOver([]);
    await Promise.all(Array.from({ length: 300 }, (_, i) => batcher.read(`k${i}`, 1)));
    expect(calls.map((c) => c.keys.length)).toEqual([256, 44]);
  });
});
