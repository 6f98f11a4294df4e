// The one error catalogue (after fastify's lib/errors.js and undici's lib/core/errors.js).
// Every failure an operator or a client may see has a stable code, named by its condition, and
// that code has one row here: its HTTP status, privacyIDEA's error number, the CLI's exit status
// and whether it is expected. The fronts look the row up; no front decides by class. docs/errors.md
// documents the same rows (test/unit/errors.test.ts keeps the two together).

/** privacyIDEA's error numbers (privacyidea/lib/error.py) that the HTTP front answers with. */
const PI_ERROR = {
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

export interface ErrorSpec {
  /**
   * The HTTP status; `internal`: the client gets `ERR_INTERNAL` (500, "internal error") and
   * only the log has the error, as for a failure nobody foresaw.
   */
  readonly http: number | 'internal';
  /** privacyIDEA's error number in the answer (with `internal`: ERR_INTERNAL's). */
  readonly pi: number;
  /** The CLI's exit status: 1 for a failure, 2 for a mistake in the command line or a value. */
  readonly exit: 1 | 2;
  /** An operator-fixable condition (bad input, config, unreachable peer): logged and printed as one line, no stack. */
  readonly expected: boolean;
  /** Over HTTP the client gets RADIUS failmode's words instead of the message (the reason is the operator's). */
  readonly unavailable?: true;
  /** Over HTTP, logged per request with its reason (a shed request is counted instead). */
  readonly logged?: true;
}

const INVALID = { http: 400, pi: PI_ERROR.parameter, exit: 2, expected: true } as const;
const INTERNAL = { http: 'internal', pi: PI_ERROR.server, exit: 1, expected: true } as const;
const UNAVAILABLE = { http: 503, pi: PI_ERROR.server, exit: 1, expected: true, unavailable: true } as const;

export const ERRORS = {
  // The installation: config, key file, store version. Over HTTP nobody but the operator can fix them.
  ERR_CONFIG_INVALID: INTERNAL,
  ERR_KEY_FILE_UNUSABLE: INTERNAL,
  ERR_KEY_MISMATCH: INTERNAL,
  ERR_DECRYPTION_FAILED: INTERNAL,
  ERR_STORE_TOO_NEW: INTERNAL,
  ERR_CHECK_FAILED: INTERNAL,
  // What the operator or a client typed.
  ERR_USAGE: INVALID,
  ERR_INVALID_VALUE: INVALID,
  ERR_INVALID_FILTER: INVALID,
  ERR_VALUE_TOO_LONG: INVALID,
  ERR_INVALID_CSV: INVALID,
  ERR_NOT_FOUND: { http: 404, pi: PI_ERROR.resourceNotFound, exit: 1, expected: true },
  ERR_CONFLICT: { http: 400, pi: PI_ERROR.parameter, exit: 1, expected: true },
  // Peers: SMS gateways, the store, the user directory.
  ERR_GATEWAY_FAILED: { http: 400, pi: PI_ERROR.parameter, exit: 1, expected: true },
  ERR_SMS_NOT_SENT: { http: 500, pi: PI_ERROR.internal, exit: 1, expected: true },
  ERR_STORE_UNAVAILABLE: { ...UNAVAILABLE, logged: true },
  ERR_DIRECTORY_UNAVAILABLE: { ...UNAVAILABLE, logged: true },
  ERR_UPSTREAM_UNAVAILABLE: { ...UNAVAILABLE, logged: true },
  ERR_REQUEST_SHED: UNAVAILABLE,
  // The HTTP front's own refusals.
  ERR_BAD_REQUEST: { http: 400, pi: PI_ERROR.parameter, exit: 1, expected: true },
  ERR_BODY_TOO_LARGE: { http: 413, pi: PI_ERROR.parameter, exit: 1, expected: true },
  ERR_UNKNOWN_USER: { http: 400, pi: PI_ERROR.user, exit: 1, expected: true },
  ERR_UNAUTHENTICATED: { http: 401, pi: PI_ERROR.authentication, exit: 1, expected: true },
  ERR_FORBIDDEN: { http: 403, pi: PI_ERROR.policy, exit: 1, expected: true },
  // The web UI's helpdesk and self-service (src/app): a realm the operator may not see, a phone
  // verification code that does not verify, a code asked for again too soon.
  ERR_FORBIDDEN_REALM: { http: 403, pi: PI_ERROR.policy, exit: 1, expected: true },
  ERR_VERIFICATION_FAILED: { http: 400, pi: PI_ERROR.parameter, exit: 1, expected: true },
  ERR_TOO_SOON: { http: 429, pi: PI_ERROR.parameter, exit: 1, expected: true },
  // Everything nobody foresaw.
  ERR_INTERNAL: { http: 500, pi: PI_ERROR.server, exit: 1, expected: false },
} as const satisfies Record<`ERR_${string}`, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

/** The one error base. A subclass names its code and carries its data; what the code means comes from ERRORS. */
export abstract class SmsOtpError extends Error {
  abstract readonly code: ErrorCode;

  get spec(): ErrorSpec {
    return ERRORS[this.code];
  }

  get expected(): boolean {
    return this.spec.expected;
  }

  get exitStatus(): 1 | 2 {
    return this.spec.exit;
  }
}

export function isExpectedError(err: unknown): err is SmsOtpError {
  return err instanceof SmsOtpError && err.expected;
}

/**
 * A change refused because of what the store holds (a gateway still in use, a setting naming
 * something that does not exist): the message says why and how to proceed.
 */
export class RefusedError extends SmsOtpError {
  override name = 'RefusedError';
  readonly code = 'ERR_CONFLICT';
}

/** What a command names (a token serial, a gateway id) does not exist. */
export class NotFoundError extends SmsOtpError {
  override name = 'NotFoundError';
  readonly code = 'ERR_NOT_FOUND';
}

/**
 * The request was dropped unanswered: its NAS has surely given up (past its deadline), the
 * daemon is overloaded, or it is shutting down. A front sends nothing and forgets it, so a
 * retransmission is treated as new.
 */
export class RequestShed extends SmsOtpError {
  override name = 'RequestShed';
  readonly code = 'ERR_REQUEST_SHED';
  constructor(readonly why: 'deadline' | 'overload' | 'shutdown') {
    super(`request shed (${why})`);
  }
}

/** The store did not answer in time (unreachable, locked past the request's deadline). */
export class StoreUnavailable extends SmsOtpError {
  override name = 'StoreUnavailable';
  readonly code = 'ERR_STORE_UNAVAILABLE';
}

/** The user directory (LDAP, Active Directory) did not answer: no server reachable, or it refused the service account. */
export class DirectoryUnavailable extends SmsOtpError {
  override name = 'DirectoryUnavailable';
  readonly code = 'ERR_DIRECTORY_UNAVAILABLE';
}

/**
 * The RADIUS server a login is forwarded to (passthru=radius:NAME) did not answer within the
 * NAS's time, answered with a bad signature, or is not defined: the login fails closed, as
 * for a store that is down (the RADIUS front answers as the client's failmode says).
 */
export class UpstreamUnavailable extends SmsOtpError {
  override name = 'UpstreamUnavailable';
  readonly code = 'ERR_UPSTREAM_UNAVAILABLE';
}
