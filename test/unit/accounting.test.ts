import { hash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  accountingWorkOf,
  encodeAccountingResponse,
  verifyAccountingRequest,
} from '../../src/radius/handlers/accounting-request.js';
import { MalformedPacket, parsePacket } from '../../src/radius/packet.js';
import { encodeAttribute } from '../helpers/radius-encode.js';
import { decodeStaticChallenge } from '../../src/radius/static-challenge.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const md5 = (...parts: Buffer[]) => hash('md5', Buffer.concat(parts), 'buffer');

// Captured from FreeRADIUS's radclient 3.2.1 (`radclient 127.0.0.1:PORT acct testing123`) with
// Acct-Status-Type = Start, User-Name = "alice", Acct-Session-Id = "0000002A",
// NAS-IP-Address = 192.0.2.10, Framed-IP-Address = 10.8.0.6, Calling-Station-Id = "198.51.100.7".
const RADCLIENT_START = hex(`049f0045156392d7ec4e446efa66ce4aea37b5032806000000010107616c6963652c0a303030303030324104
  06c000020a08060a0800061f0e3139382e35312e3130302e37`);
const SECRET = Buffer.from('testing123');

describe('RFC 2866 authenticators', () => {
  it('the Request Authenticator radclient sent is MD5(Code+Identifier+Length+16 zero octets+Attributes+Secret), and verifies', () => {
    const p = RADCLIENT_START;
    // The RFC's formula, computed here independently of the daemon's code.
    const expected = md5(p.subarray(0, 4), Buffer.alloc(16), p.subarray(20), SECRET);
    expect(expected.equals(p.subarray(4, 20))).toBe(true);
    expect(verifyAccountingRequest(parsePacket(p), SECRET)).toBe(true);
  });

  it('a tampered packet, a tampered authenticator or another secret does not verify', () => {
    const attribute = Buffer.from(RADCLIENT_START);
    attribute[attribute.length - 1] ^= 1; // Calling-Station-Id changed in flight
    expect(verifyAccountingRequest(parsePacket(attribute), SECRET)).toBe(false);
    const authenticator = Buffer.from(RADCLIENT_START);
    authenticator[10] ^= 0x80;
    expect(verifyAccountingRequest(parsePacket(authenticator), SECRET)).toBe(false);
    expect(verifyAccountingRequest(parsePacket(RADCLIENT_START), Buffer.from('testing124'))).toBe(false);
    // An all-zero authenticator (what an Access-Request style client might leave) is no signature either.
    const zero = Buffer.from(RADCLIENT_START);
    zero.fill(0, 4, 20);
    expect(verifyAccountingRequest(parsePacket(zero), SECRET)).toBe(false);
  });

  it('answers with code 5, the request Identifier and the RFC 2866 §4 Response Authenticator; Proxy-State is echoed', () => {
    const request = parsePacket(RADCLIENT_START);
    const response = encodeAccountingResponse(request, SECRET);
    expect(response[0]).toBe(5);
    expect(response[1]).toBe(0x9f);
    expect(response.readUInt16BE(2)).toBe(20);
    expect(md5(response.subarray(0, 4), request.authenticator, response.subarray(20), SECRET).equals(response.subarray(4, 20))).toBe(true);

    // A proxy's Proxy-State: the request re-signed with it, the response carrying it back signed.
    const withProxyState = Buffer.concat([RADCLIENT_START, encodeAttribute(33, Buffer.from('hop1'))]);
    withProxyState.writeUInt16BE(withProxyState.length, 2);
    md5(withProxyState.subarray(0, 4), Buffer.alloc(16), withProxyState.subarray(20), SECRET).copy(withProxyState, 4);
    const proxied = parsePacket(withProxyState);
    expect(verifyAccountingRequest(proxied, SECRET)).toBe(true);
    const answer = encodeAccountingResponse(proxied, SECRET);
    expect(answer.subarray(20).equals(encodeAttribute(33, Buffer.from('hop1')))).toBe(true);
    expect(md5(answer.subarray(0, 4), proxied.authenticator, answer.subarray(20), SECRET).equals(answer.subarray(4, 20))).toBe(true);
  });
});

describe('Accounting-Request attributes', () => {
  it('reads the session of the captured Start', () => {
    const work = accountingWorkOf(parsePacket(RADCLIENT_START), 'vpn', 1_000_000);
    expect(work).toEqual({
      kind: 'session',
      event: {
        status: 'start', client: 'vpn', sessionId: '0000002A', username: 'alice', nasIpAddress: '192.0.2.10', nasIdentifier: '',
        framedIpAddress: '10.8.0.6', callingStationId: '198.51.100.7', at: 1_000_000,
      },
    });
  });

  const packet = (...attributes: Array<[number, Buffer]>) => {
    const body = Buffer.concat(attributes.map(([t, v]) => encodeAttribute(t, v)));
    const raw = Buffer.concat([Buffer.from([4, 1, 0, 0]), Buffer.alloc(16), body]);
    raw.writeUInt16BE(raw.length, 2);
    return parsePacket(raw);
  };
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };

  it('folds gigawords into the octets, takes Acct-Delay-Time off the time and names the terminate cause', () => {
    const work = accountingWorkOf(
      packet([40, u32(2)], [44, Buffer.from('s1')], [41, u32(3)], [46, u32(3600)], [42, u32(5)], [52, u32(2)], [43, u32(7)], [49, u32(1)]),
      'vpn',
      100_000,
    );
    expect(work.kind === 'session' && work.event).toMatchObject({
      status: 'stop', at: 97_000, sessionTime: 3600, inputOctets: 2 * 2 ** 32 + 5, outputOctets: 7, terminateCause: 'User-Request',
    });
  });

  it('Accounting-On/Off concern the NAS; a Start without Acct-Session-Id or a request without Acct-Status-Type is invalid', () => {
    expect(accountingWorkOf(packet([40, u32(7)]), 'vpn', 5).kind).toBe('nas');
    expect(accountingWorkOf(packet([40, u32(9)]), 'vpn', 5)).toEqual({ kind: 'ignore', status: 'other' });
    expect(() => accountingWorkOf(packet([40, u32(1)]), 'vpn', 5)).toThrow(MalformedPacket);
    expect(() => accountingWorkOf(packet([44, Buffer.from('s1')]), 'vpn', 5)).toThrow(/Acct-Status-Type/);
  });
});

describe('OpenVPN static challenge (SCRV1)', () => {
  const scrv1 = (password: string, response: string) =>
    `SCRV1:${Buffer.from(password).toString('base64')}:${Buffer.from(response).toString('base64')}`;

  it('decodes the password and the response', () => {
    expect(decodeStaticChallenge(scrv1('pin1234', '287082'))).toEqual({ kind: 'decoded', pin: 'pin1234', response: '287082' });
    expect(decodeStaticChallenge(scrv1('pïn:with:colons', ''))).toEqual({ kind: 'decoded', pin: 'pïn:with:colons', response: '' });
    expect(decodeStaticChallenge('pin1234287082')).toEqual({ kind: 'none' });
  });

  it('calls anything else after SCRV1: malformed', () => {
    for (const bad of ['SCRV1:', 'SCRV1:cGlu', 'SCRV1:cGlu:MTIz:eA==', 'SCRV1:not base64!:MTIz', 'SCRV1:cGlu:MTI', `SCRV1:${Buffer.from([0xff, 0xfe]).toString('base64')}:`]) {
      expect(decodeStaticChallenge(bad).kind, bad).toBe('malformed');
    }
  });
});
