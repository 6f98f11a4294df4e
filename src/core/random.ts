import { randomBytes, randomInt } from 'node:crypto';
import type { HashLib } from './model.js';

const SERIAL_ALPHABET = '0123456789ABCDEF';

/** A token serial with the SMS prefix, e.g. PISM0A1B2C3D. */
export function newSerial(prefix = 'PISM'): string {
  let serial = prefix;
  for (let i = 0; i < 8; i++) serial += SERIAL_ALPHABET[randomInt(SERIAL_ALPHABET.length)];
  return serial;
}

/** A random key as long as the hash's output (RFC 4226 section 4, R6). */
export function randomOtpKey(hashlib: HashLib): Buffer {
  return randomBytes(hashlib === 'sha512' ? 64 : hashlib === 'sha256' ? 32 : 20);
}
