// A bare RADIUS client for what client tools cannot send: packets without or with a wrong
// Message-Authenticator, with Proxy-State, from another loopback source address,
// retransmitted byte for byte, or malformed.
import { createHmac, randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { Attr } from '../../src/radius/packet.js';
import { encodeAttribute, hidePassword, verifyResponse } from './radius-encode.js';

export interface RawRequest {
  secret: string;
  code?: number;
  user?: string;
  password?: string;
  state?: Buffer;
  proxyStates?: Buffer[];
  /** 'valid' (default), 'absent' or 'wrong'. */
  messageAuthenticator?: 'valid' | 'absent' | 'wrong';
  identifier?: number;
  extra?: Array<[number, Buffer]>;
}

export function buildRequest(r: RawRequest): Buffer {
  const secret = Buffer.from(r.secret);
  const authenticator = randomBytes(16);
  const attrs: Buffer[] = [];
  const ma = r.messageAuthenticator ?? 'valid';
  if (ma !== 'absent') attrs.push(encodeAttribute(Attr.MessageAuthenticator, Buffer.alloc(16)));
  if (r.user !== undefined) attrs.push(encodeAttribute(Attr.UserName, Buffer.from(r.user)));
  if (r.password !== undefined) attrs.push(encodeAttribute(Attr.UserPassword, hidePassword(Buffer.from(r.password), secret, authenticator)));
  if (r.state) attrs.push(encodeAttribute(Attr.State, r.state));
  for (const [type, value] of r.extra ?? []) attrs.push(encodeAttribute(type, value));
  for (const ps of r.proxyStates ?? []) attrs.push(encodeAttribute(Attr.ProxyState, ps));
  const body = Buffer.concat(attrs);
  const packet = Buffer.concat([Buffer.alloc(4), authenticator, body]);
  packet[0] = r.code ?? 1;
  packet[1] = r.identifier ?? randomBytes(1)[0]!;
  packet.writeUInt16BE(packet.length, 2);
  if (ma !== 'absent') {
    const mac = createHmac('md5', ma === 'valid' ? secret : Buffer.from('wrong')).update(packet).digest();
    mac.copy(packet, 22);
  }
  return packet;
}

/**
 * True when a reply answers `request` signed with `secret`: a valid Response Authenticator, and
 * a valid Message-Authenticator as the first attribute (computed with the request authenticator).
 */
export function isSignedReply(reply: Buffer, request: Buffer, secret: string): boolean {
  const requestAuthenticator = request.subarray(4, 20);
  if (!verifyResponse(reply, requestAuthenticator, Buffer.from(secret))) return false;
  if (reply[20] !== Attr.MessageAuthenticator || reply[21] !== 18) return false;
  const copy = Buffer.from(reply);
  requestAuthenticator.copy(copy, 4);
  copy.fill(0, 22, 38);
  return createHmac('md5', secret).update(copy).digest().equals(reply.subarray(22, 38));
}

export class RawClient {
  private constructor(private readonly socket: dgram.Socket) {}

  static async open(from = '127.0.0.1'): Promise<RawClient> {
    const socket = dgram.createSocket(from.includes(':') ? 'udp6' : 'udp4');
    await new Promise<void>((resolve) => socket.bind(0, from, resolve));
    return new RawClient(socket);
  }

  send(packet: Buffer, port: number, host = '127.0.0.1'): void {
    this.socket.send(packet, port, host);
  }

  /** Sends and waits for the reply with the same Identifier; undefined on silence. */
  request(packet: Buffer, port: number, timeoutMs = 2500, host = '127.0.0.1'): Promise<Buffer | undefined> {
    return new Promise((resolve) => {
      const onMessage = (msg: Buffer) => {
        if (msg[1] !== packet[1]) return;
        cleanup();
        resolve(msg);
      };
      const timer = setTimeout(() => {
        cleanup();
        resolve(undefined);
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.socket.off('message', onMessage);
      };
      this.socket.on('message', onMessage);
      this.socket.send(packet, port, host);
    });
  }

  close(): void {
    this.socket.close();
  }
}
