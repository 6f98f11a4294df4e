// API keys of the HTTP front: 256 random bits, shown once, kept only as a keyed hash.
// A fast HMAC is right here (and scrypt per request would be wrong): guessing a 256-bit random
// key is hopeless at any speed, so a slow KDF would only slow down every request. The HMAC key
// comes from the key file, so a store dump alone does not even let one test a leaked key.
import { createHmac, randomBytes } from 'node:crypto';

/** Recognisable in a secret scanner and in a support ticket: `smsotp_` then 43 base64url characters. */
export const API_KEY_PREFIX = 'smsotp_';

export function newApiKey(): string {
  return API_KEY_PREFIX + randomBytes(32).toString('base64url');
}

export class ApiKeyHasher {
  constructor(private readonly macKey: Buffer) {}

  /** Hex HMAC-SHA256 of the key: what the store keeps and what a request's key is looked up by. */
  hash(key: string): string {
    return createHmac('sha256', this.macKey).update(key, 'utf8').digest('hex');
  }
}
