// What a RADIUS client does and the server never needs: hide a password, encode an attribute,
// check a response's authenticator (the tests' NAS; bench/lib/packets.mjs has its own).
import { hash, timingSafeEqual } from 'node:crypto';
import { HEADER_LENGTH } from '../../src/radius/packet.js';

function md5(first: Buffer, second: Buffer): Buffer {
  return hash('md5', Buffer.concat([first, second]), 'buffer');
}

/** The inverse of decryptPassword (src/radius/packet.ts). */
export function hidePassword(password: Buffer, secret: Buffer, requestAuthenticator: Buffer): Buffer {
  const padded = Buffer.alloc(Math.max(16, Math.ceil(password.length / 16) * 16));
  password.copy(padded);
  const out = Buffer.alloc(padded.length);
  let previous = requestAuthenticator;
  for (let i = 0; i < padded.length; i += 16) {
    const block = md5(secret, previous);
    for (let j = 0; j < 16; j++) out[i + j] = (padded[i + j] as number) ^ (block[j] as number);
    previous = out.subarray(i, i + 16);
  }
  return out;
}

export function encodeAttribute(type: number, value: Buffer): Buffer {
  if (value.length > 253) throw new RangeError(`attribute ${type} value of ${value.length} bytes exceeds 253`);
  return Buffer.concat([Buffer.from([type, value.length + 2]), value]);
}

/** Checks a response's authenticators against the request it answers. */
export function verifyResponse(response: Buffer, requestAuthenticator: Buffer, secret: Buffer): boolean {
  if (response.length < HEADER_LENGTH) return false;
  const copy = Buffer.from(response);
  requestAuthenticator.copy(copy, 4);
  const expected = md5(copy, secret);
  return timingSafeEqual(expected, response.subarray(4, HEADER_LENGTH));
}
