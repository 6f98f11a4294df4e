// RADIUS request packets for the load generator, built before the timed part.
//
// Self-contained (no dist/ import), so the generator does not depend on the daemon's
// internals, which change under it. Built for a generator that must never be the
// bottleneck: packets are views into large slabs, and MD5 / HMAC-MD5 use the one-shot
// crypto.hash() into latin1 strings. (A createHash()/createHmac() object per packet or
// per response is a native object the garbage collector must finalise; at 20 000
// requests/s that cost the generator 20-50 ms pauses.)
//
// Every packet has its own random Request Authenticator. The Identifier is written at
// send time by the client (it must be free on the socket the packet leaves from); a
// packet with a Message-Authenticator records where it is, because the HMAC covers the
// Identifier.
import { hash, randomBytes, randomFillSync } from 'node:crypto';

export const Code = { AccessRequest: 1, AccessAccept: 2, AccessReject: 3, AccessChallenge: 11, StatusServer: 12 };
export const Attr = { UserName: 1, UserPassword: 2, ReplyMessage: 18, State: 24, MessageAuthenticator: 80 };
const HEADER = 20;
const MAX_PACKET = 4096;

const md5 = (data) => hash('md5', data, 'latin1'); // 16 chars, one per byte

// --- slab allocation: packets of a pool share a few large buffers -------------------------------
const SLAB_BYTES = 1 << 20;
let slab = Buffer.alloc(0);
let slabUsed = 0;

function allocate(length) {
  if (slabUsed + length > slab.length) {
    slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
    slabUsed = 0;
  }
  const view = slab.subarray(slabUsed, slabUsed + length);
  slabUsed += length;
  return view;
}

// Request Authenticators come from a pool of random bytes: one randomFillSync() call per
// packet made building 150 000 packets take a second.
const RANDOM_POOL = Buffer.allocUnsafeSlow(64 * 1024);
let randomUsed = RANDOM_POOL.length;

function randomAuthenticator(buf) {
  if (randomUsed + 16 > RANDOM_POOL.length) {
    randomFillSync(RANDOM_POOL);
    randomUsed = 0;
  }
  RANDOM_POOL.copy(buf, 4, randomUsed, randomUsed + 16);
  randomUsed += 16;
}

/** Keyed MD5 helpers for one shared secret, with their scratch buffers. */
export class Signer {
  constructor(secret) {
    this.secret = Buffer.from(secret);
    if (this.secret.length > 64) throw new RangeError('secrets longer than 64 bytes are not supported by the bench');
    this.scratch = Buffer.allocUnsafeSlow(64 + MAX_PACKET + this.secret.length);
    // HMAC (RFC 2104) with a key shorter than the MD5 block: K xor ipad / opad, padded to 64.
    this.ipad = Buffer.alloc(64, 0x36);
    this.opad = Buffer.alloc(80, 0x5c);
    for (let i = 0; i < this.secret.length; i++) {
      this.ipad[i] ^= this.secret[i];
      this.opad[i] ^= this.secret[i];
    }
  }

  /** HMAC-MD5(secret, data) as a latin1 string. */
  hmac(data) {
    this.ipad.copy(this.scratch, 0);
    data.copy(this.scratch, 64);
    const inner = md5(this.scratch.subarray(0, 64 + data.length));
    this.opad.write(inner, 64, 'latin1');
    return md5(this.opad);
  }

  /** MD5(secret + block) as a latin1 string (the User-Password keystream, RFC 2865 §5.2). */
  passwordBlock(previous) {
    this.secret.copy(this.scratch, 0);
    previous.copy(this.scratch, this.secret.length);
    return md5(this.scratch.subarray(0, this.secret.length + 16));
  }

  /** Does `response` (a reply) carry the right Response Authenticator for the request's? (RFC 2865 §3) */
  verifyResponse(response, requestAuthenticator) {
    const length = response.length;
    if (length < HEADER || length > MAX_PACKET) return false;
    response.copy(this.scratch, 0);
    requestAuthenticator.copy(this.scratch, 4);
    this.secret.copy(this.scratch, length);
    const expected = md5(this.scratch.subarray(0, length + this.secret.length));
    for (let i = 0; i < 16; i++) if (expected.charCodeAt(i) !== response[4 + i]) return false;
    return true;
  }
}

/** A request ready to send: `buf` is the datagram, `maOffset` the Message-Authenticator value or -1. */
export class Packet {
  constructor(buf, maOffset = -1) {
    this.buf = buf;
    this.maOffset = maOffset;
  }

  get authenticator() {
    return this.buf.subarray(4, HEADER);
  }

  /** Writes the Identifier and, if the packet is signed, recomputes its Message-Authenticator. */
  stamp(identifier, signer) {
    this.buf[1] = identifier;
    if (this.maOffset >= 0) {
      this.buf.fill(0, this.maOffset, this.maOffset + 16);
      this.buf.write(signer.hmac(this.buf), this.maOffset, 'latin1');
    }
  }
}

function byteLength(value) {
  return Buffer.isBuffer(value) ? value.length : Buffer.byteLength(value);
}

function writeAttribute(buf, offset, type, value) {
  const length = byteLength(value);
  if (length > 253) throw new RangeError(`attribute ${type}: ${length} bytes`);
  buf[offset] = type;
  buf[offset + 1] = length + 2;
  if (Buffer.isBuffer(value)) value.copy(buf, offset + 2);
  else buf.write(value, offset + 2, 'utf8');
  return offset + 2 + length;
}

/**
 * An Access-Request with User-Name, the hidden User-Password and optionally a State.
 * No Message-Authenticator: the servers under test are configured not to require one.
 */
export function accessRequest(signer, { user, password, state }) {
  const plain = Buffer.from(password, 'utf8');
  const hiddenLength = Math.max(16, Math.ceil(plain.length / 16) * 16);
  const length = HEADER + 2 + byteLength(user) + 2 + hiddenLength + (state === undefined ? 0 : 2 + byteLength(state));
  const buf = allocate(length);
  buf[0] = Code.AccessRequest;
  buf[1] = 0;
  buf.writeUInt16BE(length, 2);
  randomAuthenticator(buf);
  let offset = writeAttribute(buf, HEADER, Attr.UserName, user);
  buf[offset] = Attr.UserPassword;
  buf[offset + 1] = hiddenLength + 2;
  const hidden = buf.subarray(offset + 2, offset + 2 + hiddenLength);
  hidden.fill(0);
  plain.copy(hidden);
  let previous = buf.subarray(4, HEADER);
  for (let i = 0; i < hiddenLength; i += 16) {
    const block = signer.passwordBlock(previous);
    for (let j = 0; j < 16; j++) hidden[i + j] ^= block.charCodeAt(j);
    previous = hidden.subarray(i, i + 16);
  }
  offset += 2 + hiddenLength;
  if (state !== undefined) writeAttribute(buf, offset, Attr.State, state);
  return new Packet(buf);
}

/** RFC 5997 Status-Server; it must carry a Message-Authenticator (filled in by stamp()). */
export function statusServer() {
  const buf = allocate(HEADER + 18);
  buf[0] = Code.StatusServer;
  buf[1] = 0;
  buf.writeUInt16BE(HEADER + 18, 2);
  randomAuthenticator(buf);
  buf[HEADER] = Attr.MessageAuthenticator;
  buf[HEADER + 1] = 18;
  buf.fill(0, HEADER + 2);
  return new Packet(buf, HEADER + 2);
}

/** The first value of an attribute in a response, or undefined. */
export function responseAttribute(response, type) {
  const length = Math.min(response.readUInt16BE(2), response.length);
  for (let offset = HEADER; offset + 2 <= length; ) {
    const attrLength = response[offset + 1];
    if (attrLength < 2) return undefined;
    if (response[offset] === type) return response.subarray(offset + 2, offset + attrLength);
    offset += attrLength;
  }
  return undefined;
}

/** A syntactically valid transaction id (40 decimal digits) that nobody issued. */
export function randomState(digits = 40) {
  let s = '';
  for (const byte of randomBytes(digits)) s += String(byte % 10); // the bias of % 10 does not matter here
  return s;
}

/** A wrong PIN, different every time, so no cache of recent (user, password) pairs can answer it. */
export function randomWrongPin() {
  return `x${randomBytes(6).toString('base64url').slice(0, 7)}`;
}
