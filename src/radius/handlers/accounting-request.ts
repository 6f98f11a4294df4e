// Accounting-Request (RFC 2866): the Request Authenticator checked against the client's
// secret (§3), the attributes turned into the session event the store keeps, and the
// Accounting-Response (§4) built once that event is durable.
import { hash, timingSafeEqual } from 'node:crypto';
import { ACCOUNTING_STATUS, TERMINATE_CAUSES, type AccountingEvent, type AccountingStatus } from '../../core/accounting.js';
import { decodeUtf8 } from '../access.js';
import { Attr, HEADER_LENGTH, MalformedPacket, firstAttribute, type RadiusPacket } from '../packet.js';

export const AccountingCode = { Request: 4, Response: 5 } as const;

const Acct = {
  FramedIpAddress: 8,
  StatusType: 40,
  DelayTime: 41,
  InputOctets: 42,
  OutputOctets: 43,
  SessionId: 44,
  SessionTime: 46,
  TerminateCause: 49,
  InputGigawords: 52,
  OutputGigawords: 53,
} as const;

const ZERO_AUTHENTICATOR = Buffer.alloc(16);

/**
 * RFC 2866 §3: the Request Authenticator is MD5(Code + Identifier + Length + 16 zero octets +
 * request attributes + shared secret). Unlike an Access-Request's it signs the whole packet,
 * so a wrong one means a wrong secret or a forged packet.
 */
export function verifyAccountingRequest(packet: RadiusPacket, secret: Buffer): boolean {
  const expected = accountingRequestAuthenticator(packet.raw, secret);
  return timingSafeEqual(expected, packet.authenticator);
}

/** The Request Authenticator a client computes for `raw` (its own authenticator field ignored). */
export function accountingRequestAuthenticator(raw: Buffer, secret: Buffer): Buffer {
  return hash('md5', Buffer.concat([raw.subarray(0, 4), ZERO_AUTHENTICATOR, raw.subarray(HEADER_LENGTH), secret]), 'buffer');
}

/**
 * RFC 2866 §4: Accounting-Response with the request's Identifier, no attributes but the
 * request's Proxy-States (RFC 2865 §5.33), and the Response Authenticator
 * MD5(Code + Identifier + Length + Request Authenticator + attributes + secret).
 */
export function encodeAccountingResponse(request: RadiusPacket, secret: Buffer): Buffer {
  const proxyStates = request.attributes.filter((a) => a.type === Attr.ProxyState);
  const attributes = Buffer.concat(proxyStates.map((a) => Buffer.concat([Buffer.from([a.type, a.value.length + 2]), a.value])));
  const packet = Buffer.alloc(HEADER_LENGTH + attributes.length);
  packet[0] = AccountingCode.Response;
  packet[1] = request.identifier;
  packet.writeUInt16BE(packet.length, 2);
  request.authenticator.copy(packet, 4);
  attributes.copy(packet, HEADER_LENGTH);
  hash('md5', Buffer.concat([packet, secret]), 'buffer').copy(packet, 4);
  return packet;
}

/** What a request asks of the store: a session event, or (Accounting-On/Off) the end of every open session of the NAS. */
export type AccountingWork =
  | { readonly kind: 'session'; readonly event: AccountingEvent }
  | { readonly kind: 'nas'; readonly status: 'on' | 'off'; readonly at: number }
  | { readonly kind: 'ignore'; readonly status: AccountingStatus };

/** The work of a verified request. Throws MalformedPacket ('missing_attribute') for a request the RFC calls invalid. */
export function accountingWorkOf(packet: RadiusPacket, client: string, arrived: number): AccountingWork {
  const statusType = integerOf(packet, Acct.StatusType);
  if (statusType === undefined) throw new MalformedPacket('missing_attribute', 'no Acct-Status-Type');
  const status: AccountingStatus = (ACCOUNTING_STATUS as Readonly<Record<number, AccountingStatus | undefined>>)[statusType] ?? 'other';
  const at = arrived - (integerOf(packet, Acct.DelayTime) ?? 0) * 1000;
  if (status === 'on' || status === 'off') return { kind: 'nas', status, at };
  // Tunnel-Link and vendor status types: answered (a NAS waits for it), nothing kept.
  if (status === 'other') return { kind: 'ignore', status };
  const sessionId = firstAttribute(packet, Acct.SessionId);
  if (sessionId === undefined || sessionId.length === 0) throw new MalformedPacket('missing_attribute', 'no Acct-Session-Id');
  const cause = integerOf(packet, Acct.TerminateCause);
  const sessionTime = integerOf(packet, Acct.SessionTime);
  const inputOctets = octetsOf(packet, Acct.InputOctets, Acct.InputGigawords);
  const outputOctets = octetsOf(packet, Acct.OutputOctets, Acct.OutputGigawords);
  const event: AccountingEvent = {
    status,
    client,
    sessionId: textOf(sessionId),
    username: textAttribute(packet, Attr.UserName),
    nasIpAddress: ipv4Of(packet, Attr.NasIpAddress),
    nasIdentifier: textAttribute(packet, Attr.NasIdentifier),
    framedIpAddress: ipv4Of(packet, Acct.FramedIpAddress),
    callingStationId: textAttribute(packet, Attr.CallingStationId),
    at,
    ...(sessionTime === undefined ? {} : { sessionTime }),
    ...(inputOctets === undefined ? {} : { inputOctets }),
    ...(outputOctets === undefined ? {} : { outputOctets }),
    ...(cause === undefined ? {} : { terminateCause: TERMINATE_CAUSES[cause] ?? String(cause) }),
  };
  return { kind: 'session', event };
}

function integerOf(packet: RadiusPacket, type: number): number | undefined {
  const value = firstAttribute(packet, type);
  return value?.length === 4 ? value.readUInt32BE(0) : undefined;
}

/** Octets with their gigawords (RFC 2869 §5.1): a counter that wrapped past 4 GiB stays right. */
function octetsOf(packet: RadiusPacket, octets: number, gigawords: number): number | undefined {
  const low = integerOf(packet, octets);
  if (low === undefined) return undefined;
  return (integerOf(packet, gigawords) ?? 0) * 2 ** 32 + low;
}

function ipv4Of(packet: RadiusPacket, type: number): string {
  const value = firstAttribute(packet, type);
  return value?.length === 4 ? [...value].join('.') : '';
}

function textAttribute(packet: RadiusPacket, type: number): string {
  const value = firstAttribute(packet, type);
  return value === undefined ? '' : textOf(value);
}

/** A text attribute; bytes that are not UTF-8 (a NAS bug) are kept visible as hex. */
function textOf(value: Buffer): string {
  return decodeUtf8(value) ?? `0x${value.toString('hex')}`;
}
