// `sms-otp-radiusd check`: is this node ready to serve? Like `radiusd -C`, it changes nothing.
import type { Command } from 'commander';
import type { CheckResult } from '../app/check/index.js';
import { checkNode } from '../main/check.js';
import { resolveConfigPath } from '../config/load.js';
import { SmsOtpError } from '../core/errors.js';
import { json, type Io } from './output.js';

/** At least one check failed (they were printed on stdout); the CLI exits with status 1. */
export class CheckFailedError extends SmsOtpError {
  override name = 'CheckFailedError';
  readonly code = 'ERR_CHECK_FAILED';
}

const LABEL: Record<CheckResult['status'], string> = { ok: 'ok', note: 'note', warn: 'warn', fail: 'FAIL' };

/** One line per result; a message of several lines (a config's list of problems) stays under its check. */
export function formatChecks(results: readonly CheckResult[]): string {
  return results
    .map((r) => `${LABEL[r.status].padEnd(6)}${r.check} ${r.message.split('\n').join(`\n${' '.repeat(6)}`)}`)
    .join('\n');
}

export function checkCommand(program: Command, io: Io): void {
  program
    .command('check')
    .description('check the configuration, key file, store and gateway definitions without changing anything (exit 1 if a check fails)')
    .option('--json', 'the checks as a JSON array of { check, status: ok|note|warn|fail, message }')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const results = await checkNode(resolveConfigPath(cmd.optsWithGlobals().config));
      io.out(opts.json ? json(results) : formatChecks(results));
      const failed = results.filter((r) => r.status === 'fail').length;
      if (failed) throw new CheckFailedError(`check: ${failed} of ${results.length} checks failed`);
    });
}
