// The login core's UpstreamRadius port: a login forwarded to the RADIUS server its name
// names, with the NAS's attributes where they mean something to that server, and its answer
// read back for the core. Definitions come from the site configuration in memory (every
// node reloads it within a second of `radius_server set`).
import { numericAddress } from '../core/policies/networks.js';
import { isIPv4 } from 'node:net';
import { RequestShed, UpstreamUnavailable } from '../core/errors.js';
import type { RelayedAttribute, UpstreamAnswer, UpstreamRadius, UpstreamRequest } from '../core/ports.js';
import { Attr, Code, attributeValues, firstAttribute, type RadiusPacket, type RawAttribute } from '../radius/packet.js';
import { exchange, hidePassword, type UpstreamTarget } from './client.js';
import type { RadiusServerDefinition } from './definition.js';
import type { UpstreamStateSeal } from './state-seal.js';

/** Who we are to the upstream when the NAS named itself neither way (RFC 2865 §4.1 wants one of the two). */
const OUR_NAS_IDENTIFIER = 'sms-otp-radiusd';
/** What an Accept carries that is not for the NAS: ours to set (Reply-Message, signatures) or the upstream's own business. */
const NOT_RELAYED = new Set<number>([Attr.ReplyMessage, Attr.State, Attr.MessageAuthenticator, Attr.ProxyState, Attr.EapMessage]);
const Text = (type: number, text: string): RawAttribute => ({ type, value: Buffer.from(text, 'utf8') });

export function targetOf(def: RadiusServerDefinition): UpstreamTarget {
  return { host: def.host, port: def.port, secret: Buffer.from(def.secret, 'utf8'), timeoutMs: def.timeout * 1000, requireMessageAuthenticator: def.requireMessageAuthenticator };
}

/**
 * When the upstream leg stops trying: a little before the NAS stops waiting, so that the
 * NAS still gets our answer; without a deadline (the HTTP front), three tries.
 */
export function stopAtFor(deadline: number | undefined, timeoutMs: number, now: number): number {
  if (deadline === undefined) return now + 3 * timeoutMs;
  return deadline - Math.min(500, Math.max(0, (deadline - now) / 10));
}

export interface ForwarderOptions {
  readonly definition: (server: string) => RadiusServerDefinition | undefined;
  readonly states: UpstreamStateSeal;
  readonly now?: () => number;
}

export class RadiusForwarder implements UpstreamRadius {
  private readonly now: () => number;

  constructor(private readonly options: ForwarderOptions) {
    this.now = options.now ?? Date.now;
  }

  async forward(server: string, request: UpstreamRequest, deadline: number | undefined): Promise<UpstreamAnswer> {
    const def = this.options.definition(server);
    if (!def) throw new UpstreamUnavailable(`passthru forwards to the RADIUS server '${server}', which is not defined ('radius_server list')`);
    const target = targetOf(def);
    const outcome = await exchange(target, Code.AccessRequest, (authenticator) => requestAttributes(request, target.secret, authenticator), stopAtFor(deadline, target.timeoutMs, this.now()), this.now);
    // Not one try before the NAS's deadline: it has given up, and nobody waits for an answer.
    if (outcome.kind === 'silent' && outcome.tries === 0) throw new RequestShed('deadline');
    if (outcome.kind === 'silent') {
      const why = outcome.badAnswers ? `${outcome.badAnswers} answer(s) refused: ${outcome.lastProblem}` : `no answer to ${outcome.tries} tr${outcome.tries === 1 ? 'y' : 'ies'}`;
      throw new UpstreamUnavailable(`RADIUS server ${server} (${def.host}:${def.port}): ${why}`);
    }
    return answerOf(server, outcome.packet);
  }

  sealState(server: string, upstreamState: Buffer, username: string, expiresAt: number): string | undefined {
    return this.options.states.seal(server, upstreamState, username, expiresAt);
  }

  openState(state: string, username: string, now: number): { server: string; state: Buffer } | undefined {
    return this.options.states.open(state, username, now);
  }
}

function requestAttributes(request: UpstreamRequest, secret: Buffer, authenticator: Buffer): RawAttribute[] {
  const attributes: RawAttribute[] = [Text(Attr.UserName, request.username), { type: Attr.UserPassword, value: hidePassword(request.password, secret, authenticator) }];
  if (request.state) attributes.push({ type: Attr.State, value: request.state });
  const nas = request.nas ?? {};
  const ipv4 = nas.ipAddress && isIPv4(nas.ipAddress) ? Buffer.from(nas.ipAddress.split('.').map(Number)) : undefined;
  const ipv6 = nas.ipAddress && !ipv4 ? ipv6Bytes(nas.ipAddress) : undefined;
  if (ipv4) attributes.push({ type: Attr.NasIpAddress, value: ipv4 });
  if (ipv6) attributes.push({ type: Attr.NasIpv6Address, value: ipv6 });
  if (nas.identifier) attributes.push(Text(Attr.NasIdentifier, nas.identifier));
  else if (!ipv4 && !ipv6) attributes.push(Text(Attr.NasIdentifier, OUR_NAS_IDENTIFIER));
  if (nas.callingStationId) attributes.push(Text(Attr.CallingStationId, nas.callingStationId));
  return attributes;
}

/** NAS-IPv6-Address's 16 bytes (RFC 3162), or undefined for what is no IPv6 address. */
function ipv6Bytes(address: string): Buffer | undefined {
  const parsed = numericAddress(address);
  if (parsed?.family !== 6) return undefined;
  const bytes = Buffer.alloc(16);
  parsed.groups.forEach((group, i) => bytes.writeUInt16BE(group, i * 2));
  return bytes;
}

function answerOf(server: string, packet: RadiusPacket): UpstreamAnswer {
  const message = attributeValues(packet, Attr.ReplyMessage).map((v) => v.toString('utf8')).join('');
  switch (packet.code) {
    case Code.AccessAccept: {
      const attributes: RelayedAttribute[] = packet.attributes.filter((a) => !NOT_RELAYED.has(a.type)).map((a) => ({ type: a.type, value: Buffer.from(a.value) }));
      return { outcome: 'accept', message, attributes };
    }
    case Code.AccessReject:
      return { outcome: 'reject', message, attributes: [] };
    case Code.AccessChallenge: {
      const state = firstAttribute(packet, Attr.State);
      const timeout = firstAttribute(packet, Attr.SessionTimeout);
      return {
        outcome: 'challenge',
        message,
        attributes: [],
        ...(state ? { state: Buffer.from(state) } : {}),
        ...(timeout?.length === 4 ? { sessionTimeout: timeout.readUInt32BE(0) } : {}),
      };
    }
    default:
      throw new UpstreamUnavailable(`RADIUS server ${server} answered with packet code ${packet.code}, not Accept, Reject or Challenge`);
  }
}
