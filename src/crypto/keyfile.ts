// The key file holds one random master key. Two independent keys are derived from it:
// one encrypts secrets at rest, one peppers PIN hashes. A copy of the database without
// this file reveals neither token keys, gateway passwords nor PINs.
import { SmsOtpError } from '../errors.js';
import { randomBytes, hkdfSync } from 'node:crypto';
import { mkdirSync, openSync, readFileSync, statSync, writeSync, closeSync } from 'node:fs';
import path from 'node:path';

export interface Keys {
  /** AES-256-GCM key for secrets at rest. */
  readonly encryption: Buffer;
  /** HMAC key mixed into every PIN hash. */
  readonly pinPepper: Buffer;
}

export class KeyFileError extends SmsOtpError {
  override name = 'KeyFileError';
  readonly code = 'ERR_KEY_FILE';
}

const MASTER_KEY_BYTES = 32;

function derive(master: Buffer, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), `sms-otp-radiusd/${purpose}`, 32));
}

export function keysFromMaster(master: Buffer): Keys {
  return { encryption: derive(master, 'encryption'), pinPepper: derive(master, 'pin-pepper') };
}

/**
 * Reads the key file, creating it (mode 0600, exclusive create) when it does not exist.
 * Returns the derived keys and whether the file was created now.
 */
export function loadOrCreateKeyFile(file: string): { keys: Keys; created: boolean; looseMode: boolean } {
  let created = false;
  try {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const fd = openSync(file, 'wx', 0o600);
    try {
      writeSync(fd, `${randomBytes(MASTER_KEY_BYTES).toString('hex')}\n`);
    } finally {
      closeSync(fd);
    }
    created = true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw new KeyFileError(`cannot create key file ${file}: ${(err as Error).message} (secrets.keyfile)`);
    }
  }
  const text = readFileSync(file, 'utf8').trim();
  if (!/^[0-9a-f]{64}$/i.test(text)) {
    throw new KeyFileError(
      `key file ${file} is not 64 hex digits; restore it from backup (secrets.keyfile). ` +
        'Without the original key, stored token keys and PINs cannot be read.',
    );
  }
  const looseMode = (statSync(file).mode & 0o077) !== 0;
  return { keys: keysFromMaster(Buffer.from(text, 'hex')), created, looseMode };
}
