import { SmsOtpError } from '../core/errors.js';

/** A mistake in the command line (a bad option value): one line without a stack, exit status 2. */
export class UsageError extends SmsOtpError {
  override name = 'UsageError';
  readonly code = 'ERR_USAGE';
}

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export const processIo: Io = {
  out: (text) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`),
  err: (text) => process.stderr.write(text.endsWith('\n') ? text : `${text}\n`),
};

export function json(value: unknown): string {
  return JSON.stringify(value, null, 2);
}

/** KEY=VALUE pairs from repeated options, e.g. --option URL=https://... */
export function collectPair(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new UsageError(`expected KEY=VALUE, got '${value}'`);
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
}

export function table(rows: string[][]): string {
  const widths = rows[0]?.map((_c, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  return rows.map((r) => r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ').trimEnd()).join('\n');
}

/** A time for people and scripts alike: ISO 8601 in UTC, to the millisecond. */
export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}
