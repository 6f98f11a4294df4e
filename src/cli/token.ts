import { readFileSync, statSync } from 'node:fs';
import type { Command } from 'commander';
import { MAXFAIL_RANGE, type TokenAdmin, type TokenView } from '../app/token-admin.js';
import { auditUsers } from '../app/audit.js';
import { json, table, UsageError, type Io } from './output.js';
import { cliActor, type WithAdmin, type WithHelpdesk } from './context.js';
import { SecretInput } from './secret-input.js';
import { describeFsError } from '../errors.js';
import { counted } from '../core/counted.js';

export function tokenCommands(program: Command, io: Io, withAdmin: WithAdmin, withHelpdesk: WithHelpdesk): void {
  const secrets = new SecretInput();
  const token = program.command('token').description('enroll and manage SMS tokens');
  const admin = <T>(cmd: Command, fn: (a: TokenAdmin) => Promise<T>) =>
    withAdmin(cmd, (a) => fn(a.tokens));

  token
    .command('enroll')
    .description('enroll an SMS token for a user (prints the serial), or for every user of a user store without one (--userstore)')
    .option('--user <user>', 'user name as the NAS sends it')
    .option('--realm <realm>', 'realm (a user@realm login selects it)')
    .option('--phone <phone>', 'mobile number the OTP is sent to')
    .option('--dynamic-phone', "instead of --phone: the user store's mobile number, read at every send")
    .option('--userstore <id>', "enroll a dynamic-phone token for every user of this user store who has none (needs otppin userstore or none)")
    .option('--filter <ldapfilter>', 'with --userstore: only the users this LDAP filter matches too, e.g. (memberOf=CN=VPN,OU=Groups,DC=example,DC=com)')
    .option('--pin [pin]', 'the PIN the user types first: - reads it from standard input, @FILE from a file; asked for without echo when left out (not used, nor asked for, under otppin userstore or none)')
    .option('--otpkey <hex>', 'HOTP key in hex (default: random)')
    .option('--otplen <digits>', '6 or 8', '6')
    .option('--hashlib <hash>', 'sha1, sha256 or sha512', 'sha1')
    .option('--gateway <id>', 'gateway of this token (default: setting sms.identifier)')
    .option('--serial <serial>', 'serial (default: PISM + random)')
    .option('--description <text>', 'free text about the token, shown by token list and token show')
    .option('--verify', 'the token counts only after its owner answered one OTP sent to it (default: setting verify_enrollment)')
    .option('--no-verify', 'the token counts at once, whatever verify_enrollment says')
    .action(async (opts, cmd: Command) => {
      if (opts.userstore !== undefined) return enrollFromUserStore(opts, cmd);
      if (opts.filter !== undefined) throw new UsageError('--filter goes with --userstore');
      if (opts.user === undefined) throw new UsageError("--user is required (or --userstore ID to enroll a user store's users)");
      return withAdmin(cmd, async (admin) => {
        // Under otppin userstore or none the token PIN is unused: asked for only under tokenpin
        // (given anyway, it is kept, for a return to tokenpin).
        const needPin = await admin.tokens.pinRequired();
        const pin = await secrets.value('--pin', opts.pin, { required: needPin, confirm: true, label: 'PIN' });
        // Audited as the helpdesk's and the HTTP API's enrollments are: who enrolled it, for which number (redacted).
        const t = await admin.tokenChanges.enroll(cliActor(), {
          username: opts.user,
          realm: opts.realm ?? '',
          phone: opts.phone,
          dynamicPhone: opts.dynamicPhone === true,
          ...(pin === undefined ? {} : { pin }),
          otpKeyHex: opts.otpkey,
          otplen: Number(opts.otplen),
          hashlib: opts.hashlib,
          gateway: opts.gateway,
          serial: opts.serial,
          verify: opts.verify,
          description: opts.description,
        });
        // Only the serial: scripts capture it (the confirmation of enrolling).
        io.out(t.serial);
      });
    });

  /** Bulk enrollment: a dynamic-phone token for each user of the store who has none yet. */
  const enrollFromUserStore = (opts: Record<string, unknown>, cmd: Command) => {
    for (const option of ['user', 'phone', 'pin', 'otpkey', 'serial'] as const) {
      if (opts[option] !== undefined) throw new UsageError(`--${option} does not go with --userstore: each user gets a token with a dynamic phone and a random key`);
    }
    return withAdmin(cmd, async (admin) => {
      const { enrolled, already, skipped } = await admin.directoryEnrollment.enroll({
        userstore: String(opts.userstore),
        ...(opts.filter !== undefined ? { filter: String(opts.filter) } : {}),
        ...(opts.realm !== undefined ? { realm: String(opts.realm) } : {}),
        ...(opts.gateway !== undefined ? { gateway: String(opts.gateway) } : {}),
        ...(typeof opts.verify === 'boolean' ? { verify: opts.verify } : {}),
      }, cliActor());
      if (skipped.length > 0) io.err(`warning: ${skipped.length} login name(s) cannot own a token (control characters, or too long) and were skipped: ${skipped.slice(0, 5).map((s) => JSON.stringify(s)).join(', ')}`);
      io.out(`enrolled ${counted(enrolled, 'token')} (${counted(already, 'user')} already had one)`);
    });
  };

  token
    .command('import')
    .description('enroll a token for every line of a CSV file, all or none; prints how many')
    .requiredOption('--csv <file>', 'CSV file with a header line (columns user,realm,phone,dynamic_phone,pin,otpkey,serial,gateway); - reads standard input')
    .action(async (opts, cmd: Command) => {
      const { data, name, exposed } = readImportFile(opts.csv);
      return withAdmin(cmd, async (admin) => {
        // The file holds PINs and keys: it is the secret, and others should not read it.
        if (exposed) io.err(`warning: ${name} is readable by group or others and holds PINs or keys: chmod 600 it (and delete it after the import)`);
        const { imported: n, delimiter } = await admin.tokenImport.importCsv(data, name, cliActor());
        io.out(`imported ${counted(n, 'token')} (fields separated by '${delimiter}')`);
      });
    });

  token
    .command('list')
    .description('list tokens')
    .option('--user <user>', 'only this user’s tokens: NAME (in any realm) or NAME@REALM')
    .option('--realm <realm>', 'only the tokens of this realm')
    .option('--json', 'a JSON array of what `token show` prints, instead of a table')
    .action(async (opts, cmd: Command) =>
      admin(cmd, async (a) => {
        const tokens = await listTokens(a, opts.user, opts.realm);
        if (opts.json) return io.out(json(tokens));
        // The description last: a long one widens no other column.
        const rows = [['SERIAL', 'USER', 'REALM', 'PHONE', 'GATEWAY', 'STATE', 'FAILCOUNT', 'COUNTER', 'LAST-AUTH', 'DESCRIPTION']];
        for (const t of tokens) {
          rows.push([t.serial, t.username, t.realm, t.dynamicPhone ? '(directory)' : t.phone, t.gateway ?? '(default)', stateOf(t),
            `${t.failcount}/${t.maxfail}`, String(t.counter), t.lastAuthAt ?? '-', oneLine(t.description)]);
        }
        io.out(table(rows));
      }),
    );

  token
    .command('show <serial>')
    .description('show one token as a JSON object (without key or PIN)')
    .option('--json', 'the same JSON (show always prints JSON; accepted like on every list and show)')
    .action(async (serial: string, _opts, cmd: Command) => admin(cmd, async (a) => io.out(json(await a.show(serial)))));

  // Each change confirms itself in one stable line on stdout, per token, and is audited with
  // the operator (action admin). By user name: reset, enable and disable act on all of the
  // user's tokens; delete, set and resend on the one token (--serial when the user has several).
  const byUser = (cmd: Command) =>
    cmd
      .option('--user <name>', 'the user: NAME (in any realm) or NAME@REALM, as `user show` and `audit list` show it')
      .option('--serial <serial>', "with --user: only this one of the user's tokens");
  const targetOf = (serial: string | undefined, opts: { user?: string; serial?: string }, action: string) => {
    if (serial !== undefined && opts.serial !== undefined && serial !== opts.serial) throw new UsageError(`token ${action}: give the serial once`);
    const chosen = serial ?? opts.serial;
    if (opts.user === undefined && chosen === undefined) throw new UsageError(`token ${action}: give a serial or --user NAME[@REALM]`);
    return { ...(opts.user === undefined ? {} : { user: opts.user }), ...(chosen === undefined ? {} : { serial: chosen }) };
  };
  for (const [name, description] of [
    ['enable', 'enable a token, or all of a user\'s tokens'],
    ['disable', 'disable a token, or all of a user\'s tokens (no SMS is sent for them)'],
    ['reset', 'reset the fail counter: unlocks a token, or all of a user\'s tokens'],
  ] as const) {
    byUser(token.command(`${name} [serial]`))
      .description(description)
      .addHelpText('after', `\nExamples:\n  $ sms-otp-radiusd token ${name} --user alice\n  $ sms-otp-radiusd token ${name} --user alice@corp\n  $ sms-otp-radiusd token ${name} PISM1234ABCD\n`)
      .action(async (serial: string | undefined, opts, cmd: Command) =>
        withHelpdesk(cmd, async ({ helpdesk }) => io.out((await helpdesk.change(name, targetOf(serial, opts, name))).join('\n'))),
      );
  }

  byUser(token.command('delete [serial]'))
    .description('delete a token and its open challenges (by --user: the user\'s one token; --serial when the user has several)')
    .action(async (serial: string | undefined, opts, cmd: Command) =>
      withHelpdesk(cmd, async ({ helpdesk }) => io.out(await helpdesk.delete(targetOf(serial, opts, 'delete')))),
    );

  byUser(token.command('resend'))
    .description("send the user a new SMS now, as a login's challenge does (same SMS limits, gateway and audit); the user types the OTP at the login prompt")
    .addHelpText('after', '\nExamples:\n  $ sms-otp-radiusd token resend --user alice\n  $ sms-otp-radiusd token resend --user alice@corp --serial PISM1234ABCD\n')
    .action(async (opts, cmd: Command) =>
      withHelpdesk(cmd, async ({ helpdesk }) => {
        const r = await helpdesk.resend(targetOf(undefined, opts, 'resend'));
        io.out(`SMS sent for token ${r.serial} through gateway ${r.gateway} to ${r.phone}`);
      }),
    );

  byUser(token.command('set [serial]'))
    .description('change the PIN, phone number, gateway, maximum fail count or description of a token (by --user: the user\'s one token)')
    .option('--pin [pin]', 'new PIN: - reads it from standard input, @FILE from a file; asked for without echo when given without a value')
    .option('--phone <phone>', 'new phone number, with + and country code')
    .option('--gateway <id>', 'gateway identifier; empty for the site default')
    .option('--maxfail <n>', `failures that lock the token, ${MAXFAIL_RANGE.min} to ${MAXFAIL_RANGE.max}`)
    .option('--description <text>', 'free text about the token; empty clears it')
    .addHelpText('after', '\nExamples:\n  $ sms-otp-radiusd token set --user alice --phone +4917012345678\n  $ sms-otp-radiusd token set PISM1234ABCD --maxfail 5\n')
    .action(async (serial: string | undefined, opts, cmd: Command) => {
      const target = targetOf(serial, opts, 'set');
      const pin = await secrets.value('--pin', opts.pin, { required: false, confirm: true, label: 'New PIN' });
      return withHelpdesk(cmd, async ({ helpdesk }) =>
        io.out(await helpdesk.set(target, { pin, phone: opts.phone, gateway: opts.gateway, maxfail: opts.maxfail, description: opts.description })),
      );
    });
}

/** `token list --user NAME[@REALM] --realm REALM`: the user as `audit list --user` takes it. */
async function listTokens(a: TokenAdmin, user: string | undefined, realm: string | undefined): Promise<TokenView[]> {
  const realmOnly = realm === undefined ? {} : { realm };
  if (user === undefined) return a.list(realmOnly);
  const found = await Promise.all(auditUsers(user).map((u) => a.list({ username: u.username, ...(u.realm === undefined ? realmOnly : { realm: u.realm }) })));
  const lower = realm?.toLowerCase();
  return found.flat().filter((t) => lower === undefined || t.realm === lower);
}

/** A description in one table line: a carried-over one may hold line breaks or other control characters. */
export function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ');
}

/** The STATE column: whether the token can log in, and if not, why. */
export function stateOf(t: TokenView): string {
  const why = [t.active ? '' : 'disabled', t.verified ? '' : 'unverified', t.locked ? 'locked' : ''].filter(Boolean);
  return why.length ? why.join(',') : 'active';
}


/** The file to import (or standard input for -), and whether users other than its owner may read it. */
function readImportFile(file: string): { data: Buffer; name: string; exposed: boolean } {
  try {
    if (file === '-') return { data: readFileSync(0), name: 'standard input', exposed: false };
    return { data: readFileSync(file), name: file, exposed: (statSync(file).mode & 0o044) !== 0 };
  } catch (err) {
    throw new UsageError(`--csv ${file}: cannot read it: ${describeFsError(err)}`);
  }
}
