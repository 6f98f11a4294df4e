// objectGUID octets from the UUID text privacyIDEA keeps: Microsoft's byte order, the vector
// of Python's uuid documentation (bytes_le of 12345678-1234-5678-1234-567812345678).
import { describe, expect, it } from 'vitest';
import { objectGuidOctets } from '../../src/directory/object-guid.js';

describe('objectGuidOctets', () => {
  it('puts the first three groups little-endian and the rest as written, braces or not', () => {
    const expected = '78563412341278561234567812345678';
    expect(objectGuidOctets('12345678-1234-5678-1234-567812345678')?.toString('hex')).toBe(expected);
    expect(objectGuidOctets('{12345678-1234-5678-1234-567812345678}')?.toString('hex')).toBe(expected);
    expect(objectGuidOctets('0A0B0C0D-0E0F-1011-1213-141516171819')?.toString('hex')).toBe('0d0c0b0a0f0e11101213141516171819');
  });

  it('is nothing for text that is no GUID (never a search for something else)', () => {
    for (const text of ['', 'tom', '12345678123456781234567812345678', '12345678-1234-5678-1234-56781234567', '*)(uid=*']) {
      expect(objectGuidOctets(text)).toBeUndefined();
    }
  });
});
