// A mobile number as a directory holds it, made into the one form every gateway can send to
// (E.164: + and 7 to 15 digits). Directories are typed in by people: '+49 (0)170 123-4567',
// '0049 170/1234567', '0170 1234567' all mean +491701234567. A number that cannot be made
// into that form is refused, never sent: an SMS to a wrong number gives someone else the OTP.

export type PhoneNormalisation = { readonly e164: string } | { readonly problem: string };

/** What people put between digits: spaces (also non-breaking), dashes, slashes, dots, parentheses. */
const SEPARATORS = /[\s\u00a0\u2010-\u2015./()-]/g;
/** The trunk prefix written after a country code, '+49 (0)170', which an international call leaves out. */
const TRUNK_ZERO = /^(\+|00)([^(]*)\(\s*0\s*\)/;
export const E164 = /^\+[1-9][0-9]{6,14}$/;

/**
 * `raw` in E.164 form, or why it cannot be (the problem never repeats the number: callers log
 * it redacted). `defaultCountryCode` (digits, e.g. '49') makes a national number ('0170…')
 * international; when it is empty, a national number is refused.
 */
export function normalisePhoneNumber(raw: string, defaultCountryCode: string): PhoneNormalisation {
  const trimmed = raw.trim();
  if (trimmed === '') return { problem: 'is empty' };
  const compact = trimmed.replace(TRUNK_ZERO, '$1$2').replace(SEPARATORS, '');
  let international: string;
  if (/^\+[0-9]+$/.test(compact)) international = compact;
  else if (/^00[0-9]+$/.test(compact)) international = `+${compact.slice(2)}`;
  else if (/^0[1-9][0-9]*$/.test(compact)) {
    if (defaultCountryCode === '') {
      return { problem: 'is a national number (leading 0) and setting sms.default_country_code is empty' };
    }
    international = `+${defaultCountryCode}${compact.slice(1)}`;
  } else if (/^[0-9]+$/.test(compact)) {
    return { problem: 'has neither a country code (+ or 00) nor a trunk prefix (0)' };
  } else {
    return { problem: 'holds characters that are not digits or separators' };
  }
  if (!E164.test(international)) return { problem: 'is not a phone number in E.164 form (+, then 7 to 15 digits)' };
  return { e164: international };
}
