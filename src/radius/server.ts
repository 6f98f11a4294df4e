// The UDP front: datagrams in through node:dgram events, checked against the client's
// policy, de-duplicated, handed to the handler of their packet code, and answered. Anything
// malformed, unsigned where a signature is required, or from an unknown address is dropped,
// counted and logged with its reason (drops.ts), never answered and never fatal. A request
// that nobody waits for any more (shed by the core) is dropped and forgotten, so a
// retransmission is treated as new.
import dgram from 'node:dgram';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { RequestShed } from '../core/errors.js';
import type { Authenticator, Readiness } from '../core/authenticator.js';
import { isExpectedError } from '../core/errors.js';
import { ClientTable, normaliseAddress, type RadiusClient } from './clients.js';
import { Drops } from './drops.js';
import { DuplicateCache, type DuplicateTicket } from './duplicates.js';
import { answerAccessRequest, type AccessReply, type AccessRequestHandler } from './handlers/access-request.js';
import { answerStatusServer } from './handlers/status-server.js';
import { Attr, Code, MalformedPacket, encodeResponse, parsePacket, splitText, type RadiusPacket, type RawAttribute } from './packet.js';
import { checkPolicy } from './policy.js';
import type { AcceptContext } from './reply-attributes.js';
import { RadiusStats } from './stats.js';
import { UdpSockets } from './udp-sockets.js';
import { WarnOnce } from './warnings.js';

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

export interface RadiusServerOptions {
  readonly listen: readonly ListenAddress[];
  readonly clients: ClientTable;
  /** The login core (src/core/login/service.ts). */
  readonly authenticator: Pick<Authenticator, 'authenticate'>;
  /** Whether the daemon can answer in time (store reachable, work queue below its bound). Cheap: called per Status-Server. */
  readonly readiness: Readiness;
  readonly log: Logger;
  readonly now?: () => number;
  /** How long replies are kept for retransmissions (RFC 5080). */
  readonly duplicateCacheMs?: number;
  /** How long an Access-Reject is held back. */
  readonly rejectDelayMs?: number;
  /** A password that asks for the SMS again on a pending State (an empty one always does). */
  readonly resendKeyword?: string;
  /** The extra attributes of an Access-Accept for a client. */
  readonly acceptAttributes?: (client: string, context: AcceptContext) => RawAttribute[];
  /** The debug trace: a tracer for a request of this login name when it is on for it (src/core/debug-trace.ts). */
  readonly tracer?: (loginName: string) => ((line: string) => void) | undefined;
  /** Where the counters go (the daemon's metrics read them); a fresh set by default. */
  readonly stats?: RadiusStats;
}

const UNKNOWN_CLIENT = '(unknown)';
const UNAVAILABLE = 'The authentication service is unavailable, try again later';
/** Shed requests are counted apart (shed, and sms_otp_pin_check_shed_total); this is the operator's hint. */
const SHED_WARNINGS: Readonly<Record<RequestShed['why'], string>> = {
  deadline: 'Access-Request dropped unanswered: its NAS had given up before the PIN could be checked (overload, see "Overload")',
  overload: 'Access-Request dropped unanswered: the PIN-check queue is full (overload, see "Overload")',
  shutdown: 'Access-Request dropped unanswered: the daemon is shutting down',
};

export class RadiusServer {
  readonly stats: RadiusStats;
  private readonly udp: UdpSockets;
  private readonly now: () => number;
  private readonly duplicates: DuplicateCache;
  private readonly warnings: WarnOnce;
  private readonly drops: Drops;
  private accessRequests: AccessRequestHandler;

  constructor(private options: RadiusServerOptions) {
    this.stats = options.stats ?? new RadiusStats();
    this.now = options.now ?? Date.now;
    this.duplicates = new DuplicateCache(options.duplicateCacheMs ?? 30_000, this.now);
    this.warnings = new WarnOnce(options.log, this.now);
    this.drops = new Drops(this.stats, this.warnings, options.log);
    this.udp = new UdpSockets({
      log: options.log,
      now: this.now,
      listening: 'RADIUS authentication listening',
      socketError: 'RADIUS socket error',
      receiveBufferBytes: 4 * 1024 * 1024,
      onDatagram: (socket, datagram, peer) => this.onDatagram(socket, datagram, peer),
    });
    this.accessRequests = {
      authenticator: options.authenticator,
      resendKeyword: options.resendKeyword ?? '',
      acceptAttributes: options.acceptAttributes,
      stats: this.stats,
      warnings: this.warnings,
      drops: this.drops,
      log: options.log,
      now: this.now,
      tracer: options.tracer,
    };
  }


  /** The clients in use now (the accounting front shares them, secrets and all). */
  get clients(): ClientTable {
    return this.options.clients;
  }

  /**
   * A reloaded configuration (SIGHUP): clients and their secrets, the reject delay, the resend
   * keyword and the Access-Accept attributes apply to the next request; requests in flight
   * finish with what they started with. Listen addresses need a restart.
   */
  reconfigure(changes: Pick<RadiusServerOptions, 'clients' | 'rejectDelayMs' | 'resendKeyword' | 'acceptAttributes'>): void {
    this.options = { ...this.options, ...changes };
    this.accessRequests = {
      ...this.accessRequests,
      resendKeyword: changes.resendKeyword ?? '',
      acceptAttributes: changes.acceptAttributes,
    };
  }

  start(): Promise<Array<{ address: string; port: number }>> {
    return this.udp.bind(this.options.listen);
  }

  /**
   * Stops taking new requests, lets the ones in flight answer (an SMS may be on its way),
   * then closes the sockets. After `graceMs` the rest are abandoned; their NAS retries elsewhere.
   */
  async stop(graceMs = 10_000): Promise<void> {
    await this.udp.stop(graceMs);
    this.warnings.flush();
  }

  private onDatagram(socket: dgram.Socket, datagram: Buffer, peer: dgram.RemoteInfo): void {
    const arrived = this.now();
    const address = normaliseAddress(peer.address);
    const source = { address, port: peer.port };
    const client = this.options.clients.match(address);
    if (!client) {
      this.drops.drop(UNKNOWN_CLIENT, 'unknown_client', source);
      return;
    }
    const counters = this.stats.of(client.name);
    counters.requests++;
    if (this.udp.stopping) {
      this.drops.drop(client.name, 'stopping', source);
      return;
    }
    let packet: RadiusPacket;
    try {
      packet = parsePacket(datagram);
      if (packet.code !== Code.AccessRequest && packet.code !== Code.StatusServer) {
        throw new MalformedPacket('unsupported_code', `code ${packet.code}`);
      }
      checkPolicy(packet, client, this.options.log);
    } catch (err) {
      if (!(err instanceof MalformedPacket)) {
        // A bug, not bad input: counted and logged, never fatal for the daemon.
        counters.errors++;
        this.options.log.error({ err, client: client.name }, 'datagram handling failed');
        return;
      }
      this.drops.drop(client.name, err.reason, source, err.message);
      return;
    }

    if (packet.code === Code.StatusServer) {
      // Not de-duplicated: a retransmitted Status-Server asks about the daemon's health now.
      const reply = answerStatusServer(packet, client, this.options.readiness.notReady() === undefined);
      if (!reply) {
        this.drops.drop(client.name, 'not_ready', source);
        return;
      }
      counters.statusServer++;
      this.send(socket, reply, peer, client.name);
      return;
    }

    const seen = this.duplicates.check(address, peer.port, packet.identifier, packet.authenticator);
    if (seen.kind !== 'new') {
      counters.duplicates++;
      if (seen.kind === 'answered' && seen.reply) this.send(socket, seen.reply, peer, client.name);
      // Counted as duplicates: the NAS retransmits while the SMS gateway is slow, nothing to warn about.
      else if (seen.kind === 'in_progress') this.drops.unanswered(client.name, 'duplicate_in_progress', source);
      else this.drops.unanswered(client.name, 'duplicate_of_dropped', source);
      return;
    }
    const work = this.accessRequest(socket, packet, client, address, peer, seen.ticket, arrived);
    this.udp.follow(work);
  }

  private async accessRequest(
    socket: dgram.Socket,
    packet: RadiusPacket,
    client: RadiusClient,
    address: string,
    peer: dgram.RemoteInfo,
    ticket: DuplicateTicket,
    arrived: number,
  ): Promise<void> {
    let response: AccessReply | undefined;
    try {
      // Both from the arrival: the NAS's whole wait, and the part of it an SMS gateway may use.
      response = await answerAccessRequest(this.accessRequests, packet, client, address, arrived + client.maxRequestTimeMs, arrived + client.smsDeadlineMs);
    } catch (err) {
      // Nothing cached: a retransmission gets a fresh try (the store may be back by then).
      this.duplicates.forget(ticket);
      if (err instanceof RequestShed) {
        this.stats.of(client.name).shed++;
        this.drops.unanswered(client.name, `shed_${err.why}`, { address, port: peer.port }, SHED_WARNINGS[err.why]);
        return;
      }
      this.stats.of(client.name).errors++;
      if (isExpectedError(err)) this.options.log.error({ client: client.name, reason: err.message }, 'request failed');
      else this.options.log.error({ err, client: client.name }, 'request failed');
      // Fail closed (a definite no rather than a hanging login), or stay silent so the NAS
      // fails over to its next RADIUS server, as the client's failmode says.
      if (client.failmode === 'closed') {
        this.send(socket, encodeResponse(Code.AccessReject, packet, splitText(Attr.ReplyMessage, UNAVAILABLE), client.secret), peer, client.name);
      }
      return;
    }
    // reject_delay pads, it does not add: every reject of a checked login leaves at arrival +
    // reject_delay, so the time of the answer does not tell an unknown user, a user without a
    // token, a wrong PIN or a locked token apart. Work that took longer is answered at once.
    if (response?.holdBack && response.datagram[0] === Code.AccessReject && this.options.rejectDelayMs) {
      const wait = arrived + this.options.rejectDelayMs - this.now();
      if (wait > 0) await sleep(wait);
    }
    if (response) this.send(socket, response.datagram, peer, client.name);
    this.duplicates.complete(ticket, response?.datagram);
  }

  private send(socket: dgram.Socket, datagram: Buffer, peer: dgram.RemoteInfo, client: string): void {
    // A reply the kernel refused (no route, a full buffer, a firewall) is lost like a drop: said so.
    this.udp.send(socket, datagram, peer, (err) =>
      this.warnings.warn('send-failed', client, { address: peer.address, port: peer.port, reason: err.message }, 'RADIUS reply could not be sent'));
  }

}
