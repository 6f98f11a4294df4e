import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DecryptionError, SecretBox } from '../../src/crypto/secretbox.js';
import { TokenDecoder, type TokenRow } from '../../src/store/tokens.js';

const box = new SecretBox(randomBytes(32));

function row(serial: string, key: Buffer): TokenRow {
  return {
    serial,
    tokentype: 'sms',
    username: serial,
    realm: '',
    phone: '+15550000000',
    dynamic_phone: false,
    gateway: null,
    verified: true,
    otpkey: box.seal(key, `token:${serial}:otpkey`),
    hashlib: 'sha1',
    otplen: 6,
    counter: 0,
    count_window: 10,
    pin_hash: 'scrypt$10$x$y',
    active: 1,
    failcount: 0,
    maxfail: 10,
    last_fail_at: null,
    last_auth_at: null,
    created_at: 0,
    updated_at: 0,
  };
}

describe('TokenDecoder key cache', () => {
  it('gives every token its own key, across many cache slabs, the first time and from the cache', () => {
    const decoder = new TokenDecoder(box);
    // 8 000 keys of 20 to 32 bytes fill several 64 KiB slabs of the cache.
    const tokens = Array.from({ length: 8000 }, (_, i) => {
      const key = randomBytes(20 + (i % 13));
      return { key, row: row(`S${i}`, key) };
    });
    for (const t of tokens) expect(decoder.decode(t.row).otpKey.equals(t.key)).toBe(true);
    for (const t of tokens) expect(decoder.decode(t.row).otpKey.equals(t.key)).toBe(true);
  });

  it('keeps a cached key out of Node\'s shared 8 KiB buffer pool, whose slab it would keep alive', () => {
    const decoder = new TokenDecoder(box);
    const key = decoder.decode(row('S1', randomBytes(20))).otpKey;
    expect(key.buffer.byteLength).not.toBe(Buffer.poolSize);
  });

  it('still refuses a sealed key copied to another token once the original is cached', () => {
    const decoder = new TokenDecoder(box);
    const original = row('S1', randomBytes(20));
    decoder.decode(original);
    expect(() => decoder.decode({ ...row('S2', randomBytes(20)), otpkey: original.otpkey })).toThrow(DecryptionError);
  });
});
