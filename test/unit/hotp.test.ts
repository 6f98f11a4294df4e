import { randomBytes } from 'node:crypto';
import { generateSync } from 'otplib';
import { describe, expect, it } from 'vitest';
import { findCounter, hotp, type HotpKey } from '../../src/core/hotp.js';
import { RFC4226_KEY } from '../helpers/fs.js';

const rfc4226: HotpKey = { otpKey: Buffer.from(RFC4226_KEY, 'hex'), hashlib: 'sha1', otplen: 6 };
// RFC 4226 Appendix D, extended to counter 13 as the reference lists.
const RFC4226_VECTORS = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489', '403154', '481090', '868912', '736127'];

describe('HOTP (RFC 4226)', () => {
  it('agrees with otplib for every hash, length and a spread of keys and counters', () => {
    for (const hashlib of ['sha1', 'sha256', 'sha512'] as const) {
      for (const otplen of [6, 8] as const) {
        for (let i = 0; i < 25; i++) {
          const otpKey = randomBytes(hashlib === 'sha1' ? 20 : hashlib === 'sha256' ? 32 : 64);
          const counter = i < 5 ? i : Math.floor(Math.random() * 2 ** 40);
          const reference = generateSync({ strategy: 'hotp', secret: new Uint8Array(otpKey), counter, algorithm: hashlib, digits: otplen });
          expect(hotp({ otpKey, hashlib, otplen }, counter)).toBe(reference);
        }
      }
    }
  });

  it.each(RFC4226_VECTORS.map((otp, counter) => [counter, otp]))('counter %i gives %s', (counter, otp) => {
    expect(hotp(rfc4226, counter as number)).toBe(otp);
  });

  // RFC 6238 Appendix B: TOTP is HOTP over floor(T / 30); T=59 is counter 1, T=1111111109 is 37037036.
  const seeds = {
    sha1: Buffer.from('12345678901234567890'),
    sha256: Buffer.from('12345678901234567890123456789012'),
    sha512: Buffer.from('1234567890123456789012345678901234567890123456789012345678901234'),
  } as const;
  it.each([
    ['sha1', 1, '94287082'],
    ['sha256', 1, '46119246'],
    ['sha512', 1, '90693936'],
    ['sha1', 37037036, '07081804'],
    ['sha256', 37037036, '68084774'],
    ['sha512', 37037036, '25091201'],
  ] as const)('%s counter %i gives 8-digit %s (RFC 6238 vectors)', (hashlib, counter, otp) => {
    expect(hotp({ otpKey: seeds[hashlib], hashlib, otplen: 8 }, counter)).toBe(otp);
  });
});

describe('findCounter', () => {
  it('finds an OTP inside the window and returns its counter', () => {
    expect(findCounter(rfc4226, '969429', 0, 10)).toBe(3);
    expect(findCounter(rfc4226, '520489', 0, 10)).toBe(9);
  });

  it('does not look behind the start or past the window', () => {
    expect(findCounter(rfc4226, '755224', 1, 10)).toBe(-1);
    expect(findCounter(rfc4226, '403154', 0, 10)).toBe(-1);
    expect(findCounter(rfc4226, '403154', 1, 10)).toBe(10);
  });

  it('rejects values of the wrong shape without computing', () => {
    expect(findCounter(rfc4226, '28708', 0, 10)).toBe(-1);
    expect(findCounter(rfc4226, '2870820', 0, 10)).toBe(-1);
    expect(findCounter(rfc4226, '28708a', 0, 10)).toBe(-1);
    expect(findCounter(rfc4226, '287082', 0, 0)).toBe(-1);
  });
});
