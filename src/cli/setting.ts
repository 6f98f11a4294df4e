import type { Command } from 'commander';
import { SETTINGS, isSettingKey, resolveSettings, type SettingKey } from '../settings/registry.js';
import { json, table, UsageError, type Io } from './output.js';
import type { WithRuntime } from './context.js';

/** A value as the table prints it. */
const shown = (value: unknown) => (value === null ? '(unset)' : String(value));
/** A value as a confirmation line prints it: `... (was unset)`. */
const said = (value: unknown) => (value === null ? 'unset' : String(value));

/** One setting for scripts: the typed effective value and where it comes from. */
function settingJson(key: SettingKey, stored: ReadonlyMap<string, string>) {
  return { key, value: resolveSettings(stored)[key], source: stored.has(key) ? 'store' : 'default', meaning: SETTINGS[key].help };
}

function knownKey(key: string): SettingKey {
  if (!isSettingKey(key)) throw new UsageError(`unknown setting '${key}'; see 'setting list'`);
  return key;
}

export function settingCommands(program: Command, io: Io, withRuntime: WithRuntime): void {
  const setting = program.command('setting').description('site-wide settings kept in the store');

  setting
    .command('set <key> <value>')
    .description('set a setting (validated)')
    .action(async (key: string, value: string, _opts, cmd: Command) =>
      withRuntime(cmd, async (rt) => {
        const before = isSettingKey(key) ? (await rt.store.settings.values())[key] : null;
        io.out(`setting ${key} = ${await rt.store.settings.set(key, value)} (was ${said(before)})`);
      }),
    );

  setting
    .command('get <key>')
    .description('print the effective value of a setting')
    .option('--json', 'a JSON object: key, value (typed), source (store or default), meaning')
    .action(async (key: string, opts, cmd: Command) =>
      withRuntime(cmd, async (rt) => {
        const known = knownKey(key);
        const stored = await rt.store.settings.stored();
        if (opts.json) return io.out(json(settingJson(known, stored)));
        const value = resolveSettings(stored)[known];
        io.out(value === null ? '' : String(value));
      }),
    );

  setting
    .command('unset <key>')
    .description('return a setting to its default')
    .action(async (key: string, _opts, cmd: Command) =>
      withRuntime(cmd, async (rt) => {
        const known = knownKey(key);
        const before = (await rt.store.settings.values())[known];
        await rt.store.settings.unset(known);
        io.out(`setting ${known} unset (now ${said(SETTINGS[known].default)}; was ${said(before)})`);
      }),
    );

  setting
    .command('list')
    .description('list every setting with its value, whether it is the default, and its meaning')
    .option('--json', 'a JSON array of what `setting get --json` prints, instead of a table')
    .action(async (opts, cmd: Command) =>
      withRuntime(cmd, async (rt) => {
        const stored = await rt.store.settings.stored();
        const settings = (Object.keys(SETTINGS) as SettingKey[]).map((key) => settingJson(key, stored));
        if (opts.json) return io.out(json(settings));
        const rows = [['KEY', 'VALUE', 'SOURCE', 'MEANING']];
        for (const s of settings) rows.push([s.key, shown(s.value), s.source, s.meaning]);
        io.out(table(rows));
      }),
    );
}
