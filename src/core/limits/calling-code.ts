// The country calling code of an international number (ITU-T E.164): 1 to 3 digits, and
// no code is the prefix of another, so the first digits decide. The one- and two-digit
// codes are listed; every other code has three digits.

const ONE_DIGIT = new Set(['1', '7']);
const TWO_DIGITS = new Set([
  '20', '27', '30', '31', '32', '33', '34', '36', '39', '40', '41', '43', '44', '45', '46', '47', '48', '49',
  '51', '52', '53', '54', '55', '56', '57', '58', '60', '61', '62', '63', '64', '65', '66',
  '81', '82', '84', '86', '90', '91', '92', '93', '94', '95', '98',
]);

/**
 * A number as a gateway gets it, in one international form: '+' and its digits
 * ('+49 170/123' and '0049170123' both give '+49170123'); undefined for a national number,
 * which names no country.
 */
export function internationalDigits(phone: string): string | undefined {
  const compact = phone.replace(/[^0-9+]/g, '');
  if (/^\+[0-9]+$/.test(compact)) return compact;
  if (/^00[1-9][0-9]*$/.test(compact)) return `+${compact.slice(2)}`;
  return undefined;
}

/** '+49' for '+49170…', '+1' for '+1202…', '+353' for '+35387…'; undefined for a national number. */
export function callingCodeOf(phone: string): string | undefined {
  const international = internationalDigits(phone);
  if (!international || international.length < 2) return undefined;
  const digits = international.slice(1);
  if (ONE_DIGIT.has(digits.slice(0, 1))) return `+${digits.slice(0, 1)}`;
  if (TWO_DIGITS.has(digits.slice(0, 2))) return `+${digits.slice(0, 2)}`;
  return digits.length >= 3 ? `+${digits.slice(0, 3)}` : undefined;
}

/**
 * Whether `phone` may get an SMS under sms.allowed_prefixes ('+49,+43'; empty: every number).
 * A national number matches no prefix: with prefixes set, only international numbers pass.
 */
export function isAllowedNumber(phone: string, allowedPrefixes: string): boolean {
  const prefixes = allowedPrefixes.split(',').map((p) => p.trim()).filter((p) => p !== '');
  if (prefixes.length === 0) return true;
  const international = internationalDigits(phone);
  return international !== undefined && prefixes.some((p) => international.startsWith(p));
}
