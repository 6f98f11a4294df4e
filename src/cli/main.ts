// Command line: `sms-otp-radiusd serve|migrate|check|token|gateway|setting|smtpserver|userstore|realm|notification|audit|session|apikey|backup ...`.
import { Command, CommanderError } from 'commander';
import { startDaemon } from '../main/daemon.js';
import { migrateStore, withAdmin as openAdmin } from '../main/session.js';
import { isExpectedError } from '../core/errors.js';
import { VERSION } from '../version.js';
import { apiKeyCommands } from './apikey.js';
import { auditCommands } from './audit.js';
import { sessionCommands } from './session.js';
import type { WithAdmin } from './context.js';
import { gatewayCommands } from './gateway.js';
import { processIo, type Io } from './output.js';
import { settingCommands } from './setting.js';
import { smtpServerCommands } from './smtp-server.js';
import { tokenCommands } from './token.js';
import { backupCommand } from './backup.js';
import { checkCommand } from './check.js';
import { userStoreCommands } from './userstore.js';
import { notificationCommands } from './notification.js';

// package.json sits two levels above the compiled module (dist/cli/main.js), in a checkout
// and in an installed package alike.

const CONFIG_HELP =
  'configuration file (default: $SMS_OTP_RADIUSD_CONFIG, else /etc/sms-otp-radiusd/sms-otp-radiusd.yaml; run from a checkout: its config/sms-otp-radiusd.yaml)';

export function buildProgram(io: Io): Command {
  const program = new Command('sms-otp-radiusd')
    .description('RADIUS server for two-factor login with an SMS one-time password')
    .version(VERSION)
    .option('-c, --config <path>', CONFIG_HELP)
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) });

  // Commander recognises root options after the subcommand too, so --config works anywhere.

  const withAdmin: WithAdmin = (cmd, fn) => openAdmin(cmd.optsWithGlobals().config, fn);

  program
    .command('serve')
    .description('run the RADIUS daemon (migrates the store first)')
    .action(async (_opts, cmd: Command) => {
      const daemon = await startDaemon(cmd.optsWithGlobals().config);
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          daemon.stop().then(resolve, resolve);
          // Whatever handle is still open (a hung connection) does not keep the process alive.
          setTimeout(() => process.exit(process.exitCode ?? 0), 11_000).unref();
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
        // systemctl reload: the config file again (clients, secrets, log level), never a stop.
        process.on('SIGHUP', () => daemon.reload());
      });
    });

  program
    .command('migrate')
    .description('create or upgrade the store schema')
    .action(async (_opts, cmd: Command) => {
      const applied = await migrateStore(cmd.optsWithGlobals().config);
      io.out(applied.length ? `applied: ${applied.join(', ')}` : 'store schema is up to date');
    });

  checkCommand(program, io);
  tokenCommands(program, io, withAdmin);
  gatewayCommands(program, io, withAdmin);
  settingCommands(program, io, withAdmin);
  smtpServerCommands(program, io, withAdmin);
  userStoreCommands(program, io, withAdmin);
  notificationCommands(program, io, withAdmin);
  backupCommand(program, io);
  auditCommands(program, io, withAdmin);
  sessionCommands(program, io, withAdmin);
  apiKeyCommands(program, io, withAdmin);
  return program;
}

/** Runs the CLI; resolves to the exit status. */
export async function main(argv: string[], io: Io = processIo): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version exit 0; usage mistakes were already printed by commander.
      return err.exitCode === 0 ? 0 : 2;
    }
    // An expected error's message is the whole story for the operator: no stack trace.
    if (isExpectedError(err)) {
      io.err(`sms-otp-radiusd: ${err.message}`);
      return err.exitStatus;
    }
    io.err(`sms-otp-radiusd: unexpected error: ${(err as Error)?.stack ?? String(err)}`);
    return 1;
  }
}
