// Whether a token needs a PIN of its own. With privacyIDEA's `otppin` = `tokenpin` (the
// default, and today the only behaviour) the token's PIN is the first factor of the login;
// with `userstore` or `none` it is not used, and a token may be enrolled or imported without.
import type { SettingValues } from './settings.js';

/** True unless the setting `otppin` exists and says the first factor is not the token PIN. */
export function pinRequired(settings: SettingValues): boolean {
  const otppin = (settings as Partial<Record<'otppin', unknown>>).otppin;
  return otppin === undefined || otppin === 'tokenpin';
}

/**
 * The stored PIN hash of a token without a PIN: no PIN matches it (PinHasher.verify accepts
 * only `scrypt$…`), so should `otppin` return to `tokenpin`, such a token cannot log in until
 * `token set --pin` gives it one.
 */
export const NO_PIN_HASH = '';

/**
 * Whether a stored PIN hash is in this product's scheme (`scrypt$…`). Any other non-empty hash
 * was carried over (privacyIDEA's argon2, `migrate privacyidea`): the PIN checker verifies
 * it as it is, and the first correct PIN re-hashes it into ours.
 */
export function isCarriedOverPinHash(pinHash: string): boolean {
  return pinHash !== NO_PIN_HASH && !pinHash.startsWith('scrypt$');
}
