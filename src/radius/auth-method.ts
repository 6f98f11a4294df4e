// Which authentication protocol an Access-Request speaks, read from the attributes that carry
// the credentials: PAP User-Password (RFC 2865 §5.2), CHAP-Password (§5.3), Microsoft's
// MS-CHAP and MS-CHAPv2 responses (RFC 2548 §2.1, §2.3), EAP-Message (RFC 3579 §3.1).
// Only PAP can carry a PIN and an OTP to us; the others are answered with a reject that says so.
import { Attr, attributeValues, firstAttribute, type RadiusPacket } from './packet.js';

export type AuthMethod = 'pap' | 'chap' | 'mschap' | 'mschapv2' | 'eap' | 'none';

const MICROSOFT = 311;
const MS_CHAP_RESPONSE = 1;
const MS_CHAP2_RESPONSE = 25;

/**
 * EAP wins over everything (its Message-Authenticator rules apply, RFC 3579 §3.2), then PAP as
 * today; 'none' is a request that carries no credentials at all (only a State, say).
 */
export function authMethodOf(packet: RadiusPacket): AuthMethod {
  if (firstAttribute(packet, Attr.EapMessage) !== undefined) return 'eap';
  if (firstAttribute(packet, Attr.UserPassword) !== undefined) return 'pap';
  if (firstAttribute(packet, Attr.ChapPassword) !== undefined) return 'chap';
  const microsoft = microsoftAttributeTypes(packet);
  if (microsoft.has(MS_CHAP2_RESPONSE)) return 'mschapv2';
  if (microsoft.has(MS_CHAP_RESPONSE)) return 'mschap';
  return 'none';
}

/** The sub-attribute types of every Vendor-Specific of vendor 311; malformed ones are skipped. */
function microsoftAttributeTypes(packet: RadiusPacket): Set<number> {
  const types = new Set<number>();
  for (const vsa of attributeValues(packet, Attr.VendorSpecific)) {
    if (vsa.length < 6 || vsa.readUInt32BE(0) !== MICROSOFT) continue;
    // One Vendor-Specific may hold several sub-attributes (type, length, value).
    for (let at = 4; at + 2 <= vsa.length; ) {
      const length = vsa[at + 1] as number;
      if (length < 2 || at + length > vsa.length) break;
      types.add(vsa[at] as number);
      at += length;
    }
  }
  return types;
}

const EAP_FAILURE = 4;
const EAP_HEADER = 4;

/**
 * The EAP-Failure that ends the conversation (RFC 3748 §4.2): its Identifier is the one of
 * the EAP-Response it answers. Undefined when the request's EAP packet has no complete header.
 */
export function eapFailureFor(packet: RadiusPacket): Buffer | undefined {
  // An EAP packet may span several EAP-Message attributes; the header is in the first.
  const eap = Buffer.concat(attributeValues(packet, Attr.EapMessage));
  if (eap.length < EAP_HEADER) return undefined;
  const failure = Buffer.alloc(EAP_HEADER);
  failure[0] = EAP_FAILURE;
  failure[1] = eap[1] as number;
  failure.writeUInt16BE(EAP_HEADER, 2);
  return failure;
}
