// `userstore` and `realm`: where the daemon finds its users (LDAP, Active Directory).
import type { Command } from 'commander';
import { DEFAULT_TIMEOUT_SECONDS, describeDefaults, GROUP_PARAMETERS, PRESETS } from '../app/userstore-admin.js';
import { json, table, UsageError, type Io } from './output.js';
import type { WithAdmin } from './context.js';
import { SecretInput } from './secret-input.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

const seconds = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new UsageError(`--timeout must be a whole number of seconds, not '${value}'`);
  return n;
};

export function userStoreCommands(program: Command, io: Io, withAdmin: WithAdmin): void {
  const userstore = program.command('userstore').description('user stores: LDAP directories and Active Directory');

  const set = userstore
    .command('set <id>')
    .description('create or replace a user store (the bind password is stored encrypted)')
    .option('--uri <uri>', 'ldaps://host or ldap://host:port; repeat for more servers, tried in order', collect, [])
    .requiredOption('--base-dn <dn>', 'where users are searched, e.g. DC=example,DC=com')
    .requiredOption('--bind-dn <dn>', 'the service account that searches, e.g. CN=svc-otp,OU=Service,DC=example,DC=com')
    .option('--bind-password-file <file>', "the service account's password: a file (its first line), or - for standard input; kept when left out on an existing user store")
    .option('--preset <preset>', `attribute names and filter of a common directory: ${PRESETS.join(', ')}`)
    .option('--login-attribute <name>', 'the attribute a login name is looked up in (ad: sAMAccountName, openldap: uid)')
    .option('--search-filter <filter>', 'an LDAP filter every user must match too (ad: (objectClass=user), openldap: (objectClass=inetOrgPerson))')
    .option('--mobile-attribute <name>', 'the attribute holding the mobile number (mobile)')
    .option('--starttls', 'STARTTLS on ldap:// URIs', false)
    .option('--ca-file <pem>', 'CA certificate(s) that signed the directory servers’ certificates, when no public CA did')
    .option('--timeout <seconds>', `seconds for connecting and for each operation, below the NAS's timeout (default ${DEFAULT_TIMEOUT_SECONDS})`, seconds);
  for (const parameter of Object.values(GROUP_PARAMETERS)) set.option(parameter.flag, `${parameter.help} (default: ${describeDefaults(parameter)})`);
  set.action(async (id: string, opts, cmd: Command) => {
    const file = opts.bindPasswordFile as string | undefined;
    const bindPassword = file === undefined ? undefined : await new SecretInput().resolve('--bind-password-file', file === '-' ? '-' : `@${file}`);
    return withAdmin(cmd, async (admin) => {
      const saved = await admin.userstores.set({
        identifier: id,
        uris: opts.uri,
        baseDn: opts.baseDn,
        bindDn: opts.bindDn,
        ...(bindPassword !== undefined ? { bindPassword } : {}),
        ...(opts.preset !== undefined ? { preset: opts.preset } : {}),
        ...(opts.loginAttribute !== undefined ? { loginAttribute: opts.loginAttribute } : {}),
        ...(opts.searchFilter !== undefined ? { searchFilter: opts.searchFilter } : {}),
        ...(opts.mobileAttribute !== undefined ? { mobileAttribute: opts.mobileAttribute } : {}),
        starttls: opts.starttls,
        ...(opts.caFile !== undefined ? { caFile: opts.caFile } : {}),
        ...(opts.timeout !== undefined ? { timeout: opts.timeout } : {}),
        groups: {
          ...(opts.groupAttribute !== undefined ? { attribute: opts.groupAttribute } : {}),
          ...(opts.groupBase !== undefined ? { base: opts.groupBase } : {}),
          ...(opts.groupFilter !== undefined ? { filter: opts.groupFilter } : {}),
          ...(opts.nestedGroups !== undefined ? { nested: true } : {}),
        },
      });
      io.out(`userstore ${id} saved (${saved.uris.join(', ')}; login attribute ${saved.attributes.login}; groups: ${groupSource(saved)})`);
    });
  });

  userstore
    .command('list')
    .description('list user stores')
    .option('--json', 'a JSON array of what `userstore show` prints, instead of a table')
    .action(async (opts, cmd: Command) =>
      withAdmin(cmd, async (admin) => {
        const views = await admin.userstores.list();
        if (opts.json) return io.out(json(views));
        const rows = [['ID', 'PRESET', 'URIS', 'BASE DN', 'REALMS', 'UPDATED']];
        for (const v of views) rows.push([v.identifier, v.preset || '-', v.uris.join(' '), v.baseDn, v.realms.join(',') || '-', v.updatedAt ?? '-']);
        io.out(table(rows));
      }),
    );

  userstore
    .command('show <id>')
    .description('show a user store as a JSON object, the bind password censored')
    .option('--json', 'the same JSON (show always prints JSON)')
    .action(async (id: string, _opts, cmd: Command) =>
      withAdmin(cmd, async (admin) => {
        io.out(json(await admin.userstores.show(id)));
      }),
    );

  userstore
    .command('delete <id>')
    .description('delete a user store; refused while a realm uses it')
    .action(async (id: string, _opts, cmd: Command) =>
      withAdmin(cmd, async (admin) => {
        await admin.userstores.delete(id);
        io.out(`userstore ${id} deleted`);
      }),
    );

  userstore
    .command('test <id>')
    .description('bind on every server as the service account, and look a user up as a login would; exit 0 only when the daemon could')
    .option('--user <name>', 'a login name to look up (without realm)')
    .action(async (id: string, opts, cmd: Command) =>
      withAdmin(cmd, async (admin) => {
        const report = await admin.userstores.test(id, opts.user);
        for (const s of report.servers) io.out(`${s.uri}: ${s.ok ? 'ok' : 'FAILED'}: ${s.detail}`);
        if (report.user) {
          const u = report.user;
          io.out(
            table([
              ['dn:', u.dn],
              ['username:', u.username],
              ['mobile:', u.mobile ?? '(none)'],
              ['givenname:', u.givenname ?? '(none)'],
              ['surname:', u.surname ?? '(none)'],
              ['email:', u.email ?? '(none)'],
              ...(u.groups !== undefined ? [['groups:', u.groups.join(', ') || '(none)']] : []),
            ]),
          );
        }
        if (report.failure) throw report.failure;
      }),
    );

  const realm = program.command('realm').description('realms: the user store of user@realm and REALM\\user logins');

  realm
    .command('set <realm>')
    .description('create or replace a realm (names compare without case)')
    .requiredOption('--userstore <id>', 'the user store that holds its users')
    .option('--default', 'the realm of logins that name none', false)
    .action(async (name: string, opts, cmd: Command) =>
      withAdmin(cmd, async (admin) => {
        const saved = await admin.realms.set(name, opts.userstore, opts.default);
        io.out(`realm ${saved.name} saved (userstore ${saved.userstore}${saved.isDefault ? ', default' : ''})`);
      }),
    );

  realm
    .command('list')
    .description('list realms')
    .option('--json', 'a JSON array instead of a table')
    .action(async (opts, cmd: Command) =>
      withAdmin(cmd, async (admin) => {
        const realms = await admin.realms.list();
        if (opts.json) return io.out(json(realms.map((r) => ({ name: r.name, userstore: r.userstore, default: r.isDefault }))));
        io.out(table([['REALM', 'USERSTORE', 'DEFAULT'], ...realms.map((r) => [r.name, r.userstore, r.isDefault ? 'yes' : ''])]));
      }),
    );

  realm
    .command('delete <realm>')
    .description('delete a realm (its tokens stay, under the realm name)')
    .action(async (name: string, _opts, cmd: Command) =>
      withAdmin(cmd, async (admin) => {
        await admin.realms.delete(name);
        io.out(`realm ${name.toLowerCase()} deleted`);
      }),
    );
}

/** Where a user store reads groups, in a few words. */
function groupSource(u: { readonly groups: { readonly attribute: string; readonly base: string; readonly filter: string } }): string {
  const { attribute, base, filter } = u.groups;
  const sources = [...(attribute ? [`attribute ${attribute}`] : []), ...(base ? [`search under ${base} for ${filter}`] : [])];
  return sources.join(' and ') || 'none read';
}
