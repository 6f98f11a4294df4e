// `radius_server set|list|show|delete|test`: the RADIUS servers logins without a token may be
// forwarded to (passthru=radius:NAME). The options and their help come from the declaration
// beside the client (src/radius-upstream/parameters.ts); the secret is read from a file or
// standard input, never from the command line.
import type { Command } from 'commander';
import { UpstreamUnavailable } from '../core/errors.js';
import { FREE_TEXT_LIMIT, mustBeAtMost, mustFit } from '../app/limits.js';
import { RADIUS_SERVER_NAME, RADIUS_SERVER_PARAMETERS as P, parseAddress, timeoutProblem } from '../app/radius-servers.js';
import type { WithAdmin } from './context.js';
import { json, table, UsageError, type Io } from './output.js';
import { SecretInput } from './secret-input.js';

const YES = new Set(['yes', 'true', '1', 'on']);
const NO = new Set(['no', 'false', '0', 'off']);

function yesNo(option: string, value: string): boolean {
  const word = value.trim().toLowerCase();
  if (YES.has(word)) return true;
  if (NO.has(word)) return false;
  throw new UsageError(`${option} takes yes or no, not '${value}'`);
}

export function radiusServerCommands(program: Command, io: Io, withAdmin: WithAdmin): void {
  const cmd = program.command('radius_server').description('RADIUS servers logins without a token may be forwarded to (setting passthru radius:NAME)');

  cmd
    .command('set <name>')
    .description('create or replace a RADIUS server')
    .requiredOption('--address <host:port>', P.address.help)
    .option('--secret-file <file>', `${P.secret.help}; kept when left out on a server that has one`)
    .option('--timeout <seconds>', P.timeout.help, P.timeout.default)
    .option('--require-message-authenticator <yes|no>', P.require_message_authenticator.help, P.require_message_authenticator.default)
    .option('--description <text>', P.description.help, P.description.default)
    .action(async (name: string, opts, command: Command) => {
      if (!RADIUS_SERVER_NAME.test(name)) throw new UsageError('RADIUS server name: 1 to 64 letters, digits, . _ - (passthru names it as radius:NAME)');
      const address = parseAddress(opts.address);
      if (!address) throw new UsageError(`--address '${opts.address}' is not HOST:PORT ([v6]:PORT for IPv6, port 1 to 65535)`);
      const timeout = Number(opts.timeout);
      const problem = timeoutProblem(timeout);
      if (problem) throw new UsageError(`${problem}, not '${opts.timeout}'`);
      const requireMessageAuthenticator = yesNo('--require-message-authenticator', opts.requireMessageAuthenticator);
      mustFit('radius_servers', 'host', address.host, '--address');
      mustBeAtMost(FREE_TEXT_LIMIT, opts.description, '--description');
      const secret = opts.secretFile === undefined ? undefined : await new SecretInput().fileOrStdin('--secret-file', opts.secretFile);
      return withAdmin(command, async (admin) => {
        await admin.radiusServers.set({ identifier: name, description: opts.description, ...address, secret, timeout, requireMessageAuthenticator });
        io.out(`radius_server ${name} saved (${opts.address}); forward to it with: setting set passthru radius:${name}`);
      });
    });

  cmd
    .command('list')
    .description('list RADIUS servers')
    .option('--json', 'a JSON array of what `radius_server show` prints, instead of a table')
    .action(async (opts, command: Command) =>
      withAdmin(command, async (admin) => {
        const servers = await admin.radiusServers.list();
        if (opts.json) return io.out(json(servers));
        const rows = [['NAME', 'ADDRESS', 'TIMEOUT', 'MESSAGE-AUTHENTICATOR', 'UPDATED']];
        for (const s of servers) rows.push([s.identifier, s.address, `${s.timeout} s`, s.requireMessageAuthenticator ? 'required' : 'not required', s.updatedAt ?? '-']);
        io.out(table(rows));
      }),
    );

  cmd
    .command('show <name>')
    .description('show a RADIUS server as a JSON object, secret censored')
    .option('--json', 'the same JSON (show always prints JSON)')
    .action(async (name: string, _opts, command: Command) => withAdmin(command, async (admin) => io.out(json(await admin.radiusServers.show(name)))));

  cmd
    .command('delete <name>')
    .description('delete a RADIUS server (refused while passthru forwards to it)')
    .action(async (name: string, _opts, command: Command) =>
      withAdmin(command, async (admin) => {
        await admin.radiusServers.delete(name);
        io.out(`radius_server ${name} deleted`);
      }),
    );

  cmd
    .command('test <name>')
    .description('ask the server with Status-Server whether it is up (exit 1 when it does not answer; some servers never do)')
    .option('--wait <seconds>', 'how long to wait for the answer', '5')
    .action(async (name: string, opts, command: Command) =>
      withAdmin(command, async (admin) => {
        const problem = timeoutProblem(Number(opts.wait));
        if (problem) throw new UsageError(problem.replace('--timeout', '--wait'));
        const result = await admin.radiusServers.probe(name, Number(opts.wait) * 1000);
        if (result.kind === 'silent') throw new UpstreamUnavailable(`radius_server ${name}: ${result.detail}`);
        io.out(`radius_server ${name} answered Status-Server in ${result.ms} ms`);
      }),
    );
}
