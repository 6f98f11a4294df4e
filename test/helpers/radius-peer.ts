// A RADIUS client socket for many requests at once: one 'message' listener matches replies
// to requests by Identifier and checks each reply's Response Authenticator against the
// request it answers. Requests are signed (Message-Authenticator) by buildRequest; a packet
// can be sent again byte for byte (a true RFC 5080 retransmission).
import dgram from 'node:dgram';
import { Attr, parsePacket } from '../../src/radius/packet.js';
import { verifyResponse } from './radius-encode.js';
import { buildRequest, type RawRequest } from './raw-radius.js';

export interface Answer {
  /** The request as sent (send it again for a retransmission). */
  readonly packet: Buffer;
  /** The verified reply; undefined when none came in time. */
  readonly reply?: Buffer;
  /** Reply code (2 Accept, 3 Reject, 11 Challenge), undefined on silence. */
  readonly code?: number;
  /** The Reply-Message attributes joined. */
  readonly message?: string;
  readonly state?: Buffer;
  /** Milliseconds from the first send to the reply (or to the give-up). */
  readonly ms: number;
  /** How often the packet was sent (1 + retransmissions). */
  readonly sends: number;
}

export interface RequestOptions {
  timeoutMs?: number;
  /** Retransmit the same bytes at this interval until answered or timed out. */
  resendEveryMs?: number;
}

export const CODE_NAMES: Record<number, string> = { 2: 'Access-Accept', 3: 'Access-Reject', 11: 'Access-Challenge' };

/** 'Access-Reject "wrong otp value"' or 'no answer', for assertion messages. */
export function describeAnswer(a: Answer): string {
  if (a.code === undefined) return `no answer after ${a.ms} ms`;
  return `${CODE_NAMES[a.code] ?? a.code}${a.message ? ` "${a.message}"` : ''} after ${a.ms} ms`;
}

export class RadiusPeer {
  private readonly pending = new Map<number, { authenticator: Buffer; resolve(reply: Buffer): void }>();
  /** Replies that matched no request or whose authenticator did not verify. */
  strayReplies = 0;

  private constructor(
    private readonly socket: dgram.Socket,
    private readonly target: { port: number; host: string; secret: string },
  ) {
    socket.on('message', (msg) => {
      const waiting = this.pending.get(msg[1]!);
      if (!waiting || !verifyResponse(msg, waiting.authenticator, Buffer.from(target.secret))) {
        this.strayReplies++;
        return;
      }
      this.pending.delete(msg[1]!);
      waiting.resolve(msg);
    });
  }

  static async open(target: { port: number; host?: string; secret: string }, from = '127.0.0.1'): Promise<RadiusPeer> {
    const socket = dgram.createSocket(from.includes(':') ? 'udp6' : 'udp4');
    await new Promise<void>((resolve) => socket.bind(0, from, resolve));
    return new RadiusPeer(socket, { port: target.port, host: target.host ?? '127.0.0.1', secret: target.secret });
  }

  get inFlight(): number {
    return this.pending.size;
  }

  /** A signed request with an Identifier no request in flight on this socket uses. */
  build(r: Omit<RawRequest, 'secret' | 'identifier'>): Buffer {
    const free: number[] = [];
    for (let id = 0; id < 256; id++) if (!this.pending.has(id)) free.push(id);
    if (free.length === 0) throw new Error('all 256 RADIUS Identifiers are in flight');
    const identifier = free[Math.floor(Math.random() * free.length)]!;
    return buildRequest({ ...r, secret: this.target.secret, identifier });
  }

  /** Sends a request (built here, or a packet to send again) and waits for its reply. */
  request(r: Omit<RawRequest, 'secret' | 'identifier'> | Buffer, options: RequestOptions = {}): Promise<Answer> {
    const packet = Buffer.isBuffer(r) ? r : this.build(r);
    const identifier = packet[1]!;
    if (this.pending.has(identifier)) throw new Error(`Identifier ${identifier} is already in flight`);
    const timeoutMs = options.timeoutMs ?? 5000;
    const started = Date.now();
    let sends = 0;
    return new Promise<Answer>((resolve) => {
      const send = () => {
        sends++;
        this.socket.send(packet, this.target.port, this.target.host);
      };
      const resender = options.resendEveryMs ? setInterval(send, options.resendEveryMs) : undefined;
      const finish = (reply: Buffer | undefined) => {
        clearTimeout(timer);
        if (resender) clearInterval(resender);
        const ms = Date.now() - started;
        if (!reply) return resolve({ packet, ms, sends });
        const parsed = parsePacket(reply);
        const messages = parsed.attributes.filter((a) => a.type === Attr.ReplyMessage).map((a) => a.value.toString('utf8'));
        resolve({
          packet,
          reply,
          code: parsed.code,
          ...(messages.length ? { message: messages.join('') } : {}),
          ...(parsed.attributes.some((a) => a.type === Attr.State)
            ? { state: parsed.attributes.find((a) => a.type === Attr.State)!.value }
            : {}),
          ms,
          sends,
        });
      };
      const timer = setTimeout(() => {
        this.pending.delete(identifier);
        finish(undefined);
      }, timeoutMs);
      this.pending.set(identifier, { authenticator: packet.subarray(4, 20), resolve: finish });
      send();
    });
  }

  close(): void {
    this.socket.close();
  }
}
