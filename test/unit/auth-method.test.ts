// Which protocol an Access-Request speaks, and the EAP-Failure that answers an EAP one.
import { describe, expect, it } from 'vitest';
import { authMethodOf, eapFailureFor } from '../../src/radius/auth-method.js';
import { Attr, parsePacket } from '../../src/radius/packet.js';
import { buildRequest } from '../helpers/raw-radius.js';

const SECRET = 'testing123';

/** A Vendor-Specific of Microsoft (311) holding the given sub-attributes. */
function microsoft(...subs: Array<[number, Buffer]>): [number, Buffer] {
  const vendor = Buffer.alloc(4);
  vendor.writeUInt32BE(311);
  return [Attr.VendorSpecific, Buffer.concat([vendor, ...subs.map(([type, value]) => Buffer.concat([Buffer.from([type, value.length + 2]), value]))])];
}

const request = (r: Parameters<typeof buildRequest>[0]) => parsePacket(buildRequest(r));
const challenge: [number, Buffer] = [11, Buffer.alloc(16, 1)];

describe('authMethodOf', () => {
  it('tells PAP, CHAP, MS-CHAP, MS-CHAPv2, EAP and no credentials apart', () => {
    expect(authMethodOf(request({ secret: SECRET, user: 'u', password: 'p' }))).toBe('pap');
    expect(authMethodOf(request({ secret: SECRET, user: 'u', extra: [[Attr.ChapPassword, Buffer.alloc(17)]] }))).toBe('chap');
    expect(authMethodOf(request({ secret: SECRET, user: 'u', extra: [microsoft(challenge, [1, Buffer.alloc(50)])] }))).toBe('mschap');
    expect(authMethodOf(request({ secret: SECRET, user: 'u', extra: [microsoft(challenge), microsoft([25, Buffer.alloc(50)])] }))).toBe('mschapv2');
    expect(authMethodOf(request({ secret: SECRET, user: 'u', extra: [[Attr.EapMessage, Buffer.from('0201000a01616c696365', 'hex')]] }))).toBe('eap');
    expect(authMethodOf(request({ secret: SECRET, user: 'u', state: Buffer.from('s') }))).toBe('none');
  });

  it('takes EAP over a User-Password, and ignores other vendors and broken vendor attributes', () => {
    expect(authMethodOf(request({ secret: SECRET, user: 'u', password: 'p', extra: [[Attr.EapMessage, Buffer.from('02010004', 'hex')]] }))).toBe('eap');
    const cisco = Buffer.concat([Buffer.from([0, 0, 0, 9]), Buffer.from([25, 4, 0, 0])]);
    const broken = Buffer.concat([Buffer.from([0, 0, 1, 55]), Buffer.from([25, 60, 0, 0])]);
    expect(authMethodOf(request({ secret: SECRET, user: 'u', extra: [[Attr.VendorSpecific, cisco], [Attr.VendorSpecific, broken]] }))).toBe('none');
  });
});

describe('eapFailureFor', () => {
  it('answers with EAP-Failure carrying the Identifier of the EAP-Response, also when it spans several attributes', () => {
    const response = Buffer.concat([Buffer.from('0242010a', 'hex'), Buffer.alloc(262)]);
    const split: Array<[number, Buffer]> = [[Attr.EapMessage, response.subarray(0, 253)], [Attr.EapMessage, response.subarray(253)]];
    expect(eapFailureFor(request({ secret: SECRET, user: 'u', extra: split }))?.toString('hex')).toBe('04420004');
  });

  it('has none for an EAP-Message shorter than the EAP header', () => {
    expect(eapFailureFor(request({ secret: SECRET, user: 'u', extra: [[Attr.EapMessage, Buffer.from('0242', 'hex')]] }))).toBeUndefined();
  });
});
