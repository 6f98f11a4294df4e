// `sms-otp-radiusd check`: is this node ready to serve? Like `radiusd -C`, it changes nothing.
import type { Command } from 'commander';
import { checkInstallation, type CheckPorts, type CheckResult } from '../app/check/index.js';
import { requireDatabaseDirectory, storeOpenError } from '../daemon/runtime.js';
import { ClientTable } from '../radius/clients.js';
import { loadDictionaries } from '../radius/dictionary.js';
import { compileAcceptAttributes } from '../radius/reply-attributes.js';
import { resolveConfigPath } from '../config/load.js';
import { SmsOtpError } from '../core/errors.js';
import { json, type Io } from './output.js';

/** At least one check failed (they were printed on stdout); the CLI exits with status 1. */
export class CheckFailedError extends SmsOtpError {
  override name = 'CheckFailedError';
  readonly code = 'ERR_CHECK_FAILED';
}

/** What `check` asks of the RADIUS front and of the daemon's start: what serve refuses, refused here. */
const CHECK_PORTS: CheckPorts = {
  radius: {
    clients: (config) => void new ClientTable(config.radius.clients, { maxRequestTime: config.radius.max_request_time }),
    dictionaries: (config) => loadDictionaries(config.radius.dictionaries),
    acceptAttributes: (config) => void compileAcceptAttributes(config.radius),
  },
  store: { requireDatabaseDirectory, openError: storeOpenError },
};

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
      const results = await checkInstallation(resolveConfigPath(cmd.optsWithGlobals().config), CHECK_PORTS);
      io.out(opts.json ? json(results) : formatChecks(results));
      const failed = results.filter((r) => r.status === 'fail').length;
      if (failed) throw new CheckFailedError(`check: ${failed} of ${results.length} checks failed`);
    });
}
