// Failures of the login core that a front must tell apart from an answer.
import { SmsOtpError } from '../errors.js';

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
