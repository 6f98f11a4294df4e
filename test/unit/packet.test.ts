import { describe, expect, it } from 'vitest';
import { checkMessageAuthenticator, decryptPassword, encodeResponse, MalformedPacket, parsePacket, splitText, Attr, Code } from '../../src/radius/packet.js';
import { hidePassword, verifyResponse } from '../helpers/radius-encode.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const SECRET = Buffer.from('xyzzy5461');

// RFC 2865 §7.1: Access-Request from user nemo, password "arctangent", and the Access-Accept answering it.
const RFC2865_REQUEST = hex(`01 00 00 38 0f 40 3f 94 73 97 80 57 bd 83 d5 cb 98 f4 22 7a 01 06 6e 65 6d 6f 02 12 0d be 70 8d
  93 d4 13 ce 31 96 e4 3f 78 2a 0a ee 04 06 c0 a8 01 10 05 06 00 00 00 03`);
const RFC2865_ACCEPT = hex(`02 00 00 26 86 fe 22 0e 76 24 ba 2a 10 05 f6 bf 9b 55 e0 b2 06 06 00 00 00 01 0f 06 00 00 00 00
  0e 06 c0 a8 01 03`);
// RFC 5997 §6: Status-Server with Message-Authenticator, and the Access-Accept answering it.
const RFC5997_STATUS = hex('0c da 00 26 8a 54 f4 68 6f b3 94 c5 28 66 e3 02 18 5d 06 23 50 12 5a 66 5e 2e 1e 84 11 f3 e2 43 82 20 97 c8 4f a3');
const RFC5997_ACCEPT = hex('02 da 00 14 ef 0d 55 2a 4b f2 d6 93 ec 2b 6f e8 b5 41 1d 66');

describe('RADIUS packet parsing', () => {
  it('reads the RFC 2865 example request', () => {
    const p = parsePacket(RFC2865_REQUEST);
    expect(p.code).toBe(Code.AccessRequest);
    expect(p.identifier).toBe(0);
    expect(p.attributes.map((a) => a.type)).toEqual([1, 2, 4, 5]);
    expect(p.attributes[0]?.value.toString()).toBe('nemo');
  });

  it('ignores octets beyond the Length field as padding', () => {
    const p = parsePacket(Buffer.concat([RFC2865_REQUEST, Buffer.alloc(7, 0xff)]));
    expect(p.raw.length).toBe(0x38);
    expect(p.attributes).toHaveLength(4);
  });

  const reason = (datagram: Buffer) => {
    try {
      parsePacket(datagram);
      return 'parsed';
    } catch (err) {
      expect(err).toBeInstanceOf(MalformedPacket);
      return (err as MalformedPacket).reason;
    }
  };

  it('names why a malformed datagram is dropped', () => {
    expect(reason(Buffer.alloc(19))).toBe('too_short');
    expect(reason(Buffer.alloc(4097))).toBe('too_long');
    const longer = Buffer.from(RFC2865_REQUEST);
    longer.writeUInt16BE(0x39, 2);
    expect(reason(longer)).toBe('bad_length');
    const shorter = Buffer.from(RFC2865_REQUEST);
    shorter.writeUInt16BE(19, 2);
    expect(reason(shorter)).toBe('bad_length');
    const zeroLength = Buffer.from(RFC2865_REQUEST);
    zeroLength[21] = 0; // User-Name length 0 would loop forever in a naive parser
    expect(reason(zeroLength)).toBe('bad_attribute');
    const overrun = Buffer.from(RFC2865_REQUEST);
    overrun[0x33] = 0x20; // last attribute claims more than the packet holds
    expect(reason(overrun)).toBe('bad_attribute');
  });

  it('refuses more attributes than a request can sensibly carry', () => {
    const attrs = Buffer.alloc(201 * 2);
    for (let i = 0; i < 201; i++) {
      attrs[i * 2] = 26;
      attrs[i * 2 + 1] = 2;
    }
    const header = Buffer.alloc(20);
    header[0] = 1;
    header.writeUInt16BE(20 + attrs.length, 2);
    expect(reason(Buffer.concat([header, attrs]))).toBe('too_many_attributes');
  });
});

describe('User-Password hiding (RFC 2865 §5.2)', () => {
  it('recovers "arctangent" from the RFC example', () => {
    const p = parsePacket(RFC2865_REQUEST);
    expect(decryptPassword(p.attributes[1]!.value, SECRET, p.authenticator).toString()).toBe('arctangent');
  });

  it('round-trips passwords over several 16-byte blocks', () => {
    const auth = hex('00112233445566778899aabbccddeeff');
    for (const pw of ['1', '1234567890123456', '12345678901234567', 'päss wörd 123456 with a long tail of text']) {
      const hidden = hidePassword(Buffer.from(pw), SECRET, auth);
      expect(hidden.length % 16).toBe(0);
      expect(decryptPassword(hidden, SECRET, auth).toString()).toBe(pw);
      expect(decryptPassword(hidden, Buffer.from('other'), auth).toString()).not.toBe(pw);
    }
  });

  it('rejects a hidden password that is not whole 16-byte blocks', () => {
    expect(() => decryptPassword(Buffer.alloc(15), SECRET, Buffer.alloc(16))).toThrow(MalformedPacket);
    expect(() => decryptPassword(Buffer.alloc(0), SECRET, Buffer.alloc(16))).toThrow(MalformedPacket);
    expect(() => decryptPassword(Buffer.alloc(144), SECRET, Buffer.alloc(16))).toThrow(MalformedPacket);
  });
});

describe('authenticators', () => {
  it('verifies the RFC 2865 and RFC 5997 response authenticators', () => {
    expect(verifyResponse(RFC2865_ACCEPT, parsePacket(RFC2865_REQUEST).authenticator, SECRET)).toBe(true);
    expect(verifyResponse(RFC5997_ACCEPT, parsePacket(RFC5997_STATUS).authenticator, SECRET)).toBe(true);
    expect(verifyResponse(RFC2865_ACCEPT, parsePacket(RFC2865_REQUEST).authenticator, Buffer.from('xyzzy5462'))).toBe(false);
  });

  it('checks the Message-Authenticator of the RFC 5997 Status-Server', () => {
    const p = parsePacket(RFC5997_STATUS);
    expect(checkMessageAuthenticator(p, SECRET)).toBe('valid');
    expect(checkMessageAuthenticator(p, Buffer.from('wrong'))).toBe('invalid');
    expect(checkMessageAuthenticator(parsePacket(RFC2865_REQUEST), SECRET)).toBe('absent');
    const tampered = Buffer.from(RFC5997_STATUS);
    tampered[30] = (tampered[30] as number) ^ 1;
    expect(checkMessageAuthenticator(parsePacket(tampered), SECRET)).toBe('invalid');
  });

  it('treats two Message-Authenticators as invalid', () => {
    const ma = RFC5997_STATUS.subarray(20);
    const doubled = Buffer.concat([RFC5997_STATUS, ma]);
    doubled.writeUInt16BE(doubled.length, 2);
    expect(checkMessageAuthenticator(parsePacket(doubled), SECRET)).toBe('invalid');
  });

  it('reproduces the RFC 2865 Access-Accept byte for byte, apart from the Message-Authenticator it adds first', () => {
    const request = parsePacket(RFC2865_REQUEST);
    const attrs = parsePacket(RFC2865_ACCEPT).attributes;
    const response = encodeResponse(Code.AccessAccept, request, attrs, SECRET);
    expect(response.subarray(20, 22)).toEqual(Buffer.from([Attr.MessageAuthenticator, 18]));
    expect(response.subarray(38)).toEqual(RFC2865_ACCEPT.subarray(20));
    expect(verifyResponse(response, request.authenticator, SECRET)).toBe(true);
    // The Message-Authenticator is an HMAC over the response with the request authenticator in the header.
    const reparsed = parsePacket(Buffer.concat([response.subarray(0, 4), request.authenticator, response.subarray(20)]));
    expect(checkMessageAuthenticator(reparsed, SECRET)).toBe('valid');
  });

  it('copies every Proxy-State of the request, in order, to the end of the response', () => {
    const header = Buffer.from(RFC2865_REQUEST.subarray(0, 20));
    const body = Buffer.concat([RFC2865_REQUEST.subarray(20), hex('21 04 aa bb'), hex('21 03 cc')]);
    header.writeUInt16BE(20 + body.length, 2);
    const request = parsePacket(Buffer.concat([header, body]));
    const response = parsePacket(encodeResponse(Code.AccessReject, request, [], SECRET));
    expect(response.attributes.map((a) => a.type)).toEqual([Attr.MessageAuthenticator, Attr.ProxyState, Attr.ProxyState]);
    expect(response.attributes.slice(1).map((a) => a.value.toString('hex'))).toEqual(['aabb', 'cc']);
  });
});

describe('splitText', () => {
  it('splits long Reply-Messages at 253 bytes without cutting a UTF-8 character', () => {
    const text = `${'a'.repeat(252)}é${'b'.repeat(300)}`;
    const parts = splitText(Attr.ReplyMessage, text);
    expect(parts.map((p) => p.value.length)).toEqual([252, 253, 49]);
    expect(Buffer.concat(parts.map((p) => p.value)).toString('utf8')).toBe(text);
  });
});
