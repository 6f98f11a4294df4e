// Access-Requests answered with Access-Reject before any credential is checked: a protocol
// that cannot carry a PIN and an OTP (CHAP, MS-CHAP, EAP), no password at all, or no usable
// User-Name. RFC 2865 §4.1 wants an answer for every request of a valid client; silence would
// make a proxy in front (FreeRADIUS) mark this daemon dead.
import type { AuthMethod } from './auth-method.js';

export type Refusal = Exclude<AuthMethod, 'pap' | 'none'> | 'no_password' | 'empty_password' | 'bad_user_name' | 'bad_static_challenge';

const PROTOCOL: Readonly<Record<Exclude<AuthMethod, 'pap' | 'none'>, string>> = {
  chap: 'CHAP',
  mschap: 'MS-CHAP',
  mschapv2: 'MS-CHAPv2',
  eap: 'EAP',
};

/** What the user (or the NAS's log) sees as Reply-Message. */
export function refusalReply(refusal: Refusal): string {
  switch (refusal) {
    case 'no_password':
      return 'Only PAP (User-Password) is supported: the request carries no password';
    case 'empty_password':
      return 'The password is empty';
    case 'bad_user_name':
      return 'The User-Name is missing or not valid UTF-8';
    case 'bad_static_challenge':
      return 'The static-challenge password (SCRV1) is malformed';
    default:
      return `Only PAP (User-Password) is supported, not ${PROTOCOL[refusal]}`;
  }
}

/** The operator's hint in the daemon's log (one per client and kind every 10 s). */
export function refusalHint(refusal: Refusal): string {
  switch (refusal) {
    case 'no_password':
      return 'Access-Request without User-Password (nor CHAP, MS-CHAP, EAP or State) rejected: set the NAS to PAP';
    case 'empty_password':
      return 'Access-Request with an empty User-Password and no State rejected (the user sent an empty password)';
    case 'bad_user_name':
      return 'Access-Request without a User-Name in UTF-8 rejected';
    case 'bad_static_challenge':
      return 'Access-Request with a malformed OpenVPN static-challenge password (SCRV1:<base64>:<base64>) rejected; nothing was checked';
    case 'eap':
      return 'EAP Access-Request rejected with EAP-Failure: only PAP (User-Password) is supported; ' +
        '802.1X (WPA-Enterprise) cannot carry an SMS OTP, point it at another RADIUS server';
    default:
      return `${PROTOCOL[refusal]} Access-Request rejected: only PAP (User-Password) is supported; set the NAS to PAP`;
  }
}
