import { randomBytes, randomInt } from 'node:crypto';
import type { HashLib } from './model.js';

/**
 * A transaction id (the RADIUS State): decimal digits from the CSPRNG. privacyIDEA uses 20
 * (~66 bits); 40 give ~133 bits, and digits stay printable for NAS that treat State as text.
 */
export const TRANSACTION_ID_DIGITS = 40;

export function isTransactionId(value: string): boolean {
  return value.length === TRANSACTION_ID_DIGITS && /^\d+$/.test(value);
}

export function newTransactionId(digits = TRANSACTION_ID_DIGITS): string {
  let id = '';
  for (let i = 0; i < digits; i++) id += String(randomInt(10));
  return id;
}

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
