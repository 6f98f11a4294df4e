// `user show NAME[@REALM]`: everything the helpdesk needs about one user in one screen: the
// tokens (phone redacted), what the user store says, the last logins with the audit's reason,
// the recent audit rows and the open challenges (how many, how old; never an OTP).
import type { Command } from 'commander';
import type { AuditView } from '../app/audit.js';
import type { UserView } from '../app/user-view.js';
import type { WithHelpdesk } from './context.js';
import { json, table, type Io } from './output.js';
import { oneLine, stateOf } from './token.js';

/** A NAS chooses user names and station ids: no control character reaches the terminal. */
const printable = (text: string) => (text === '' ? '-' : text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?'));

const EXAMPLES = `
Examples:
  $ sms-otp-radiusd user show alice            # alice in every realm
  $ sms-otp-radiusd user show alice@corp       # alice of realm corp
  $ sms-otp-radiusd user show alice --json     # the same for scripts

Then, by the same name:
  $ sms-otp-radiusd token reset --user alice                 # unlock (clear the fail counter)
  $ sms-otp-radiusd token resend --user alice                # a new SMS now, within the SMS limits
  $ sms-otp-radiusd token set --user alice --phone +4917012345678
  $ sms-otp-radiusd audit list --user alice --since 1d       # every decision and its reason
`;

export function userCommands(program: Command, io: Io, withHelpdesk: WithHelpdesk): void {
  const user = program
    .command('user')
    .description('helpdesk: everything about a user by name (tokens, lock state, last logins and why they failed)');
  user
    .command('show <name>')
    .description('show a user by name (NAME or NAME@REALM): tokens, phone (redacted), lock state, user store entry, last logins with their reasons, recent audit, open challenges')
    .option('--json', 'a JSON array with one object per user the name means, instead of text')
    .addHelpText('after', EXAMPLES)
    .action(async (name: string, opts, cmd: Command) =>
      withHelpdesk(cmd, async ({ users }) => {
        const views = await users.show(name);
        io.out(opts.json ? json(views) : views.map(userText).join('\n\n'));
      }),
    );
}

function userText(v: UserView): string {
  const name = v.realm ? `${v.username}@${v.realm}` : v.username;
  const lines = [`user ${printable(name)}`, `directory: ${directoryText(v)}`, ''];
  if (v.tokens.length === 0) lines.push('tokens: none');
  else {
    const rows = [['SERIAL', 'STATE', 'PHONE', 'GATEWAY', 'FAILCOUNT', 'LAST-AUTH', 'LAST-FAIL', 'DESCRIPTION']];
    for (const t of v.tokens) {
      const state = t.locked && t.unlocksAt ? `${stateOf(t)} until ${t.unlocksAt}` : stateOf(t);
      rows.push([t.serial, state, t.dynamicPhone ? '(directory)' : t.phone, t.gateway ?? '(default)', `${t.failcount}/${t.maxfail}`, t.lastAuthAt ?? '-', t.lastFailAt ?? '-', oneLine(t.description)]);
    }
    lines.push('tokens:', table(rows));
  }
  const open = v.openChallenges;
  lines.push('', open.count === 0 ? 'open challenges: none' : `open challenges: ${open.count} (oldest issued ${open.oldestAgeSeconds} s ago; the newest expires in ${open.expiresInSeconds} s)`);
  lines.push('', 'last logins:', auditTable(v.lastLogins), '', 'recent audit:', auditTable(v.recentAudit));
  return lines.join('\n');
}

function directoryText(v: UserView): string {
  const d = v.directory;
  if (d.userstore === null) return `no user store serves realm '${v.realm}'`;
  if (d.error !== undefined) return `user store ${d.userstore} could not be asked: ${d.error}`;
  if (!d.found) return `user store ${d.userstore} has no such user`;
  const person = [[d.givenname, d.surname].filter(Boolean).join(' '), d.email ? `<${d.email}>` : '', d.mobile ? `mobile ${d.mobile}` : '', d.dn ? `dn ${d.dn}` : '']
    .filter(Boolean)
    .join(', ');
  return `user store ${d.userstore}: ${printable(person) || 'found'}`;
}

function auditTable(rows: readonly AuditView[]): string {
  if (rows.length === 0) return '  (none)';
  const header = ['TIME', 'ACTION', 'CLIENT', 'CALLING-STATION', 'SERIALS', 'REASON'];
  const body = rows.map((r) => [r.time, r.action, r.client, r.callingStationId, r.serials.join(','), r.reason].map(printable));
  return table([header, ...body]);
}
