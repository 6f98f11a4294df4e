// Command line: `sms-otp-radiusd serve|migrate|check|token|user|gateway|setting|smtpserver|radius_server|userstore|realm|notification|audit|session|apikey|policy|backup ...`.
import { Command, CommanderError } from 'commander';
import { migrateStore, withAdmin as openAdmin } from '../main/session.js';
import { withHelpdesk as openHelpdesk } from '../main/helpdesk.js';
import { isExpectedError } from '../core/errors.js';
import { VERSION } from '../version.js';
import { apiKeyCommands } from './apikey.js';
import { auditCommands } from './audit.js';
import { sessionCommands } from './session.js';
import type { WithAdmin, WithHelpdesk } from './context.js';
import { userCommands } from './user.js';
import { gatewayCommands } from './gateway.js';
import { processIo, type Io } from './output.js';
import { settingCommands } from './setting.js';
import { smtpServerCommands } from './smtp-server.js';
import { radiusServerCommands } from './radius-server.js';
import { tokenCommands } from './token.js';
import { backupCommand } from './backup.js';
import { checkCommand } from './check.js';
import { userStoreCommands } from './userstore.js';
import { notificationCommands } from './notification.js';
import { migratePrivacyIdeaCommand } from './migrate-privacyidea.js';
import { policyCommands } from './policy.js';
import { webadminCommands } from './webadmin.js';

// package.json sits two levels above the compiled module (dist/cli/main.js), in a checkout
// and in an installed package alike.

const CONFIG_HELP =
  'configuration file (default: $SMS_OTP_RADIUSD_CONFIG, else /etc/sms-otp-radiusd/sms-otp-radiusd.yaml; run from a checkout: its config/sms-otp-radiusd.yaml)';

/** The five helpdesk tasks, by user name, where a newcomer looks first: `sms-otp-radiusd --help`. */
const HELPDESK_HELP = `
Helpdesk, by user name (NAME, or NAME@REALM for one realm):
  find a user               sms-otp-radiusd user show alice
  see why a login failed    sms-otp-radiusd audit list --user alice --since 1d
  unlock                    sms-otp-radiusd token reset --user alice
  send a new SMS now        sms-otp-radiusd token resend --user alice
  change the phone number   sms-otp-radiusd token set --user alice --phone +4917012345678
Each token change (reset, enable, disable, delete, set, resend) and each change of a setting, policy or API key
is audited with your account name: audit list --action admin.
`;

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
  const withHelpdesk: WithHelpdesk = (cmd, fn) => openHelpdesk(cmd.optsWithGlobals().config, fn);
  program.addHelpText('after', HELPDESK_HELP);

  program
    .command('serve')
    .description('run the RADIUS daemon (migrates the store first)')
    .option('--debug', "trace every request's decisions in plain lines on standard error, as radiusd -X does (secrets masked); SIGUSR1 turns the trace on and off at run time")
    .action(async (opts, cmd: Command) => {
      // The signal handlers go in before the daemon starts and says so: SIGHUP's default is to
      // end the process, and a reload sent the moment the start was logged (systemd, a script)
      // must reload, not kill. Before the start has finished there is nothing to reload (the
      // start reads the file itself), and a stop waits for the start.
      let daemon: Awaited<ReturnType<typeof import('../main/daemon.js').startDaemon>> | undefined;
      let stopAsked: (() => void) | undefined;
      const stopping = new Promise<void>((resolve) => (stopAsked = resolve));
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        stopAsked!();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
      // systemctl reload: the config file again (clients, secrets, log level), never a stop.
      process.on('SIGHUP', () => daemon?.reload());
      // radiusd's debug toggle, for a running daemon: every request's decisions in the log, then off again.
      process.on('SIGUSR1', () => daemon?.toggleDebug());
      // Loaded here: the daemon's listeners, metrics and fronts are no other command's business
      // (every command's start would load them, some 100 modules, for nothing).
      const { startDaemon } = await import('../main/daemon.js');
      daemon = await startDaemon(cmd.optsWithGlobals().config, { debug: opts.debug === true });
      await stopping;
      // Whatever handle is still open (a hung connection) does not keep the process alive.
      setTimeout(() => process.exit(process.exitCode ?? 0), 11_000).unref();
      await daemon.stop().catch(() => undefined);
    });

  const migrate = program
    .command('migrate')
    .description('create or upgrade the store schema (migrate privacyidea: carry a privacyIDEA site over)')
    .action(async (_opts, cmd: Command) => {
      const applied = await migrateStore(cmd.optsWithGlobals().config);
      io.out(applied.length ? `applied: ${applied.join(', ')}` : 'store schema is up to date');
    });

  migratePrivacyIdeaCommand(migrate, io, withAdmin);
  checkCommand(program, io);
  userCommands(program, io, withHelpdesk);
  tokenCommands(program, io, withAdmin, withHelpdesk);
  gatewayCommands(program, io, withAdmin);
  settingCommands(program, io, withAdmin);
  smtpServerCommands(program, io, withAdmin);
  radiusServerCommands(program, io, withAdmin);
  userStoreCommands(program, io, withAdmin);
  notificationCommands(program, io, withAdmin);
  backupCommand(program, io);
  auditCommands(program, io, withAdmin);
  sessionCommands(program, io, withAdmin);
  apiKeyCommands(program, io, withAdmin);
  policyCommands(program, io, withAdmin);
  webadminCommands(program, io, withAdmin);
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
