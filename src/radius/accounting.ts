// The accounting front (RFC 2866, radius.accounting_listen): Accounting-Requests from the
// configured clients, their Request Authenticator checked with the client's secret, the
// session kept in the store and only then answered, so that a NAS retransmits (and the record
// is written again) rather than believes a record that is not there. Retransmissions get the
// cached answer byte for byte. Anything malformed, forged or from an unknown address is
// dropped and counted, never answered.
import dgram from 'node:dgram';
import type { Logger } from 'pino';
import type { AccountingEvent } from '../core/accounting.js';
import { normaliseAddress, type ClientTable, type RadiusClient } from './clients.js';
import { Drops } from './drops.js';
import { DuplicateCache, type DuplicateTicket } from './duplicates.js';
import { AccountingCode, accountingWorkOf, encodeAccountingResponse, verifyAccountingRequest, type AccountingWork } from './handlers/accounting-request.js';
import { MalformedPacket, parsePacket, type RadiusPacket } from './packet.js';
import type { ListenAddress } from './server.js';
import { RadiusStats } from './stats.js';
import { UdpSockets } from './udp-sockets.js';
import { WarnOnce } from './warnings.js';

/** Where accounting goes: resolves once the write is durable. */
export interface AccountingStore {
  recordAccounting(event: AccountingEvent): Promise<void>;
  /** Ends every open session of a client (Accounting-On/Off); how many there were. */
  closeClientSessions(client: string, at: number, cause: string, status: string): Promise<number>;
}

export interface AccountingServerOptions {
  readonly listen: readonly ListenAddress[];
  readonly clients: ClientTable;
  readonly store: AccountingStore;
  readonly log: Logger;
  readonly now?: () => number;
  readonly duplicateCacheMs?: number;
  /** The RADIUS front's counters: accounting adds its own per client and shares the drops. */
  readonly stats?: RadiusStats;
}

const UNKNOWN_CLIENT = '(unknown)';

export class AccountingServer {
  readonly stats: RadiusStats;
  private readonly udp: UdpSockets;
  private readonly now: () => number;
  private readonly duplicates: DuplicateCache;
  private readonly warnings: WarnOnce;
  private readonly drops: Drops;

  constructor(private options: AccountingServerOptions) {
    this.stats = options.stats ?? new RadiusStats();
    this.now = options.now ?? Date.now;
    this.duplicates = new DuplicateCache(options.duplicateCacheMs ?? 30_000, this.now);
    this.warnings = new WarnOnce(options.log, this.now);
    this.drops = new Drops(this.stats, this.warnings, options.log);
    this.udp = new UdpSockets({
      log: options.log,
      now: this.now,
      listening: 'RADIUS accounting listening',
      socketError: 'RADIUS accounting socket error',
      onDatagram: (socket, datagram, peer) => this.onDatagram(socket, datagram, peer),
    });
  }

  /** A reloaded configuration: the clients and their secrets apply to the next request. */
  reconfigure(changes: Pick<AccountingServerOptions, 'clients'>): void {
    this.options = { ...this.options, ...changes };
  }

  start(): Promise<Array<{ address: string; port: number }>> {
    return this.udp.bind(this.options.listen);
  }

  /** Stops taking requests, lets the writes in flight finish and answer, then closes the sockets. */
  async stop(graceMs = 10_000): Promise<void> {
    await this.udp.stop(graceMs);
    this.warnings.flush();
  }

  private onDatagram(socket: dgram.Socket, datagram: Buffer, peer: dgram.RemoteInfo): void {
    const address = normaliseAddress(peer.address);
    const source = { address, port: peer.port };
    const client = this.options.clients.match(address);
    if (!client) {
      this.drops.drop(UNKNOWN_CLIENT, 'unknown_client', source);
      return;
    }
    if (this.udp.stopping) {
      this.drops.drop(client.name, 'stopping', source);
      return;
    }
    let packet: RadiusPacket;
    let work: AccountingWork;
    try {
      packet = parsePacket(datagram);
      if (packet.code !== AccountingCode.Request) throw new MalformedPacket('unsupported_code', `code ${packet.code} on the accounting port`);
      if (!verifyAccountingRequest(packet, client.secret)) throw new MalformedPacket('bad_request_authenticator', 'Request Authenticator does not verify');
      work = accountingWorkOf(packet, client.name, this.now());
    } catch (err) {
      if (!(err instanceof MalformedPacket)) {
        this.stats.of(client.name).errors++;
        this.options.log.error({ err, client: client.name }, 'accounting datagram handling failed');
        return;
      }
      this.drops.drop(client.name, err.reason, source, err.message);
      return;
    }

    const seen = this.duplicates.check(address, peer.port, packet.identifier, packet.authenticator);
    if (seen.kind !== 'new') {
      this.stats.of(client.name).duplicates++;
      if (seen.kind === 'answered' && seen.reply) this.send(socket, seen.reply, peer);
      return;
    }
    const done = this.record(socket, packet, work, client, peer, seen.ticket);
    this.udp.follow(done);
  }

  private async record(
    socket: dgram.Socket,
    packet: RadiusPacket,
    work: AccountingWork,
    client: RadiusClient,
    peer: dgram.RemoteInfo,
    ticket: DuplicateTicket,
  ): Promise<void> {
    try {
      if (work.kind === 'session') {
        await this.options.store.recordAccounting(work.event);
      } else if (work.kind === 'nas') {
        const closed = await this.options.store.closeClientSessions(client.name, work.at, work.status === 'on' ? 'Accounting-On' : 'Accounting-Off', work.status);
        this.options.log.info({ client: client.name, status: work.status, closed }, 'NAS accounting started or stopped: its open sessions are closed');
      }
    } catch (err) {
      // Unanswered and forgotten: the NAS retransmits, and the retransmission writes again.
      this.duplicates.forget(ticket);
      this.stats.of(client.name).errors++;
      this.options.log.error({ client: client.name, reason: (err as Error).message }, 'accounting record not written; unanswered, so the NAS retransmits');
      return;
    }
    const counters = this.stats.of(client.name).accounting;
    const status = work.kind === 'session' ? work.event.status : work.status;
    counters[status] = (counters[status] ?? 0) + 1;
    const reply = encodeAccountingResponse(packet, client.secret);
    this.send(socket, reply, peer);
    this.duplicates.complete(ticket, reply);
  }

  private send(socket: dgram.Socket, datagram: Buffer, peer: dgram.RemoteInfo): void {
    this.udp.send(socket, datagram, peer);
  }

}
