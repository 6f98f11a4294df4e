// The one error base of the project. Every error an operator or a caller may see carries a
// stable `code` (documented in README "Error codes") so that scripts, the HTTP API and the
// tests can tell failures apart without parsing messages. An `expected` error is one line
// for the operator, never a stack trace.

export abstract class SmsOtpError extends Error {
  abstract readonly code: string;
  /** An operator-fixable condition (bad input, config, unreachable peer): printed as one line. */
  readonly expected: boolean = true;
  /** The CLI's exit status for it: 1 for a failure, 2 for a mistake in the command line. */
  readonly exitStatus: 1 | 2 = 1;
}

/**
 * A change refused because of what the store holds (a gateway still in use, a setting naming
 * something that does not exist): the message says why and how to proceed.
 */
export class RefusedError extends SmsOtpError {
  override name = 'RefusedError';
  readonly code = 'ERR_REFUSED';
}

export function isExpectedError(err: unknown): err is SmsOtpError {
  return err instanceof SmsOtpError && err.expected;
}

/** What a command names (a token serial, a gateway id) does not exist. */
export class NotFoundError extends SmsOtpError {
  override name = 'NotFoundError';
  readonly code = 'ERR_NOT_FOUND';
}

/** An fs error as the operator needs it: the errno name and what it means, no stack. */
export function describeFsError(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  switch (e.code) {
    case 'ENOENT':
      return 'ENOENT (no such file or directory)';
    case 'EACCES':
    case 'EPERM':
      return `${e.code} (permission denied)`;
    case 'EISDIR':
      return 'EISDIR (it is a directory, not a file)';
    case 'ENOTDIR':
      return 'ENOTDIR (a part of the path is not a directory)';
    default:
      return e.code ?? e.message ?? String(err);
  }
}
