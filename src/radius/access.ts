// Access-Request in, authentication result out: the mapping between RADIUS attributes and
// the domain's request and result (after privacyIDEA's FreeRADIUS plugin).
import type { AuthRequest, AuthResult } from '../core/login/request.js';
import { Messages } from '../core/messages.js';
import type { NasContext } from '../core/model.js';
import { Attr, Code, firstAttribute, splitText, type RadiusPacket, type RawAttribute, type ResponseCode } from './packet.js';

export interface AccessResponse {
  readonly code: ResponseCode;
  readonly attributes: RawAttribute[];
}

/** Strict UTF-8: a password that does not decode is most likely a shared-secret mismatch. */
const utf8 = new TextDecoder('utf-8', { fatal: true });

export function decodeUtf8(bytes: Buffer): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

/**
 * The domain request of an Access-Request. With a State, an empty password or the resend
 * keyword asks for the SMS again instead of answering the challenge.
 */
export function toAuthRequest(
  packet: RadiusPacket,
  password: string,
  options: { client: AuthRequest['client']; resendKeyword: string; deadline?: number; smsDeadline?: number },
): AuthRequest | undefined {
  // Stripped-User-Name is internal to FreeRADIUS and never on the wire: a proxy in front of
  // us sends the stripped name as User-Name (or the full one; radius.realm_format splits it).
  const name = firstAttribute(packet, Attr.UserName);
  const username = name === undefined ? undefined : decodeUtf8(name);
  if (username === undefined || username === '') return undefined;
  const state = firstAttribute(packet, Attr.State);
  const common = {
    client: options.client,
    nas: nasContextOf(packet),
    ...(options.deadline === undefined ? {} : { deadline: options.deadline }),
    ...(options.smsDeadline === undefined ? {} : { smsDeadline: options.smsDeadline }),
  };
  if (state === undefined) return { username, password, ...common };
  const resend = password === '' || (options.resendKeyword !== '' && password === options.resendKeyword);
  return { username, password, transactionId: state.toString('latin1'), resend, ...common };
}

/** What the NAS says about the session, for the audit trail; absent attributes stay out. */
export function nasContextOf(packet: RadiusPacket): Partial<NasContext> {
  const nas: { -readonly [K in keyof NasContext]?: string } = {};
  const station = firstAttribute(packet, Attr.CallingStationId);
  if (station !== undefined) nas.callingStationId = textOf(station);
  const identifier = firstAttribute(packet, Attr.NasIdentifier);
  if (identifier !== undefined) nas.identifier = textOf(identifier);
  const ipv4 = firstAttribute(packet, Attr.NasIpAddress);
  const ipv6 = firstAttribute(packet, Attr.NasIpv6Address);
  if (ipv4?.length === 4) nas.ipAddress = [...ipv4].join('.');
  else if (ipv6?.length === 16) nas.ipAddress = ipv6Text(ipv6);
  return nas;
}

/** A text attribute; bytes that are not UTF-8 (a NAS bug) are kept visible as hex. */
function textOf(value: Buffer): string {
  return decodeUtf8(value) ?? `0x${value.toString('hex')}`;
}

/** RFC 5952 form (zeros compressed), as the WHATWG URL parser serialises an IPv6 host. */
function ipv6Text(bytes: Buffer): string {
  const groups = Array.from({ length: 8 }, (_v, i) => bytes.readUInt16BE(i * 2).toString(16));
  return new URL(`http://[${groups.join(':')}]/`).hostname.slice(1, -1);
}

/** Prompt's values (RFC 2869 §5.10): whether the NAS shows what the user types in answer. */
export const PROMPT_NO_ECHO = 0;
export const PROMPT_ECHO = 1;

/**
 * The Reply-Message of a result. A NAS must not be an oracle for user names: a login name
 * without a token (an unknown user among them) is answered as a wrong PIN is. The HTTP front,
 * and the audit trail, keep the core's message.
 */
export function replyMessageOf(result: AuthResult): string {
  return result.outcome === 'reject' && result.message === Messages.noToken ? Messages.wrongPin : result.message;
}

/** `echo`: the client's challenge_echo; by default a challenge asks the NAS to hide the answer. */
export function toAccessResponse(result: AuthResult, now: number, echo = false): AccessResponse {
  const reply = splitText(Attr.ReplyMessage, replyMessageOf(result));
  switch (result.outcome) {
    case 'accept':
      return { code: Code.AccessAccept, attributes: reply };
    case 'reject':
      return { code: Code.AccessReject, attributes: reply };
    case 'challenge': {
      const remaining = Math.max(1, Math.ceil((result.expiresAt - now) / 1000));
      const timeout = Buffer.alloc(4);
      timeout.writeUInt32BE(remaining);
      const prompt = Buffer.alloc(4);
      prompt.writeUInt32BE(echo ? PROMPT_ECHO : PROMPT_NO_ECHO);
      return {
        code: Code.AccessChallenge,
        attributes: [
          ...reply,
          { type: Attr.State, value: Buffer.from(result.transactionId, 'latin1') },
          { type: Attr.SessionTimeout, value: timeout },
          { type: Attr.Prompt, value: prompt },
        ],
      };
    }
  }
}
