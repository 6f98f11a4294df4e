// The UI's refusals, on the one error table (src/core/errors.ts): a role or realm the person
// does not have is 403 whatever the page, and says nothing of what lies behind it.
import { SmsOtpError } from '../core/errors.js';

/** The signed-in person's role does not allow the page or the action. */
export class WebForbiddenError extends SmsOtpError {
  override name = 'WebForbiddenError';
  readonly code = 'ERR_FORBIDDEN';
}
