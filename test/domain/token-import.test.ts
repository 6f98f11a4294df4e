// Bulk import on a real store (SQLite file and PostgreSQL): without PINs (otppin other than
// tokenpin) 10 000 lines are checked and written in seconds, and the write is one transaction:
// a serial taken in the last batch leaves nothing of the earlier batches behind.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TokenImport } from '../../src/app/token-import.js';
import { NO_PIN_HASH } from '../../src/core/token-pin.js';
import type { NewToken } from '../../src/store/tokens.js';
import { openTestStore, STORE_KINDS, type TestStore } from '../helpers/store.js';

const count = async (t: TestStore) => Number((await t.store.knex('tokens').count({ n: '*' }))[0]!.n);

describe.each(STORE_KINDS)('token import on %s', (kind) => {
  let t: TestStore;
  beforeEach(async () => {
    t = await openTestStore(kind);
  });
  afterEach(async () => {
    await t.close();
  });

  it('imports 10 000 lines without PINs in seconds when the PIN is not the first factor', async () => {
    const lines = ['user,realm,phone'];
    for (let i = 0; i < 10_000; i++) lines.push(`user${i},Example.COM,+49 170 ${String(i).padStart(7, '0')}`);
    const importer = new TokenImport(t.store, t.pins, { pinRequired: () => false });
    const started = performance.now();
    const actor = { operator: 'carol', client: 'cli', address: '' };
    expect((await importer.importCsv(Buffer.from(lines.join('\n')), 'users.csv', actor)).imported).toBe(10_000);
    const seconds = (performance.now() - started) / 1000;
    console.log(`token import on ${kind}: 10 000 lines without PINs in ${seconds.toFixed(2)} s`);
    expect(seconds).toBeLessThan(60);
    expect(await count(t)).toBe(10_000);
    const [token] = await t.store.tokens.list({ username: 'user9999', realm: 'example.com' });
    expect(token).toMatchObject({ phone: '+49 170 0009999', pinHash: NO_PIN_HASH, active: true, counter: 0 });
    expect(token!.serial).toMatch(/^PISM[0-9A-F]{8}$/);
    expect(token!.otpKey).toHaveLength(20);
    const serials = await t.store.knex('tokens').countDistinct({ n: 'serial' });
    expect(Number(serials[0]!.n)).toBe(10_000);
    // One audit row for the import, naming the file, the count and who ran it; none per token.
    const rows = await t.store.audit.newest({}, 10);
    expect(rows.map((r) => [r.action, r.client, r.reason])).toEqual([['admin', 'cli', '10000 SMS tokens imported from users.csv (by carol)']]);
  }, 120_000);

  it('writes all tokens or none: a serial taken in the last batch leaves nothing behind', async () => {
    const token = (serial: string): NewToken => ({
      serial, username: serial.toLowerCase(), realm: '', phone: '+4917012', dynamicPhone: false, gateway: null, otpKey: Buffer.alloc(20, 1),
      hashlib: 'sha1', otplen: 6, countWindow: 10, maxfail: 10, pinHash: NO_PIN_HASH, verified: true,
    });
    await t.store.tokens.insert(token('TAKEN'));
    const batch = Array.from({ length: 1200 }, (_v, i) => token(`S${i}`));
    batch[1100] = token('TAKEN');
    await expect(t.store.tokens.insertMany(batch)).rejects.toThrow();
    expect(await count(t)).toBe(1);
  });
});
