// Access-Request: PAP password decrypted with the client's secret, translated into the login
// core's request, and the core's result back into Access-Accept/-Challenge/-Reject. Requests
// in another protocol (CHAP, MS-CHAP, EAP) or without credentials are rejected here, saying why.
// Every Access-Challenge carries Prompt (RFC 2869 §5.10): No-Echo, so the NAS hides the code
// as it is typed, unless the client's challenge_echo asks for Echo.
import type { Logger } from 'pino';
import type { Authenticator } from '../../core/authenticator.js';
import type { AuthResult } from '../../core/login/request.js';
import { decodeUtf8, toAccessResponse, toAuthRequest } from '../access.js';
import { authMethodOf, eapFailureFor } from '../auth-method.js';
import type { RadiusClient } from '../clients.js';
import { describeAttributes } from '../dictionary.js';
import type { Drops } from '../drops.js';
import { Attr, Code, MalformedPacket, decryptPassword, encodeResponse, firstAttribute, splitText, type RadiusPacket, type RawAttribute } from '../packet.js';
import { refusalHint, refusalReply, type Refusal } from '../refusals.js';
import type { AcceptContext } from '../reply-attributes.js';
import { encodeReplyAttributes } from '../policy-attributes.js';
import type { RadiusStats } from '../stats.js';
import type { WarnOnce } from '../warnings.js';
import { decodeStaticChallenge } from '../static-challenge.js';
import { traceReply, traceRequest } from '../trace.js';

export interface AccessRequestHandler {
  readonly authenticator: Pick<Authenticator, 'authenticate'>;
  readonly resendKeyword: string;
  readonly acceptAttributes?: ((client: string, context: AcceptContext) => RawAttribute[]) | undefined;
  readonly stats: RadiusStats;
  readonly warnings: WarnOnce;
  readonly drops: Drops;
  readonly log: Logger;
  readonly now: () => number;
  /** The debug trace (src/core/debug-trace.ts): a tracer for a request of this login name, when on for it. */
  readonly tracer?: ((loginName: string) => ((line: string) => void) | undefined) | undefined;
}

export interface AccessReply {
  readonly datagram: Buffer;
  /**
   * Whether an Access-Reject waits for reject_delay. That delay slows down guessing; a reject
   * for the protocol or the form of the request checked no credential, so it leaves at once.
   */
  readonly holdBack: boolean;
}

/** The reply, or undefined when the request is dropped (counted as such). */
export async function answerAccessRequest(
  h: AccessRequestHandler,
  packet: RadiusPacket,
  client: RadiusClient,
  address: string,
  deadline: number,
  smsDeadline?: number,
): Promise<AccessReply | undefined> {
  const method = authMethodOf(packet);
  const state = firstAttribute(packet, Attr.State);
  if (method === 'none' && state === undefined) return refuse(h, packet, client, address, 'no_password');
  if (method !== 'pap' && method !== 'none') return refuse(h, packet, client, address, method);

  // PAP, or a State without a password: an empty password, which asks for the SMS again.
  let password = '';
  const hidden = firstAttribute(packet, Attr.UserPassword);
  if (hidden?.length === 0) {
    // RFC 2865 §5.2 hides at least 16 octets, but radcli (ocserv and everything built on it)
    // sends a zero-length User-Password when the user just presses Enter at the OTP prompt.
    // With a State that is the empty answer (a new SMS, within the resend rules). Without one
    // it is refused before any credential check: unlike a hidden empty password it can be
    // forged without the shared secret (radcli signs nothing), and as a login it would count
    // PIN failures against, or send SMS to, any user name.
    if (state === undefined) return refuse(h, packet, client, address, 'empty_password');
  } else if (hidden !== undefined) {
    let decoded: string | undefined;
    try {
      decoded = decodeUtf8(decryptPassword(hidden, client.secret, packet.authenticator));
    } catch (err) {
      if (!(err instanceof MalformedPacket)) throw err;
      h.drops.drop(client.name, err.reason, { address }, err.message);
      return undefined;
    }
    if (decoded === undefined) {
      h.drops.drop(client.name, 'bad_password', { address }, 'User-Password is not valid UTF-8');
      return undefined;
    }
    password = decoded;
  }
  // OpenVPN's static challenge (SCRV1): PIN and OTP in one password (src/radius/static-challenge.ts).
  const scrv1 = state === undefined ? decodeStaticChallenge(password) : undefined;
  if (scrv1?.kind === 'malformed') return refuse(h, packet, client, address, 'bad_static_challenge');
  if (scrv1?.kind === 'decoded') password = scrv1.pin + scrv1.response;
  const request = toAuthRequest(packet, password, {
    client: { name: client.name, address, ...(client.challengePrompt ? { challengePrompt: client.challengePrompt } : {}) },
    resendKeyword: h.resendKeyword,
    deadline,
    ...(smsDeadline === undefined ? {} : { smsDeadline }),
  });
  if (!request) return refuse(h, packet, client, address, 'bad_user_name');
  if (h.log.isLevelEnabled('debug')) {
    h.log.debug({ client: client.name, attributes: describeAttributes(packet) }, 'Access-Request');
  }
  const trace = h.tracer?.(request.username);
  if (trace) traceRequest(trace, packet, client, address);
  let result = await h.authenticator.authenticate(trace ? { ...request, trace } : request);
  // An empty static-challenge response asked for the SMS; OpenVPN cannot answer a challenge,
  // so the prompt goes back in a reject and the user connects again with the code.
  if (scrv1?.kind === 'decoded' && scrv1.response === '' && result.outcome === 'challenge') result = { outcome: 'reject', message: result.message };
  const response = toAccessResponse(result, h.now(), client.challengeEcho);
  const counters = h.stats.of(client.name);
  if (result.outcome === 'accept') {
    counters.accepts++;
    // A login forwarded to another RADIUS server gets what that server gave (its Class, Filter-Id, ...), not ours.
    const extra = result.attributes ?? h.acceptAttributes?.(client.name, { user: result.username, realm: result.realm, serial: result.serial, client: client.name });
    if (extra) response.attributes.push(...extra);
    // The authorization policies' reply_attribute actions (checked at `policy set`).
    if (result.replyAttributes?.length) {
      response.attributes.push(
        ...encodeReplyAttributes(result.replyAttributes, (spec, reason) => h.log.warn({ client: client.name, attribute: spec, reason }, 'policy reply attribute left out: it does not encode')),
      );
    }
  } else if (result.outcome === 'reject') {
    counters.rejects++;
  } else {
    counters.challenges++;
  }
  if (trace) traceReply(trace, packet, response.code, response.attributes);
  return { datagram: encodeResponse(response.code, packet, response.attributes, client.secret), holdBack: true };
}

/**
 * Access-Reject with a Reply-Message that says why; for EAP also the EAP-Failure that ends the
 * peer's conversation (RFC 3579 §2.6.3). Counted, and logged once per client and kind per period.
 */
function refuse(h: AccessRequestHandler, packet: RadiusPacket, client: RadiusClient, address: string, refusal: Refusal): AccessReply {
  const counters = h.stats.of(client.name);
  counters.rejects++;
  counters.refused[refusal] = (counters.refused[refusal] ?? 0) + 1;
  const name = firstAttribute(packet, Attr.UserName);
  const user = name === undefined ? undefined : decodeUtf8(name);
  h.warnings.warn(`refused-${refusal}`, client.name, user === undefined ? { address } : { address, user }, refusalHint(refusal));
  const attributes = splitText(Attr.ReplyMessage, refusalReply(refusal));
  const failure = refusal === 'eap' ? eapFailureFor(packet) : undefined;
  if (failure) attributes.push({ type: Attr.EapMessage, value: failure });
  const trace = user === undefined ? undefined : h.tracer?.(user);
  if (trace) {
    traceRequest(trace, packet, client, address);
    trace(`refused before the login core: ${refusal} (${refusalHint(refusal)})`);
    traceReply(trace, packet, Code.AccessReject, attributes);
  }
  return { datagram: encodeResponse(Code.AccessReject, packet, attributes, client.secret), holdBack: false };
}
