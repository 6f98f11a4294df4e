import type { Command } from 'commander';
import { SETTINGS, isSettingKey, resolveSettings } from '../settings/registry.js';
import { table, UsageError, type Io } from './output.js';
import type { WithRuntime } from './context.js';

export function settingCommands(program: Command, io: Io, withRuntime: WithRuntime): void {
  const setting = program.command('setting').description('site-wide settings kept in the store');

  setting
    .command('set <key> <value>')
    .description('set a setting (validated)')
    .action(async (key: string, value: string, _opts, cmd: Command) =>
      withRuntime(cmd, async (rt) => io.out(`${key} = ${await rt.store.settings.set(key, value)}`)),
    );

  setting
    .command('get <key>')
    .description('print the effective value of a setting')
    .action(async (key: string, _opts, cmd: Command) =>
      withRuntime(cmd, async (rt) => {
        if (!isSettingKey(key)) throw new UsageError(`unknown setting '${key}'; see 'setting list'`);
        const value = (await rt.store.settings.values())[key];
        io.out(value === null ? '' : String(value));
      }),
    );

  setting
    .command('unset <key>')
    .description('return a setting to its default')
    .action(async (key: string, _opts, cmd: Command) =>
      withRuntime(cmd, async (rt) => {
        if (!isSettingKey(key)) throw new UsageError(`unknown setting '${key}'; see 'setting list'`);
        await rt.store.settings.unset(key);
      }),
    );

  setting
    .command('list')
    .description('list every setting with its value, whether it is the default, and its meaning')
    .action(async (_opts, cmd: Command) =>
      withRuntime(cmd, async (rt) => {
        const stored = await rt.store.settings.stored();
        const values = resolveSettings(stored);
        const rows = [['KEY', 'VALUE', 'SOURCE', 'MEANING']];
        for (const [key, def] of Object.entries(SETTINGS)) {
          const value = values[key as keyof typeof values];
          rows.push([key, value === null ? '(unset)' : String(value), stored.has(key) ? 'store' : 'default', def.help]);
        }
        io.out(table(rows));
      }),
    );
}
