// PIN hashing: scrypt over HMAC(pepper, PIN) with a per-hash random salt.
// The pepper lives only in the key file, so the stored hashes cannot be brute-forced
// from a database dump alone. The work factor is a store setting (pin.kdf_cost = log2 N).
// PINs carried over from privacyIDEA keep its hash (passlib's `$argon2id$…`, which is
// argon2's own PHC string) until the first correct login re-hashes them into ours; privacyIDEA
// 3.x hashes token PINs without its PI_PEPPER (models/token.py set_hashed_pin → pass_hash).
import { verify as argon2Verify } from '@node-rs/argon2';
import { createHmac, randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';

const SALT_BYTES = 16;
const HASH_BYTES = 32;
const BLOCK_SIZE = 8;
const PARALLELISM = 1;

function scrypt(password: Buffer, salt: Buffer, logN: number): Promise<Buffer> {
  const N = 2 ** logN;
  const options: ScryptOptions = { N, r: BLOCK_SIZE, p: PARALLELISM, maxmem: 256 * N * BLOCK_SIZE + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scryptCb(password, salt, HASH_BYTES, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

export class PinHasher {
  constructor(private readonly pepper: Buffer) {}

  private peppered(pin: string): Buffer {
    return createHmac('sha256', this.pepper).update(pin, 'utf8').digest();
  }

  async hash(pin: string, logN: number): Promise<string> {
    const salt = randomBytes(SALT_BYTES);
    const derived = await scrypt(this.peppered(pin), salt, logN);
    return `scrypt$${logN}$${salt.toString('base64')}$${derived.toString('base64')}`;
  }

  async verify(pin: string, encoded: string): Promise<boolean> {
    if (isPrivacyIdeaPinHash(encoded)) return verifyArgon2(pin, encoded);
    const [scheme, logNText, saltText, hashText] = encoded.split('$');
    if (scheme !== 'scrypt' || !logNText || !saltText || !hashText) return false;
    const expected = Buffer.from(hashText, 'base64');
    const derived = await scrypt(this.peppered(pin), Buffer.from(saltText, 'base64'), Number(logNText));
    return derived.length === expected.length && timingSafeEqual(derived, expected);
  }
}

/** A PIN hash carried over from privacyIDEA (passlib's argon2 format, e.g. `$argon2id$v=19$m=…`). */
export function isPrivacyIdeaPinHash(encoded: string): boolean {
  return /^\$argon2(id|i|d)\$/.test(encoded);
}

async function verifyArgon2(pin: string, encoded: string): Promise<boolean> {
  try {
    return await argon2Verify(encoded, pin);
  } catch {
    return false; // a malformed stored hash matches no PIN
  }
}
