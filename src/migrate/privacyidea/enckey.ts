// privacyIDEA's encryption key file: 96 bytes, three AES-256 keys (lib/security/default.py):
// slot 0 the token keys and encrypted PINs, slot 1 the configuration's passwords (SMTP
// server, resolver bind passwords), slot 2 other values. AES-256-CBC, PKCS7 (older values:
// hex text ending in 0x01 0x02 and zero padding).
import { createDecipheriv } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { SmsOtpError } from '../../core/errors.js';
import { describeFsError } from '../../errors.js';

export class PiKeyFileError extends SmsOtpError {
  override name = 'PiKeyFileError';
  readonly code = 'ERR_KEY_FILE_UNUSABLE';
}

export const TOKEN_KEY = 0;
export const CONFIG_KEY = 1;

export class PiEncKey {
  private constructor(private readonly bytes: Buffer) {}

  static read(file: string): PiEncKey {
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch (err) {
      throw new PiKeyFileError(`--encfile ${file}: cannot read it: ${describeFsError(err)}`);
    }
    if (bytes.length !== 96) {
      throw new PiKeyFileError(`--encfile ${file}: ${bytes.length} bytes, but privacyIDEA's key file (PI_ENCFILE) has 96; give the encfile of the installation the database belongs to`);
    }
    return new PiEncKey(bytes.subarray(0, 96));
  }

  /** `data` (hex) decrypted with `iv` (hex) and key slot `slot`. Throws on a wrong key (bad padding). */
  decrypt(dataHex: string, ivHex: string, slot: number): Buffer {
    const key = this.bytes.subarray(slot * 32, slot * 32 + 32);
    const decipher = createDecipheriv('aes-256-cbc', key, Buffer.from(ivHex, 'hex'));
    decipher.setAutoPadding(false);
    const raw = Buffer.concat([decipher.update(Buffer.from(dataHex, 'hex')), decipher.final()]);
    return unpad(raw);
  }

  /** An `iv:data` value (encrypted passwords and PINs) as text. */
  decryptValue(value: string, slot: number): string {
    const at = value.indexOf(':');
    if (at < 0) throw new Error('not an iv:data value');
    return this.decrypt(value.slice(at + 1), value.slice(0, at), slot).toString('utf8');
  }
}

/** PKCS7, or privacyIDEA's legacy padding (hex text, then 0x01 0x02, then zeros). */
function unpad(raw: Buffer): Buffer {
  const n = raw[raw.length - 1] ?? 0;
  if (n >= 1 && n <= 16 && raw.subarray(raw.length - n).every((b) => b === n)) return raw.subarray(0, raw.length - n);
  const end = raw.lastIndexOf(Buffer.from([1, 2]));
  if (end >= 0) return Buffer.from(raw.subarray(0, end).toString('latin1'), 'hex');
  throw new Error('bad padding: wrong key file');
}
