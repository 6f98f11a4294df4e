// The PIN-check queue's scheduling: bounded waiting work, shedding by deadline and by
// overload (suspects first), the overload signal, and shutdown. The hasher is the real
// PinHasher's interface with the completion of each hash in the test's hands, so every
// ordering below is exact rather than a matter of timing.
import { describe, expect, it } from 'vitest';
import { RequestShed } from '../../src/core/errors.js';
import { PinCheckQueue } from '../../src/crypto/pin-check-queue.js';
import { PinHasher } from '../../src/crypto/pin-hash.js';

/** A PinHasher whose hashes finish when the test says so, `ms` of fake time each. */
class SteppedHasher extends PinHasher {
  readonly started: string[] = [];
  private readonly pending: Array<() => void> = [];
  constructor(private readonly clock: { now: number }, private readonly ms: number) {
    super(Buffer.alloc(32));
  }
  override verify(pin: string): Promise<boolean> {
    this.started.push(pin);
    return new Promise((resolve) => this.pending.push(() => resolve(pin === 'right')));
  }
  /** Finishes the oldest running hash after `ms` of fake time. */
  async finishOne(): Promise<void> {
    this.clock.now += this.ms;
    this.pending.shift()?.();
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const HASH = 'scrypt$14$c2FsdA==$aGFzaA==';

function setUp(options: { parallelism?: number; maxQueuedSeconds?: number; ms?: number } = {}) {
  const clock = { now: 1_000_000 };
  const hasher = new SteppedHasher(clock, options.ms ?? 100);
  const queue = new PinCheckQueue(hasher, { parallelism: options.parallelism ?? 1, maxQueuedSeconds: options.maxQueuedSeconds ?? 1, now: () => clock.now });
  return { clock, hasher, queue };
}

const outcome = (p: Promise<boolean>) => p.then((v) => (v ? 'right' : 'wrong'), (e: unknown) => (e instanceof RequestShed ? `shed:${e.why}` : 'error'));

describe('PIN-check queue', () => {
  it('runs at most `parallelism` hashes at once, the rest in arrival order', async () => {
    const { hasher, queue } = setUp({ parallelism: 2, maxQueuedSeconds: 60 });
    const results = ['a', 'b', 'c', 'd'].map((pin) => outcome(queue.verify(pin, HASH)));
    expect(hasher.started).toEqual(['a', 'b']);
    await hasher.finishOne();
    expect(hasher.started).toEqual(['a', 'b', 'c']);
    for (let i = 0; i < 3; i++) await hasher.finishOne();
    expect(await Promise.all(results)).toEqual(['wrong', 'wrong', 'wrong', 'wrong']);
    expect(hasher.started).toEqual(['a', 'b', 'c', 'd']);
  });

  it('lets normal checks pass suspect ones, and sheds suspects first when the bound is reached', async () => {
    // One hash at a time, 100 ms each once learnt, 1 s of waiting work at most: ~10 waiting.
    const { hasher, queue } = setUp({ parallelism: 1, maxQueuedSeconds: 1, ms: 100 });
    const first = outcome(queue.verify('first', HASH));
    await hasher.finishOne(); // learns 100 ms per hash
    expect(await first).toBe('wrong');
    const running = outcome(queue.verify('running', HASH));
    const flood = Array.from({ length: 30 }, (_, i) => outcome(queue.verify(`guess${i}`, HASH, { priority: 'suspect' })));
    expect(queue.overloaded()).toBe(true);
    const login = outcome(queue.verify('right', HASH, { priority: 'normal' }));
    await hasher.finishOne();
    // The normal check goes next, ahead of every suspect still waiting.
    expect(hasher.started.slice(0, 3)).toEqual(['first', 'running', 'right']);
    await hasher.finishOne();
    expect(await login).toBe('right');
    expect(await running).toBe('wrong');
    const flooded = await Promise.all(flood.slice(0, 15));
    // The oldest suspects were shed to keep the waiting work within its bound.
    expect(flooded.filter((o) => o === 'shed:overload').length).toBeGreaterThanOrEqual(15);
    while (queue.waiting > 0) await hasher.finishOne();
    await hasher.finishOne();
    expect(queue.overloaded()).toBe(false);
    expect(queue.shed.overload).toBeGreaterThanOrEqual(19);
  });

  it('sheds a check whose deadline passes while it waits, without computing it', async () => {
    const { clock, hasher, queue } = setUp({ parallelism: 1, maxQueuedSeconds: 60, ms: 100 });
    const first = outcome(queue.verify('first', HASH));
    const late = outcome(queue.verify('late', HASH, { deadline: clock.now + 150 }));
    const patient = outcome(queue.verify('patient', HASH, { deadline: clock.now + 10_000 }));
    await hasher.finishOne(); // 100 ms pass: 'late' could not finish before its deadline
    expect(await late).toBe('shed:deadline');
    expect(hasher.started).toEqual(['first', 'patient']);
    await hasher.finishOne();
    expect(await first).toBe('wrong');
    expect(await patient).toBe('wrong');
  });

  it('sheds everything waiting at close, lets the running hash finish, and refuses new work', async () => {
    const { hasher, queue } = setUp({ parallelism: 1, maxQueuedSeconds: 60 });
    const running = outcome(queue.verify('right', HASH));
    const waiting = [outcome(queue.verify('a', HASH)), outcome(queue.verify('b', HASH))];
    queue.close();
    expect(await Promise.all(waiting)).toEqual(['shed:shutdown', 'shed:shutdown']);
    await hasher.finishOne();
    expect(await running).toBe('right');
    expect(await outcome(queue.verify('c', HASH))).toBe('shed:shutdown');
    expect(hasher.started).toEqual(['right']);
  });

  it('gives each source (NAS) its turn, and sheds the flooding source, not the others', async () => {
    const { hasher, queue } = setUp({ parallelism: 1, maxQueuedSeconds: 1, ms: 100 });
    const first = outcome(queue.verify('first', HASH));
    await hasher.finishOne(); // learns 100 ms per hash
    await first;
    // A flood of new names (none suspect yet) from one NAS fills the queue past its bound...
    const flood = Array.from({ length: 30 }, (_, i) => outcome(queue.verify(`flood${i}`, HASH, { source: 'vpn-a' })));
    // ...then two people log in through two other NAS.
    const bob = outcome(queue.verify('right', HASH, { source: 'wifi' }));
    const carol = outcome(queue.verify('right', HASH, { source: 'vpn-b' }));
    // The flood's oldest is running; the others go next, before the flood's second.
    await hasher.finishOne();
    await hasher.finishOne();
    await hasher.finishOne();
    expect(hasher.started.slice(1, 4)).toEqual(['flood0', 'right', 'right']);
    expect(await bob).toBe('right');
    expect(await carol).toBe('right');
    // What was shed over the bound came out of the flood alone.
    while (queue.waiting > 0) await hasher.finishOne();
    await hasher.finishOne();
    const results = await Promise.all(flood);
    expect(results.filter((r) => r === 'shed:overload').length).toBeGreaterThan(15);
    expect(queue.shed.overload).toBe(results.filter((r) => r === 'shed:overload').length);
  });

  it('gives each login name its turn within a NAS: a flood for one user, not yet suspect, neither delays nor sheds another user\'s login', async () => {
    const { hasher, queue } = setUp({ parallelism: 1, maxQueuedSeconds: 1, ms: 100 });
    const first = outcome(queue.verify('first', HASH));
    await hasher.finishOne(); // learns 100 ms per hash
    await first;
    // Through one NAS: 30 guesses for mallory, queued before any failed (so all of normal priority)...
    const flood = Array.from({ length: 30 }, (_, i) => outcome(queue.verify(`guess${i}`, HASH, { source: 'vpn', subject: 'mallory' })));
    // ...then alice logs in through the same NAS: her check is the next after the running guess.
    const alice = outcome(queue.verify('right', HASH, { source: 'vpn', subject: 'alice' }));
    await hasher.finishOne();
    await hasher.finishOne();
    expect(hasher.started.slice(1, 3)).toEqual(['guess0', 'right']);
    expect(await alice).toBe('right');
    // What was shed over the bound was mallory's.
    while (queue.waiting > 0) await hasher.finishOne();
    await hasher.finishOne();
    expect((await Promise.all(flood)).filter((r) => r === 'shed:overload').length).toBeGreaterThan(15);
  });
});
