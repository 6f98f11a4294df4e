// RFC 4226 HOTP computed here, independent of the daemon's code (which is being moved
// about): what a phone's authenticator or the SMS would show for a counter.
import { createHmac } from 'node:crypto';

export function hotp(keyHex: string, counter: number, digits = 6, hash: 'sha1' | 'sha256' | 'sha512' = 'sha1'): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac(hash, Buffer.from(keyHex, 'hex')).update(message).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const code = (mac.readUInt32BE(offset) & 0x7fffffff) % 10 ** digits;
  return String(code).padStart(digits, '0');
}
