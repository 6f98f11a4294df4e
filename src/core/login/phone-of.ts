// Where a token's OTP goes: its own number, or (dynamic phone) the mobile number the user store
// has for its owner now, read through the user directory (and its short cache) at every send
// and normalised to E.164 (src/core/phone-number.ts). Whatever keeps a directory's number
// from being used is a reason for the audit trail, and nothing is sent.
import { normalisePhoneNumber } from '../phone-number.js';
import type { Token } from '../model.js';
import type { UserDirectory } from '../ports.js';
import { redactPhone } from '../redact.js';

export type Destination = { readonly phone: string } | { readonly phone: string; readonly problem: string };

/** `defaultCountryCode`: the setting sms.default_country_code, for a directory's national numbers. */
export async function destinationOf(directory: UserDirectory, defaultCountryCode: string, token: Token): Promise<Destination> {
  if (!token.dynamicPhone) return { phone: token.phone };
  const owner = token.realm === '' ? token.username : `${token.username}@${token.realm}`;
  let mobile: string | undefined;
  try {
    const user = await directory.lookup(token.username, token.realm);
    if (!user) return { phone: '', problem: `dynamic phone: the user store knows no user ${owner}` };
    mobile = user.mobile;
  } catch (err) {
    return { phone: '', problem: `dynamic phone: the user store cannot be asked for the mobile number of ${owner}: ${(err as Error).message}` };
  }
  if (mobile === undefined || mobile.trim() === '') return { phone: '', problem: `dynamic phone: the user store has no mobile number for ${owner}` };
  const normalised = normalisePhoneNumber(mobile, defaultCountryCode);
  if ('problem' in normalised) {
    return { phone: mobile, problem: `dynamic phone: the user store's mobile number of ${owner} (${redactPhone(mobile)}) ${normalised.problem}; not sent` };
  }
  return { phone: normalised.e164 };
}
