// Authenticated encryption of secrets at rest (token keys, gateway passwords).
// Each ciphertext is bound to its context (e.g. the token serial) through the GCM
// additional data, so a value copied into another row does not decrypt.
import { SmsOtpError } from '../core/errors.js';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class DecryptionError extends SmsOtpError {
  override name = 'DecryptionError';
  readonly code = 'ERR_DECRYPTION_FAILED';
}

export class SecretBox {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('SecretBox needs a 32-byte key');
  }

  seal(plaintext: Buffer | string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return `${VERSION}:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')}`;
  }

  open(sealed: string, context: string): Buffer {
    const [version, payload] = sealed.split(':', 2);
    if (version !== VERSION || payload === undefined) {
      throw new DecryptionError(`unknown ciphertext format for ${context}`);
    }
    const raw = Buffer.from(payload, 'base64');
    if (raw.length < IV_BYTES + TAG_BYTES) throw new DecryptionError(`truncated ciphertext for ${context}`);
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
    } catch {
      throw new DecryptionError(
        `cannot decrypt ${context}: wrong key file or tampered value (secrets.keyfile must be the one the store was written with)`,
      );
    }
  }

  openString(sealed: string, context: string): string {
    return this.open(sealed, context).toString('utf8');
  }
}
