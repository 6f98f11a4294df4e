// Failures only the HTTP front raises. Their status and privacyIDEA number come from the one
// catalogue (core/errors.ts ERRORS), as every other code's do.
import { SmsOtpError } from '../core/errors.js';

/** A request the front cannot take: a missing or repeated parameter, a body too large or not parseable. */
export class HttpRequestError extends SmsOtpError {
  override name = 'HttpRequestError';
  readonly code = 'ERR_BAD_REQUEST';
}

/**
 * The login name means nobody (no token, not in the realm's user store, or no such realm):
 * privacyIDEA's UserError, HTTP 400 with code 904 and its message, `ERR904: User <name@realm>
 * does not exist.`. Only the HTTP front says so; RADIUS answers as for any user without a token.
 */
export class HttpUnknownUserError extends SmsOtpError {
  override name = 'HttpUnknownUserError';
  readonly code = 'ERR_UNKNOWN_USER';
  constructor(username: string, realm: string) {
    super(`ERR904: User <${username}@${realm}> does not exist.`);
  }
}

/** No API key, or one that is not (any more) stored. */
export class HttpAuthError extends SmsOtpError {
  override name = 'HttpAuthError';
  readonly code = 'ERR_UNAUTHENTICATED';
}

/** An API key whose role does not allow the endpoint (a validate key on triggerchallenge). */
export class HttpForbiddenError extends SmsOtpError {
  override name = 'HttpForbiddenError';
  readonly code = 'ERR_FORBIDDEN';
}
