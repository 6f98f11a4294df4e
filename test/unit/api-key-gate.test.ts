// The HTTP front's API keys in memory, with one more look at the store for a key it does not
// know: a key created a moment ago is found, a flood of random keys costs a bounded number of
// rereads, and a reread under way when the key was created does not count for it.
import { describe, expect, it } from 'vitest';
import { MemoryApiKeyGate } from '../../src/app/api-keys.js';
import type { ApiKeyRole } from '../../src/app/api-keys.js';

/** A store of keys and a memory that only a reread (which takes `readMs`) brings up to date. */
function keys(readMs = 5) {
  const stored = new Map<string, ApiKeyRole>();
  let memory = new Map<string, ApiKeyRole>();
  let rereads = 0;
  const gate = new MemoryApiKeyGate({
    known: (key) => (memory.has(key) ? { id: 1, role: memory.get(key)! } : undefined),
    reread: async () => {
      rereads++;
      const snapshot = new Map(stored); // what the store holds when the read starts
      await new Promise((resolve) => setTimeout(resolve, readMs));
      memory = snapshot;
    },
    required: () => true,
    minRereadMs: 50,
  });
  return { gate, stored, rereads: () => rereads };
}

describe('MemoryApiKeyGate', () => {
  it('finds a key created after the last reread at its first use', async () => {
    const k = keys();
    k.stored.set('new-key', 'admin');
    expect((await k.gate.holderOf('new-key'))?.role).toBe('admin');
    expect(k.rereads()).toBe(1);
    // Known now: no more reads.
    expect((await k.gate.holderOf('new-key'))?.role).toBe('admin');
    expect(k.rereads()).toBe(1);
  });

  it('a reread already under way when the key was created is not trusted for it: the next one is', async () => {
    const k = keys(30);
    const first = k.gate.holderOf('random-1'); // starts a reread that sees no keys
    await new Promise((resolve) => setTimeout(resolve, 5));
    k.stored.set('created-meanwhile', 'validate');
    expect((await k.gate.holderOf('created-meanwhile'))?.role).toBe('validate');
    expect(await first).toBeUndefined();
    expect(k.rereads()).toBe(2);
  });

  it('a flood of unknown keys costs at most one reread per 50 ms, and every one is refused', async () => {
    const k = keys();
    const started = Date.now();
    const answers = await Promise.all(Array.from({ length: 2000 }, (_v, i) => k.gate.holderOf(`random-${i}`)));
    for (let i = 0; i < 5; i++) await Promise.all(Array.from({ length: 200 }, (_v, j) => k.gate.holderOf(`again-${i}-${j}`)));
    expect(answers.every((a) => a === undefined)).toBe(true);
    const elapsed = Date.now() - started;
    expect(k.rereads()).toBeLessThanOrEqual(Math.ceil(elapsed / 50) + 1);
    expect(k.rereads()).toBeLessThanOrEqual(7);
  });

  it('a store that cannot be read refuses the unknown key, and keeps the known ones', async () => {
    const memory = new Map<string, ApiKeyRole>([['old', 'admin']]);
    const gate = new MemoryApiKeyGate({ known: (key) => (memory.has(key) ? { id: 7, role: memory.get(key)! } : undefined), reread: () => Promise.reject(new Error('store down')), required: () => true });
    expect(await gate.holderOf('unknown')).toBeUndefined();
    expect((await gate.holderOf('old'))?.role).toBe('admin');
  });
});
