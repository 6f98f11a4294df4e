// RADIUS clients (NAS) known by source address. The most specific matching prefix wins,
// as in FreeRADIUS; a datagram from anywhere else is dropped unanswered.
import { BlockList, isIP, isIPv4 } from 'node:net';
import { DEFAULT_SMS_DEADLINE, type RadiusClientConfig } from '../config/schema.js';

export interface RadiusClient {
  readonly name: string;
  readonly secret: Buffer;
  readonly requireMessageAuthenticator: 'yes' | 'no' | 'auto';
  readonly limitProxyState: boolean;
  readonly challengePrompt: string | undefined;
  /** Prompt = Echo instead of No-Echo on this client's Access-Challenges (challenge_echo). */
  readonly challengeEcho: boolean;
  readonly failmode: 'closed' | 'failover';
  /** How long this NAS waits for an answer, retransmissions included: work older than this is shed. */
  readonly maxRequestTimeMs: number;
  /** How long the SMS gateway gets before the challenge is answered anyway (sms_deadline). */
  readonly smsDeadlineMs: number;
  /** With require_message_authenticator auto: set once the client has sent a valid one. */
  sawMessageAuthenticator: boolean;
}

/** Seconds: a NAS with a 3-5 s timeout and 2-3 retransmissions has given up by then. */
export const DEFAULT_MAX_REQUEST_TIME = 15;

interface Entry {
  client: RadiusClient;
  family: 'ipv4' | 'ipv6';
  prefix: number;
  list: BlockList;
}

/** '::ffff:192.0.2.1' (a v4 peer on a dual-stack socket) is matched as 192.0.2.1. */
export function normaliseAddress(address: string): string {
  if (address.length < 7 || address[0] !== ':') return address; // the common case, no regex
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return mapped?.[1] ?? address;
}

/** Addresses remembered with their client (or none); a NAS sends from a handful of addresses. */
const MATCH_CACHE_LIMIT = 10_000;

export class ClientTable {
  private readonly entries: Entry[];
  private readonly matched = new Map<string, RadiusClient | null>();

  constructor(
    clients: ReadonlyArray<Pick<RadiusClientConfig, 'name' | 'address' | 'secret'> & Partial<RadiusClientConfig>>,
    defaults: { maxRequestTime?: number } = {},
  ) {
    this.entries = clients
      .map((c) => {
        const [address = '', bits] = c.address.split('/');
        const family = isIPv4(address) ? 'ipv4' : 'ipv6';
        const prefix = bits === undefined ? (family === 'ipv4' ? 32 : 128) : Number(bits);
        const list = new BlockList();
        list.addSubnet(address, prefix, family);
        const client: RadiusClient = {
          name: c.name,
          secret: Buffer.from(c.secret, 'utf8'),
          requireMessageAuthenticator: c.require_message_authenticator ?? 'yes',
          limitProxyState: c.limit_proxy_state ?? true,
          challengePrompt: c.challenge_prompt,
          challengeEcho: c.challenge_echo ?? false,
          failmode: c.failmode ?? 'closed',
          maxRequestTimeMs: (c.max_request_time ?? defaults.maxRequestTime ?? DEFAULT_MAX_REQUEST_TIME) * 1000,
          smsDeadlineMs: (c.sms_deadline ?? DEFAULT_SMS_DEADLINE) * 1000,
          sawMessageAuthenticator: false,
        };
        return { client, family, prefix, list } as Entry;
      })
      .sort((a, b) => b.prefix - a.prefix);
  }

  match(address: string): RadiusClient | undefined {
    // BlockList.check allocates per call; the answer for an address never changes.
    const known = this.matched.get(address);
    if (known !== undefined) return known ?? undefined;
    const client = this.lookup(address);
    if (this.matched.size >= MATCH_CACHE_LIMIT) this.matched.clear();
    this.matched.set(address, client ?? null);
    return client;
  }

  private lookup(address: string): RadiusClient | undefined {
    const normalised = normaliseAddress(address);
    const family = isIP(normalised) === 4 ? 'ipv4' : 'ipv6';
    return this.entries.find((e) => e.family === family && e.list.check(normalised, family))?.client;
  }
}
