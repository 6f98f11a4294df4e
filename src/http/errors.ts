// Failures the HTTP front answers with privacyIDEA's error shape. Each carries our stable code
// (README "Error codes"), privacyIDEA's numeric code (what its clients know) and the HTTP status.
import { SmsOtpError } from '../errors.js';

/** privacyIDEA's error numbers (privacyidea/lib/error.py) that this front answers with. */
export const PI_ERROR = {
  policy: 303,
  authentication: 4033,
  resourceNotFound: 601,
  server: 903,
  /** UserError: the user does not exist (privacyIDEA's FreeRADIUS plugin maps it to `notfound`). */
  user: 904,
  parameter: 905,
  /** What privacyIDEA answers for an exception it did not expect (the failed SMS under exception=1). */
  internal: -500,
} as const;

export abstract class HttpFrontError extends SmsOtpError {
  abstract readonly status: number;
  abstract readonly piCode: number;
}

/** A request the front cannot take: a missing or repeated parameter, a body too large or not parseable. */
export class HttpRequestError extends HttpFrontError {
  override name = 'HttpRequestError';
  readonly code = 'ERR_HTTP_REQUEST';
  readonly status = 400;
  readonly piCode = PI_ERROR.parameter;
}

/** A body over the listener's limit: 413, so that a client can tell it from a malformed one. */
export class HttpBodyTooLargeError extends HttpFrontError {
  override name = 'HttpBodyTooLargeError';
  readonly code = 'ERR_HTTP_TOO_LARGE';
  readonly status = 413;
  readonly piCode = PI_ERROR.parameter;
}

/**
 * The login name means nobody (no token, not in the realm's user store, or no such realm):
 * privacyIDEA's UserError, HTTP 400 with code 904 and its message, `ERR904: User <name@realm>
 * does not exist.`. Only the HTTP front says so; RADIUS answers as for any user without a token.
 */
export class HttpUnknownUserError extends HttpFrontError {
  override name = 'HttpUnknownUserError';
  readonly code = 'ERR_HTTP_UNKNOWN_USER';
  readonly status = 400;
  readonly piCode = PI_ERROR.user;
  constructor(username: string, realm: string) {
    super(`ERR904: User <${username}@${realm}> does not exist.`);
  }
}

/** No API key, or one that is not (any more) stored. */
export class HttpAuthError extends HttpFrontError {
  override name = 'HttpAuthError';
  readonly code = 'ERR_HTTP_AUTH';
  readonly status = 401;
  readonly piCode = PI_ERROR.authentication;
}

/** An API key whose role does not allow the endpoint (a validate key on triggerchallenge). */
export class HttpForbiddenError extends HttpFrontError {
  override name = 'HttpForbiddenError';
  readonly code = 'ERR_HTTP_FORBIDDEN';
  readonly status = 403;
  readonly piCode = PI_ERROR.policy;
}
