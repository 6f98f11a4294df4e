import { describe, expect, it } from 'vitest';
import { normalisePhoneNumber } from '../../src/core/phone-number.js';
import { normaliseSetting } from '../../src/core/settings.js';

describe('normalisePhoneNumber: numbers as directories hold them, made E.164', () => {
  it.each([
    ['+491701234567', '49', '+491701234567'],
    ['+49 170 1234567', '', '+491701234567'],
    ['+49-170-123-4567', '', '+491701234567'],
    ['+49/170/1234567', '', '+491701234567'],
    ['+49.170.123.45.67', '', '+491701234567'],
    ['+49 (170) 1234567', '', '+491701234567'],
    ['+49 (0)170 1234567', '', '+491701234567'],
    ['+49(0)1701234567', '', '+491701234567'],
    ['+49 ( 0 ) 170 1234567', '', '+491701234567'],
    ['0049 170 1234567', '', '+491701234567'],
    ['0049 (0)170 1234567', '', '+491701234567'],
    ['0170 1234567', '49', '+491701234567'],
    ['(0170) 123 45 67', '49', '+491701234567'],
    ['0170/1234567', '41', '+411701234567'],
    ['  +44 7700 900123 ', '', '+447700900123'],
    ['+1 (415) 555-0100', '', '+14155550100'],
    ['+49\u00a0170\u00a01234567', '', '+491701234567'],
    ['+49 170 – 1234567', '', '+491701234567'],
    ['+1234567', '', '+1234567'],
    ['+123456789012345', '', '+123456789012345'],
  ])('%j (country code %j) → %s', (raw, cc, expected) => {
    expect(normalisePhoneNumber(raw, cc)).toEqual({ e164: expected });
  });

  it.each([
    ['', '49', /empty/],
    ['   ', '49', /empty/],
    ['0170 1234567', '', /national number.*sms\.default_country_code/],
    ['1701234567', '49', /neither a country code/],
    ['+49 170 CALL-ME', '49', /not digits/],
    ['+49 170 1234567 ext. 12', '49', /not digits/],
    ['+49 170 1234567;12', '49', /not digits/],
    ['++491701234567', '', /not digits/],
    ['+49 170 +1234567', '', /not digits/],
    ['+123456', '', /E\.164/],
    ['+1234567890123456', '', /E\.164/],
    ['+0491701234567', '', /E\.164/],
    ['000491701234567', '', /E\.164/],
    ['00', '', /neither/],
    ['+', '', /not digits/],
    ['0', '49', /neither|E\.164/],
  ])('refuses %j (country code %j)', (raw, cc, problem) => {
    const result = normalisePhoneNumber(raw, cc);
    expect(result).toEqual({ problem: expect.stringMatching(problem) });
    // The problem never repeats the number: callers log it redacted.
    if (raw.trim().length > 3) expect((result as { problem: string }).problem).not.toContain(raw.trim());
  });
});

describe('setting sms.default_country_code', () => {
  it('takes 1 to 3 digits or nothing', () => {
    expect(normaliseSetting('sms.default_country_code', '49')).toBe('49');
    expect(normaliseSetting('sms.default_country_code', '1')).toBe('1');
    expect(normaliseSetting('sms.default_country_code', '')).toBe('');
    for (const bad of ['+49', '0049', '4912', 'de', '0']) {
      expect(() => normaliseSetting('sms.default_country_code', bad), bad).toThrow(/1 to 3 digits without \+ or 00/);
    }
  });
});
