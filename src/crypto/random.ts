import { randomInt } from 'node:crypto';

/** A transaction id as privacyIDEA issues them: 20 decimal digits from the CSPRNG (~66 bits). */
export function newTransactionId(digits = 20): string {
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
