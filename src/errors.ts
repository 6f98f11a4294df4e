// The one error base of the project. Every error an operator or a caller may see carries a
// stable `code` (documented in README "Error codes") so that scripts, the HTTP API and the
// tests can tell failures apart without parsing messages. An `expected` error is one line
// for the operator, never a stack trace.

export abstract class SmsOtpError extends Error {
  abstract readonly code: string;
  /** An operator-fixable condition (bad input, config, unreachable peer): printed as one line. */
  readonly expected: boolean = true;
}

export function isExpectedError(err: unknown): err is SmsOtpError {
  return err instanceof SmsOtpError && err.expected;
}
