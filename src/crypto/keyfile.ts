// The key file holds one random master key. Two independent keys are derived from it:
// one encrypts secrets at rest, one peppers PIN hashes. A copy of the database without
// this file reveals neither token keys, gateway passwords nor PINs.
import { SmsOtpError } from '../core/errors.js';
import { describeFsError } from '../errors.js';
import { randomBytes, hkdfSync } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';

export interface Keys {
  /** AES-256-GCM key for secrets at rest. */
  readonly encryption: Buffer;
  /** HMAC key mixed into every PIN hash. */
  readonly pinPepper: Buffer;
  /** HMAC key of the stored API key hashes (a store dump alone cannot test guesses). */
  readonly apiKeyMac: Buffer;
  /** HMAC key of the transaction ids (States) every node of the site issues and recognises. */
  readonly transactionIdMac: Buffer;
  /** HMAC key of the web UI's session ids as stored (a store dump alone cannot take over a session). */
  readonly webSessionKey: Buffer;
}

export class KeyFileError extends SmsOtpError {
  override name = 'KeyFileError';
  readonly code = 'ERR_KEY_FILE_UNUSABLE';
}

const MASTER_KEY_BYTES = 32;

function derive(master: Buffer, purpose: string): Buffer {
  return Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), `sms-otp-radiusd/${purpose}`, 32));
}

export function keysFromMaster(master: Buffer): Keys {
  return {
    encryption: derive(master, 'encryption'),
    pinPepper: derive(master, 'pin-pepper'),
    apiKeyMac: derive(master, 'api-keys'),
    transactionIdMac: derive(master, 'transaction-ids'),
    webSessionKey: derive(master, 'web-sessions'),
  };
}

export interface KeyFile {
  readonly keys: Keys;
  /** Readable by group or others: worth a warning. */
  readonly looseMode: boolean;
}

/** Reads the key file; undefined when it does not exist (the caller decides whether to create it). */
export function readKeyFile(file: string): KeyFile | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8').trim();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new KeyFileError(`cannot read key file ${file}: ${describeFsError(err)} (secrets.keyfile)`);
  }
  if (!/^[0-9a-f]{64}$/i.test(text)) {
    throw new KeyFileError(
      `key file ${file} is not 64 hex digits; restore it from backup (secrets.keyfile). ` +
        'Without the original key, stored token keys and PINs cannot be read.',
    );
  }
  const looseMode = (statSync(file).mode & 0o077) !== 0;
  return { keys: keysFromMaster(Buffer.from(text, 'hex')), looseMode };
}

/**
 * Writes a new random key file (mode 0600, exclusive create, so two nodes starting at once
 * cannot both write one). Its directory must exist: a missing one is a wrong path, not
 * something to create silently.
 */
export function createKeyFile(file: string): void {
  const dir = path.dirname(file);
  if (!existsSync(dir)) {
    throw new KeyFileError(`the directory of the key file ${file} does not exist (secrets.keyfile): create it (mkdir -m 700 ${dir}) or correct the path`);
  }
  let fd: number;
  try {
    fd = openSync(file, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return;
    throw new KeyFileError(`cannot create key file ${file}: ${describeFsError(err)} (secrets.keyfile)`);
  }
  try {
    writeSync(fd, `${randomBytes(MASTER_KEY_BYTES).toString('hex')}\n`);
  } finally {
    closeSync(fd);
  }
}
