// `session list`: the accounting sessions NAS reported (RFC 2866), for people (a table, the
// most recently updated last) and for scripts (--json).
import type { Command } from 'commander';
import { sessionView, type AccountingSession } from '../app/sessions.js';
import type { WithAdmin } from './context.js';
import { isoTime, json, table, UsageError, type Io } from './output.js';

const MAX_LIMIT = 100_000;
const HEADER = ['UPDATED', 'CLIENT', 'SESSION-ID', 'USER', 'NAS-IP', 'FRAMED-IP', 'STARTED', 'STOPPED', 'SECONDS', 'IN', 'OUT', 'CAUSE'];

/** A NAS chooses user names and session ids: no control character reaches the terminal. */
const printable = (text: string) => (text === '' ? '-' : text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?'));
const orDash = (v: number | null, show: (n: number) => string = String) => (v === null ? '-' : show(v));

function columns(s: AccountingSession): string[] {
  return [
    isoTime(s.updatedAt),
    s.client,
    s.sessionId,
    s.username,
    s.nasIpAddress,
    s.framedIpAddress,
    orDash(s.startedAt, isoTime),
    s.stoppedAt === null ? 'open' : isoTime(s.stoppedAt),
    orDash(s.sessionTime),
    orDash(s.inputOctets),
    orDash(s.outputOctets),
    s.terminateCause,
  ].map(printable);
}

export function sessionCommands(program: Command, io: Io, withAdmin: WithAdmin): void {
  const session = program.command('session').description('accounting sessions reported by the NAS (radius.accounting_listen)');
  session
    .command('list')
    .description('the most recently updated sessions, oldest first (the newest is the last line)')
    .option('--user <user>', 'only this user (User-Name as the NAS sent it)')
    .option('--client <name>', 'only this NAS (its client name in the configuration)')
    .option('--open', 'only sessions without a Stop')
    .option('--limit <n>', 'at most this many rows (the most recently updated)', '50')
    .option('--json', 'JSON instead of a table')
    .action(async (opts, cmd: Command) => {
      if (!/^\d+$/.test(opts.limit) || Number(opts.limit) < 1 || Number(opts.limit) > MAX_LIMIT) {
        throw new UsageError(`--limit takes a whole number from 1 to ${MAX_LIMIT}, not '${opts.limit}'`);
      }
      const filter = {
        ...(opts.user === undefined ? {} : { username: String(opts.user) }),
        ...(opts.client === undefined ? {} : { client: String(opts.client) }),
        ...(opts.open ? { openOnly: true } : {}),
      };
      return withAdmin(cmd, async (admin) => {
        const rows = await admin.sessions.list(filter, Number(opts.limit));
        io.out(opts.json ? json(rows.map(sessionView)) : table([HEADER, ...rows.map(columns)]));
      });
    });
}
