// Client networks as keys, so that policies can be indexed by network: a login's address is
// masked once per prefix length the policies use, and each masked value is one Map lookup.
// Addresses are 16-bit groups (2 for IPv4, 8 for IPv6): plain numbers, no BigInt, which
// costs microseconds per operation. Only strings node:net's isIP accepted come here. An
// IPv4-mapped IPv6 address (::ffff:a.b.c.d, as a dual-stack socket reports an IPv4 peer)
// counts as its IPv4 address.
import { isIP } from 'node:net';

export interface NumericAddress {
  readonly family: 4 | 6;
  /** 16-bit groups, most significant first. */
  readonly groups: readonly number[];
}

function v4Groups(text: string): number[] {
  const [a = 0, b = 0, c = 0, d = 0] = text.split('.').map(Number);
  return [(a << 8) | b, (c << 8) | d];
}

function v6Groups(text: string): number[] {
  const s = text.split('%')[0]!;
  const last = s.slice(s.lastIndexOf(':') + 1);
  const v4Tail = last.includes('.') ? v4Groups(last) : [];
  const body = v4Tail.length ? s.slice(0, s.length - last.length) : s;
  const [head = '', tail] = body.split('::');
  const groups = (part: string) => part.split(':').filter((g) => g !== '').map((g) => parseInt(g, 16));
  const left = groups(head);
  const right = [...(tail === undefined ? [] : groups(tail)), ...v4Tail];
  return [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
}

/** A node sees few client addresses (its NAS): each is parsed once. Bounded, emptied when full. */
const parsed = new Map<string, NumericAddress | undefined>();
const PARSED_MAX = 4096;

export function numericAddress(address: string): NumericAddress | undefined {
  if (parsed.has(address)) return parsed.get(address);
  const result = parse(address);
  if (parsed.size >= PARSED_MAX) parsed.clear();
  parsed.set(address, result);
  return result;
}

function parse(address: string): NumericAddress | undefined {
  const version = isIP(address);
  if (version === 4) return { family: 4, groups: v4Groups(address) };
  if (version !== 6) return undefined;
  const groups = v6Groups(address);
  const mapped = groups[5] === 0xffff && groups.slice(0, 5).every((g) => g === 0);
  return mapped ? { family: 4, groups: groups.slice(6) } : { family: 6, groups };
}

/** The key of the network of `prefix` bits that holds the address. */
export function networkKey(address: NumericAddress, prefix: number): string {
  let key = `${address.family}/${prefix}/`;
  const full = prefix >> 4;
  for (let i = 0; i < full; i++) key += `${address.groups[i]!.toString(16)}:`;
  const rest = prefix & 15;
  if (rest) key += (address.groups[full]! >> (16 - rest)).toString(16);
  return key;
}
