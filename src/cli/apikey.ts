// `apikey create|list|delete`: the HTTP front's API keys, through the application layer.
import type { Command } from 'commander';
import { API_KEY_ROLES } from '../app/api-keys.js';
import { cliActor, type WithAdmin } from './context.js';
import { json, table, type Io } from './output.js';

export function apiKeyCommands(program: Command, io: Io, withAdmin: WithAdmin): void {
  const apikey = program.command('apikey').description("API keys of the HTTP front (header Authorization or PI-Authorization)");

  apikey
    .command('create')
    .description('create a key and print it once (only its hash is stored)')
    .requiredOption('--role <role>', `${API_KEY_ROLES.join(' or ')}: admin may also trigger challenges; validate only logs in`)
    .option('--description <text>', 'free text: who or what uses the key', '')
    .option('--json', 'a JSON object with the key, instead of the key alone')
    .action(async (opts, cmd: Command) =>
      withAdmin(cmd, async (admin) => {
        const created = await admin.changes.createApiKey(cliActor(), opts.role, opts.description);
        if (opts.json) return io.out(json(created));
        // The key alone on stdout, for `KEY=$(sms-otp-radiusd apikey create ...)`; the rest to stderr.
        io.out(created.key);
        io.err(`API key ${created.id} (role ${created.role}) created; it is shown only now: keep it safe`);
      }),
    );

  apikey
    .command('list')
    .description('list keys (never the keys themselves)')
    .option('--json', 'a JSON array instead of a table')
    .action(async (opts, cmd: Command) =>
      withAdmin(cmd, async (admin) => {
        const keys = await admin.apiKeys.list();
        if (opts.json) return io.out(json(keys));
        io.out(table([['ID', 'ROLE', 'CREATED', 'DESCRIPTION'], ...keys.map((k) => [String(k.id), k.role, k.createdAt, k.description])]));
      }),
    );

  apikey
    .command('delete <id>')
    .description('delete a key: every daemon refuses it within a second')
    .action(async (id: string, _opts, cmd: Command) =>
      withAdmin(cmd, async (admin) => {
        await admin.changes.deleteApiKey(cliActor(), id);
        io.out(`API key ${id} deleted`);
      }),
    );
}
