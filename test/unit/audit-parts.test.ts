import { describe, expect, it } from 'vitest';
import { parseSince } from '../../src/app/audit.js';
import { redactPhone } from '../../src/core/redact.js';
import { nasContextOf } from '../../src/radius/access.js';
import { Attr, parsePacket } from '../../src/radius/packet.js';
import { buildRequest } from '../helpers/raw-radius.js';

describe('redactPhone', () => {
  it('masks every character but the last two', () => {
    expect(redactPhone('+4917012345')).toBe('*********45');
    expect(redactPhone('+49 123/456-78')).toBe('************78');
    expect(redactPhone('12')).toBe('**');
    expect(redactPhone('')).toBe('');
  });
});

describe('parseSince', () => {
  const now = Date.UTC(2026, 10, 23, 12, 0, 0);
  it.each([
    ['30m', now - 1_800_000],
    ['1h', now - 3_600_000],
    ['2d', now - 172_800_000],
    ['2026-11-23', Date.UTC(2026, 10, 23)],
    ['2026-11-23T08:00', Date.UTC(2026, 10, 23, 8)],
    ['2026-11-23T08:00:00Z', Date.UTC(2026, 10, 23, 8)],
    ['2026-11-23T09:00:00+01:00', Date.UTC(2026, 10, 23, 8)],
  ])('reads %s', (text, expected) => {
    expect(parseSince(text, now)).toBe(expected);
  });
  it.each(['yesterday', '1w', '-1h', '2026-13-01', '23.11.2026', ''])('refuses %j', (text) => {
    expect(parseSince(text, now)).toBeUndefined();
  });
});

describe('nasContextOf', () => {
  const packet = (extra: Array<[number, Buffer]>) => parsePacket(buildRequest({ secret: 's', user: 'alice', password: 'x', extra }));

  it('reads Calling-Station-Id, NAS-Identifier and NAS-IP-Address (or NAS-IPv6-Address)', () => {
    expect(
      nasContextOf(packet([
        [Attr.CallingStationId, Buffer.from('00-11-22-33-44-55')],
        [Attr.NasIdentifier, Buffer.from('fw-1')],
        [Attr.NasIpAddress, Buffer.from([192, 0, 2, 10])],
      ])),
    ).toEqual({ callingStationId: '00-11-22-33-44-55', identifier: 'fw-1', ipAddress: '192.0.2.10' });
    expect(nasContextOf(packet([[Attr.NasIpv6Address, Buffer.from('20010db8000000000000000000000001', 'hex')]]))).toEqual({ ipAddress: '2001:db8::1' });
  });

  it('leaves out what the NAS did not send, and shows bytes that are not UTF-8 as hex', () => {
    expect(nasContextOf(packet([]))).toEqual({});
    expect(nasContextOf(packet([[Attr.CallingStationId, Buffer.from([0xff, 0x41])]]))).toEqual({ callingStationId: '0xff41' });
  });
});
