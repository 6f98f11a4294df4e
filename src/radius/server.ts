// The UDP front: datagrams in through node:dgram events (nothing is lost while a request
// is being processed), validated, authenticated, answered. Anything malformed or from an
// unknown address is dropped and counted, never answered and never fatal.
import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { Logger } from 'pino';
import type { AuthRequest, AuthResult } from '../auth/authenticator.js';
import { decodeUtf8, toAccessResponse, toAuthRequest } from './access.js';
import { ClientTable, normaliseAddress, type RadiusClient } from './clients.js';
import { describeAttributes } from './dictionary.js';
import {
  Attr,
  Code,
  MalformedPacket,
  checkMessageAuthenticator,
  decryptPassword,
  encodeResponse,
  firstAttribute,
  parsePacket,
  splitText,
  type RadiusPacket,
} from './packet.js';
import { RadiusStats } from './stats.js';

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

export interface RadiusServerOptions {
  readonly listen: readonly ListenAddress[];
  readonly clients: ClientTable;
  readonly authenticate: (request: AuthRequest) => Promise<AuthResult>;
  readonly healthy: () => Promise<boolean>;
  readonly log: Logger;
  readonly now?: () => number;
}

const UNKNOWN_CLIENT = '(unknown)';
const UNAVAILABLE = 'The authentication service is unavailable, try again later';

export class RadiusServer {
  readonly stats = new RadiusStats();
  private readonly sockets: dgram.Socket[] = [];
  private readonly now: () => number;
  private lastUnknownLog = 0;
  private readonly inFlight = new Set<Promise<void>>();
  private stopping = false;

  constructor(private readonly options: RadiusServerOptions) {
    this.now = options.now ?? Date.now;
  }

  async start(): Promise<Array<{ address: string; port: number }>> {
    const bound: Array<{ address: string; port: number }> = [];
    for (const { host, port } of this.options.listen) {
      const socket = dgram.createSocket({ type: isIPv6(host) ? 'udp6' : 'udp4', ipv6Only: isIPv6(host) });
      socket.on('message', (msg, rinfo) => this.track(this.onDatagram(socket, msg, rinfo)));
      socket.on('error', (err) => this.options.log.error({ err, host, port }, 'RADIUS socket error'));
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind(port, host, () => {
          socket.off('error', reject);
          resolve();
        });
      });
      try {
        socket.setRecvBufferSize(4 * 1024 * 1024);
      } catch {
        /* the kernel's limit applies; not fatal */
      }
      this.sockets.push(socket);
      const address = socket.address();
      bound.push({ address: address.address, port: address.port });
      this.options.log.info({ address: address.address, port: address.port }, 'RADIUS authentication listening');
    }
    return bound;
  }

  /**
   * Stops taking new requests, lets the ones in flight answer (an SMS may be on its way),
   * then closes the sockets. After `graceMs` the rest are abandoned; their NAS retries elsewhere.
   */
  async stop(graceMs = 10_000): Promise<void> {
    this.stopping = true;
    if (this.inFlight.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...this.inFlight]),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, graceMs);
        }),
      ]);
      clearTimeout(timer);
    }
    await Promise.all(this.sockets.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    this.sockets.length = 0;
  }

  private track(work: Promise<void>): void {
    const settled = work
      .catch((err: unknown) => this.options.log.error({ err }, 'datagram handling failed'))
      .finally(() => this.inFlight.delete(settled));
    this.inFlight.add(settled);
  }

  private async onDatagram(socket: dgram.Socket, datagram: Buffer, peer: dgram.RemoteInfo): Promise<void> {
    if (this.stopping) return;
    const address = normaliseAddress(peer.address);
    const client = this.options.clients.match(address);
    if (!client) {
      this.stats.drop(UNKNOWN_CLIENT, 'unknown_client');
      const now = this.now();
      if (now - this.lastUnknownLog > 10_000) {
        this.lastUnknownLog = now;
        this.options.log.warn({ address }, 'datagram from an address that is no configured RADIUS client dropped (radius.clients)');
      }
      return;
    }
    const counters = this.stats.of(client.name);
    counters.requests++;
    let packet: RadiusPacket;
    try {
      packet = parsePacket(datagram);
      if (packet.code !== Code.AccessRequest && packet.code !== Code.StatusServer) {
        throw new MalformedPacket('unsupported_code', `code ${packet.code}`);
      }
      if (checkMessageAuthenticator(packet, client.secret) === 'invalid') {
        throw new MalformedPacket('bad_message_authenticator', 'Message-Authenticator does not verify; shared secret mismatch?');
      }
    } catch (err) {
      if (!(err instanceof MalformedPacket)) throw err;
      this.stats.drop(client.name, err.reason);
      this.options.log.debug({ client: client.name, address, reason: err.reason, detail: err.message }, 'packet dropped');
      return;
    }
    try {
      const response =
        packet.code === Code.StatusServer
          ? await this.statusServer(packet, client)
          : await this.accessRequest(packet, client, address);
      if (response) await send(socket, response, peer);
    } catch (err) {
      counters.errors++;
      this.options.log.error({ err, client: client.name }, 'request failed');
      // Fail closed: a NAS gets a definite no rather than a hanging login.
      await send(socket, encodeResponse(Code.AccessReject, packet, splitText(Attr.ReplyMessage, UNAVAILABLE), client.secret), peer);
    }
  }

  /** RFC 5997: Access-Accept when the store answers, silence when it does not (so a NAS fails over). */
  private async statusServer(packet: RadiusPacket, client: RadiusClient): Promise<Buffer | undefined> {
    const counters = this.stats.of(client.name);
    counters.statusServer++;
    if (checkMessageAuthenticator(packet, client.secret) !== 'valid') {
      this.stats.drop(client.name, 'bad_message_authenticator');
      return undefined;
    }
    if (!(await this.options.healthy())) return undefined;
    return encodeResponse(Code.AccessAccept, packet, [], client.secret);
  }

  private async accessRequest(packet: RadiusPacket, client: RadiusClient, address: string): Promise<Buffer | undefined> {
    const counters = this.stats.of(client.name);
    const hidden = firstAttribute(packet, Attr.UserPassword);
    if (hidden === undefined || firstAttribute(packet, Attr.UserName) === undefined) {
      this.stats.drop(client.name, 'missing_attribute');
      this.options.log.warn({ client: client.name }, 'Access-Request without User-Name or PAP User-Password dropped (only PAP is supported)');
      return undefined;
    }
    let password: string | undefined;
    try {
      password = decodeUtf8(decryptPassword(hidden, client.secret, packet.authenticator));
    } catch (err) {
      if (!(err instanceof MalformedPacket)) throw err;
      this.stats.drop(client.name, err.reason);
      return undefined;
    }
    if (password === undefined) {
      this.stats.drop(client.name, 'bad_password');
      this.options.log.warn({ client: client.name, address }, 'User-Password is not valid UTF-8: probably a shared secret mismatch with this client');
      return undefined;
    }
    const request = toAuthRequest(packet, password, { name: client.name, address });
    if (!request) {
      this.stats.drop(client.name, 'missing_attribute');
      return undefined;
    }
    if (this.options.log.isLevelEnabled('debug')) {
      this.options.log.debug({ client: client.name, attributes: describeAttributes(packet) }, 'Access-Request');
    }
    const result = await this.options.authenticate(request);
    const response = toAccessResponse(result, this.now());
    if (result.outcome === 'accept') counters.accepts++;
    else if (result.outcome === 'reject') counters.rejects++;
    else counters.challenges++;
    return encodeResponse(response.code, packet, response.attributes, client.secret);
  }
}

/** Resolves once the datagram left (or failed to), so a shutdown does not cut a reply off. */
function send(socket: dgram.Socket, datagram: Buffer, peer: dgram.RemoteInfo): Promise<void> {
  return new Promise((resolve) => socket.send(datagram, peer.port, peer.address, () => resolve()));
}
