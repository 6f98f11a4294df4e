// The UDP front: datagrams in through node:dgram events (nothing is lost while a request
// is being processed), checked against the client's policy, de-duplicated, authenticated
// and answered. Anything malformed, unsigned where a signature is required, or from an
// unknown address is dropped and counted, never answered and never fatal.
import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { AuthRequest, AuthResult } from '../auth/authenticator.js';
import { decodeUtf8, toAccessResponse, toAuthRequest } from './access.js';
import { ClientTable, normaliseAddress, type RadiusClient } from './clients.js';
import { describeAttributes } from './dictionary.js';
import { DuplicateCache } from './duplicates.js';
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
  type DropReason,
  type RadiusPacket,
  type RawAttribute,
} from './packet.js';
import type { AcceptContext } from './reply-attributes.js';
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
  /** How long replies are kept for retransmissions (RFC 5080). */
  readonly duplicateCacheMs?: number;
  /** How long an Access-Reject is held back. */
  readonly rejectDelayMs?: number;
  /** A password that asks for the SMS again on a pending State (an empty one always does). */
  readonly resendKeyword?: string;
  /** The extra attributes of an Access-Accept for a client. */
  readonly acceptAttributes?: (client: string, context: AcceptContext) => RawAttribute[];
}

const UNKNOWN_CLIENT = '(unknown)';
const UNAVAILABLE = 'The authentication service is unavailable, try again later';
const WARN_INTERVAL_MS = 10_000;

export class RadiusServer {
  readonly stats = new RadiusStats();
  private readonly sockets: dgram.Socket[] = [];
  private readonly now: () => number;
  private readonly duplicates: DuplicateCache;
  private readonly lastWarning = new Map<string, number>();
  private readonly inFlight = new Set<Promise<void>>();
  private stopping = false;

  constructor(private readonly options: RadiusServerOptions) {
    this.now = options.now ?? Date.now;
    this.duplicates = new DuplicateCache(options.duplicateCacheMs ?? 30_000, this.now);
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

  /** One warning per client and kind every 10 s, so a misconfigured NAS cannot flood the log. */
  private warnOnce(kind: string, client: string, fields: object, message: string): void {
    const key = `${kind}|${client}`;
    const now = this.now();
    if (now - (this.lastWarning.get(key) ?? -Infinity) < WARN_INTERVAL_MS) return;
    this.lastWarning.set(key, now);
    this.options.log.warn({ client, ...fields }, message);
  }

  private drop(client: string, reason: DropReason): void {
    this.stats.drop(client, reason);
  }

  private async onDatagram(socket: dgram.Socket, datagram: Buffer, peer: dgram.RemoteInfo): Promise<void> {
    if (this.stopping) return;
    const address = normaliseAddress(peer.address);
    const client = this.options.clients.match(address);
    if (!client) {
      this.drop(UNKNOWN_CLIENT, 'unknown_client');
      this.warnOnce('unknown', UNKNOWN_CLIENT, { address },
        'datagram from an address that is no configured RADIUS client dropped (radius.clients)');
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
      this.checkPolicy(packet, client, address);
    } catch (err) {
      if (!(err instanceof MalformedPacket)) throw err;
      this.drop(client.name, err.reason);
      this.options.log.debug({ client: client.name, address, reason: err.reason, detail: err.message }, 'packet dropped');
      return;
    }

    const key = DuplicateCache.key(address, peer.port, packet.identifier, packet.authenticator);
    const seen = this.duplicates.check(key);
    if (seen.kind !== 'new') {
      counters.duplicates++;
      if (seen.kind === 'answered' && seen.reply) await send(socket, seen.reply, peer);
      return;
    }

    let response: Buffer | undefined;
    try {
      response =
        packet.code === Code.StatusServer
          ? await this.statusServer(packet, client)
          : await this.accessRequest(packet, client, address);
    } catch (err) {
      counters.errors++;
      this.options.log.error({ err, client: client.name }, 'request failed');
      // Fail closed (a definite no rather than a hanging login), or stay silent so the NAS
      // fails over to its next RADIUS server, as the client's failmode says.
      response =
        client.failmode === 'closed'
          ? encodeResponse(Code.AccessReject, packet, splitText(Attr.ReplyMessage, UNAVAILABLE), client.secret)
          : undefined;
    }
    if (response?.[0] === Code.AccessReject && this.options.rejectDelayMs) await sleep(this.options.rejectDelayMs);
    if (response) await send(socket, response, peer);
    this.duplicates.complete(key, response);
  }

  /**
   * Message-Authenticator and Proxy-State rules (BlastRADIUS, RFC 3579 §3.2). Throws
   * MalformedPacket for a request that must be dropped.
   */
  private checkPolicy(packet: RadiusPacket, client: RadiusClient, address: string): void {
    const ma = checkMessageAuthenticator(packet, client.secret);
    if (ma === 'invalid') {
      this.warnOnce('bad-ma', client.name, { address },
        'Message-Authenticator does not verify: the shared secret of this client differs from ours (radius.clients)');
      throw new MalformedPacket('bad_message_authenticator', 'Message-Authenticator does not verify');
    }
    if (ma === 'valid') {
      if (client.requireMessageAuthenticator === 'auto' && !client.sawMessageAuthenticator) {
        this.options.log.info({ client: client.name }, 'client sends Message-Authenticator: it is required from now on (auto)');
      }
      client.sawMessageAuthenticator = true;
      return;
    }
    const required =
      packet.code === Code.StatusServer ||
      client.requireMessageAuthenticator === 'yes' ||
      (client.requireMessageAuthenticator === 'auto' && client.sawMessageAuthenticator);
    if (required) {
      this.warnOnce('missing-ma', client.name, { address },
        'request without Message-Authenticator dropped: upgrade the client to send one, or set ' +
          'require_message_authenticator: no (or auto) for it in radius.clients');
      throw new MalformedPacket('missing_message_authenticator', 'no Message-Authenticator');
    }
    if (client.limitProxyState && firstAttribute(packet, Attr.ProxyState) !== undefined) {
      this.warnOnce('proxy-state', client.name, { address },
        'request with Proxy-State but no Message-Authenticator dropped (limit_proxy_state)');
      throw new MalformedPacket('proxy_state_without_message_authenticator', 'Proxy-State without Message-Authenticator');
    }
  }

  /** RFC 5997: Access-Accept when the store answers, silence when it does not (so a NAS fails over). */
  private async statusServer(packet: RadiusPacket, client: RadiusClient): Promise<Buffer | undefined> {
    this.stats.of(client.name).statusServer++;
    if (!(await this.options.healthy())) return undefined;
    return encodeResponse(Code.AccessAccept, packet, [], client.secret);
  }

  private async accessRequest(packet: RadiusPacket, client: RadiusClient, address: string): Promise<Buffer | undefined> {
    const counters = this.stats.of(client.name);
    const hidden = firstAttribute(packet, Attr.UserPassword);
    if (hidden === undefined || firstAttribute(packet, Attr.UserName) === undefined) {
      this.drop(client.name, 'missing_attribute');
      this.warnOnce('no-pap', client.name, {}, 'Access-Request without User-Name or PAP User-Password dropped (only PAP is supported)');
      return undefined;
    }
    let password: string | undefined;
    try {
      password = decodeUtf8(decryptPassword(hidden, client.secret, packet.authenticator));
    } catch (err) {
      if (!(err instanceof MalformedPacket)) throw err;
      this.drop(client.name, err.reason);
      return undefined;
    }
    if (password === undefined) {
      this.drop(client.name, 'bad_password');
      this.warnOnce('bad-password', client.name, { address },
        'User-Password is not valid UTF-8: probably a shared secret mismatch with this client');
      return undefined;
    }
    const request = toAuthRequest(packet, password, {
      client: { name: client.name, address, ...(client.challengePrompt ? { challengePrompt: client.challengePrompt } : {}) },
      resendKeyword: this.options.resendKeyword ?? '',
    });
    if (!request) {
      this.drop(client.name, 'missing_attribute');
      return undefined;
    }
    if (this.options.log.isLevelEnabled('debug')) {
      this.options.log.debug({ client: client.name, attributes: describeAttributes(packet) }, 'Access-Request');
    }
    const result = await this.options.authenticate(request);
    const response = toAccessResponse(result, this.now());
    if (result.outcome === 'accept') {
      counters.accepts++;
      const extra = this.options.acceptAttributes?.(client.name, {
        user: result.username,
        realm: result.realm,
        serial: result.serial,
        client: client.name,
      });
      if (extra) response.attributes.push(...extra);
    } else if (result.outcome === 'reject') {
      counters.rejects++;
    } else {
      counters.challenges++;
    }
    return encodeResponse(response.code, packet, response.attributes, client.secret);
  }
}

/** Resolves once the datagram left (or failed to), so a shutdown does not cut a reply off. */
function send(socket: dgram.Socket, datagram: Buffer, peer: dgram.RemoteInfo): Promise<void> {
  return new Promise((resolve) => socket.send(datagram, peer.port, peer.address, () => resolve()));
}
