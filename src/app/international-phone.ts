// A number given to the HTTP API must say its country: privacyIDEA's clients send whatever a
// web form held, and a '+' sent unencoded in a form body or a URL arrives as a space, so
// `phone=+4917012345` would be stored as '4917012345', which no gateway can send to. The CLI's
// numbers are typed by an operator and kept as typed; the API's are held to this rule.
import { normalisePhoneNumber } from '../core/phone-number.js';

/**
 * The number to store, or what is wrong with it, in words starting with the parameter's
 * name: international (+ or 00) as given; national (0170...) made international with
 * `defaultCountryCode` (setting sms.default_country_code) when there is one.
 * The number itself is never repeated: messages are logged.
 */
export function internationalPhone(raw: string, defaultCountryCode: string): { value: string } | { problem: string } {
  if (/^ +[0-9]/.test(raw)) {
    return {
      problem:
        "--phone starts with a space where its + should be: a + sent unencoded in a form body or URL arrives as a space; " +
        'URL-encode it as %2B (phone=%2B49170...)',
    };
  }
  const trimmed = raw.trim();
  if (trimmed.startsWith('+') || trimmed.startsWith('00')) return { value: trimmed };
  const normalised = normalisePhoneNumber(trimmed, defaultCountryCode);
  if ('e164' in normalised && /^0[1-9]/.test(trimmed)) return { value: normalised.e164 };
  if (/^0[1-9]/.test(trimmed.replace(/[^0-9]/g, '')) && defaultCountryCode === '') {
    return {
      problem:
        '--phone is a national number (leading 0) and setting sms.default_country_code is empty: ' +
        "give it with its country code (+49 170 ...), or set one with 'setting set sms.default_country_code 49'",
    };
  }
  return { problem: '--phone must start with + and the country code (e.g. +49 170 1234567), or be a national number starting with 0 when setting sms.default_country_code is set' };
}
