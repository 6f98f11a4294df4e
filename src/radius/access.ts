// Access-Request in, authentication result out: the mapping between RADIUS attributes and
// the domain's request and result (after privacyIDEA's FreeRADIUS plugin).
import type { AuthRequest, AuthResult } from '../core/login/request.js';
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
  options: { client: AuthRequest['client']; resendKeyword: string; deadline?: number },
): AuthRequest | undefined {
  // Stripped-User-Name is internal to FreeRADIUS and never on the wire: a proxy in front of
  // us sends the stripped name as User-Name (or the full one; radius.realm_format splits it).
  const name = firstAttribute(packet, Attr.UserName);
  const username = name === undefined ? undefined : decodeUtf8(name);
  if (username === undefined || username === '') return undefined;
  const state = firstAttribute(packet, Attr.State);
  const deadline = options.deadline === undefined ? {} : { deadline: options.deadline };
  if (state === undefined) return { username, password, client: options.client, ...deadline };
  const resend = password === '' || (options.resendKeyword !== '' && password === options.resendKeyword);
  return { username, password, transactionId: state.toString('latin1'), resend, client: options.client, ...deadline };
}

export function toAccessResponse(result: AuthResult, now: number): AccessResponse {
  const reply = splitText(Attr.ReplyMessage, result.message);
  switch (result.outcome) {
    case 'accept':
      return { code: Code.AccessAccept, attributes: reply };
    case 'reject':
      return { code: Code.AccessReject, attributes: reply };
    case 'challenge': {
      const remaining = Math.max(1, Math.ceil((result.expiresAt - now) / 1000));
      const timeout = Buffer.alloc(4);
      timeout.writeUInt32BE(remaining);
      return {
        code: Code.AccessChallenge,
        attributes: [
          ...reply,
          { type: Attr.State, value: Buffer.from(result.transactionId, 'latin1') },
          { type: Attr.SessionTimeout, value: timeout },
        ],
      };
    }
  }
}
