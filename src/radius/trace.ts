// The RADIUS side of the debug trace (src/core/debug-trace.ts): the request's client and
// attributes, and the reply's code and attributes, as `radiusd -X` lists them. Whatever can
// carry a password, a challenge's key or a signature is masked with its length only:
// User-Password, CHAP, State, Message-Authenticator, EAP and every Vendor-Specific attribute
// (MS-CHAP lives there).
import type { RadiusClient } from './clients.js';
import { radiusLibrary } from './dictionary.js';
import { decodeUtf8 } from './access.js';
import { Attr, Code, type RadiusPacket, type RawAttribute } from './packet.js';

const CHAP_CHALLENGE = 60;
const MASKED: ReadonlySet<number> = new Set([
  Attr.UserPassword, Attr.ChapPassword, CHAP_CHALLENGE, Attr.State, Attr.MessageAuthenticator, Attr.EapMessage, Attr.VendorSpecific,
]);
/** Attributes of type ipaddr in RFC 2865: NAS-IP-Address, Framed-IP-Address, Login-IP-Host. */
const IPV4: ReadonlySet<number> = new Set([Attr.NasIpAddress, 8, 14]);

const CODE_NAMES: Readonly<Record<number, string>> = {
  [Code.AccessAccept]: 'Access-Accept',
  [Code.AccessReject]: 'Access-Reject',
  [Code.AccessChallenge]: 'Access-Challenge',
};

/** `Name = value` of one attribute; masked ones show their length only. */
function attributeText(a: RawAttribute): string {
  const name = radiusLibrary().attr_id_to_name(a.type) ?? `Attr-${a.type}`;
  if (MASKED.has(a.type)) return `${name} = <masked, ${a.value.length} bytes>`;
  if (IPV4.has(a.type) && a.value.length === 4) return `${name} = ${[...a.value].join('.')}`;
  const text = decodeUtf8(a.value);
  if (text !== undefined && !/[\u0000-\u001f\u007f-\u009f]/.test(text)) return `${name} = "${text}"`;
  if (a.value.length === 4) return `${name} = ${a.value.readUInt32BE(0)}`;
  return `${name} = 0x${a.value.toString('hex')}`;
}

export function traceRequest(trace: (line: string) => void, packet: RadiusPacket, client: RadiusClient, address: string): void {
  trace(`Access-Request id ${packet.identifier} from client ${client.name} (${address})`);
  for (const a of packet.attributes) trace(`  ${attributeText(a)}`);
}

export function traceReply(trace: (line: string) => void, packet: RadiusPacket, code: number, attributes: readonly RawAttribute[]): void {
  trace(`${CODE_NAMES[code] ?? `code ${code}`} id ${packet.identifier}`);
  for (const a of attributes) trace(`  ${attributeText(a)}`);
}
