import type { Command } from 'commander';
import { TokenAdmin, viewToken } from '../app/token-admin.js';
import { json, table, type Io } from './output.js';
import type { WithRuntime } from './context.js';
import { SecretInput } from './secret-input.js';

export function tokenCommands(program: Command, io: Io, withRuntime: WithRuntime): void {
  const secrets = new SecretInput();
  const token = program.command('token').description('enroll and manage SMS tokens');
  const admin = <T>(cmd: Command, fn: (a: TokenAdmin) => Promise<T>) =>
    withRuntime(cmd, (rt) => fn(new TokenAdmin(rt.store, rt.pins)));

  token
    .command('enroll')
    .description('enroll an SMS token for a user; prints the serial')
    .requiredOption('--user <user>', 'user name as the NAS sends it')
    .option('--realm <realm>', 'realm (a user@realm login selects it)', '')
    .requiredOption('--phone <phone>', 'mobile number the OTP is sent to')
    .option('--pin [pin]', 'the PIN the user types first: - reads it from standard input, @FILE from a file; asked for without echo when left out')
    .option('--otpkey <hex>', 'HOTP key in hex (default: random)')
    .option('--otplen <digits>', '6 or 8', '6')
    .option('--hashlib <hash>', 'sha1, sha256 or sha512', 'sha1')
    .option('--gateway <id>', 'gateway of this token (default: setting sms.identifier)')
    .option('--serial <serial>', 'serial (default: PISM + random)')
    .action(async (opts, cmd: Command) => {
      const pin = await secrets.value('--pin', opts.pin, { required: true, confirm: true, label: 'PIN' });
      return admin(cmd, async (a) => {
        const t = await a.enroll({
          username: opts.user,
          realm: opts.realm,
          phone: opts.phone,
          pin: pin!,
          otpKeyHex: opts.otpkey,
          otplen: Number(opts.otplen),
          hashlib: opts.hashlib,
          gateway: opts.gateway,
          serial: opts.serial,
        });
        io.out(t.serial);
      });
    });

  token
    .command('list')
    .description('list tokens')
    .option('--user <user>', 'only this user’s tokens')
    .action(async (opts, cmd: Command) =>
      withRuntime(cmd, async (rt) => {
        const tokens = await rt.store.tokens.list(opts.user === undefined ? {} : { username: opts.user });
        const rows = [['SERIAL', 'USER', 'REALM', 'PHONE', 'GATEWAY', 'ACTIVE', 'FAILCOUNT', 'COUNTER']];
        for (const t of tokens) {
          rows.push([t.serial, t.username, t.realm, t.phone, t.gateway ?? '(default)', t.active ? 'yes' : 'no',
            `${t.failcount}/${t.maxfail}`, String(t.counter)]);
        }
        io.out(table(rows));
      }),
    );

  token
    .command('show <serial>')
    .description('show one token as JSON (without key or PIN)')
    .action(async (serial: string, _opts, cmd: Command) => admin(cmd, async (a) => io.out(json(viewToken(await a.get(serial))))));

  for (const [name, description, run] of [
    ['enable', 'enable a token', (a: TokenAdmin, s: string) => a.setActive(s, true)],
    ['disable', 'disable a token (no SMS is sent for it)', (a: TokenAdmin, s: string) => a.setActive(s, false)],
    ['reset', 'reset the fail counter (unlock)', (a: TokenAdmin, s: string) => a.reset(s)],
    ['delete', 'delete a token and its open challenges', (a: TokenAdmin, s: string) => a.delete(s)],
  ] as const) {
    token
      .command(`${name} <serial>`)
      .description(description)
      .action(async (serial: string, _opts, cmd: Command) => admin(cmd, (a) => run(a, serial)));
  }

  token
    .command('set <serial>')
    .description('change the PIN, phone number or gateway of a token')
    .option('--pin [pin]', 'new PIN: - reads it from standard input, @FILE from a file; asked for without echo when given without a value')
    .option('--phone <phone>', 'new phone number')
    .option('--gateway <id>', 'gateway identifier; empty for the site default')
    .action(async (serial: string, opts, cmd: Command) => {
      const pin = await secrets.value('--pin', opts.pin, { required: false, confirm: true, label: 'New PIN' });
      return admin(cmd, (a) => a.set(serial, { pin, phone: opts.phone, gateway: opts.gateway }));
    });
}

