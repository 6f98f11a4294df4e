// What a token's "phone" may hold, decided once for enrollment and `token set --phone`.
// Most gateways send to a phone number; a push gateway (firebase) sends to an app's device
// registration token, which the same field holds. Gateways declare which they need
// (src/gateways/parameters.ts).

export type RecipientKind = 'phone' | 'device-token';

/** The digits a phone number must have: 3 (an internal short number) to 20 (E.164's 15 plus a 00 prefix and an extension). */
export const PHONE_DIGITS = { min: 3, max: 20 } as const;
/** With its separators; well inside the store's column. */
export const PHONE_MAX_LENGTH = 40;
export const DEVICE_TOKEN_LENGTH = { min: 8, max: 255 } as const;

export const PHONE_RULE =
  `an optional leading +, then ${PHONE_DIGITS.min} to ${PHONE_DIGITS.max} digits; spaces, dots, dashes, slashes and ` +
  `parentheses may separate them (kept as typed: a gateway's REGEXP rewrites them); at most ${PHONE_MAX_LENGTH} characters`;
export const DEVICE_TOKEN_RULE =
  `an app's registration token: ${DEVICE_TOKEN_LENGTH.min} to ${DEVICE_TOKEN_LENGTH.max} letters, digits and _ - : .`;

/**
 * The recipient as it is stored (outer whitespace removed, separators kept), or the rule it
 * breaks. Letters in a phone number are refused: no gateway can dial them.
 */
export function checkRecipient(raw: string, kind: RecipientKind): { value: string } | { problem: string } {
  const value = raw.trim();
  if (kind === 'device-token') {
    const ok = /^[A-Za-z0-9_:.-]+$/.test(value) && value.length >= DEVICE_TOKEN_LENGTH.min && value.length <= DEVICE_TOKEN_LENGTH.max;
    return ok ? { value } : { problem: `must be ${DEVICE_TOKEN_RULE}` };
  }
  const digits = value.replace(/\D/g, '').length;
  const ok =
    /^\+?[0-9 ().\/-]+$/.test(value) &&
    value.length <= PHONE_MAX_LENGTH &&
    digits >= PHONE_DIGITS.min &&
    digits <= PHONE_DIGITS.max;
  return ok ? { value } : { problem: `must be a phone number: ${PHONE_RULE}` };
}
