// RFC 4226 HOTP through otplib. The window search returns the matched counter so the
// caller can move the token's counter past it (RFC 4226 §7.4).
import { timingSafeEqual } from 'node:crypto';
import { generateSync, verifySync } from 'otplib';
import type { HashLib, OtpLength } from './model.js';

export interface HotpKey {
  readonly otpKey: Buffer;
  readonly hashlib: HashLib;
  readonly otplen: OtpLength;
}

export function hotp(key: HotpKey, counter: number): string {
  return generateSync({
    strategy: 'hotp',
    secret: new Uint8Array(key.otpKey),
    counter,
    algorithm: key.hashlib,
    digits: key.otplen,
  });
}

/** The counter in [from, from + window) whose OTP equals `otp`, or -1. Constant-time compares. */
export function findCounter(key: HotpKey, otp: string, from: number, window: number): number {
  if (otp.length !== key.otplen || !/^\d+$/.test(otp) || window < 1) return -1;
  const result = verifySync({
    strategy: 'hotp',
    secret: new Uint8Array(key.otpKey),
    counter: from,
    token: otp,
    algorithm: key.hashlib,
    digits: key.otplen,
    counterTolerance: [0, window - 1],
  });
  return result.valid ? from + result.delta : -1;
}

/** Compares an OTP typed by a user with one computed here, in time independent of where they differ. */
export function constantTimeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}
