import type { Command } from 'commander';
import { operatorName } from '../main/helpdesk.js';
import { isSecretEntry, MODULES } from '../app/gateway-admin.js';
import { moduleViews } from '../app/gateway-modules.js';
import { healthCell } from '../app/views.js';
import type { EventSink } from '../core/ports.js';
import { collectPair, json, table, type Io } from './output.js';
import type { WithAdmin } from './context.js';
import { SecretInput } from './secret-input.js';

/**
 * Secret values (as the module declares them: every header, URLs with their credentials)
 * given as - or @FILE are read now, so they never need to be on the command line. Other
 * values are taken as written.
 */
async function readSecretValues(module: string, option: '--option' | '--header', pairs: Record<string, string>, input: SecretInput): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(pairs)) {
    const readable = isSecretEntry(module, option === '--header' ? 'header' : 'option', key);
    out[key] = readable && (value === '-' || value.startsWith('@')) ? await input.resolve(`${option} ${key}`, value) : value;
  }
  return out;
}

export function gatewayCommands(program: Command, io: Io, withAdmin: WithAdmin): void {
  const gateway = program.command('gateway').description('centrally defined SMS gateways');

  gateway
    .command('set <id>')
    .description('create or replace a gateway definition (a censored secret keeps the stored one)')
    .requiredOption('--module <module>', `provider module: ${MODULES.join(', ')}`)
    .option('--description <text>', 'free text', '')
    .option('--option <KEY=VALUE>', "provider option, repeatable; a secret one ('gateway modules' says which) takes KEY=- for standard input or KEY=@FILE", collectPair, {})
    .option('--header <KEY=VALUE>', 'HTTP header, repeatable; KEY=- or KEY=@FILE as for options', collectPair, {})
    .action(async (id: string, opts, cmd: Command) => {
      const input = new SecretInput();
      const options = await readSecretValues(opts.module, '--option', opts.option, input);
      const headers = await readSecretValues(opts.module, '--header', opts.header, input);
      return withAdmin(cmd, async (admin) => {
        // Checked now (limits, files, the provider itself) rather than at the first login.
        await admin.gateways.set({
          identifier: id, description: opts.description, module: opts.module, options, headers,
        });
        io.out(`gateway ${id} saved (module ${opts.module})`);
      });
    });

  gateway
    .command('list')
    .description('list gateways')
    .option('--json', 'a JSON array of what `gateway show` prints, instead of a table')
    .action(async (opts, cmd: Command) =>
      withAdmin(cmd, async (admin) => {
        const gateways = await admin.gateways.list();
        if (opts.json) return io.out(json(gateways));
        const rows = [['ID', 'MODULE', 'DEFAULT', 'UPDATED', 'HEALTH', 'DESCRIPTION']];
        for (const g of gateways) rows.push([g.identifier, g.module, g.default ? 'yes' : '', g.updatedAt ?? '-', healthCell(g.health), g.description]);
        io.out(table(rows));
      }),
    );

  gateway
    .command('modules [module]')
    .description("what each module takes: its parameters, required, default, secret, help (needs no store)")
    .option('--json', 'a JSON array of modules instead of tables')
    .action(async (module: string | undefined, opts) => {
      const modules = moduleViews(module);
      if (opts.json) return io.out(json(modules));
      io.out(
        modules
          .map((m) => {
            const rows = [['PARAMETER', 'REQUIRED', 'DEFAULT', 'SECRET', 'MEANING']];
            for (const p of m.parameters) rows.push([p.name, p.required ? 'yes' : '', p.default ?? '', p.secret === 'no' ? '' : p.secret, p.help]);
            const extra = m.requestParameters ? '; any other option is a request parameter' : '';
            return `${m.module}: ${m.help}${m.headers ? '; --header values are secrets' : ''}${extra}\n${table(rows)}`;
          })
          .join('\n\n'),
      );
    });

  gateway
    .command('show <id>')
    .description('show a gateway as a JSON object, secrets censored')
    .option('--json', 'the same JSON (show always prints JSON; accepted like on every list and show)')
    .action(async (id: string, _opts, cmd: Command) =>
      withAdmin(cmd, async (admin) => io.out(json(await admin.gateways.show(id)))),
    );

  gateway
    .command('delete <id>')
    .description('delete a gateway; refused while tokens use it or it is the default, unless --force')
    .option('--force', 'delete anyway: its tokens fall back to the default gateway, a default naming it is unset', false)
    .action(async (id: string, opts, cmd: Command) =>
      withAdmin(cmd, async (admin) => {
        const released = await admin.gateways.delete(id, opts.force);
        io.out(`gateway ${id} deleted`);
        if (released.tokens > 0) io.out(`${released.tokens} token(s) of gateway ${id} now use the default gateway`);
        if (released.isDefault) io.out(`setting sms.identifier unset: tokens without a gateway of their own have none until it is set again`);
      }),
    );

  gateway
    .command('reset <id>')
    .description('forget that a gateway was unreachable: failover gateways try it again at once')
    .action(async (id: string, _opts, cmd: Command) =>
      withAdmin(cmd, async (admin) => {
        const failures = await admin.gateways.reset(id);
        io.out(failures !== undefined ? `gateway ${id} reset (it had been unreachable ${failures}x)` : `gateway ${id} was not blocked`);
      }),
    );

  gateway
    .command('test <id>')
    .description('send a test SMS; exit 0 only when the gateway accepted it')
    .requiredOption('--phone <phone>', 'recipient')
    .option('--message <text>', 'message text', 'sms-otp-radiusd test message')
    .action(async (id: string, opts, cmd: Command) =>
      withAdmin(cmd, async (admin) => {
        const deliveredBy = await admin.gateways.test(
          { gateway: id, phone: opts.phone, message: opts.message, operator: operatorName(), origin: 'cli' },
          warnGatewayDown(io),
        );
        io.out(deliveredBy === id ? `gateway ${id} accepted the message` : `gateway ${id} accepted the message (delivered by member ${deliveredBy})`);
      }),
    );
}

/** A member that a test finds unreachable is blocked like at a login, and the operator told. */
function warnGatewayDown(io: Io): EventSink {
  return {
    emit(event) {
      if (event.type === 'gateway_down') io.err(`gateway ${event.gateway} is unreachable; failover gateways skip it for now (${event.reason})`);
    },
  };
}
