// One exchange with another RADIUS server (RFC 2865 §3, §5.2; RFC 3579 §3.2; RFC 5997 for
// Status-Server): the request signed with a Message-Authenticator, sent again (the same
// datagram, so the same Identifier and authenticator) every `timeout` until an answer whose
// Response Authenticator and Message-Authenticator check out arrives, or `stopAt` passes.
// Each exchange has its own socket (an ephemeral port): no Identifier space to share, and a
// late answer to an abandoned request reaches nobody.
import { createHmac, hash, randomBytes, timingSafeEqual } from 'node:crypto';
import dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import { Attr, Code, HEADER_LENGTH, MAX_PACKET, MalformedPacket, checkMessageAuthenticator, parsePacket, type RadiusPacket, type RawAttribute } from '../radius/packet.js';

export interface UpstreamTarget {
  readonly host: string;
  readonly port: number;
  readonly secret: Buffer;
  readonly timeoutMs: number;
  readonly requireMessageAuthenticator: boolean;
}

export type ExchangeOutcome =
  | { readonly kind: 'answer'; readonly packet: RadiusPacket }
  /** Nothing that checked out came by stopAt; `badAnswers`: answers whose signature did not (a wrong secret). */
  | { readonly kind: 'silent'; readonly tries: number; readonly badAnswers: number; readonly lastProblem?: string };

const AUTHENTICATOR_LENGTH = 16;
const MAX_PASSWORD = 128;
// A try is sent only when this much is left before stopAt: one with less leaves the server no
// time to answer. It also absorbs a timer that fires a millisecond before Date.now() says it
// is due (timers run on the monotonic clock), which would otherwise send a try at stopAt.
const LEAST_WAIT_MS = 10;

/** User-Password hidden for `secret` (RFC 2865 §5.2): NUL-padded to 16-octet blocks, each XORed with a chained MD5. */
export function hidePassword(password: string, secret: Buffer, authenticator: Buffer): Buffer {
  const plain = Buffer.from(password, 'utf8');
  if (plain.length > MAX_PASSWORD) throw new RangeError(`a password of ${plain.length} bytes is longer than RADIUS carries (${MAX_PASSWORD})`);
  const padded = Buffer.alloc(Math.max(16, Math.ceil(plain.length / 16) * 16));
  plain.copy(padded);
  let previous = authenticator;
  for (let i = 0; i < padded.length; i += 16) {
    const block = hash('md5', Buffer.concat([secret, previous]), 'buffer');
    for (let j = 0; j < 16; j++) padded[i + j] = (padded[i + j] as number) ^ (block[j] as number);
    previous = padded.subarray(i, i + 16);
  }
  return padded;
}

/** A request: Message-Authenticator first, then the attributes, signed with the random Request Authenticator in the header. */
export function encodeRequest(code: number, identifier: number, authenticator: Buffer, attributes: readonly RawAttribute[], secret: Buffer): Buffer {
  let length = HEADER_LENGTH + 2 + AUTHENTICATOR_LENGTH;
  for (const a of attributes) {
    if (a.value.length > 253) throw new RangeError(`attribute ${a.type} of ${a.value.length} bytes is longer than 253`);
    length += a.value.length + 2;
  }
  if (length > MAX_PACKET) throw new RangeError(`request of ${length} bytes exceeds ${MAX_PACKET}`);
  const packet = Buffer.alloc(length);
  packet[0] = code;
  packet[1] = identifier;
  packet.writeUInt16BE(length, 2);
  authenticator.copy(packet, 4);
  packet[HEADER_LENGTH] = Attr.MessageAuthenticator;
  packet[HEADER_LENGTH + 1] = 2 + AUTHENTICATOR_LENGTH;
  let at = HEADER_LENGTH + 2 + AUTHENTICATOR_LENGTH;
  for (const a of attributes) {
    packet[at] = a.type;
    packet[at + 1] = a.value.length + 2;
    a.value.copy(packet, at + 2);
    at += a.value.length + 2;
  }
  createHmac('md5', secret).update(packet).digest().copy(packet, HEADER_LENGTH + 2);
  return packet;
}

/**
 * Why an answer is not the answer to `request`, or undefined when it is: its Identifier, its
 * Response Authenticator (MD5 over it with the request's authenticator and the secret), and
 * its Message-Authenticator (computed over it with the request's authenticator in the header).
 */
export function answerProblem(answer: RadiusPacket, request: Buffer, secret: Buffer, requireMessageAuthenticator: boolean): string | undefined {
  if (answer.identifier !== request[1]) return `an answer to another request (Identifier ${answer.identifier})`;
  const requestAuthenticator = request.subarray(4, HEADER_LENGTH);
  const copy = Buffer.from(answer.raw);
  requestAuthenticator.copy(copy, 4);
  const expected = hash('md5', Buffer.concat([copy, secret]), 'buffer');
  if (!timingSafeEqual(expected, answer.authenticator)) return 'a Response Authenticator that does not match (is the secret the same on both sides?)';
  const signed = checkMessageAuthenticator({ ...answer, raw: copy, attributes: parsePacket(copy).attributes }, secret);
  if (signed === 'invalid') return 'a Message-Authenticator that does not match';
  if (signed === 'absent' && requireMessageAuthenticator) {
    return 'no Message-Authenticator (BlastRADIUS: make the server send one, or radius_server set ... --require-message-authenticator no)';
  }
  return undefined;
}

/** Sends `code` with `attributes(authenticator)` until a checked answer comes or `stopAt` (epoch ms) passes. */
export async function exchange(
  target: UpstreamTarget,
  code: number,
  attributes: (authenticator: Buffer) => RawAttribute[],
  stopAt: number,
  now: () => number = Date.now,
): Promise<ExchangeOutcome> {
  const authenticator = randomBytes(AUTHENTICATOR_LENGTH);
  const request = encodeRequest(code, randomBytes(1)[0]!, authenticator, attributes(authenticator), target.secret);
  const socket = dgram.createSocket(isIPv6(target.host) ? 'udp6' : 'udp4');
  let tries = 0;
  let badAnswers = 0;
  let lastProblem: string | undefined;
  try {
    return await new Promise<ExchangeOutcome>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const finish = (outcome: ExchangeOutcome) => {
        clearTimeout(timer);
        resolve(outcome);
      };
      socket.on('message', (datagram) => {
        let packet: RadiusPacket;
        try {
          packet = parsePacket(datagram);
        } catch (err) {
          if (!(err instanceof MalformedPacket)) throw err;
          badAnswers++;
          lastProblem = `a malformed answer (${err.message})`;
          return;
        }
        const problem = answerProblem(packet, request, target.secret, target.requireMessageAuthenticator);
        if (problem === undefined) finish({ kind: 'answer', packet });
        else if (packet.identifier === request[1]) {
          badAnswers++;
          lastProblem = problem;
        }
      });
      // An unreachable port (ICMP) is silence too: the next try may find the server back.
      socket.on('error', (err) => {
        lastProblem = err.message;
      });
      const send = () => {
        const left = stopAt - now();
        if (left < LEAST_WAIT_MS) return finish({ kind: 'silent', tries, badAnswers, ...(lastProblem ? { lastProblem } : {}) });
        tries++;
        socket.send(request, target.port, target.host, (err) => {
          if (err) lastProblem = err.message;
        });
        timer = setTimeout(send, Math.min(target.timeoutMs, left));
      };
      send();
    });
  } finally {
    socket.close();
  }
}

export type ProbeResult =
  | { readonly kind: 'answered'; readonly code: number; readonly ms: number }
  | { readonly kind: 'silent'; readonly detail: string };

/**
 * Asks the server whether it is up with Status-Server (RFC 5997), once per timeout until
 * `waitMs` passes. Many servers do not answer it (FreeRADIUS only with status_server = yes):
 * silence is then no proof that logins fail.
 */
export async function probeStatusServer(target: UpstreamTarget, waitMs: number, now: () => number = Date.now): Promise<ProbeResult> {
  const started = now();
  const outcome = await exchange(target, Code.StatusServer, () => [], started + waitMs, now);
  if (outcome.kind === 'answer') return { kind: 'answered', code: outcome.packet.code, ms: now() - started };
  return { kind: 'silent', detail: outcome.badAnswers ? `answers refused: ${outcome.lastProblem}` : `no answer to Status-Server within ${waitMs / 1000} s` };
}
