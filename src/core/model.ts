// The domain's own vocabulary: what a token and a challenge are, independent of how
// they are stored or how a request arrived.

export const HASHLIBS = ['sha1', 'sha256', 'sha512'] as const;
export type HashLib = (typeof HASHLIBS)[number];
export const OTP_LENGTHS = [6, 8] as const;
export type OtpLength = (typeof OTP_LENGTHS)[number];

export interface Token {
  readonly serial: string;
  readonly tokentype: 'sms';
  readonly username: string;
  readonly realm: string;
  /** The number the OTP goes to ('' for a token with a dynamic phone). */
  readonly phone: string;
  /**
   * The number is the user's, read from the user store at every send (privacyIDEA's
   * dynamic_phone): a changed mobile in the directory needs no step here.
   */
  readonly dynamicPhone: boolean;
  /** Gateway identifier of this token, or null for the site default (sms.identifier). */
  readonly gateway: string | null;
  readonly otpKey: Buffer;
  readonly hashlib: HashLib;
  readonly otplen: OtpLength;
  /** The HOTP counter of the next OTP that would be accepted at the earliest. */
  readonly counter: number;
  readonly countWindow: number;
  readonly pinHash: string;
  readonly active: boolean;
  /**
   * False while an administrator's enrollment waits for its owner to answer one OTP sent to
   * it (verify_enrollment): until then the token logs in only through that answer.
   */
  readonly verified: boolean;
  readonly failcount: number;
  readonly maxfail: number;
  readonly lastFailAt: number | null;
  /** When an OTP of this token was last accepted (counter - 1 is that OTP's counter). */
  readonly lastAuthAt: number | null;
  readonly createdAt: number;
  readonly updatedAt: number;
  /**
   * The operator's free text about the token. Absent where the login read the token: its
   * reads do not select the column (src/store/auth/statements.ts), the admin's do.
   */
  readonly description?: string;
}

export interface Challenge {
  readonly transactionId: string;
  readonly serial: string;
  /** The HOTP counter whose OTP was sent for this challenge. */
  readonly counter: number;
  readonly username: string;
  readonly realm: string;
  /** Name of the RADIUS client the challenge was issued to. */
  readonly client: string;
  readonly receivedCount: number;
  readonly createdAt: number;
  readonly expiresAt: number;
}

/**
 * An enrollment by challenge under way (enroll_via_multichallenge): a user without a token
 * passed the first factor and is proving a phone. No token exists until the OTP sent to that
 * phone comes back; the record lives as long as its transaction and is purged with it.
 */
export interface PendingEnrollment {
  readonly transactionId: string;
  readonly username: string;
  readonly realm: string;
  /** Name of the RADIUS client the challenge was issued to. */
  readonly client: string;
  /** The number the OTP went to; '' while the user is still to type it. */
  readonly phone: string;
  /** Where the number came from: the user's directory entry, or typed by the user. */
  readonly phoneSource: 'directory' | 'typed';
  /** The key of the token to be; its OTPs are HOTP(otpKey, counter), sha1, 6 digits. */
  readonly otpKey: Buffer;
  /** The HOTP counter of the OTP sent (0 while none was). */
  readonly counter: number;
  /** Wrong answers so far (a number that is none, a wrong OTP). */
  readonly receivedCount: number;
  readonly createdAt: number;
  readonly expiresAt: number;
}

/**
 * A login's decision, the next OTP sent after it (smsautosend), an operator's test send, or an
 * operator's change to a user's token from the CLI (`admin`: reset, enable, disable, delete,
 * set, resend; the operator is named in the reason).
 */
export const AUDIT_ACTIONS = ['accept', 'challenge', 'reject', 'autosend', 'gateway-test', 'sms-late', 'admin'] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** What the NAS said about the session, as far as it said it (empty when it did not). */
export interface NasContext {
  /** The caller: a VPN client's public address, a Wi-Fi station's MAC, a phone number. */
  readonly callingStationId: string;
  /** NAS-IP-Address (or NAS-IPv6-Address): the NAS itself, which may sit behind a proxy. */
  readonly ipAddress: string;
  readonly identifier: string;
}

export interface AuditEntry {
  readonly at: number;
  readonly action: AuditAction;
  readonly username: string;
  readonly realm: string;
  readonly client: string;
  readonly clientAddress: string;
  readonly serials: readonly string[];
  readonly reason: string;
  /** The gateway(s) an SMS went or was tried through ('' when none was: an accept, a wrong PIN). */
  readonly gateway: string;
  /** The destination number(s), redacted (src/core/redact.ts). */
  readonly phone: string;
  readonly nas: NasContext;
}
