// A count with its noun, as messages, audit rows and CLI output say it.
import { describe, expect, it } from 'vitest';
import { counted } from '../../src/core/counted.js';

describe('counted', () => {
  it('puts the noun in the plural for every count but 1, with an irregular plural where given', () => {
    expect([0, 1, 2, 100_000].map((n) => counted(n, 'SMS token'))).toEqual(['0 SMS tokens', '1 SMS token', '2 SMS tokens', '100000 SMS tokens']);
    expect(counted(1, 'entry', 'entries')).toBe('1 entry');
    expect(counted(3, 'entry', 'entries')).toBe('3 entries');
  });
});
