// Which failed writes make the store unhealthy, and when it is healthy again.
import { describe, expect, it } from 'vitest';
import { StoreUnavailable } from '../../src/core/errors.js';
import { StoreWriteHealth, storeWriteFault } from '../../src/store/write-health.js';

const coded = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('storeWriteFault', () => {
  it('names faults of the store itself', () => {
    expect(storeWriteFault(coded('SQLITE_FULL'))).toMatch(/full/);
    expect(storeWriteFault(coded('SQLITE_IOERR_WRITE'))).toMatch(/I\/O/);
    expect(storeWriteFault(coded('SQLITE_READONLY_DBMOVED'))).toMatch(/read-only/);
    expect(storeWriteFault(coded('ENOSPC'))).toMatch(/no space/);
    expect(storeWriteFault(coded('53100', 'could not extend file'))).toMatch(/53100/);
    expect(storeWriteFault(coded('25006'))).toMatch(/read-only/);
    expect(storeWriteFault(new Error('cannot execute INSERT in a read-only transaction'))).toMatch(/read-only/);
    expect(storeWriteFault(new Error('could not extend file "base/1/2": No space left on device'))).toMatch(/no space/);
  });
  it('leaves out failures of the write itself', () => {
    expect(storeWriteFault(coded('SQLITE_BUSY'))).toBeUndefined();
    expect(storeWriteFault(coded('SQLITE_CONSTRAINT_UNIQUE'))).toBeUndefined();
    expect(storeWriteFault(new StoreUnavailable('the SQLite store stayed locked by another process until the request expired'))).toBeUndefined();
    expect(storeWriteFault(coded('23505', 'duplicate key'))).toBeUndefined();
    expect(storeWriteFault(undefined)).toBeUndefined();
  });
});

describe('StoreWriteHealth', () => {
  const make = (probeWrite: () => Promise<void> = () => Promise.reject(coded('SQLITE_FULL'))) => {
    const said: string[] = [];
    const health = new StoreWriteHealth({
      probeWrite,
      onUnwritable: (reason) => said.push(`down: ${reason}`),
      onWritable: () => said.push('up'),
      probeIntervalMs: 10,
    });
    return { health, said };
  };

  it('is unhealthy from the first failed write until a write started after it succeeds', async () => {
    const { health, said } = make();
    let finishEarly!: () => void;
    const early = health.track(() => new Promise<void>((resolve) => (finishEarly = resolve)));
    await expect(health.track(() => Promise.reject(coded('SQLITE_FULL')))).rejects.toThrow();
    expect(health.unwritable()).toMatch(/full/);
    // A write already under way when the fault came does not clear it.
    finishEarly();
    await early;
    expect(health.unwritable()).toMatch(/full/);
    await health.track(() => Promise.resolve());
    expect(health.unwritable()).toBeUndefined();
    expect(said).toEqual(['down: the disk under the store is full (SQLITE_FULL)', 'up']);
    health.stop();
  });

  it('probes with a write while unhealthy, and stops once one succeeds', async () => {
    let space = false;
    let probes = 0;
    const { health, said } = make(async () => {
      probes++;
      if (!space) throw coded('SQLITE_FULL');
    });
    await expect(health.track(() => Promise.reject(coded('SQLITE_FULL')))).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 50));
    expect(probes).toBeGreaterThan(1);
    expect(health.unwritable()).toBeDefined();
    space = true;
    await new Promise((r) => setTimeout(r, 50));
    expect(health.unwritable()).toBeUndefined();
    const after = probes;
    await new Promise((r) => setTimeout(r, 50));
    expect(probes).toBe(after);
    expect(said).toHaveLength(2);
    health.stop();
  });

  it('ignores a write that failed for its own reason', async () => {
    const { health } = make();
    await expect(health.track(() => Promise.reject(coded('SQLITE_BUSY')))).rejects.toThrow();
    expect(health.unwritable()).toBeUndefined();
  });
});
