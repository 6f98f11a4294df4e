// `setting set|get|unset|list`: the site-wide settings, through the application layer
// (src/app/settings-admin.ts) that the HTTP admin API's /system/ uses too.
import type { Command } from 'commander';
import type { SettingsAdmin } from '../app/settings-admin.js';
import { json, table, type Io } from './output.js';
import { cliActor, type WithAdmin } from './context.js';

/** A value as the table prints it. */
const shown = (value: unknown) => (value === null ? '(unset)' : String(value));
/** A value as a confirmation line prints it: `... (was unset)`. */
const said = (value: unknown) => (value === null ? 'unset' : String(value));

export function settingCommands(program: Command, io: Io, withAdmin: WithAdmin): void {
  const setting = program.command('setting').description('site-wide settings kept in the store');
  const admin = <T>(cmd: Command, fn: (a: SettingsAdmin) => Promise<T>) => withAdmin(cmd, (a) => fn(a.settings));

  setting
    .command('set <key> <value>')
    .description('set a setting (validated)')
    .action(async (key: string, value: string, _opts, cmd: Command) =>
      withAdmin(cmd, async (a) => {
        const changed = await a.changes.setSetting(cliActor(), key, value);
        io.out(`setting ${key} = ${changed.value} (was ${said(changed.before ?? null)})`);
      }),
    );

  setting
    .command('get <key>')
    .description('print the effective value of a setting')
    .option('--json', 'a JSON object: key, value (typed), source (store or default), meaning')
    .action(async (key: string, opts, cmd: Command) =>
      admin(cmd, async (a) => {
        const view = await a.get(key);
        if (opts.json) return io.out(json(view));
        io.out(view.value === null ? '' : String(view.value));
      }),
    );

  setting
    .command('unset <key>')
    .description('return a setting to its default')
    .action(async (key: string, _opts, cmd: Command) =>
      withAdmin(cmd, async (a) => {
        const { key: known, before, now } = await a.changes.unsetSetting(cliActor(), key);
        io.out(`setting ${known} unset (now ${said(now)}; was ${said(before)})`);
      }),
    );

  setting
    .command('list')
    .description('list every setting with its value, whether it is the default, and its meaning')
    .option('--json', 'a JSON array of what `setting get --json` prints, instead of a table')
    .action(async (opts, cmd: Command) =>
      admin(cmd, async (a) => {
        const settings = await a.list();
        if (opts.json) return io.out(json(settings));
        const rows = [['KEY', 'VALUE', 'SOURCE', 'MEANING']];
        for (const s of settings) rows.push([s.key, shown(s.value), s.source, s.meaning]);
        io.out(table(rows));
      }),
    );
}
