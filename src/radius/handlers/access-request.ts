// Access-Request: PAP password decrypted with the client's secret, translated into the login
// core's request, and the core's result back into Access-Accept/-Challenge/-Reject.
import type { Logger } from 'pino';
import type { AuthRequest, AuthResult } from '../../core/login/request.js';
import { decodeUtf8, toAccessResponse, toAuthRequest } from '../access.js';
import type { RadiusClient } from '../clients.js';
import { describeAttributes } from '../dictionary.js';
import { Attr, MalformedPacket, decryptPassword, encodeResponse, firstAttribute, type RadiusPacket, type RawAttribute } from '../packet.js';
import type { AcceptContext } from '../reply-attributes.js';
import type { RadiusStats } from '../stats.js';
import type { WarnOnce } from '../warnings.js';

export interface AccessRequestHandler {
  readonly authenticate: (request: AuthRequest) => Promise<AuthResult>;
  readonly resendKeyword: string;
  readonly acceptAttributes?: ((client: string, context: AcceptContext) => RawAttribute[]) | undefined;
  readonly stats: RadiusStats;
  readonly warnings: WarnOnce;
  readonly log: Logger;
  readonly now: () => number;
}

/** The reply datagram, or undefined when the request is dropped (counted as such). */
export async function answerAccessRequest(
  h: AccessRequestHandler,
  packet: RadiusPacket,
  client: RadiusClient,
  address: string,
  deadline: number,
): Promise<Buffer | undefined> {
  const hidden = firstAttribute(packet, Attr.UserPassword);
  if (hidden === undefined || firstAttribute(packet, Attr.UserName) === undefined) {
    h.stats.drop(client.name, 'missing_attribute');
    h.warnings.warn('no-pap', client.name, {}, 'Access-Request without User-Name or PAP User-Password dropped (only PAP is supported)');
    return undefined;
  }
  let password: string | undefined;
  try {
    password = decodeUtf8(decryptPassword(hidden, client.secret, packet.authenticator));
  } catch (err) {
    if (!(err instanceof MalformedPacket)) throw err;
    h.stats.drop(client.name, err.reason);
    return undefined;
  }
  if (password === undefined) {
    h.stats.drop(client.name, 'bad_password');
    h.warnings.warn('bad-password', client.name, { address },
      'User-Password is not valid UTF-8: probably a shared secret mismatch with this client');
    return undefined;
  }
  const request = toAuthRequest(packet, password, {
    client: { name: client.name, address, ...(client.challengePrompt ? { challengePrompt: client.challengePrompt } : {}) },
    resendKeyword: h.resendKeyword,
    deadline,
  });
  if (!request) {
    h.stats.drop(client.name, 'missing_attribute');
    return undefined;
  }
  if (h.log.isLevelEnabled('debug')) {
    h.log.debug({ client: client.name, attributes: describeAttributes(packet) }, 'Access-Request');
  }
  const result = await h.authenticate(request);
  const response = toAccessResponse(result, h.now());
  const counters = h.stats.of(client.name);
  if (result.outcome === 'accept') {
    counters.accepts++;
    const extra = h.acceptAttributes?.(client.name, { user: result.username, realm: result.realm, serial: result.serial, client: client.name });
    if (extra) response.attributes.push(...extra);
  } else if (result.outcome === 'reject') {
    counters.rejects++;
  } else {
    counters.challenges++;
  }
  return encodeResponse(response.code, packet, response.attributes, client.secret);
}
