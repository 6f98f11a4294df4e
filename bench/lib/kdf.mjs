// The machine's raw PIN-hash rate: the daemon's own PinHasher (scrypt through libuv's
// thread pool) with 2 x cores verifications in flight. A round 1 costs one verification,
// so this is the physical ceiling of round 1 at that cost.
import { availableParallelism } from 'node:os';
import { randomBytes } from 'node:crypto';

export async function kdfRate(PinHasher, cost, durationMs) {
  const hasher = new PinHasher(randomBytes(32));
  const hash = await hasher.hash('123456', cost);
  const inFlight = availableParallelism() * 2;
  let done = 0;
  const cpu = process.cpuUsage();
  const start = performance.now();
  const end = start + durationMs;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() < end) {
        if (!(await hasher.verify('123456', hash))) throw new Error('PinHasher.verify failed on its own hash');
        done++;
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  return { rate: done / seconds, cpuPer1k: ((used.user + used.system) / 1e6 / done) * 1000, inFlight };
}
