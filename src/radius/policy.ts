// Message-Authenticator and Proxy-State rules (BlastRADIUS; RFC 3579 §3.2, which also wants EAP
// signed whatever the client's setting): which requests of a client are taken at all.
// Throws MalformedPacket for a request that must be dropped; the caller counts and logs it
// (src/radius/drops.ts has the operator's hint for each reason).
import type { Logger } from 'pino';
import type { RadiusClient } from './clients.js';
import { Attr, Code, MalformedPacket, checkMessageAuthenticator, firstAttribute, type RadiusPacket } from './packet.js';

export function checkPolicy(packet: RadiusPacket, client: RadiusClient, log: Logger): void {
  const ma = checkMessageAuthenticator(packet, client.secret);
  if (ma === 'invalid') throw new MalformedPacket('bad_message_authenticator', 'Message-Authenticator does not verify');
  if (ma === 'valid') {
    if (client.requireMessageAuthenticator === 'auto' && !client.sawMessageAuthenticator) {
      log.info({ client: client.name }, 'client sends Message-Authenticator: it is required from now on (auto)');
    }
    client.sawMessageAuthenticator = true;
    return;
  }
  if (firstAttribute(packet, Attr.EapMessage) !== undefined) {
    // Whatever the client's setting: EAP is only ever taken signed (RFC 3579 §3.2).
    throw new MalformedPacket('eap_without_message_authenticator', 'EAP-Message without Message-Authenticator');
  }
  const required =
    packet.code === Code.StatusServer ||
    client.requireMessageAuthenticator === 'yes' ||
    (client.requireMessageAuthenticator === 'auto' && client.sawMessageAuthenticator);
  if (required) throw new MalformedPacket('missing_message_authenticator', 'no Message-Authenticator');
  if (client.limitProxyState && firstAttribute(packet, Attr.ProxyState) !== undefined) {
    throw new MalformedPacket('proxy_state_without_message_authenticator', 'Proxy-State without Message-Authenticator');
  }
}
