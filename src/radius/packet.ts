// RADIUS framing and authenticators (RFC 2865 §3, §5.2; RFC 2869 §5.14; RFC 3579 §3.2).
// Every length is checked against the datagram before anything is read, and every
// authenticator comparison is constant-time on raw bytes.
import { createHmac, hash, timingSafeEqual } from 'node:crypto';

export const Code = {
  AccessRequest: 1,
  AccessAccept: 2,
  AccessReject: 3,
  AccessChallenge: 11,
  StatusServer: 12,
} as const;
export type ResponseCode = typeof Code.AccessAccept | typeof Code.AccessReject | typeof Code.AccessChallenge;

export const Attr = {
  UserName: 1,
  UserPassword: 2,
  ChapPassword: 3,
  NasIpAddress: 4,
  FilterId: 11,
  ReplyMessage: 18,
  State: 24,
  Class: 25,
  VendorSpecific: 26,
  SessionTimeout: 27,
  CallingStationId: 31,
  NasIdentifier: 32,
  ProxyState: 33,
  Prompt: 76,
  EapMessage: 79,
  MessageAuthenticator: 80,
  NasIpv6Address: 95,
} as const;

export const HEADER_LENGTH = 20;
export const MIN_PACKET = 20;
export const MAX_PACKET = 4096;
export const MAX_ATTRIBUTES = 200;
const AUTHENTICATOR_LENGTH = 16;
const MAX_PASSWORD = 128;

export interface RawAttribute {
  readonly type: number;
  readonly value: Buffer;
}

export interface RadiusPacket {
  readonly code: number;
  readonly identifier: number;
  readonly authenticator: Buffer;
  readonly attributes: readonly RawAttribute[];
  /** The packet up to its Length field (trailing padding removed). */
  readonly raw: Buffer;
}

export type DropReason =
  | 'too_short'
  | 'too_long'
  | 'bad_length'
  | 'bad_attribute'
  | 'too_many_attributes'
  | 'bad_password'
  | 'bad_message_authenticator'
  | 'missing_message_authenticator'
  | 'proxy_state_without_message_authenticator'
  | 'eap_without_message_authenticator'
  | 'unknown_client'
  | 'unsupported_code'
  | 'stopping'
  | 'not_ready'
  | 'missing_attribute'
  | 'bad_request_authenticator';

export class MalformedPacket extends Error {
  override name = 'MalformedPacket';
  constructor(
    readonly reason: DropReason,
    detail: string,
  ) {
    super(detail);
  }
}

export function parsePacket(datagram: Buffer): RadiusPacket {
  if (datagram.length < MIN_PACKET) throw new MalformedPacket('too_short', `${datagram.length} bytes`);
  if (datagram.length > MAX_PACKET) throw new MalformedPacket('too_long', `${datagram.length} bytes`);
  const length = datagram.readUInt16BE(2);
  if (length < MIN_PACKET || length > datagram.length) {
    throw new MalformedPacket('bad_length', `Length field ${length}, datagram ${datagram.length} bytes`);
  }
  // Octets beyond Length are padding and are ignored (RFC 2865 §3).
  const raw = datagram.subarray(0, length);
  const attributes: RawAttribute[] = [];
  let offset = HEADER_LENGTH;
  while (offset < length) {
    if (offset + 2 > length) throw new MalformedPacket('bad_attribute', `truncated attribute header at ${offset}`);
    const type = raw[offset] as number;
    const attrLength = raw[offset + 1] as number;
    if (attrLength < 2 || offset + attrLength > length) {
      throw new MalformedPacket('bad_attribute', `attribute ${type} length ${attrLength} at ${offset}`);
    }
    if (attributes.length === MAX_ATTRIBUTES) throw new MalformedPacket('too_many_attributes', `more than ${MAX_ATTRIBUTES}`);
    attributes.push({ type, value: raw.subarray(offset + 2, offset + attrLength) });
    offset += attrLength;
  }
  return {
    code: raw[0] as number,
    identifier: raw[1] as number,
    authenticator: raw.subarray(4, HEADER_LENGTH),
    attributes,
    raw,
  };
}

export function attributeValues(packet: RadiusPacket, type: number): Buffer[] {
  return packet.attributes.filter((a) => a.type === type).map((a) => a.value);
}

export function firstAttribute(packet: RadiusPacket, type: number): Buffer | undefined {
  return packet.attributes.find((a) => a.type === type)?.value;
}

/** Reverses the User-Password hiding of RFC 2865 §5.2; trailing NUL padding is removed. */
export function decryptPassword(hidden: Buffer, secret: Buffer, requestAuthenticator: Buffer): Buffer {
  if (hidden.length === 0 || hidden.length % 16 !== 0 || hidden.length > MAX_PASSWORD) {
    throw new MalformedPacket('bad_password', `User-Password of ${hidden.length} bytes`);
  }
  const plain = Buffer.alloc(hidden.length);
  let previous = requestAuthenticator;
  for (let i = 0; i < hidden.length; i += 16) {
    const block = md5(secret, previous);
    for (let j = 0; j < 16; j++) plain[i + j] = (hidden[i + j] as number) ^ (block[j] as number);
    previous = hidden.subarray(i, i + 16);
  }
  let end = plain.length;
  while (end > 0 && plain[end - 1] === 0) end--;
  return plain.subarray(0, end);
}

function messageAuthenticatorOffsets(packet: RadiusPacket): number[] {
  const offsets: number[] = [];
  for (const attr of packet.attributes) {
    if (attr.type === Attr.MessageAuthenticator) offsets.push(attr.value.byteOffset - packet.raw.byteOffset);
  }
  return offsets;
}

/**
 * Checks the Message-Authenticator of a request (HMAC-MD5 over the packet with the
 * attribute's value zeroed). 'absent' when the request carries none.
 */
export function checkMessageAuthenticator(packet: RadiusPacket, secret: Buffer): 'absent' | 'valid' | 'invalid' {
  const offsets = messageAuthenticatorOffsets(packet);
  if (offsets.length === 0) return 'absent';
  const offset = offsets[0] as number;
  if (offsets.length > 1) return 'invalid';
  const received = packet.raw.subarray(offset, offset + AUTHENTICATOR_LENGTH);
  if (received.length !== AUTHENTICATOR_LENGTH) return 'invalid';
  const copy = Buffer.from(packet.raw);
  copy.fill(0, offset, offset + AUTHENTICATOR_LENGTH);
  const expected = createHmac('md5', secret).update(copy).digest();
  return timingSafeEqual(expected, received) ? 'valid' : 'invalid';
}

/**
 * Builds a signed response: Message-Authenticator first (computed with the request
 * authenticator in the header), then the given attributes, then every Proxy-State of the
 * request in order; finally the Response Authenticator over the result.
 */
export function encodeResponse(
  code: ResponseCode,
  request: RadiusPacket,
  attributes: readonly RawAttribute[],
  secret: Buffer,
): Buffer {
  const proxyStates = request.attributes.filter((a) => a.type === Attr.ProxyState);
  // Sized first and written in place: one allocation per response (this is the hot path).
  let length = HEADER_LENGTH + 2 + AUTHENTICATOR_LENGTH;
  for (const a of attributes) length += attributeLength(a);
  for (const a of proxyStates) length += attributeLength(a);
  if (length > MAX_PACKET) throw new RangeError(`response of ${length} bytes exceeds ${MAX_PACKET}`);
  const packet = Buffer.alloc(length);
  packet[0] = code;
  packet[1] = request.identifier;
  packet.writeUInt16BE(length, 2);
  request.authenticator.copy(packet, 4);
  const maOffset = HEADER_LENGTH + 2;
  packet[HEADER_LENGTH] = Attr.MessageAuthenticator;
  packet[HEADER_LENGTH + 1] = 2 + AUTHENTICATOR_LENGTH;
  let at = maOffset + AUTHENTICATOR_LENGTH;
  for (const a of attributes) at = writeAttribute(packet, at, a);
  for (const a of proxyStates) at = writeAttribute(packet, at, a);
  createHmac('md5', secret).update(packet).digest().copy(packet, maOffset);
  md5(packet, secret).copy(packet, 4);
  return packet;
}

function attributeLength(attribute: RawAttribute): number {
  if (attribute.value.length > 253) throw new RangeError(`attribute ${attribute.type} value of ${attribute.value.length} bytes exceeds 253`);
  return attribute.value.length + 2;
}

function writeAttribute(packet: Buffer, at: number, attribute: RawAttribute): number {
  packet[at] = attribute.type;
  packet[at + 1] = attribute.value.length + 2;
  attribute.value.copy(packet, at + 2);
  return at + 2 + attribute.value.length;
}

/** MD5 of two parts in one call (node:crypto's one-shot hash: half the cost of a Hash object). */
function md5(first: Buffer, second: Buffer): Buffer {
  return hash('md5', Buffer.concat([first, second]), 'buffer');
}

/** Splits a long text over several attributes of at most 253 bytes, never inside a UTF-8 character. */
export function splitText(type: number, text: string): RawAttribute[] {
  const bytes = Buffer.from(text, 'utf8');
  const parts: RawAttribute[] = [];
  let start = 0;
  while (start < bytes.length) {
    let end = Math.min(start + 253, bytes.length);
    while (end < bytes.length && end > start && ((bytes[end] as number) & 0xc0) === 0x80) end--;
    parts.push({ type, value: bytes.subarray(start, end) });
    start = end;
  }
  return parts;
}
