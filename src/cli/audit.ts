// `audit list` and `audit tail [-f]`: the trail of decisions and test sends, for people (a
// table, oldest first so that the newest row sits right above the prompt, and `tail -f`
// continues downwards from it) and for scripts (--json).
import type { Command } from 'commander';
import { setTimeout as sleep } from 'node:timers/promises';
import { auditView, parseAuditFilter, type AuditFilter, type AuditFilterText, type AuditRecord } from '../app/audit.js';
import { AUDIT_ACTIONS } from '../core/model.js';
import type { WithAdmin } from './context.js';
import { isoTime, json, table, UsageError, type Io } from './output.js';

const POLL_MS = 500;
const MAX_LIMIT = 100_000;

const HEADER = ['TIME', 'ACTION', 'USER', 'CLIENT', 'CALLING-STATION', 'GATEWAY', 'PHONE', 'SERIALS', 'REASON'];

/** A NAS chooses user names and station ids: no control character reaches the terminal. */
const printable = (text: string) => (text === '' ? '-' : text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?'));

function auditColumns(r: AuditRecord): string[] {
  return [
    isoTime(r.at),
    r.action,
    r.realm ? `${r.username}@${r.realm}` : r.username,
    r.client,
    r.nas.callingStationId,
    r.gateway,
    r.phone,
    r.serials.join(','),
    r.reason,
  ].map(printable);
}

/** Streamed rows cannot be measured first: fixed widths that fit the usual values. */
const TAIL_WIDTHS = [24, 12, 16, 12, 17, 10, 14, 14];
const tailLine = (r: AuditRecord) => auditColumns(r).map((c, i) => c.padEnd(TAIL_WIDTHS[i] ?? 0)).join('  ').trimEnd();

const filterOf = (opts: AuditFilterText, now: number): AuditFilter => parseAuditFilter(opts, now, (name) => `--${name}`);

function count(option: string, raw: string, min: number): number {
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > MAX_LIMIT) {
    throw new UsageError(`${option} takes a whole number from ${min} to ${MAX_LIMIT}, not '${raw}'`);
  }
  return Number(raw);
}

export function auditCommands(program: Command, io: Io, withAdmin: WithAdmin): void {
  const audit = program.command('audit').description('the audit trail: every login decision and gateway test');
  const filters = (cmd: Command) =>
    cmd
      .option('--user <user>', 'only this user: NAME in any realm, or NAME@REALM as the USER column shows it')
      .option('--realm <realm>', 'only this realm')
      .option('--client <name>', 'only this RADIUS client (its name in the configuration; cli for the CLI\'s own rows, http for the HTTP API)')
      .option('--action <action>', `only this action: ${AUDIT_ACTIONS.join(', ')}`)
      .option('--json', 'JSON instead of a table');

  filters(audit.command('list'))
    .description('the newest rows, oldest first (the newest is the last line)')
    .option('--since <when>', 'rows from this time on: 30m, 1h, 2d, or an ISO 8601 time (UTC unless it has an offset)')
    .option('--limit <n>', 'at most this many rows (the newest)', '50')
    .addHelpText('after', `
Examples:
  $ sms-otp-radiusd audit list --user alice --since 1d        # why did alice's logins fail today?
  $ sms-otp-radiusd audit list --user alice@corp --action reject
  $ sms-otp-radiusd audit list --realm corp --client vpn-gw --since 2026-11-23T08:00Z
  $ sms-otp-radiusd audit list --action admin --json          # what the helpdesk changed
`)
    .action(async (opts, cmd: Command) => {
      const filter = filterOf(opts, Date.now());
      const limit = count('--limit', opts.limit, 1);
      return withAdmin(cmd, async (admin) => {
        const rows = await admin.audit.list(filter, limit);
        io.out(opts.json ? json(rows.map(auditView)) : table([HEADER, ...rows.map(auditColumns)]));
      });
    });

  filters(audit.command('tail'))
    .description('the last rows; with -f, then every new row as it is written (by any node), until Ctrl-C')
    .option('-n, --lines <n>', 'how many of the last rows first', '10')
    .option('-f, --follow', 'keep printing new rows')
    .action(async (opts, cmd: Command) => {
      const filter = filterOf(opts, Date.now());
      const lines = count('--lines', opts.lines, 0);
      const print = (r: AuditRecord) => io.out(opts.json ? JSON.stringify(auditView(r)) : tailLine(r));
      return withAdmin(cmd, async (admin) => {
        const { follower, backlog } = await admin.audit.follow(filter, lines);
        if (opts.json) backlog.forEach(print);
        else if (!opts.follow) io.out(table([HEADER, ...backlog.map(auditColumns)]));
        else io.out([HEADER.map((c, i) => c.padEnd(TAIL_WIDTHS[i] ?? 0)).join('  ').trimEnd(), ...backlog.map(tailLine)].join('\n'));
        if (!opts.follow) return;
        // Ctrl-C (or a reader that went away) ends the loop; the store is then closed as usual.
        const stop = new AbortController();
        const onSignal = () => stop.abort();
        process.once('SIGINT', onSignal);
        process.once('SIGTERM', onSignal);
        process.stdout.once('error', onSignal);
        try {
          while (!stop.signal.aborted) {
            (await follower.poll()).forEach(print);
            await sleep(POLL_MS, undefined, { signal: stop.signal }).catch(() => undefined);
          }
        } finally {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
          process.stdout.off('error', onSignal);
        }
      });
    });
}
