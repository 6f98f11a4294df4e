// Failures the HTTP front answers with privacyIDEA's error shape. Each carries our stable code
// (README "Error codes"), privacyIDEA's numeric code (what its clients know) and the HTTP status.
import { SmsOtpError } from '../errors.js';

/** privacyIDEA's error numbers (privacyidea/lib/error.py) that this front answers with. */
export const PI_ERROR = {
  policy: 303,
  authentication: 4033,
  resourceNotFound: 601,
  server: 903,
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
