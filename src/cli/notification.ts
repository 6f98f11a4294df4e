import type { Command } from 'commander';
import { EVENT_MEANING, EVENT_TAGS, NOTIFICATION_EVENTS, OWNER } from '../app/notifications.js';
import { json, table, type Io } from './output.js';
import type { WithAdmin } from './context.js';

export function notificationCommands(program: Command, io: Io, withAdmin: WithAdmin): void {
  const notification = program
    .command('notification')
    .description('SMS sent when something happens (privacyIDEA\'s UserNotification handler)');

  notification
    .command('set <id>')
    .description('create or replace a notification; running daemons take it within a second')
    .requiredOption('--event <event>', `one of ${NOTIFICATION_EVENTS.join(', ')}`)
    .requiredOption('--gateway <id>', 'the gateway that sends it (see gateway list)')
    .option('--to <owner|phone>', "owner (the user the event is about) or a phone number (an operator's)", OWNER)
    .requiredOption('--text <template>', `the message; user tags {user} {username} {userrealm} {givenname} {surname} {email} and ${EVENT_TAGS}`)
    .action(async (id: string, opts, cmd: Command) =>
      withAdmin(cmd, async (admin) => {
        const def = await admin.notifications.set({ identifier: id, event: opts.event, gateway: opts.gateway, recipient: opts.to, text: opts.text });
        io.out(`notification ${id} saved (${def.event} → ${def.recipient} through ${def.gateway})`);
      }),
    );

  notification
    .command('list')
    .description('list notifications')
    .option('--json', 'a JSON array (identifier, event, gateway, to, text) instead of a table')
    .action(async (opts, cmd: Command) =>
      withAdmin(cmd, async (admin) => {
        const defs = await admin.notifications.list();
        if (opts.json) return io.out(json(defs.map((d) => ({ identifier: d.identifier, event: d.event, gateway: d.gateway, to: d.recipient, text: d.text }))));
        if (defs.length === 0) return io.out(`no notifications; events: ${NOTIFICATION_EVENTS.map((e) => `${e} (${EVENT_MEANING[e]})`).join('; ')}`);
        io.out(table([['ID', 'EVENT', 'GATEWAY', 'TO', 'TEXT'], ...defs.map((d) => [d.identifier, d.event, d.gateway, d.recipient, d.text])]));
      }),
    );

  notification
    .command('delete <id>')
    .description('delete a notification')
    .action(async (id: string, _opts, cmd: Command) =>
      withAdmin(cmd, async (admin) => {
        await admin.notifications.delete(id);
        io.out(`notification ${id} deleted`);
      }),
    );
}
