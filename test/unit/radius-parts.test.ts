import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/load.js';
import { DuplicateCache } from '../../src/radius/duplicates.js';
import { realmSplitter } from '../../src/radius/realms.js';
import { ReplyAttributes } from '../../src/radius/reply-attributes.js';

describe('realm splitting', () => {
  it('splits user@realm at the last delimiter (suffix), REALM\\user at the first (prefix), or not at all', () => {
    expect(realmSplitter('suffix', '@')('a@b@example.com')).toEqual({ username: 'a@b', realm: 'example.com' });
    expect(realmSplitter('prefix', '\\')('EXAMPLE\\carol')).toEqual({ username: 'carol', realm: 'EXAMPLE' });
    expect(realmSplitter('none', '@')('a@b')).toBeUndefined();
    expect(realmSplitter('suffix', '@')('@b')).toBeUndefined();
    expect(realmSplitter('suffix', '@')('a@')).toBeUndefined();
  });
});

describe('DuplicateCache (RFC 5080)', () => {
  const auth1 = Buffer.alloc(16, 1);

  it('reports a request in progress, then its reply, until the lifetime passes', () => {
    let now = 0;
    const cache = new DuplicateCache(30_000, () => now);
    const first = cache.check('192.0.2.1', 1645, 7, auth1);
    if (first.kind !== 'new') throw new Error('expected a new request');
    expect(cache.check('192.0.2.1', 1645, 7, auth1)).toEqual({ kind: 'in_progress' });
    cache.complete(first.ticket, Buffer.from('reply'));
    now = 29_999;
    expect(cache.check('192.0.2.1', 1645, 7, auth1)).toEqual({ kind: 'answered', reply: Buffer.from('reply') });
    now = 30_000;
    expect(cache.check('192.0.2.1', 1645, 7, auth1).kind).toBe('new');
  });

  it('never forgets a request still being worked on, however long it takes (a slow SMS gateway)', () => {
    let now = 0;
    const cache = new DuplicateCache(30_000, () => now);
    const first = cache.check('192.0.2.1', 1645, 7, auth1);
    if (first.kind !== 'new') throw new Error('expected a new request');
    for (now = 2_000; now <= 120_000; now += 2_000) {
      // Other traffic meanwhile runs the eviction of answered slots.
      const other = cache.check('192.0.2.9', 1645, now % 256, Buffer.alloc(16, now % 200));
      if (other.kind === 'new') cache.complete(other.ticket, Buffer.from('x'));
      expect(cache.check('192.0.2.1', 1645, 7, auth1)).toEqual({ kind: 'in_progress' });
    }
    cache.complete(first.ticket, Buffer.from('late reply'));
    expect(cache.check('192.0.2.1', 1645, 7, auth1)).toEqual({ kind: 'answered', reply: Buffer.from('late reply') });
  });

  it('tells requests apart by source address, port, Identifier and authenticator', () => {
    const cache = new DuplicateCache(30_000);
    expect(cache.check('192.0.2.1', 1, 7, auth1).kind).toBe('new');
    expect(cache.check('192.0.2.2', 1, 7, auth1).kind).toBe('new');
    expect(cache.check('192.0.2.1', 2, 7, auth1).kind).toBe('new');
    expect(cache.check('192.0.2.1', 1, 8, auth1).kind).toBe('new');
    expect(cache.check('192.0.2.1', 1, 7, Buffer.alloc(16, 2)).kind).toBe('new');
  });

  it('gives an Identifier reused with a new authenticator the slot; the old request cannot overwrite it', () => {
    const cache = new DuplicateCache(30_000);
    const old = cache.check('192.0.2.1', 1, 7, auth1);
    const replacement = cache.check('192.0.2.1', 1, 7, Buffer.alloc(16, 2));
    if (old.kind !== 'new' || replacement.kind !== 'new') throw new Error('expected new requests');
    cache.complete(old.ticket, Buffer.from('old reply'));
    expect(cache.check('192.0.2.1', 1, 7, Buffer.alloc(16, 2))).toEqual({ kind: 'in_progress' });
    expect(cache.check('192.0.2.1', 1, 7, auth1).kind).toBe('new'); // the old request is gone
    expect(cache.size).toBe(1);
  });

  it('keeps one slot per NAS port and Identifier however many requests pass', () => {
    const cache = new DuplicateCache(30_000);
    for (let i = 0; i < 10_000; i++) {
      const seen = cache.check('192.0.2.1', 1812 + (i % 4), Math.floor(i / 4) % 256, Buffer.from(String(i).padStart(16, '0')));
      if (seen.kind === 'new') cache.complete(seen.ticket, Buffer.from('r'));
    }
    expect(cache.size).toBe(4 * 256);
  });

  it('forgets a request that failed, so its retransmission is worked on again', () => {
    const cache = new DuplicateCache(30_000);
    const first = cache.check('192.0.2.1', 1, 7, auth1);
    if (first.kind !== 'new') throw new Error('expected a new request');
    cache.forget(first.ticket);
    expect(cache.check('192.0.2.1', 1, 7, auth1).kind).toBe('new');
  });
});

describe('Access-Accept attributes from the configuration', () => {
  it('codes standard, integer, octets and vendor attributes with the tags filled', () => {
    const attrs = ReplyAttributes.compile(
      [
        { attribute: 'Class', value: 'otp:{serial}' },
        { attribute: 'Filter-Id', value: '{realm}-{user}' },
        { attribute: 'Session-Timeout', value: '600' },
        { attribute: 'Fortinet-Group-Name', vendor: 'Fortinet', value: 'vpn' },
        { attribute: 'Class', value: '0x00ff' },
      ],
      'radius.accept_attributes',
    ).render({ user: 'alice', realm: 'corp', serial: 'PISM1', client: 'nas' });
    expect(attrs.map((a) => a.type)).toEqual([25, 11, 27, 26, 25]);
    expect(attrs[0]!.value.toString()).toBe('otp:PISM1');
    expect(attrs[1]!.value.toString()).toBe('corp-alice');
    expect(attrs[2]!.value.readUInt32BE(0)).toBe(600);
    expect(attrs[3]!.value.readUInt32BE(0)).toBe(12356);
    expect(attrs[4]!.value).toEqual(Buffer.from([0, 255]));
  });

  it('names the configuration key of an unknown attribute, vendor or unusable value', () => {
    const compile = (entry: { attribute: string; vendor?: string; value: string }) => () => ReplyAttributes.compile([entry], 'radius.accept_attributes');
    expect(compile({ attribute: 'No-Such-Attribute', value: 'x' })).toThrow(ConfigError);
    expect(compile({ attribute: 'No-Such-Attribute', value: 'x' })).toThrow(/radius.accept_attributes.0.attribute: unknown attribute/);
    expect(compile({ attribute: 'X', vendor: 'Nobody', value: 'x' })).toThrow(/radius.accept_attributes.0.vendor: unknown vendor 'Nobody'/);
    expect(compile({ attribute: 'Session-Timeout', value: 'soon' })).toThrow(/radius.accept_attributes.0.value/);
  });
});
