// The `client` condition of a policy: a RADIUS client's name (as the configuration names it)
// or an address / CIDR network, IPv4 or IPv6. Networks are matched by node's BlockList, built
// once per policy at compile time; an IPv4 client seen as ::ffff:a.b.c.d matches its IPv4 net.
import { BlockList, isIP } from 'node:net';

export type ClientEntry =
  | { readonly kind: 'name'; readonly name: string }
  | { readonly kind: 'network'; readonly address: string; readonly prefix: number; readonly family: 'ipv4' | 'ipv6' };

/** An entry as written: `vpn-asa`, `10.0.0.0/8`, `192.0.2.7`, `2001:db8::/32`. Undefined: a malformed address or prefix. */
export function parseClientEntry(raw: string): ClientEntry | undefined {
  const text = raw.trim();
  const [address, prefixText, ...rest] = text.split('/');
  const version = isIP(address ?? '');
  if (version === 0) {
    // Not an address: a client name, unless it looks like a broken address or network.
    if (text === '' || rest.length > 0 || prefixText !== undefined || /^[0-9.:]+$/.test(text)) return undefined;
    return { kind: 'name', name: text };
  }
  const max = version === 4 ? 32 : 128;
  if (rest.length > 0 || (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText))) return undefined;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (prefix > max) return undefined;
  return { kind: 'network', address: address!, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

export function describeClientEntry(entry: ClientEntry): string {
  if (entry.kind === 'name') return entry.name;
  const max = entry.family === 'ipv4' ? 32 : 128;
  return entry.prefix === max ? entry.address : `${entry.address}/${entry.prefix}`;
}

const SEEN_MAX = 1024;

/** The networks of one policy, and its client names. */
export class ClientMatcher {
  private readonly names: ReadonlySet<string>;
  private readonly networks: BlockList | undefined;

  constructor(entries: readonly ClientEntry[]) {
    this.names = new Set(entries.flatMap((e) => (e.kind === 'name' ? [e.name] : [])));
    const nets = entries.flatMap((e) => (e.kind === 'network' ? [e] : []));
    if (nets.length > 0) {
      const list = new BlockList();
      for (const n of nets) list.addSubnet(n.address, n.prefix, n.family);
      this.networks = list;
    }
  }

  /** By client address: a node sees few (its NAS), and BlockList.check costs microseconds a call (SocketAddress). Bounded. */
  private readonly seen = new Map<string, boolean>();

  matches(name: string, address: string): boolean {
    if (this.names.has(name)) return true;
    if (!this.networks) return false;
    let inside = this.seen.get(address);
    if (inside === undefined) {
      const version = isIP(address);
      inside = version !== 0 && this.networks.check(address, version === 4 ? 'ipv4' : 'ipv6');
      if (this.seen.size >= SEEN_MAX) this.seen.clear();
      this.seen.set(address, inside);
    }
    return inside;
  }
}

/**
 * Whether some client can satisfy both entries. Two networks overlap iff the wider one holds
 * any address of the narrower one (prefixes nest). A name and a network may both hold (the
 * client's address is not known here), so only two different names are disjoint.
 */
export function entriesOverlap(a: ClientEntry, b: ClientEntry): boolean {
  if (a.kind === 'name' && b.kind === 'name') return a.name === b.name;
  if (a.kind === 'name' || b.kind === 'name') return true;
  const [wide, narrow] = a.prefix <= b.prefix ? [a, b] : [b, a];
  if (wide.family === 'ipv6' && narrow.family === 'ipv4') return false;
  const list = new BlockList();
  list.addSubnet(wide.address, wide.prefix, wide.family);
  return list.check(narrow.address, narrow.family);
}
