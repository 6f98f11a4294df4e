// The texts a user sees as Reply-Message. They follow privacyIDEA's wording so that
// help-desk scripts and NAS-side matching keep working.
export const Messages = {
  accepted: 'Access granted',
  noToken: 'The user has no tokens assigned',
  wrongPin: 'wrong otp pin',
  wrongOtp: 'wrong otp value',
  /** passthru: the directory password of a user without a token was wrong. */
  wrongPassword: 'wrong user password',
  disabled: 'Token is disabled',
  locked: 'Failcounter exceeded',
  smsFailed: 'The PIN was correct, but the SMS could not be sent!',
  invalidTransaction: 'The challenge is unknown or has expired',
  // Ours (privacyIDEA verifies at enrollment, not at login): PIN+OTP cannot verify a token.
  notVerified: 'The token is not verified yet: enter the PIN alone, then the OTP from the SMS',
  // Ours (enrollment by challenge): a typed answer that cannot be a phone number, re-prompted.
  notAPhoneNumber: 'That is not a phone number.',
  enrollmentEnded: 'Too many wrong answers: the enrollment has ended',
  invalidUserName: 'The user name contains characters that are not allowed',
  // Ours: an SMS limit (sms.limit.*) holds the SMS back.
  tooManyCodes: (minutes: number) => `Too many codes requested; try again in ${minutes} minute${minutes === 1 ? '' : 's'}`,
  // Ours (enrollment by challenge): a typed number outside sms.allowed_prefixes, re-prompted.
  numberNotAllowed: 'No SMS can be sent to that number.',
  resendTooSoon: (seconds: number) => `A new code can be requested in ${seconds} s.`,
  responseMismatch: (tokens: number) =>
    tokens === 1 ? 'Response did not match the challenge.' : `Response did not match for ${tokens} tokens.`,
} as const;
