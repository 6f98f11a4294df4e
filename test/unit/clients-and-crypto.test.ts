import { describe, expect, it } from 'vitest';
import { existsSync, statSync, writeFileSync, readFileSync, chmodSync } from 'node:fs';
import path from 'node:path';
import { ClientTable } from '../../src/radius/clients.js';
import { SecretBox, DecryptionError } from '../../src/crypto/secretbox.js';
import { PinHasher } from '../../src/crypto/pin-hash.js';
import { createKeyFile, KeyFileError, readKeyFile, type KeyFile } from '../../src/crypto/keyfile.js';
import { newSerial } from '../../src/core/random.js';
import { TransactionIds, unsignedUntil } from '../../src/core/transaction-ids.js';
import { tempDir } from '../helpers/fs.js';

describe('ClientTable', () => {
  const table = new ClientTable([
    { name: 'lan', address: '10.0.0.0/8', secret: 'a' },
    { name: 'vpn', address: '10.1.2.3/32', secret: 'b' },
    { name: 'v6', address: '2001:db8::/32', secret: 'c' },
  ]);

  it('picks the most specific prefix, whatever the order of the config', () => {
    expect(table.match('10.1.2.3')?.name).toBe('vpn');
    expect(table.match('10.1.2.4')?.name).toBe('lan');
  });

  it('matches v4-mapped v6 peers as v4 and keeps families apart', () => {
    expect(table.match('::ffff:10.1.2.3')?.name).toBe('vpn');
    expect(table.match('2001:db8::1')?.name).toBe('v6');
    expect(table.match('192.168.1.1')).toBeUndefined();
    expect(table.match('2001:db9::1')).toBeUndefined();
  });
});

describe('SecretBox', () => {
  const box = new SecretBox(Buffer.alloc(32, 7));

  it('round-trips and never repeats a ciphertext', () => {
    const a = box.seal('otp key', 'token:A:otpkey');
    expect(a).not.toBe(box.seal('otp key', 'token:A:otpkey'));
    expect(a).not.toContain('otp key');
    expect(box.openString(a, 'token:A:otpkey')).toBe('otp key');
  });

  it('refuses a value moved to another context, a tampered value and another key', () => {
    const sealed = box.seal('secret', 'token:A:otpkey');
    expect(() => box.open(sealed, 'token:B:otpkey')).toThrow(DecryptionError);
    const raw = Buffer.from(sealed.slice(3), 'base64');
    raw[raw.length - 1] ^= 1;
    expect(() => box.open(`v1:${raw.toString('base64')}`, 'token:A:otpkey')).toThrow(DecryptionError);
    expect(() => new SecretBox(Buffer.alloc(32, 8)).open(sealed, 'token:A:otpkey')).toThrow(/wrong key file or tampered/);
    expect(() => box.open('plain', 'token:A:otpkey')).toThrow(DecryptionError);
  });
});

describe('PinHasher', () => {
  it('verifies the right PIN only, with a fresh salt per hash', async () => {
    const pins = new PinHasher(Buffer.alloc(32, 1));
    const h1 = await pins.hash('1234', 10);
    const h2 = await pins.hash('1234', 10);
    expect(h1).toMatch(/^scrypt\$10\$/);
    expect(h1).not.toBe(h2);
    expect(await pins.verify('1234', h1)).toBe(true);
    expect(await pins.verify('12345', h1)).toBe(false);
    expect(await pins.verify('', h1)).toBe(false);
    expect(await pins.verify('1234', 'garbage')).toBe(false);
  });

  it('depends on the pepper from the key file, not on the hash alone', async () => {
    const h = await new PinHasher(Buffer.alloc(32, 1)).hash('1234', 10);
    expect(await new PinHasher(Buffer.alloc(32, 2)).verify('1234', h)).toBe(false);
  });
});

/** What the runtime does at start: read the key file, creating it first when it does not exist. */
function loadOrCreateKeyFile(file: string): KeyFile & { created: boolean } {
  const existing = readKeyFile(file);
  if (existing) return { ...existing, created: false };
  createKeyFile(file);
  return { ...readKeyFile(file)!, created: true };
}

describe('key file', () => {
  it('is created once with mode 0600 and read back the same', () => {
    const file = path.join(tempDir(), 'encryption.key');
    const first = loadOrCreateKeyFile(file);
    expect(first.created).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const second = loadOrCreateKeyFile(file);
    expect(second.created).toBe(false);
    expect(second.keys.encryption.equals(first.keys.encryption)).toBe(true);
    expect(second.keys.encryption.equals(second.keys.pinPepper)).toBe(false);
  });

  it('reports a loose mode and refuses a damaged file, naming the file', () => {
    const file = path.join(tempDir(), 'encryption.key');
    loadOrCreateKeyFile(file);
    chmodSync(file, 0o644);
    expect(loadOrCreateKeyFile(file).looseMode).toBe(true);
    writeFileSync(file, readFileSync(file, 'utf8').slice(0, 10));
    expect(() => loadOrCreateKeyFile(file)).toThrow(KeyFileError);
    expect(() => loadOrCreateKeyFile(file)).toThrow(file);
    expect(existsSync(file)).toBe(true);
  });
});

describe('random identifiers', () => {
  it('gives 40-digit transaction ids, distinct, and PISM serials', () => {
    const issuer = new TransactionIds(Buffer.alloc(32, 1));
    const ids = new Set(Array.from({ length: 1000 }, () => issuer.issue(Date.now() + 60_000)));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^\d{40}$/);
    expect(newSerial()).toMatch(/^PISM[0-9A-F]{8}$/);
  });

  it('recognises its own transaction ids by arithmetic: forged, expired or plausible', () => {
    const now = Date.UTC(2026, 11, 4, 12);
    const site = new TransactionIds(Buffer.alloc(32, 1));
    const id = site.issue(now + 300_000);
    expect(Number(id.slice(0, 10))).toBe((now + 300_000) / 1000);
    expect(site.check(id, now)).toBe('plausible');
    expect(site.check(id, now + 300_000)).toBe('plausible');
    expect(site.check(id, now + 301_000)).toBe('expired');
    // Another node of the same site (same key file) recognises it; another site does not.
    expect(new TransactionIds(Buffer.alloc(32, 1)).check(id, now)).toBe('plausible');
    expect(new TransactionIds(Buffer.alloc(32, 2)).check(id, now)).toBe('forged');
    // Any digit changed breaks the MAC, the expiry included: it cannot be moved.
    for (const i of [0, 9, 10, 27, 28, 39]) {
      const changed = id.slice(0, i) + String((Number(id[i]) + 1) % 10) + id.slice(i + 1);
      expect(site.check(changed, now)).toBe('forged');
    }
    for (const bad of ['', '123', id + '0', id.slice(0, 39) + 'x']) expect(site.check(bad, now)).toBe('forged');
    // Random States (a spray): refused, unless a previous release may still have one open.
    const random = '4'.repeat(40);
    expect(site.check(random, now)).toBe('forged');
    expect(new TransactionIds(Buffer.alloc(32, 1), now + 1).check(random, now)).toBe('plausible');
    expect(new TransactionIds(Buffer.alloc(32, 1), now).check(random, now)).toBe('forged');
    // At start: the States of the release before, still open, set how long that lasts.
    const open = [
      { transactionId: random, expiresAt: now + 120_000 },
      { transactionId: '5'.repeat(40), expiresAt: now + 60_000 },
      { transactionId: site.issue(now + 290_000), expiresAt: now + 290_000 },
    ];
    expect(unsignedUntil(site, open, now)).toBe(now + 120_000);
    expect(unsignedUntil(site, open.slice(2), now)).toBe(0);
  });
});
