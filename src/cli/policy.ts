// `policy set|list|show|delete|explain`: rules per realm, client, directory group and user,
// through the application layer (src/app/policy-admin.ts) that the HTTP admin API's /policy/
// uses too. `explain` is the `radiusd -X` of policies: which value applies and why.
import type { Command } from 'commander';
import type { Explanation, PolicyAdmin } from '../app/policy-admin.js';
import { actionsOfScope, type Policy } from '../core/policies/policy.js';
import { json, table, UsageError, type Io } from './output.js';
import { cliActor, type WithAdmin } from './context.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** KEY=VALUE, kept in order and with repeats (reply_attribute repeats). */
function actionPair(text: string): [string, string] {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new UsageError(`--action takes KEY=VALUE (e.g. otppin=userstore, reply_attribute=Class=vpn-admins), not '${text}'`);
  return [text.slice(0, eq), text.slice(eq + 1)];
}

function parsePriority(text: string): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`--priority takes a whole number (lower wins), not '${text}'`);
  return Number(text);
}

const conditionText = (p: Policy) =>
  (['realm', 'client', 'group', 'user'] as const)
    .flatMap((k) => (p.conditions[k] ? [`${k}=${p.conditions[k]!.join(',')}`] : []))
    .join(' ') || '(everyone)';

const actionText = (p: Policy) => p.actions.map((a) => `${a.key}=${a.value}`).join(', ');

export function policyCommands(program: Command, io: Io, withAdmin: WithAdmin): void {
  const policy = program.command('policy').description('rules per realm, RADIUS client, directory group and user (authentication, authorization, admin)');
  const admin = <T>(cmd: Command, fn: (a: PolicyAdmin) => Promise<T>) => withAdmin(cmd, (a) => fn(a.policies));

  policy
    .command('set <name>')
    .description('create or replace a policy (refused when it conflicts with another of the same priority)')
    .requiredOption('--scope <scope>', 'authentication (overlays settings), authorization (deny, reply_attribute) or admin (web UI roles)')
    .option('--action <KEY=VALUE>', `an action, repeatable: authentication ${actionsOfScope('authentication').join(', ')}; authorization deny, reply_attribute=Name[:tag]=value; admin role=admin|helpdesk, adminrealm=R1,R2, selfservice_enroll=true|false`, collect)
    .option('--realm <realm>', 'applies to this realm; repeatable', collect)
    .option('--client <client>', "applies to this RADIUS client (its name) or address/CIDR; repeatable", collect)
    .option('--group <group>', 'applies to members of this directory group (cn); repeatable', collect)
    .option('--user <user>', 'applies to this user; repeatable', collect)
    .option('--priority <n>', 'lower number wins (default 1)', parsePriority)
    .option('--inactive', 'store it switched off')
    .action(async (name: string, opts, cmd: Command) =>
      withAdmin(cmd, async (a) => {
        const { policy: saved, created, warnings } = await a.changes.setPolicy(cliActor(), {
          name,
          scope: opts.scope,
          actions: ((opts.action ?? []) as string[]).map(actionPair),
          conditions: { realm: opts.realm, client: opts.client, group: opts.group, user: opts.user },
          ...(opts.priority === undefined ? {} : { priority: opts.priority }),
          active: !opts.inactive,
        });
        for (const w of warnings) io.err(`warning: ${w}`);
        io.out(`policy ${saved.name} ${created ? 'created' : 'replaced'}: ${saved.scope}, priority ${saved.priority}${saved.active ? '' : ', inactive'}; ${actionText(saved)} for ${conditionText(saved)}`);
      }),
    );

  policy
    .command('list')
    .description('list the policies by priority')
    .option('--json', 'a JSON array of the policies')
    .action(async (opts, cmd: Command) =>
      admin(cmd, async (a) => {
        const policies = await a.list();
        if (opts.json) return io.out(json(policies));
        const rows = [['NAME', 'SCOPE', 'PRIORITY', 'ACTIVE', 'CONDITIONS', 'ACTIONS']];
        for (const p of policies) rows.push([p.name, p.scope, String(p.priority), p.active ? 'yes' : 'no', conditionText(p), actionText(p)]);
        io.out(table(rows));
      }),
    );

  policy
    .command('show <name>')
    .description('print one policy')
    .option('--json', 'a JSON object')
    .action(async (name: string, opts, cmd: Command) =>
      admin(cmd, async (a) => {
        const p = await a.get(name);
        if (opts.json) return io.out(json(p));
        const lines = [`name: ${p.name}`, `scope: ${p.scope}`, `priority: ${p.priority}`, `active: ${p.active ? 'yes' : 'no'}`, `conditions: ${conditionText(p)}`];
        for (const act of p.actions) lines.push(`action: ${act.key}=${act.value}`);
        io.out(lines.join('\n'));
      }),
    );

  policy
    .command('delete <name>')
    .description('remove a policy')
    .action(async (name: string, _opts, cmd: Command) =>
      withAdmin(cmd, async (a) => {
        await a.changes.deletePolicy(cliActor(), name);
        io.out(`policy ${name} deleted`);
      }),
    );

  policy
    .command('explain')
    .description('which value of each action applies to a user, and the policy it comes from (the user is looked up as a login does)')
    .requiredOption('--user <user>', 'the user name')
    .option('--realm <realm>', 'the realm (default: as the login name would mean it)')
    .option('--client <client>', 'a RADIUS client name or address')
    .option('--json', 'a JSON object')
    .action(async (opts, cmd: Command) =>
      admin(cmd, async (a) => {
        const explained = await a.explain({ username: opts.user, ...(opts.realm === undefined ? {} : { realm: opts.realm }), ...(opts.client === undefined ? {} : { client: opts.client }) });
        io.out(opts.json ? json(explained) : explanationText(explained));
      }),
    );
}

function explanationText(e: Explanation): string {
  const client = [e.client.name, e.client.address].filter((c) => c !== '').join(' ') || '(any)';
  const lines = [
    `user: ${e.username}${e.realm ? `@${e.realm}` : ''}${e.found ? '' : ' (not found in the directory or the tokens)'}`,
    `client: ${client}`,
    `groups: ${e.groups === undefined ? '(the user store reads no groups)' : e.groups.join(', ') || '(none)'}`,
    '',
  ];
  const rows = [['SCOPE', 'ACTION', 'VALUE', 'FROM']];
  for (const x of e.authentication) rows.push(['authentication', x.action, x.value, x.from]);
  for (const x of e.authorization) rows.push(['authorization', x.action, x.value, x.from === 'none' ? '(no policy)' : x.from]);
  for (const x of e.admin) rows.push(['admin', x.action, x.value, x.from === 'none' ? '(no policy)' : x.from]);
  return [...lines, table(rows)].join('\n');
}
