// Message-Authenticator and Proxy-State rules (BlastRADIUS; RFC 3579 §3.2, which also wants EAP
// signed whatever the client's setting): which requests of a client are taken at all.
// Throws MalformedPacket for a request that must be dropped.
import type { Logger } from 'pino';
import type { RadiusClient } from './clients.js';
import { Attr, Code, MalformedPacket, checkMessageAuthenticator, firstAttribute, type RadiusPacket } from './packet.js';
import type { WarnOnce } from './warnings.js';

export function checkPolicy(packet: RadiusPacket, client: RadiusClient, address: string, warnings: WarnOnce, log: Logger): void {
  const ma = checkMessageAuthenticator(packet, client.secret);
  if (ma === 'invalid') {
    warnings.warn('bad-ma', client.name, { address },
      'Message-Authenticator does not verify: the shared secret of this client differs from ours (radius.clients)');
    throw new MalformedPacket('bad_message_authenticator', 'Message-Authenticator does not verify');
  }
  if (ma === 'valid') {
    if (client.requireMessageAuthenticator === 'auto' && !client.sawMessageAuthenticator) {
      log.info({ client: client.name }, 'client sends Message-Authenticator: it is required from now on (auto)');
    }
    client.sawMessageAuthenticator = true;
    return;
  }
  if (firstAttribute(packet, Attr.EapMessage) !== undefined) {
    // Whatever the client's setting: EAP is only ever taken signed (RFC 3579 §3.2).
    warnings.warn('eap-without-ma', client.name, { address },
      'EAP Access-Request without Message-Authenticator dropped (RFC 3579 requires one with EAP-Message)');
    throw new MalformedPacket('eap_without_message_authenticator', 'EAP-Message without Message-Authenticator');
  }
  const required =
    packet.code === Code.StatusServer ||
    client.requireMessageAuthenticator === 'yes' ||
    (client.requireMessageAuthenticator === 'auto' && client.sawMessageAuthenticator);
  if (required) {
    warnings.warn('missing-ma', client.name, { address },
      'request without Message-Authenticator dropped: upgrade the client to send one, or set ' +
        'require_message_authenticator: no (or auto) for it in radius.clients');
    throw new MalformedPacket('missing_message_authenticator', 'no Message-Authenticator');
  }
  if (client.limitProxyState && firstAttribute(packet, Attr.ProxyState) !== undefined) {
    warnings.warn('proxy-state', client.name, { address },
      'request with Proxy-State but no Message-Authenticator dropped (limit_proxy_state)');
    throw new MalformedPacket('proxy_state_without_message_authenticator', 'Proxy-State without Message-Authenticator');
  }
}
