// reply_attribute specs against the RADIUS dictionaries (src/radius/policy-attributes.ts):
// what `policy set` takes and refuses, and the bytes an accept carries.
import { describe, expect, it } from 'vitest';
import { checkReplyAttribute, encodeReplyAttributes } from '../../src/radius/policy-attributes.js';

const encoded = (spec: string) => encodeReplyAttributes([spec], (s, reason) => { throw new Error(`${s}: ${reason}`); }).map((a) => [a.type, a.value.toString('hex')]);

describe('reply_attribute specs', () => {
  it('takes standard, vendor and RFC 2868 tagged attributes, tags in values included', () => {
    for (const spec of ['Class=vpn-admins', 'Filter-Id={group}', 'Session-Timeout=3600', 'Cisco-AVPair=shell:priv-lvl=15', 'Fortinet-Group-Name={user}', 'Tunnel-Type:1=VLAN', 'Tunnel-Medium-Type:1=IEEE-802', 'Tunnel-Private-Group-Id:1=20']) {
      expect(() => checkReplyAttribute(spec), spec).not.toThrow();
    }
  });

  it('refuses, saying what is wrong', () => {
    expect(() => checkReplyAttribute('Nope=1')).toThrow(/unknown attribute 'Nope'/);
    expect(() => checkReplyAttribute('Class:1=x')).toThrow(/Class takes no tag/);
    expect(() => checkReplyAttribute('Filter-Id:1=x')).toThrow(/Filter-Id takes no tag/);
    expect(() => checkReplyAttribute('Tunnel-Type:40=VLAN')).toThrow(/a tag is 0 to 31/);
    expect(() => checkReplyAttribute('Tunnel-Type:1=Bogus')).toThrow(/Tunnel-Type cannot take 'Bogus'/);
    expect(() => checkReplyAttribute('Session-Timeout=abc')).toThrow(/Session-Timeout cannot take 'abc'/);
    expect(() => checkReplyAttribute('Cisco-AVPair:1=x')).toThrow(/a vendor attribute takes no tag/);
    expect(() => checkReplyAttribute('Class')).toThrow(/Name\[:tag\]=value/);
  });

  it('encodes the tag as RFC 2868 says: before a string, in the high octet of an integer', () => {
    expect(encoded('Tunnel-Private-Group-Id:1=20')).toEqual([[81, '013230']]);
    expect(encoded('Tunnel-Type:1=VLAN')).toEqual([[64, '0100000d']]);
    expect(encoded('Class=vpn-admins')).toEqual([[25, Buffer.from('vpn-admins').toString('hex')]]);
    // Vendor-Specific: vendor 9 (Cisco), its attribute 1, length 2 + 17.
    expect(encoded('Cisco-AVPair=shell:priv-lvl=15')).toEqual([[26, `00000009${'01'}${'13'}${Buffer.from('shell:priv-lvl=15').toString('hex')}`]]);
  });

  it('leaves out a spec that no longer encodes, and says so', () => {
    const bad: string[] = [];
    expect(encodeReplyAttributes(['Nope=1', 'Filter-Id=x'], (s) => bad.push(s)).map((a) => a.type)).toEqual([11]);
    expect(bad).toEqual(['Nope=1']);
  });
});
