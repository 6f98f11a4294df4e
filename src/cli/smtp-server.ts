import type { Command } from 'commander';
import { FREE_TEXT_LIMIT, mustBeAtMost, mustFit } from '../app/limits.js';
import { json, table, UsageError, type Io } from './output.js';
import type { WithAdmin } from './context.js';
import { SecretInput } from './secret-input.js';

const positiveInt = (name: string, max: number) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new UsageError(`${name} must be a whole number from 1 to ${max}`);
  return n;
};

export function smtpServerCommands(program: Command, io: Io, withAdmin: WithAdmin): void {
  const smtp = program.command('smtpserver').description('central SMTP servers for the smtp gateway module');

  smtp
    .command('set <id>')
    .description('create or replace an SMTP server definition')
    .requiredOption('--server <host>', 'host name or address; smtps://host for implicit TLS')
    .option('--port <port>', 'port (25; 465 with smtps://, 587 for submission)', positiveInt('--port', 65535), 25)
    .option('--username <user>', 'login name (AUTH)')
    .option('--password [password]', 'password, stored encrypted: - reads it from standard input, @FILE from a file, no value asks for it; __CENSORED__ keeps the stored one')
    .option('--sender <address>', 'From address')
    .option('--tls', 'require STARTTLS', false)
    .option('--timeout <seconds>', 'seconds for connecting and for each answer', positiveInt('--timeout', 300), 10)
    .option('--ca-file <pem>', 'CA certificate(s) that signed the server certificate, when no public CA did')
    .option('--description <text>', 'free text', '')
    .action(async (id: string, opts, cmd: Command) => {
      const password = await new SecretInput().value('--password', opts.password, { required: false, label: 'SMTP password' });
      return withAdmin(cmd, async (admin) => {
        if (!/^[A-Za-z0-9._-]+$/.test(id)) throw new UsageError('SMTP server id: letters, digits, . _ - only');
        mustFit('smtp_servers', 'identifier', id, 'the SMTP server id');
        mustFit('smtp_servers', 'server', opts.server, '--server');
        mustFit('smtp_servers', 'username', opts.username ?? '', '--username');
        mustFit('smtp_servers', 'sender', opts.sender ?? '', '--sender');
        mustBeAtMost(FREE_TEXT_LIMIT, opts.description, '--description');
        if (opts.sender !== undefined && !/^[^@\s]+@[^@\s]+$/.test(opts.sender)) throw new UsageError('--sender must be an email address');
        await admin.smtpServers.set({
          identifier: id,
          description: opts.description,
          server: opts.server,
          port: opts.port,
          username: opts.username ?? null,
          password: password ?? null,
          sender: opts.sender ?? null,
          tls: opts.tls,
          timeout: opts.timeout,
          caFile: opts.caFile ?? null,
        });
        io.out(`smtpserver ${id} saved (server ${opts.server}:${opts.port})`);
      });
    });

  smtp
    .command('list')
    .description('list SMTP servers')
    .option('--json', 'a JSON array of what `smtpserver show` prints, instead of a table')
    .action(async (opts, cmd: Command) =>
      withAdmin(cmd, async (admin) => {
        const servers = await admin.smtpServers.list();
        if (opts.json) return io.out(json(servers));
        const rows = [['ID', 'SERVER', 'PORT', 'TLS', 'USERNAME', 'SENDER', 'UPDATED']];
        for (const s of servers) {
          rows.push([s.identifier, s.server, String(s.port), s.tls ? 'STARTTLS' : s.server.startsWith('smtps://') ? 'implicit' : 'no', s.username ?? '', s.sender ?? '', s.updatedAt ?? '-']);
        }
        io.out(table(rows));
      }),
    );

  smtp
    .command('show <id>')
    .description('show an SMTP server as a JSON object, password censored')
    .option('--json', 'the same JSON (show always prints JSON; accepted like on every list and show)')
    .action(async (id: string, _opts, cmd: Command) =>
      withAdmin(cmd, async (admin) => {
        io.out(json(await admin.smtpServers.show(id)));
      }),
    );

  smtp
    .command('delete <id>')
    .description('delete an SMTP server')
    .action(async (id: string, _opts, cmd: Command) =>
      withAdmin(cmd, async (admin) => {
        await admin.smtpServers.delete(id);
        io.out(`smtpserver ${id} deleted`);
      }),
    );

  smtp
    .command('test <id>')
    .description('send a test mail; exit 0 only when the server accepted it')
    .requiredOption('--to <address>', 'recipient')
    .action(async (id: string, opts, cmd: Command) =>
      withAdmin(cmd, async (admin) => {
        await admin.smtpServers.test(id, opts.to);
        io.out(`SMTP server ${id} accepted the message`);
      }),
    );
}
