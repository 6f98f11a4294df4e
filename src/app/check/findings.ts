// What `check` reports: one result per finding, and an error as one line for it.
import { isExpectedError } from '../../core/errors.js';

export type CheckStatus = 'ok' | 'note' | 'warn' | 'fail';

/** One finding. `note` is information (something happens at first start), `warn` is worth fixing, `fail` stops `serve`. */
export interface CheckResult {
  readonly check: string;
  readonly status: CheckStatus;
  readonly message: string;
}

/** An error as one line for a result: the operator's message, or the driver's first line. */
export const reasonOf = (err: unknown) => (isExpectedError(err) ? err.message : ((err as Error)?.message ?? String(err)).split('\n')[0]!);

export class Findings {
  readonly results: CheckResult[] = [];
  add(check: string, status: CheckStatus, message: string): void {
    this.results.push({ check, status, message });
  }
  ok = (check: string, message: string) => this.add(check, 'ok', message);
  note = (check: string, message: string) => this.add(check, 'note', message);
  warn = (check: string, message: string) => this.add(check, 'warn', message);
  fail = (check: string, message: string) => this.add(check, 'fail', message);
}
