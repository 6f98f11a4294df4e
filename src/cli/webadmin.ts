// `webadmin create|list|delete`: local web UI accounts for sites without a directory (or for
// when it is down), through the application layer (src/app/web-accounts.ts). The password is
// never on the command line: it is read from standard input, or asked for on a terminal.
import type { Command } from 'commander';
import { WEB_ROLES, type WebRole } from '../core/policies/actions.js';
import { CLI_CLIENT } from '../app/helpdesk.js';
import { LOCAL_WEB_REALM, type WebAccount } from '../app/web-accounts.js';
import { operatorName } from '../main/helpdesk.js';
import type { WithAdmin } from './context.js';
import { json, table, UsageError, type Io } from './output.js';
import { SecretInput } from './secret-input.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

function parseRole(text: string): WebRole {
  const word = text.trim().toLowerCase();
  if (!(WEB_ROLES as readonly string[]).includes(word)) throw new UsageError(`--role takes ${WEB_ROLES.join(' or ')}, not '${text}'`);
  return word as WebRole;
}

const realmsText = (a: WebAccount) => (a.realms === 'all' ? 'all' : a.realms.join(','));

export function webadminCommands(program: Command, io: Io, withAdmin: WithAdmin): void {
  const cmd = program
    .command('webadmin')
    .description(`local web UI accounts (an SMS token of realm ${LOCAL_WEB_REALM}, its PIN the password): for sites without a directory`);
  const actor = () => ({ operator: operatorName(), client: CLI_CLIENT });

  cmd
    .command('create <name>')
    .description('create a web account: the password (at least 8 characters) is read from standard input, or asked for on a terminal')
    .requiredOption('--phone <number>', 'the number the sign-in code goes to, international (+E.164)')
    .option('--role <role>', 'admin or helpdesk (default admin)', parseRole)
    .option('--realm <realm>', "a helpdesk's realm (adminrealm); repeatable; none: all realms", collect)
    .option('--password <password>', "- reads it from standard input (the default when it is not a terminal), @FILE from a file")
    .action(async (name: string, opts, command: Command) => {
      const given: string | true = opts.password ?? (process.stdin.isTTY ? true : '-');
      const password = (await new SecretInput().value('--password', given, { required: true, confirm: true, label: 'Password' }))!;
      return withAdmin(command, async (admin) => {
        const account = await admin.webAccounts.create(
          { name, phone: opts.phone, password, ...(opts.role ? { role: opts.role } : {}), ...(opts.realm ? { realms: opts.realm } : {}) },
          actor(),
        );
        io.out(`web account ${account.name} created: role ${account.role}, realms ${realmsText(account)}, token ${account.serial}, phone ${account.phone}; sign in as ${account.name}@${LOCAL_WEB_REALM}`);
      });
    });

  cmd
    .command('list')
    .description('list the web accounts')
    .option('--json', 'a JSON array instead of a table')
    .action(async (opts, command: Command) =>
      withAdmin(command, async (admin) => {
        const accounts = await admin.webAccounts.list();
        if (opts.json) return io.out(json(accounts));
        const rows = [['NAME', 'ROLE', 'REALMS', 'PHONE', 'SERIAL', 'STATE']];
        for (const a of accounts) rows.push([a.name, a.role || '(self-service)', realmsText(a), a.phone, a.serial, a.locked ? 'locked' : a.active ? 'active' : 'disabled']);
        io.out(table(rows));
      }),
    );

  cmd
    .command('delete <name>')
    .description('remove a web account: its token and its role policy')
    .action(async (name: string, _opts, command: Command) =>
      withAdmin(command, async (admin) => {
        await admin.webAccounts.delete(name, actor());
        io.out(`web account ${name} deleted`);
      }),
    );
}
