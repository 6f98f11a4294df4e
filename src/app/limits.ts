// Values an operator types that the store could not hold: refused before any write, with the
// limit named, the same way on SQLite (which would store them) and PostgreSQL (which would fail).
import { SmsOtpError } from '../core/errors.js';
import { COLUMN_LIMITS, type LimitedColumn, type LimitedTable } from '../store/column-limits.js';

/** A value longer than the store keeps (a usage error: the CLI exits with status 2). */
export class ValueTooLongError extends SmsOtpError {
  override name = 'ValueTooLongError';
  readonly code = 'ERR_VALUE_TOO_LONG';
}

/**
 * Free text kept in unbounded (text) columns: descriptions. Not a limit of the store but of
 * what is useful in a listing; it keeps a pasted file out of every `gateway list`.
 */
export const FREE_TEXT_LIMIT = 1000;

/** Characters as PostgreSQL counts them for varchar(n): code points, not UTF-16 units. */
const length = (value: string): number => [...value].length;

/** Refuses `value` for table.column when it is longer than the column; `what` names it for the operator. */
export function mustFit<T extends LimitedTable>(table: T, column: LimitedColumn<T>, value: string, what: string): void {
  const max = (COLUMN_LIMITS[table] as Record<string, number>)[column] as number;
  mustBeAtMost(max, value, what);
}

export function mustBeAtMost(max: number, value: string, what: string): void {
  const n = length(value);
  if (n > max) throw new ValueTooLongError(`${what} is ${n} characters long; at most ${max} are allowed`);
}
